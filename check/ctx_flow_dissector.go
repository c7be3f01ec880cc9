package check

import (
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/verifier"
)

// flowKeysSize is sizeof(struct bpf_flow_keys), unchanged from 6.1 to
// 6.18 (the last fields, flags and flow_label, came in 5.3 and 5.4).
const flowKeysSize = 56

// The flow dissector's context (the kernel's
// flow_dissector_is_valid_access, unchanged from 6.1 to 6.18): of
// __sk_buff only data and data_end (4-byte reads, packet pointers,
// read-only packet) and flow_keys (an 8-byte read, the pointer to struct
// bpf_flow_keys, which the program reads and writes) are readable, and
// nothing is writable. The kernel does not check the return value (BPF_OK,
// BPF_DROP, BPF_FLOW_DISSECTOR_CONTINUE are conventions of the caller).
// bpf_skb_load_bytes is the flow dissector's own version with the same
// prototype; the other helpers are bpf_sk_base_func_proto's (the probed
// table, helpers_gen.go).
func initFlowDissectorModel() {
	ctxModels[kernel.FlowDissector] = ctxModel{
		unsupported: func(e *progEnv) string {
			if e.AttachType != 0 && e.AttachType != kernel.AttachFlowDissector {
				return "flow_dissector programs of attach type " + e.AttachType.String() + " are not modelled"
			}
			if e.Flags != 0 {
				return "program flags " + e.Flags.String() + " are not modelled for this program type"
			}
			return ""
		},
		access: flowDissectorAccess,
	}
}

func flowDissectorAccess(c *checker, st *state, regno asm.Register, off int32, size int, write bool) (reg, *verifier.Error) {
	// A field's range admits any offset inside it, but the kernel then
	// rewrites only the field's first byte (other offsets fail to
	// convert): only exact offsets load.
	switch {
	case write:
	case off == skbData && size == 4:
		return reg{typ: ptrPacket, v: constScalar(0)}, nil
	case off == skbDataEnd && size == 4:
		return reg{typ: ptrPacketEnd, v: constScalar(0)}, nil
	case off == skbFlowKeys && size == 8:
		return reg{typ: ptrFlowKeys, v: constScalar(0)}, nil
	}
	return c.badCtx(st, regno, off, size)
}

// flowKeysAccess checks a load or store of size bytes at p+off, p a
// pointer to struct bpf_flow_keys (the kernel's check_flow_keys_access:
// inside the struct, any alignment; a load gives an unknown value).
func (c *checker) flowKeysAccess(st *state, regno asm.Register, p *reg, off int32, size int) (reg, *verifier.Error) {
	if !p.v.isConst() {
		return reg{}, c.unsupported(st, "flow keys access through a variable offset is not modelled")
	}
	at := int64(p.off) + int64(off) + int64(p.v.t.value)
	if at < 0 || at+int64(size) > flowKeysSize {
		return reg{}, c.errf(st, regno, "invalid access to flow keys off=%d size=%d", at, size)
	}
	return scalarReg(unsignedScalar(sizeMax(size))), nil
}
