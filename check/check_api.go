package check

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/maps"
)

// Options describe the kernel a program is checked for. The zero value
// checks for the running kernel, with its BTF for CO-RE relocations.
type Options struct {
	// KernelVersion is the kernel whose verifier is modelled; zero means
	// the running kernel's (from uname, with Debian's and Ubuntu's
	// upstream patch level, which their release strings do not show), or,
	// off Linux, OldestModelled. Each version-dependent rule (constant-key
	// array lookups, BPF_ST into the context, cpu v4 instructions,
	// may_goto, load-acquire, branch decisions, ...) applies from the
	// release that introduced it, stable backports included. Kernels
	// before OldestModelled are not modelled (Cause ErrUnsupported);
	// kernels after NewestModelled get its rules.
	KernelVersion KernelVersion
	// KernelTypes are the kernel types CO-RE relocations are applied
	// against (see bpf.ProgramSpec.RelocateCORE); nil means the running
	// kernel's BTF.
	KernelTypes *btf.Spec
	// Interpreter says the kernel runs BPF programs without a JIT
	// (net.core.bpf_jit_enable=0): frames then count 32-byte multiples
	// toward the 512-byte combined stack limit instead of 16 (before 6.9
	// frames count 32-byte multiples either way).
	Interpreter bool
	// MaxProcessed is the complexity limit: the number of instructions
	// the checker walks (over all paths) before giving up, as the kernel
	// does after 1,000,000. Zero means 1,000,000.
	MaxProcessed int
}

// Program checks spec offline, as the kernel's verifier would for a
// privileged (CAP_BPF + CAP_PERFMON) load on the kernel of
// Options.KernelVersion, after applying its CO-RE relocations to a copy of
// its instructions (spec is not modified). mapSpecs describes the maps its
// map loads refer to, by reference name (asm.LoadMapPtr's mapName), as
// bpf.ProgramOptions.Maps names the loaded ones; only their type and
// sizes matter.
//
// Program returns nil, or a *verifier.Error (Cause ErrRejected or
// ErrUnsupported) naming the failing instruction (raw index, as the kernel
// counts), the register or access, and the branch decisions that lead
// there (Error.Path), or an error wrapping bpf.ErrCORE when the
// relocations cannot be applied or the rejected instruction is one a
// failed relocation poisoned. It is conservative: when it cannot prove
// what the kernel would do it rejects, with Cause ErrUnsupported. It never
// needs privileges. Socket filter, tc (SchedCLS, SchedACT) and XDP
// programs are modelled.
func Program(spec *bpf.ProgramSpec, mapSpecs map[string]*maps.Spec, opts Options) error {
	if spec == nil {
		return errors.New("check: nil ProgramSpec")
	}
	return program(spec.Name, spec, mapSpecs, nil, nil, opts)
}

// Collection checks every program of cs as Program does, against cs.Maps,
// with the C source line of the failing instruction (file and line
// number) in each rejection when the object has BTF line info
// (bpf.CollectionSpec.SourceLines). It returns nil, or the errors of the
// rejected programs joined with errors.Join, in program name order
// (errors.As finds the first *verifier.Error).
func Collection(cs *bpf.CollectionSpec, opts Options) error {
	if cs == nil {
		return errors.New("check: nil CollectionSpec")
	}
	names := make([]string, 0, len(cs.Programs))
	for name := range cs.Programs {
		names = append(names, name)
	}
	slices.Sort(names)
	var errs []error
	for _, name := range names {
		p := cs.Programs[name]
		if p == nil {
			errs = append(errs, fmt.Errorf("check program %s: nil ProgramSpec", name))
			continue
		}
		if err := program(name, p, cs.Maps, cs.SourceLines(name), globalFuncs(cs, name), opts); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// program checks spec under the given name.
func program(name string, spec *bpf.ProgramSpec, ms map[string]*maps.Spec, source []string, globals []int, opts Options) error {
	r, err := spec.RelocateCORE(opts.KernelTypes)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	err = checkInsns(r.Spec.Instructions, progEnv{
		Program:       name,
		ProgramType:   spec.Type,
		AttachType:    spec.AttachType,
		License:       spec.License,
		Maps:          ms,
		Source:        source,
		Interpreter:   opts.Interpreter,
		MaxProcessed:  opts.MaxProcessed,
		KernelVersion: kernel.Version(opts.KernelVersion),
		GlobalFuncs:   globals,
	})
	return r.ExplainRejection(err)
}

// globalFuncs returns the raw instruction indexes of the global (BTF)
// functions of program name other than its entry, from its func_info, as
// bpf.NewCollection loads them (with the object's BTF, when the func_info
// still matches the instructions). A func_info that cannot be read is
// reported as a global function at index -1: the checker then does not
// know how the kernel sees the program's functions.
func globalFuncs(cs *bpf.CollectionSpec, name string) []int {
	spec, pb := cs.Programs[name], cs.ProgramBTF[name]
	if len(cs.BTF) == 0 || pb == nil || len(pb.FuncInfo) == 0 || pb.RawLen != spec.Instructions.RawLen() {
		return nil
	}
	if cs.ByteOrder != nil && cs.ByteOrder.Uint16([]byte{1, 0}) != binary.NativeEndian.Uint16([]byte{1, 0}) {
		return nil
	}
	types, err := btf.Parse(cs.BTF)
	if err != nil || len(pb.FuncInfo)%8 != 0 {
		return []int{-1}
	}
	var out []int
	for b := pb.FuncInfo; len(b) >= 8; b = b[8:] {
		insn, id := binary.NativeEndian.Uint32(b), binary.NativeEndian.Uint32(b[4:])
		t, err := types.TypeByID(btf.TypeID(id))
		if err != nil {
			return []int{-1}
		}
		if fn, ok := t.(*btf.Func); ok && fn.Linkage == btf.FuncGlobal && insn != 0 {
			out = append(out, int(insn))
		}
	}
	return out
}
