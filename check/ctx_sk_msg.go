package check

import (
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/verifier"
)

// struct sk_msg_md offsets.
const (
	skMsgData    = 0
	skMsgDataEnd = 8
	skMsgFamily  = 16
	skMsgSizeFld = 68
	skMsgSK      = 72
	skMsgSize    = 80
)

func initSkMsgModel() { // run by ensureTables
	ctxModels[kernel.SkMsg] = ctxModel{
		unsupported: func(e *progEnv) string {
			if e.AttachType != 0 && e.AttachType != kernel.AttachSkMsgVerdict {
				return "sk_msg programs of attach type " + e.AttachType.String() + " are not modelled"
			}
			if e.Flags != 0 {
				return "program flags " + e.Flags.String() + " are not modelled for this program type"
			}
			return ""
		},
		access: skMsgAccess,
	}
	for fn, p := range map[asm.BuiltinFunc]helperProto{
		asm.FnMsgRedirectMap:  {args: [5]argKind{cx, argMapPtr, a, a}, maps: []kernel.MapType{kernel.MapSockMap}},
		asm.FnMsgRedirectHash: {args: [5]argKind{cx, argMapPtr, argMapKey, a}, maps: []kernel.MapType{kernel.MapSockHash}},
		asm.FnMsgApplyBytes:   {args: [5]argKind{cx, a}},
		asm.FnMsgCorkBytes:    {args: [5]argKind{cx, a}},
		asm.FnMsgPullData:     {args: [5]argKind{cx, a, a, a}, pktChange: true},
		asm.FnMsgPushData:     {args: [5]argKind{cx, a, a, a}, pktChange: true},
		asm.FnMsgPopData:      {args: [5]argKind{cx, a, a, a}, pktChange: true},
	} {
		if _, dup := helperProtos[fn]; !dup {
			helperProtos[fn] = p
		}
	}
}

// skMsgAccess is struct sk_msg_md (sk_msg_is_valid_access): read-only;
// data and data_end are packet pointers (8 bytes), the u32 fields are read
// whole; the socket pointer is not modelled.
func skMsgAccess(c *checker, st *state, regno asm.Register, off int32, size int, write bool) (reg, *verifier.Error) {
	bad := func() (reg, *verifier.Error) { return c.badCtx(st, regno, off, size) }
	if write || off < 0 || off >= skMsgSize || off%int32(size) != 0 {
		return bad()
	}
	switch {
	case off == skMsgData, off == skMsgDataEnd:
		if size != 8 {
			return bad()
		}
		t := ptrPacket
		if off == skMsgDataEnd {
			t = ptrPacketEnd
		}
		return reg{typ: t, v: constScalar(0)}, nil
	case off == skMsgSK:
		if size != 8 {
			return bad()
		}
		return reg{}, c.unsupported(st, "sk_msg_md.sk is not modelled")
	case off >= skMsgFamily && off < skMsgSizeFld+4:
		if size != 4 {
			return bad()
		}
		return scalarReg(unsignedScalar(0xffffffff)), nil
	}
	return bad()
}
