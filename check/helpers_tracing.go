package check

import (
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
)

// The helpers of tracing programs (and of the task context every program
// type may read): their argument kinds are those of the kernel's
// prototypes (kernel/bpf/helpers.c, kernel/trace/bpf_trace.c), unchanged
// from 6.1 to 6.18. Which program types may call them comes from the
// probed table (helpers_gen.go). Helpers returning BTF pointers
// (bpf_get_current_task_btf) are not modelled.
func initTracingHelpers() { // run by ensureTables
	for fn, p := range map[asm.BuiltinFunc]helperProto{
		asm.FnJiffies64:                  {},
		asm.FnGetCurrentPidTgid:          {},
		asm.FnGetCurrentUidGid:           {},
		asm.FnGetCurrentTask:             {},
		asm.FnGetCurrentCgroupId:         {},
		asm.FnGetCurrentAncestorCgroupId: {args: [5]argKind{a}},
		asm.FnGetCurrentComm:             {args: [5]argKind{argUninitMem, argSize}},
		asm.FnProbeReadKernel:            {args: [5]argKind{argUninitMem, argSizeOrZero, a}},
		asm.FnProbeReadKernelStr:         {args: [5]argKind{argUninitMem, argSizeOrZero, a}},
		asm.FnProbeReadUser:              {args: [5]argKind{argUninitMem, argSizeOrZero, a}},
		asm.FnProbeReadUserStr:           {args: [5]argKind{argUninitMem, argSizeOrZero, a}},
		asm.FnRingbufQuery:               {args: [5]argKind{argMapPtr, a}, maps: []kernel.MapType{kernel.MapRingBuf}},
		// Stack traces: an id in a stack trace map, or the frames copied.
		asm.FnGetStackid: {args: [5]argKind{cx, argMapPtr, a}, maps: []kernel.MapType{kernel.MapStackTrace}},
		asm.FnGetStack:   {args: [5]argKind{cx, argUninitMem, argSizeOrZero, a}},
	} {
		if _, dup := helperProtos[fn]; !dup {
			helperProtos[fn] = p
		}
	}
}
