package check

import (
	"slices"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/verifier"
)

// globalArgKind is how the kernel sees an argument of a global function,
// from its BTF prototype.
type globalArgKind uint8

const (
	globalScalar globalArgKind = iota // int, enum: any scalar
	globalCtx                         // pointer to the program type's context struct
	globalMem                         // pointer to a sized type: mem_or_null of that size
)

// globalArg is one argument of a global function.
type globalArg struct {
	kind globalArgKind
	// size is the pointee's size (globalMem).
	size int64
	// ctxName is the struct a pointer argument points to ("xdp_md"...),
	// which makes it a context argument for that program type.
	ctxName string
}

// globalProto is the BTF prototype of a global function, as far as the
// checker models it: up to five scalar or pointer arguments and a scalar
// return value, no decl tags.
type globalProto struct {
	name string
	args []globalArg
}

// ctxStruct is the context struct of each modelled program type.
func ctxStruct(t kernel.ProgramType) string {
	switch t {
	case kernel.XDP:
		return "xdp_md"
	case kernel.SocketFilter, kernel.SchedCLS, kernel.SchedACT:
		return "__sk_buff"
	}
	return ""
}

// contextStructs are the kernel's context structs of program types
// (bpf_ctx_convert): a global function argument pointing to one may be a
// context pointer.
var contextStructs = map[string]bool{
	"__sk_buff": true, "xdp_md": true, "sk_msg_md": true, "bpf_sock_ops": true, "bpf_sock": true,
	"bpf_sock_addr": true, "bpf_perf_event_data": true, "pt_regs": true, "user_pt_regs": true,
	"bpf_user_pt_regs_t": true, "bpf_raw_tracepoint_args": true, "sk_reuseport_md": true,
	"bpf_sockopt": true, "bpf_sysctl": true, "bpf_sk_lookup": true, "bpf_cgroup_dev_ctx": true,
	"bpf_nf_ctx": true, "bpf_flow_keys": true,
}

// resolveGlobals marks the functions that are global, from the func_info.
func (c *checker) resolveGlobals() *verifier.Error {
	if len(c.opts.GlobalFuncs) == 0 {
		return nil
	}
	c.global = make([]*globalProto, len(c.starts))
	for at, p := range c.opts.GlobalFuncs {
		t, ok := c.insns.IndexOfRaw(at)
		if !ok || p == nil {
			return c.fail(nil, -1, ErrUnsupported, "", "a global (BTF) function's prototype is not modelled")
		}
		f := c.subprog[t]
		if c.starts[f] != t {
			return c.fail(nil, -1, ErrUnsupported, "", "global (BTF) function at insn %d does not start a function", at)
		}
		q := *p
		q.args = slices.Clone(p.args)
		p = &q
		for i := range p.args {
			a := &p.args[i]
			if a.kind != globalMem || a.ctxName == "" {
				continue
			}
			if a.ctxName == ctxStruct(c.opts.ProgramType) {
				a.kind = globalCtx
			} else if contextStructs[a.ctxName] {
				// The kernel may take it as this program type's context
				// (bpf_ctx_convert), which is not modelled here: never a
				// verdict.
				return c.fail(nil, -1, ErrUnsupported, "", "global (BTF) function %s takes a struct %s pointer, not modelled for this program type", p.name, a.ctxName)
			}
		}
		c.global[f] = p
	}
	return nil
}

// isGlobal reports whether function f is global.
func (c *checker) isGlobal(f int) bool {
	return c.global != nil && c.global[f] != nil
}

// globalEntry is the state a global function is verified from: its
// arguments as the prototype says, nothing else.
func (c *checker) globalEntry(f int) *state {
	st := &state{frames: []*frame{{callsite: -1, subprog: f}}, cp: &checkpoint{branches: 1}, pc: c.starts[f]}
	fr := st.frames[0]
	for n, a := range c.global[f].args {
		r := asm.R1 + asm.Register(n)
		switch a.kind {
		case globalScalar:
			fr.regs[r] = scalarReg(unknownScalar())
		case globalCtx:
			fr.regs[r] = reg{typ: ptrCtx, v: constScalar(0)}
		case globalMem:
			fr.regs[r] = reg{typ: ptrMemOrNull, v: constScalar(0), aux: int32(a.size), id: c.newID()}
		}
	}
	fr.regs[asm.R10] = reg{typ: ptrStack, v: constScalar(0)}
	return st
}

// callGlobal checks a call of global function f against its prototype
// (the kernel's btf_check_subprog_call) and continues after it: the
// function itself is verified once, on its own.
func (c *checker) callGlobal(st *state, f int) *verifier.Error {
	p := c.global[f]
	caller := st.cur()
	for n, a := range p.args {
		regno := asm.R1 + asm.Register(n)
		r := &caller.regs[regno]
		switch a.kind {
		case globalScalar:
			if r.typ != scalarValue {
				return c.errf(st, regno, "R%d is not a scalar", regno)
			}
		case globalCtx:
			if r.typ != ptrCtx {
				return c.errf(st, regno, "arg#%d expected pointer to ctx, but got %s", n, r.typ)
			}
			if r.off != 0 || !r.v.isConst() || r.v.t.value != 0 {
				return c.errf(st, regno, "dereference of modified ctx ptr R%d off=%d disallowed", regno, r.off)
			}
		case globalMem:
			if r.typ == scalarValue && r.v.isConst() && r.v.t.value == 0 {
				continue
			}
			if r.typ.orNull() {
				return c.unsupported(st, "passing %s to a global function is not modelled", r.typ)
			}
			if e := c.helperMem(st, regno, r, a.size, false); e != nil {
				return e
			}
			if e := c.helperMem(st, regno, r, a.size, true); e != nil {
				return e
			}
		}
	}
	c.calls[caller.subprog][f] = true
	for r := asm.R1; r <= asm.R5; r++ {
		caller.regs[r] = reg{}
	}
	caller.regs[asm.R0] = scalarReg(unknownScalar())
	st.pc++
	return nil
}
