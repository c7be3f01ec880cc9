package check

import (
	"runtime"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/verifier"
)

// ctxModel is the context of a program type modelled outside mem.go (the
// socket filter, tc and XDP contexts are modelled there).
type ctxModel struct {
	// unsupported returns why the program of e is not modelled (an attach
	// type or flag this model does not cover), or "".
	unsupported func(e *progEnv) string
	// access checks a load (write false) or store of size bytes at offset
	// off of the unmodified context and returns the loaded value; a
	// rejection is the kernel's "invalid bpf_context access".
	access func(c *checker, st *state, regno asm.Register, off int32, size int, write bool) (reg, *verifier.Error)
}

// ctxModels are the program types modelled by the ctx_<type>.go files.
var ctxModels = map[kernel.ProgramType]ctxModel{}

// ctxModelFor returns the model of the program's type, or false.
func (c *checker) ctxModelFor() (ctxModel, bool) {
	m, ok := ctxModels[c.opts.ProgramType]
	return m, ok
}

// badCtx is the kernel's rejection of a context access it does not allow.
func (c *checker) badCtx(st *state, regno asm.Register, off int32, size int) (reg, *verifier.Error) {
	return reg{}, c.errf(st, regno, "invalid bpf_context access off=%d size=%d", off, size)
}

// ptRegsSize is sizeof(struct pt_regs) (which is also bpf_user_pt_regs_t,
// the regs of struct bpf_perf_event_data) on the architectures whose
// layout the checker knows, or 0.
func ptRegsSize() int32 {
	if runtime.GOARCH == "amd64" {
		return 21 * 8
	}
	return 0
}

// tracingUnsupported is the common part of the tracing types' conditions:
// the layouts are known for amd64 only, and a flag (sleepable above all,
// which the kernel refuses for these types) is not modelled.
func tracingUnsupported(e *progEnv) string {
	if ptRegsSize() == 0 {
		return "the layout of struct pt_regs on " + runtime.GOARCH + " is not modelled"
	}
	if e.Flags != 0 {
		return "program flags " + e.Flags.String() + " are not modelled for this program type"
	}
	return ""
}

func initTracingModels() { // run by ensureTables
	// Kprobe: struct pt_regs, read-only, any naturally aligned load that
	// stays inside it (kprobe_prog_is_valid_access). Kprobe sessions
	// (6.10+) must return 0 or 1, which is not modelled.
	ctxModels[kernel.Kprobe] = ctxModel{
		unsupported: func(e *progEnv) string {
			switch e.AttachType {
			case 0, kernel.AttachTraceKprobeMulti:
			default:
				return "kprobe programs of attach type " + e.AttachType.String() + " are not modelled"
			}
			return tracingUnsupported(e)
		},
		access: func(c *checker, st *state, regno asm.Register, off int32, size int, write bool) (reg, *verifier.Error) {
			if write || off < 0 || off%int32(size) != 0 || off+int32(size) > ptRegsSize() {
				return c.badCtx(st, regno, off, size)
			}
			return scalarReg(unsignedScalar(sizeMax(size))), nil
		},
	}
	// Tracepoint: the event's record after its 8-byte common header, up to
	// PERF_MAX_TRACE_SIZE, read-only, aligned (tp_prog_is_valid_access).
	// The record's real size is not checked by the kernel either, nor are
	// negative offsets refused.
	// PERF_MAX_TRACE_SIZE was 2048 and is 8192 on 6.18 (measured); for the
	// kernels in between, accesses in [2048, 8192) are not modelled.
	ctxModels[kernel.TracePoint] = ctxModel{
		unsupported: func(e *progEnv) string {
			if e.AttachType != 0 {
				return "tracepoint programs of attach type " + e.AttachType.String() + " are not modelled"
			}
			return tracingUnsupported(e)
		},
		access: func(c *checker, st *state, regno asm.Register, off int32, size int, write bool) (reg, *verifier.Error) {
			// The kernel compares off with sizeof(void *), unsigned:
			// negative offsets pass that test (measured on 6.18).
			if write || (off >= 0 && off < 8) || off >= 8192 || off%int32(size) != 0 {
				return c.badCtx(st, regno, off, size)
			}
			if off >= 2048 && !c.kv.AtLeast(kernel.V(6, 18, 0)) {
				return reg{}, c.unsupported(st, "tracepoint context offset %d: PERF_MAX_TRACE_SIZE of kernel %s is not modelled", off, c.kv.Version)
			}
			return scalarReg(unsignedScalar(sizeMax(size))), nil
		},
	}
	// Raw tracepoint: the tracepoint's arguments as u64 args[12],
	// read-only, aligned (bpf_tracing_ctx_access; the number of arguments
	// of the tracepoint is checked only at attach time).
	ctxModels[kernel.RawTracepoint] = ctxModel{
		unsupported: func(e *progEnv) string {
			if e.AttachType != 0 {
				return "raw tracepoint programs of attach type " + e.AttachType.String() + " are not modelled"
			}
			return tracingUnsupported(e)
		},
		access: func(c *checker, st *state, regno asm.Register, off int32, size int, write bool) (reg, *verifier.Error) {
			if write || off < 0 || off >= 12*8 || off%int32(size) != 0 {
				return c.badCtx(st, regno, off, size)
			}
			return scalarReg(unsignedScalar(sizeMax(size))), nil
		},
	}
	// Perf event: struct bpf_perf_event_data { regs; u64 sample_period;
	// u64 addr; }, read-only; regs by 8-byte loads only, sample_period and
	// addr by any naturally aligned load (pe_prog_is_valid_access).
	ctxModels[kernel.PerfEvent] = ctxModel{
		unsupported: func(e *progEnv) string {
			if e.AttachType != 0 {
				return "perf event programs of attach type " + e.AttachType.String() + " are not modelled"
			}
			return tracingUnsupported(e)
		},
		access: func(c *checker, st *state, regno asm.Register, off int32, size int, write bool) (reg, *verifier.Error) {
			regs := ptRegsSize()
			if write || off < 0 || off >= regs+16 || off%int32(size) != 0 {
				return c.badCtx(st, regno, off, size)
			}
			if off < regs && size != 8 {
				return c.badCtx(st, regno, off, size)
			}
			return scalarReg(unsignedScalar(sizeMax(size))), nil
		},
	}
}
