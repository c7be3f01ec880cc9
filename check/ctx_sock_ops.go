package check

import (
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/verifier"
)

// struct bpf_sock_ops offsets.
const (
	sockOpsReply         = 4
	sockOpsRemoteIP4     = 24
	sockOpsSkTxhash      = 164
	sockOpsBytesReceived = 168
	sockOpsBytesAcked    = 176
	sockOpsSK            = 184
	sockOpsSkbData       = 192
	sockOpsSkbDataEnd    = 200
	sockOpsSkbTCPFlags   = 212
	// sockOpsSize61 is sizeof(struct bpf_sock_ops) in 6.1's UAPI; 6.18
	// adds skb_hwtstamp (u64).
	sockOpsSize61  = 216
	sockOpsHwtstmp = 216
	sockOpsSize    = 224
)

func initSockOpsModel() { // run by ensureTables
	ctxModels[kernel.SockOps] = ctxModel{
		unsupported: func(e *progEnv) string {
			if e.AttachType != 0 && e.AttachType != kernel.AttachCGroupSockOps {
				return "sock_ops programs of attach type " + e.AttachType.String() + " are not modelled"
			}
			if e.Flags != 0 {
				return "program flags " + e.Flags.String() + " are not modelled for this program type"
			}
			return ""
		},
		access: sockOpsAccess,
	}
	returnRanges[kernel.SockOps] = func(*progEnv) retRange { return retRange{0, 1, true} }
	for fn, p := range map[asm.BuiltinFunc]helperProto{
		asm.FnSockOpsCbFlagsSet: {args: [5]argKind{cx, a}},
		asm.FnSockMapUpdate:     {args: [5]argKind{cx, argMapPtr, argMapKey, a}, maps: []kernel.MapType{kernel.MapSockMap}},
		asm.FnSockHashUpdate:    {args: [5]argKind{cx, argMapPtr, argMapKey, a}, maps: []kernel.MapType{kernel.MapSockHash}},
		// The option value is read (and, as far as the checker knows,
		// may be written: see helperWritesMem).
		asm.FnSetsockopt: {args: [5]argKind{cx, a, a, argMem, argSize}},
		asm.FnGetsockopt: {args: [5]argKind{cx, a, a, argUninitMem, argSize}},
	} {
		if _, dup := helperProtos[fn]; !dup {
			helperProtos[fn] = p
		}
	}
	helperWritesMem[asm.FnSetsockopt] = true
}

// sockOpsAccess is struct bpf_sock_ops (sock_ops_is_valid_access): u32
// fields read whole, reply and sk_txhash written, the u64 counters and
// the packet pointers read whole; the socket pointer is not modelled.
func sockOpsAccess(c *checker, st *state, regno asm.Register, off int32, size int, write bool) (reg, *verifier.Error) {
	bad := func() (reg, *verifier.Error) { return c.badCtx(st, regno, off, size) }
	if off < 0 || off >= sockOpsSize || off%int32(size) != 0 {
		return bad()
	}
	if off >= sockOpsSize61 && !c.kv.AtLeast(kernel.V(6, 18, 0)) {
		return reg{}, c.unsupported(st, "bpf_sock_ops.skb_hwtstamp on kernel %s is not modelled", c.kv.Version)
	}
	if write {
		if (off == sockOpsReply || off == sockOpsSkTxhash) && size == 4 {
			return reg{}, nil
		}
		return bad()
	}
	switch {
	case off >= sockOpsBytesReceived && off < sockOpsBytesAcked+8, off == sockOpsHwtstmp:
		if size != 8 {
			return bad()
		}
		return scalarReg(unknownScalar()), nil
	case off > sockOpsSK && off < sockOpsSkbDataEnd+8 && off%8 != 0, off > sockOpsHwtstmp:
		// The other halves of the pointers and of skb_hwtstamp.
		return bad()
	case off == sockOpsSK:
		if size != 8 {
			return bad()
		}
		return reg{}, c.unsupported(st, "bpf_sock_ops.sk is not modelled")
	case off == sockOpsSkbData, off == sockOpsSkbDataEnd:
		if size != 8 {
			return bad()
		}
		t := ptrPacket
		if off == sockOpsSkbDataEnd {
			t = ptrPacketEnd
		}
		return reg{typ: t, v: constScalar(0)}, nil
	case off == sockOpsSkbTCPFlags:
		// Narrow reads allowed.
		if size > 4 {
			return bad()
		}
		return scalarReg(unsignedScalar(sizeMax(size))), nil
	}
	if size != 4 {
		return bad()
	}
	return scalarReg(unsignedScalar(0xffffffff)), nil
}
