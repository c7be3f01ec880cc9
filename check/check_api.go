package check

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
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
// needs privileges. Socket filter, tc (SchedCLS, SchedACT), XDP,
// kprobe, tracepoint, raw tracepoint, perf event, cgroup_skb, cgroup_sock,
// cgroup_sock_addr (inet hooks), sock_ops, sk_skb, sk_msg and lwt_in,
// lwt_out and lwt_xmit programs are modelled (tracing contexts on amd64
// only).
func Program(spec *bpf.ProgramSpec, mapSpecs map[string]*maps.Spec, opts Options) error {
	if spec == nil {
		return errors.New("check: nil ProgramSpec")
	}
	return program(spec.Name, spec, mapSpecs, opts)
}

// Collection checks every program of cs as Program does, against cs.Maps,
// with the C source line of the failing instruction (file and line
// number) in each rejection when the object has BTF line info
// (bpf.ProgramSpec.SourceLines). It returns nil, or the errors of the
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
		if err := program(name, p, cs.Maps, opts); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// program checks spec under the given name.
func program(name string, spec *bpf.ProgramSpec, ms map[string]*maps.Spec, opts Options) error {
	r, err := spec.RelocateCORE(opts.KernelTypes)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	insns := r.Spec.Instructions
	all, globals := funcInfo(r.Spec)
	var lines []int
	if all != nil {
		lines = lineInfo(insns, all)
	}
	err = checkInsns(insns, progEnv{
		Program:       name,
		ProgramType:   spec.Type,
		AttachType:    spec.AttachType,
		Flags:         spec.Flags,
		License:       spec.License,
		Maps:          ms,
		SourceOf:      r.Spec.SourceLines,
		FuncInfo:      all,
		GlobalFuncs:   globals,
		LineInfo:      lines,
		SpecialValues: specialValues(ms),
		Interpreter:   opts.Interpreter,
		MaxProcessed:  opts.MaxProcessed,
		KernelVersion: kernel.Version(opts.KernelVersion),
	})
	return r.ExplainRejection(err)
}

// funcInfo returns the raw instruction index of each function of the
// program (the instructions carrying an asm.FuncInfo) and the prototypes
// of the global (BTF) ones other than the entry, as bpf.NewProgram and
// bpf.NewCollection send them: only when the program has types
// (spec.BTF), is in host byte order, and its functions are exactly the
// targets of its bpf-to-bpf calls (otherwise the loader sends no BTF and
// the kernel sees static subprograms); nil, nil without. A function whose
// type cannot be read gives a global function at index -1 without
// prototype: the checker then does not know how the kernel sees the
// program's functions (ErrUnsupported).
func funcInfo(spec *bpf.ProgramSpec) (all []int, globals map[int]*globalProto) {
	if spec.BTF == nil || (spec.ByteOrder != nil && spec.ByteOrder.Uint16([]byte{1, 0}) != binary.NativeEndian.Uint16([]byte{1, 0})) {
		return nil, nil
	}
	insns := spec.Instructions
	var funcs []*asm.FuncInfo
	raw := 0
	for _, ins := range insns {
		if fn := ins.Func(); fn != nil {
			at := raw
			if len(all) == 0 {
				at = 0 // what precedes the entry's first instruction belongs to it
			}
			all = append(all, at)
			funcs = append(funcs, fn)
		}
		raw += ins.Slots()
	}
	if len(all) == 0 {
		return nil, nil
	}
	// Map loads are not resolved yet: any descriptor encodes them (the
	// call and function pointer targets do not depend on it).
	resolved := slices.Clone(insns)
	for i := range resolved {
		if resolved[i].IsLoadFromMap() && !resolved[i].IsMapResolved() {
			resolved[i].SetMapFD(1)
		}
	}
	code, err := resolved.Encode(binary.NativeEndian)
	if err != nil || !funcsAreCallTargets(all, code) {
		return nil, nil
	}
	types := spec.BTF
	unknown := map[int]*globalProto{-1: nil}
	var tagged map[btf.TypeID]bool
	for k, fi := range funcs {
		t, err := types.TypeByID(fi.Type)
		if err != nil {
			return nil, unknown
		}
		fn, ok := t.(*btf.Func)
		if !ok || fn.Linkage != btf.FuncGlobal || all[k] == 0 {
			continue
		}
		if tagged == nil {
			tagged = declTagged(types)
		}
		if globals == nil {
			globals = map[int]*globalProto{}
		}
		globals[all[k]] = nil
		if !tagged[fi.Type] {
			globals[all[k]] = prototype(types, fn)
		}
	}
	return all, globals
}

// funcsAreCallTargets reports whether starts (raw indexes, the first 0)
// are exactly the first instruction and the targets of the bpf-to-bpf
// calls and function pointer loads of code (host byte order), as the
// loader requires before it sends func info.
func funcsAreCallTargets(starts []int, code []byte) bool {
	targets := map[int]bool{0: true}
	for i := 0; i+asm.InstructionSize <= len(code); i += asm.InstructionSize {
		op, src := code[i], code[i+1]>>4 // little-endian hosts: dst in the low nibble
		if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
			src = code[i+1] & 0xf
		}
		if op == 0x85 && src == 1 || op == 0x18 && src == 4 { // pseudo call, ld_imm64 pseudo func
			targets[i/asm.InstructionSize+1+int(int32(binary.NativeEndian.Uint32(code[i+4:])))] = true
		}
	}
	if len(targets) != len(starts) {
		return false
	}
	for _, s := range starts {
		if !targets[s] {
			return false
		}
	}
	return true
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
			size, err := types.Size(tid)
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

// specialValues returns the maps whose value type (maps.Spec.BTF and
// ValueType) holds a special field (specialStructs) or a kptr (a type
// tag), or whose value type cannot be read.
func specialValues(ms map[string]*maps.Spec) map[*maps.Spec]bool {
	var out map[*maps.Spec]bool
	for _, m := range ms {
		if m == nil || m.BTF == nil || m.ValueType == 0 {
			continue
		}
		if hasSpecial(m.BTF, m.ValueType, 0) {
			if out == nil {
				out = map[*maps.Spec]bool{}
			}
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

// lineInfo returns the raw instruction index of each line_info record
// the loader sends with func info starting at funcs: one per instruction
// carrying an asm.Line, and one at the start of each function that has no
// line there (the loader gives it the function's next line).
func lineInfo(insns asm.Instructions, funcs []int) []int {
	var out []int
	raw := 0
	for _, ins := range insns {
		if ins.Line() != nil {
			out = append(out, raw)
		}
		raw += ins.Slots()
	}
	for _, f := range funcs {
		if _, found := slices.BinarySearch(out, f); !found {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}
