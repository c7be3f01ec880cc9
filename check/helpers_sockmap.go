package check

import (
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/verifier"
)

// sockMapGeneric reports whether fn is a generic map helper the checker
// models on socket maps: bpf_map_update_elem and bpf_map_delete_elem on
// a sockmap or sockhash (lookups return a referenced socket, not
// modelled).
func sockMapGeneric(fn asm.BuiltinFunc, t kernel.MapType) bool {
	return (fn == asm.FnMapUpdateElem || fn == asm.FnMapDeleteElem) &&
		(t == kernel.MapSockMap || t == kernel.MapSockHash)
}

// sockMapUpdateAllowed applies the kernel's may_update_sockmap: socket
// filter, tc, XDP and flow dissector programs may update and delete;
// sock_ops programs may only delete (they add sockets with
// bpf_sock_map_update). Before "bpf: Allow delete from sockmap/sockhash
// only if update is allowed" deletes were allowed from any program type;
// the kernels tested bound when that changed (featSockMapDelete), and a
// delete from another type on a kernel before is not modelled.
func (c *checker) sockMapUpdateAllowed(st *state, fn asm.BuiltinFunc) *verifier.Error {
	switch c.opts.ProgramType {
	case kernel.SocketFilter, kernel.SchedCLS, kernel.SchedACT, kernel.XDP, kernel.FlowDissector:
		return nil
	case kernel.SockOps:
		if fn == asm.FnMapDeleteElem {
			return nil
		}
	default:
		if fn == asm.FnMapDeleteElem && !c.kv.has(featSockMapDelete) {
			return c.unsupported(st, "bpf_map_delete_elem on a socket map in this program type on kernels before %v is not modelled", featSockMapDelete.since)
		}
	}
	return c.errf(st, noReg, "cannot update sockmap in this context")
}

// sockMapValue checks the value of a socket map update: the kernel turns
// the value argument into a socket (ARG_PTR_TO_BTF_ID_SOCK_COMMON), so it
// must be a non-NULL socket pointer, never memory holding a descriptor.
func (c *checker) sockMapValue(st *state, regno asm.Register, r *reg) *verifier.Error {
	if r.typ == ptrSockCommon {
		if r.off != 0 || !r.v.isConst() || r.v.t.value != 0 {
			return c.unsupported(st, "a socket pointer with an offset as a socket map value is not modelled")
		}
		return nil
	}
	return c.errf(st, regno, "R%d type=%s expected=sock_common, sock, tcp_sock, xdp_sock, ptr_", regno, r.typ)
}
