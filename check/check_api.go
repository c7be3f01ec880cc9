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
	// The value types of maps with BTF are not known here: they may
	// hold special fields.
	var special map[*maps.Spec]bool
	for _, m := range mapSpecs {
		if m != nil && m.BTF != nil {
			if special == nil {
				special = map[*maps.Spec]bool{}
			}
			special[m] = true
		}
	}
	return program(spec.Name, spec, mapSpecs, progEnv{SpecialValues: special}, opts)
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
	special := specialValues(cs)
	for _, name := range names {
		p := cs.Programs[name]
		if p == nil {
			errs = append(errs, fmt.Errorf("check program %s: nil ProgramSpec", name))
			continue
		}
		all, globals := funcInfo(cs, name)
		env := progEnv{Source: cs.SourceLines(name), FuncInfo: all, GlobalFuncs: globals, LineInfo: lineInfo(cs, name, all), SpecialValues: special}
		if err := program(name, p, cs.Maps, env, opts); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// program checks spec under the given name.
func program(name string, spec *bpf.ProgramSpec, ms map[string]*maps.Spec, e progEnv, opts Options) error {
	r, err := spec.RelocateCORE(opts.KernelTypes)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	e.Program, e.ProgramType, e.AttachType, e.License, e.Maps = name, spec.Type, spec.AttachType, spec.License, ms
	e.Interpreter, e.MaxProcessed, e.KernelVersion = opts.Interpreter, opts.MaxProcessed, kernel.Version(opts.KernelVersion)
	err = checkInsns(r.Spec.Instructions, e)
	return r.ExplainRejection(err)
}

// funcInfo returns the raw instruction index of each function of program
// name's func_info, and the prototypes of the global (BTF) ones other than
// the entry, as bpf.NewCollection loads them (with the object's BTF, when
// the func_info still matches the instructions); nil, nil without
// func_info. A func_info that cannot be read gives a global function at
// index -1 without prototype: the checker then does not know how the
// kernel sees the program's functions (ErrUnsupported).
func funcInfo(cs *bpf.CollectionSpec, name string) (all []int, globals map[int]*globalProto) {
	spec, pb := cs.Programs[name], cs.ProgramBTF[name]
	if len(cs.BTF) == 0 || pb == nil || len(pb.FuncInfo) == 0 || pb.RawLen != spec.Instructions.RawLen() {
		return nil, nil
	}
	if cs.ByteOrder != nil && cs.ByteOrder.Uint16([]byte{1, 0}) != binary.NativeEndian.Uint16([]byte{1, 0}) {
		return nil, nil
	}
	unknown := map[int]*globalProto{-1: nil}
	types, err := btf.Parse(cs.BTF)
	if err != nil || len(pb.FuncInfo)%8 != 0 {
		return nil, unknown
	}
	var tagged map[btf.TypeID]bool
	for b := pb.FuncInfo; len(b) >= 8; b = b[8:] {
		insn, id := binary.NativeEndian.Uint32(b), btf.TypeID(binary.NativeEndian.Uint32(b[4:]))
		t, err := types.TypeByID(id)
		if err != nil {
			return nil, unknown
		}
		all = append(all, int(insn))
		fn, ok := t.(*btf.Func)
		if !ok || fn.Linkage != btf.FuncGlobal || insn == 0 {
			continue
		}
		if tagged == nil {
			tagged = declTagged(types)
		}
		if globals == nil {
			globals = map[int]*globalProto{}
		}
		globals[int(insn)] = nil
		if !tagged[id] {
			globals[int(insn)] = prototype(types, fn)
		}
	}
	return all, globals
}

// declTagged returns the types that decl tags refer to (arguments tagged
// "arg:ctx", "arg:nonnull"... change how the kernel sees them).
func declTagged(types *btf.Spec) map[btf.TypeID]bool {
	out := map[btf.TypeID]bool{}
	for id := btf.TypeID(1); int(id) < types.NumTypes(); id++ {
		if t, err := types.TypeByID(id); err == nil {
			if dt, ok := t.(*btf.DeclTag); ok {
				out[dt.Type] = true
			}
		}
	}
	return out
}

// skipModifiers follows typedefs and qualifiers.
func skipModifiers(types *btf.Spec, id btf.TypeID) (btf.TypeID, btf.Type) {
	for depth := 0; depth < 32; depth++ {
		t, err := types.TypeByID(id)
		if err != nil {
			return id, nil
		}
		switch m := t.(type) {
		case *btf.Typedef:
			id = m.Type
		case *btf.Const:
			id = m.Type
		case *btf.Volatile:
			id = m.Type
		case *btf.Restrict:
			id = m.Type
		default:
			return id, t
		}
	}
	return id, nil
}

func isScalarType(t btf.Type) bool {
	switch t.(type) {
	case *btf.Int, *btf.Enum, *btf.Enum64:
		return true
	}
	return false
}

// prototype returns the modelled prototype of global function fn, or nil.
func prototype(types *btf.Spec, fn *btf.Func) *globalProto {
	_, t := skipModifiers(types, fn.Type)
	fp, ok := t.(*btf.FuncProto)
	if !ok || len(fp.Params) > 5 {
		return nil
	}
	if _, rt := skipModifiers(types, fp.Return); !isScalarType(rt) {
		return nil
	}
	p := &globalProto{name: fn.Name}
	for _, param := range fp.Params {
		_, pt := skipModifiers(types, param.Type)
		switch pt := pt.(type) {
		case *btf.Int, *btf.Enum, *btf.Enum64:
			p.args = append(p.args, globalArg{kind: globalScalar})
		case *btf.Pointer:
			tid, target := skipModifiers(types, pt.Target)
			a := globalArg{kind: globalMem}
			if st, ok := target.(*btf.Struct); ok {
				a.ctxName = st.Name
			}
			size, err := types.Size(uint32(tid))
			if err != nil || size == 0 || target == nil {
				return nil
			}
			if _, ok := target.(*btf.Pointer); ok {
				return nil
			}
			a.size = int64(size)
			p.args = append(p.args, a)
		default:
			return nil
		}
	}
	return p
}

// specialStructs are the kernel's value types with verifier rules of
// their own when they appear in a map value.
var specialStructs = map[string]bool{
	"bpf_spin_lock": true, "bpf_res_spin_lock": true, "bpf_timer": true, "bpf_wq": true,
	"bpf_list_head": true, "bpf_list_node": true, "bpf_rb_root": true, "bpf_rb_node": true,
	"bpf_refcount": true, "bpf_task_work": true,
}

// specialValues returns the maps of cs whose value type (cs.MapBTF) holds
// a special field (specialStructs) or a kptr (a type tag), or whose value
// type cannot be read.
func specialValues(cs *bpf.CollectionSpec) map[*maps.Spec]bool {
	if len(cs.BTF) == 0 || len(cs.MapBTF) == 0 {
		return nil
	}
	types, err := btf.Parse(cs.BTF)
	out := map[*maps.Spec]bool{}
	for name, ids := range cs.MapBTF {
		m := cs.Maps[name]
		if m == nil || ids.Value == 0 {
			continue
		}
		if err != nil || hasSpecial(types, btf.TypeID(ids.Value), 0) {
			out[m] = true
		}
	}
	return out
}

func hasSpecial(types *btf.Spec, id btf.TypeID, depth int) bool {
	if depth > 32 {
		return true
	}
	t, err := types.TypeByID(id)
	if err != nil {
		return true
	}
	switch t := t.(type) {
	case *btf.Struct:
		if specialStructs[t.Name] {
			return true
		}
		for _, m := range t.Members {
			if hasSpecial(types, m.Type, depth+1) {
				return true
			}
		}
	case *btf.Union:
		for _, m := range t.Members {
			if hasSpecial(types, m.Type, depth+1) {
				return true
			}
		}
	case *btf.Array:
		return hasSpecial(types, t.Type, depth+1)
	case *btf.Datasec:
		for _, v := range t.Vars {
			if hasSpecial(types, v.Type, depth+1) {
				return true
			}
		}
	case *btf.Var:
		return hasSpecial(types, t.Type, depth+1)
	case *btf.Typedef:
		return hasSpecial(types, t.Type, depth+1)
	case *btf.Const:
		return hasSpecial(types, t.Type, depth+1)
	case *btf.Volatile:
		return hasSpecial(types, t.Type, depth+1)
	case *btf.Restrict:
		return hasSpecial(types, t.Type, depth+1)
	case *btf.Pointer:
		// A kptr is a pointer to a type tag.
		if tt, err := types.TypeByID(t.Target); err == nil {
			if _, ok := tt.(*btf.TypeTag); ok {
				return true
			}
		}
	}
	return false
}

// lineInfo returns the raw instruction index of each line_info record of
// program name when it is loaded with its func_info (funcs not nil).
func lineInfo(cs *bpf.CollectionSpec, name string, funcs []int) []int {
	pb := cs.ProgramBTF[name]
	if funcs == nil || pb == nil {
		return nil
	}
	var out []int
	for b := pb.LineInfo; len(b) >= 16; b = b[16:] {
		out = append(out, int(binary.NativeEndian.Uint32(b)))
	}
	return out
}
