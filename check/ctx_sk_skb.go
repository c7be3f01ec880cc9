package check

import (
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/verifier"
)

// skSKBRules: sk_skb_is_valid_access (stream parser and verdict
// programs). Their packets are writable.
var skSKBRules = skbRules{
	deny:   [][2]int32{skbFieldTCClassid, skbFieldDataMeta, skbFieldTstamp, skbFieldWireLen, skbFieldHwtstamp, skbFieldMark},
	write:  [][2]int32{skbFieldTCIndex, skbFieldPriority},
	packet: true,
}

// lwtRules: lwt_is_valid_access (lwt_in, lwt_out and lwt_xmit). lwt_in
// and lwt_out packets are read-only.
var lwtRules = skbRules{
	deny:   [][2]int32{skbFieldTCClassid, skbFieldSocket, skbFieldDataMeta, skbFieldTstamp, skbFieldWireLen, skbFieldHwtstamp},
	write:  [][2]int32{skbFieldMark, skbFieldPriority, skbFieldCB},
	packet: true,
}

func initSkSKBModel() { // run by ensureTables
	noFlags := func(what string, attach ...kernel.AttachType) func(e *progEnv) string {
		return func(e *progEnv) string {
			ok := e.AttachType == 0
			for _, a := range attach {
				ok = ok || e.AttachType == a
			}
			if !ok {
				return what + " programs of attach type " + e.AttachType.String() + " are not modelled"
			}
			if e.Flags != 0 {
				return "program flags " + e.Flags.String() + " are not modelled for this program type"
			}
			return ""
		}
	}
	ctxModels[kernel.SkSKB] = ctxModel{
		unsupported: noFlags("sk_skb", kernel.AttachSkSKBStreamParser, kernel.AttachSkSKBStreamVerdict, kernel.AttachSkSKBVerdict),
		access: func(c *checker, st *state, regno asm.Register, off int32, size int, write bool) (reg, *verifier.Error) {
			return c.skbAccess(&skSKBRules, st, regno, off, size, write)
		},
	}
	for _, t := range []kernel.ProgramType{kernel.LWTIn, kernel.LWTOut, kernel.LWTXmit} {
		ctxModels[t] = ctxModel{
			unsupported: noFlags(t.String()),
			access: func(c *checker, st *state, regno asm.Register, off int32, size int, write bool) (reg, *verifier.Error) {
				return c.skbAccess(&lwtRules, st, regno, off, size, write)
			},
		}
	}
	for fn, p := range map[asm.BuiltinFunc]helperProto{
		asm.FnSkRedirectMap:  {args: [5]argKind{cx, argMapPtr, a, a}, maps: []kernel.MapType{kernel.MapSockMap}},
		asm.FnSkRedirectHash: {args: [5]argKind{cx, argMapPtr, argMapKey, a}, maps: []kernel.MapType{kernel.MapSockHash}},
		asm.FnLwtPushEncap:   {args: [5]argKind{cx, a, argMem, argSize}, pktChange: true},
	} {
		if _, dup := helperProtos[fn]; !dup {
			helperProtos[fn] = p
		}
	}
}
