package check

import "sync"

var tablesOnce sync.Once

// ensureTables adds the program types and helpers the ctx_*.go and
// helpers_*.go files model to the checker's tables (ctxModels,
// returnRanges, helperProtos, helperWritesMem), once, when the first
// program is checked: a program that links the package but checks
// nothing (bpfctl prog list) does not build them at start-up. They run
// in the order Go would run them as init functions (by file name).
func ensureTables() {
	tablesOnce.Do(func() {
		initCGroupSKBModel()
		initFlowDissectorModel()
		initSkMsgModel()
		initSkSKBModel()
		initSockModel()
		initSockAddrModel()
		initSockOpsModel()
		initTracingModels()
		initDatapathHelpers()
		initTracingHelpers()
		initCallbackHelpers()
	})
}
