package elf

import (
	"cmp"
	"debug/elf"
	"fmt"
	"path"
	"slices"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/btf"
)

// function is one function of an executable section.
type function struct {
	name   string
	key    string // unique name: the symbol name, or section/name for clashes
	sec    *section
	start  int // first raw slot in the section
	first  int // index of the first instruction in the section
	end    int // raw slot after the last
	insns  asm.Instructions
	global bool
	called bool // by a bpf-to-bpf call or a function pointer
	calls  []*function
}

func (fn *function) describe() string {
	return fmt.Sprintf("function %s (section %s)", fn.name, fn.sec.name)
}

// isCallInsn reports whether the raw slot b is a bpf-to-bpf call.
func isCallInsn(b []byte, big bool) bool {
	if b[0] != uint8(asm.CallOpCode) {
		return false
	}
	src := b[1] >> 4
	if big {
		src = b[1] & 0xf
	}
	return asm.Register(src) == asm.PseudoCall
}

// loadPrograms decodes every executable section, splits it into
// functions, applies relocations and links each entry point with the
// functions it calls.
func (o *object) loadPrograms(opts Options) error {
	var all []*function
	big := o.bo.Uint16([]byte{0, 1}) == 1
	relocs := map[*section][]relocation{}
	for _, sec := range o.sections {
		if sec == nil || sec.kind != kindProgram {
			continue
		}
		if len(sec.data)%asm.InstructionSize != 0 {
			return fmt.Errorf("%w: section %s: %d bytes is not a whole number of instructions", ErrFormat, sec.name, len(sec.data))
		}
		rels, err := o.relocations(sec)
		if err != nil {
			return err
		}
		relocs[sec] = rels
		// The immediates of relocated calls point into other sections;
		// neutralise them so that decoding can check the targets of
		// everything else.
		code := sec.data
		for _, r := range rels {
			if r.offset%asm.InstructionSize != 0 {
				return fmt.Errorf("%w: section %s: relocation against %s at offset %d, not on an instruction boundary", ErrFormat, sec.name, o.syms[r.sym].describe(), r.offset)
			}
			if isCallInsn(code[r.offset:], big) {
				if &code[0] == &sec.data[0] {
					code = slices.Clone(code)
				}
				o.bo.PutUint32(code[r.offset+4:], ^uint32(0))
			}
		}
		insns, err := asm.Decode(code, o.bo)
		if err != nil {
			return fmt.Errorf("%w: section %s: %w", ErrFormat, sec.name, err)
		}
		if err := o.splitFunctions(sec, insns); err != nil {
			return err
		}
		o.dropOrphanCORE(sec)
		all = append(all, sec.funcs...)
	}
	// Unique keys: symbol names, qualified by section where two static
	// functions share a name.
	count := map[string]int{}
	for _, fn := range all {
		count[fn.name]++
	}
	for _, fn := range all {
		fn.key = fn.name
		if count[fn.name] > 1 {
			fn.key = fn.sec.name + "/" + fn.name
		}
	}
	for _, sec := range o.sections {
		if sec == nil || sec.kind != kindProgram {
			continue
		}
		if err := o.relocate(sec, relocs[sec]); err != nil {
			return err
		}
	}
	for _, fn := range all {
		// Functions in .text are entry points only if nothing calls them
		// and they are global (an uncalled static function is dead code,
		// such as a helper only an overridden __weak function called);
		// those of other sections always are.
		if fn.sec.name == ".text" && (fn.called || !fn.global) {
			continue
		}
		if err := o.addProgram(fn, opts); err != nil {
			return err
		}
	}
	return nil
}

// splitFunctions cuts the instructions of sec at its function symbols.
func (o *object) splitFunctions(sec *section, insns asm.Instructions) error {
	offs := insns.RawOffsets()
	sec.starts = make(map[int]*function)
	rawLen := len(sec.data) / asm.InstructionSize
	type start struct {
		sym  int
		slot int
		size uint64
	}
	var starts []start
	for _, i := range sec.syms {
		sym := &o.syms[i]
		switch {
		case sym.typ == elf.STT_FUNC:
		case sym.typ == elf.STT_NOTYPE && sym.bind != elf.STB_LOCAL:
			// Old toolchains emitted functions as global NOTYPE symbols.
		default:
			continue // local labels (LBB0_3) and data
		}
		if sym.value%asm.InstructionSize != 0 || sym.value >= uint64(len(sec.data)) {
			return fmt.Errorf("%w: section %s: %s at offset %d, not an instruction of the section", ErrFormat, sec.name, sym.describe(), sym.value)
		}
		slot := int(sym.value / asm.InstructionSize)
		if len(starts) > 0 && starts[len(starts)-1].slot == slot {
			continue // an alias
		}
		starts = append(starts, start{i, slot, sym.size})
	}
	sized := slices.ContainsFunc(starts, func(st start) bool { return st.size != 0 })
	if len(starts) == 0 || starts[0].slot != 0 && !sized {
		// Code before the first symbol (or no symbols at all, as in some
		// hand-made objects and old toolchains' output): a function named
		// after the section. Where the functions have sizes, code no
		// function covers is an orphan instead (see orphan).
		starts = append([]start{{0, 0, 0}}, starts...)
	}
	for k, st := range starts {
		end := rawLen
		if k+1 < len(starts) {
			end = starts[k+1].slot
		}
		if st.size != 0 {
			if st.size%asm.InstructionSize != 0 || st.slot+int(st.size/asm.InstructionSize) > end {
				return fmt.Errorf("%w: section %s: %s: size %d overlaps the next function or the section end", ErrFormat, sec.name, o.syms[st.sym].describe(), st.size)
			}
			end = st.slot + int(st.size/asm.InstructionSize)
		}
		first, ok := slices.BinarySearch(offs, st.slot)
		if !ok {
			return fmt.Errorf("%w: section %s: function at instruction %d starts inside an LD_IMM64", ErrFormat, sec.name, st.slot)
		}
		last, ok := slices.BinarySearch(offs, end)
		if !ok && end != rawLen {
			return fmt.Errorf("%w: section %s: function ends inside an LD_IMM64 at instruction %d", ErrFormat, sec.name, end)
		}
		if !ok {
			last = len(insns)
		}
		fn := &function{sec: sec, start: st.slot, end: end, first: first, insns: insns[first:last:last]}
		if st.sym == 0 {
			fn.name = sec.name
			fn.global = true
		} else {
			sym := &o.syms[st.sym]
			fn.name, fn.global = sym.name, sym.bind != elf.STB_LOCAL
		}
		if fn.name == "" {
			return fmt.Errorf("%w: section %s: unnamed function at instruction %d", ErrFormat, sec.name, st.slot)
		}
		sec.funcs = append(sec.funcs, fn)
		sec.starts[fn.start] = fn
	}
	sec.offs = offs
	return nil
}

// orphan reports whether the raw slot slot of sec is an instruction that
// no function covers: code the linker left behind. `bpftool gen object`
// (libbpf's static linker) keeps the instructions of a __weak function
// that a strong definition in another object overrides, and drops its
// symbol, so they lie between (or before) the sized function symbols.
// Such code is never linked into a program, and the relocations inside
// it are not applied, as libbpf does. Sections whose symbols have no
// sizes have no orphans: each function runs to the next symbol.
func orphan(sec *section, slot int) bool {
	if _, ok := slices.BinarySearch(sec.offs, slot); !ok {
		return false
	}
	n, _ := slices.BinarySearchFunc(sec.funcs, slot, func(f *function, s int) int {
		return cmp.Compare(f.start, s)
	})
	if n < len(sec.funcs) && sec.funcs[n].start == slot {
		return false
	}
	return n == 0 || slot >= sec.funcs[n-1].end
}

// dropOrphanCORE removes the CO-RE records of .BTF.ext that apply to
// orphan instructions of sec: they belong to code no program contains
// (libbpf skips them too). Every other record is still placed or refused.
func (o *object) dropOrphanCORE(sec *section) {
	if o.ext == nil || len(o.ext.CORE[sec.name]) == 0 {
		return
	}
	o.ext.CORE[sec.name] = slices.DeleteFunc(o.ext.CORE[sec.name], func(r btf.CORERelo) bool {
		return r.Insn%asm.InstructionSize == 0 && orphan(sec, int(r.Insn/asm.InstructionSize))
	})
	if len(o.ext.CORE[sec.name]) == 0 {
		delete(o.ext.CORE, sec.name)
	}
}

// orphanReference notes the function a relocation in orphan code of sec
// calls or takes the address of (the relocation itself is not applied):
// a function that any code of the object calls is a subprogram, not an
// entry point, even if only code that is dropped called it. Anything
// else a relocation in orphan code refers to is ignored with it.
func (o *object) orphanReference(sec *section, r relocation) {
	sym := &o.syms[r.sym]
	if sym.section <= 0 || sym.section >= len(o.sections) {
		return
	}
	target := o.sections[sym.section]
	if target == nil || target.kind != kindProgram {
		return
	}
	s := sec.data[r.offset:]
	imm := int64(int32(o.bo.Uint32(s[4:8])))
	var off int64
	switch {
	case r.rela:
		off = int64(sym.value) + r.addend
	case isCallInsn(s, o.bo.Uint16([]byte{0, 1}) == 1):
		off = int64(sym.value) + (imm+1)*asm.InstructionSize
	default: // LD_IMM64 of a function
		off = int64(sym.value) + imm
	}
	if off < 0 || off%asm.InstructionSize != 0 {
		return
	}
	if callee := funcAt(target, int(off/asm.InstructionSize)); callee != nil {
		callee.called = true
	}
}

// funcAt returns the function of sec starting at raw slot slot.
func funcAt(sec *section, slot int) *function {
	return sec.starts[slot]
}

// funcContaining returns the function of sec containing raw slot slot and
// the index in it of the instruction starting there.
func funcContaining(sec *section, slot int) (*function, int, bool) {
	k, ok := slices.BinarySearch(sec.offs, slot)
	if !ok {
		return nil, 0, false
	}
	n, _ := slices.BinarySearchFunc(sec.funcs, slot, func(f *function, s int) int {
		return cmp.Compare(f.start, s)
	})
	// n is the first function starting at or after slot.
	if n == len(sec.funcs) || sec.funcs[n].start != slot {
		n--
	}
	if n < 0 {
		return nil, 0, false
	}
	fn := sec.funcs[n]
	if slot >= fn.end {
		return nil, 0, false
	}
	return fn, k - fn.first, true
}

// relocate applies the relocations of sec and resolves calls within it.
func (o *object) relocate(sec *section, rels []relocation) error {
	relocated := map[int]bool{}
	for _, r := range rels {
		slot := int(r.offset / asm.InstructionSize)
		fn, idx, ok := funcContaining(sec, slot)
		if !ok && orphan(sec, slot) {
			relocated[slot] = true
			o.orphanReference(sec, r)
			continue
		}
		if !ok {
			return fmt.Errorf("%w: section %s: relocation against %s at offset %d is not at the start of an instruction of a function", ErrFormat, sec.name, o.syms[r.sym].describe(), r.offset)
		}
		relocated[slot] = true
		if err := o.applyRelocation(fn, &fn.insns[idx], r); err != nil {
			return fmt.Errorf("section %s: offset %d: %s: instruction %d: %w", sec.name, r.offset, fn.name, slot-fn.start, err)
		}
	}
	// Calls clang resolved itself in orphan code: their callees are
	// subprograms too.
	big := o.bo.Uint16([]byte{0, 1}) == 1
	for _, slot := range sec.offs {
		if relocated[slot] || !orphan(sec, slot) || !isCallInsn(sec.data[slot*asm.InstructionSize:], big) {
			continue
		}
		imm := int32(o.bo.Uint32(sec.data[slot*asm.InstructionSize+4:]))
		if callee := funcAt(sec, slot+1+int(imm)); callee != nil {
			callee.called = true
		}
	}
	// bpf-to-bpf calls and function pointers clang resolved itself (to a
	// function of the same section): turn the offsets into references.
	for _, fn := range sec.funcs {
		raw := fn.start
		for i := range fn.insns {
			ins := &fn.insns[i]
			slot := raw
			raw += ins.Slots()
			if relocated[slot] || !ins.IsFunctionCall() {
				continue
			}
			target := raw + int(ins.Constant)
			callee := funcAt(sec, target)
			if callee == nil {
				if target >= fn.start && target < fn.end {
					return fmt.Errorf("%w: section %s: %s: instruction %d calls into its own body (instruction %d), not a function start", errShape, sec.name, fn.name, slot-fn.start, target-fn.start)
				}
				return fmt.Errorf("%w: section %s: %s: instruction %d calls instruction %d, which starts no function", ErrFormat, sec.name, fn.name, slot-fn.start, target)
			}
			o.link(fn, ins, callee)
		}
	}
	return nil
}

// link makes ins (a call or function pointer load in fn) refer to callee.
func (o *object) link(fn *function, ins *asm.Instruction, callee *function) {
	*ins = ins.WithReference(callee.key)
	if ins.IsFunctionCall() {
		ins.Constant = -1
	} else {
		ins.Constant = 0
	}
	callee.called = true
	if !slices.Contains(fn.calls, callee) {
		fn.calls = append(fn.calls, callee)
	}
}

// BPF relocation types (the ELF psABI of LLVM's BPF target).
const (
	rBPFNone        = 0  // R_BPF_NONE; in EM_NONE objects, see applyRelocation
	rBPF64_64       = 1  // R_BPF_64_64: the 64-bit immediate of an LD_IMM64
	rBPF64_ABS64    = 2  // R_BPF_64_ABS64: a 64-bit data word
	rBPF64_ABS32    = 3  // R_BPF_64_ABS32: a 32-bit data word
	rBPF64_NODYLD32 = 4  // R_BPF_64_NODYLD32: a 32-bit word of .BTF/.BTF.ext
	rBPF64_32       = 10 // R_BPF_64_32: the 32-bit immediate of a call
)

// relocTypeName names a BPF relocation type for error messages.
func relocTypeName(t uint32) string {
	switch t {
	case rBPFNone:
		return "R_BPF_NONE"
	case rBPF64_64:
		return "R_BPF_64_64"
	case rBPF64_ABS64:
		return "R_BPF_64_ABS64"
	case rBPF64_ABS32:
		return "R_BPF_64_ABS32"
	case rBPF64_NODYLD32:
		return "R_BPF_64_NODYLD32"
	case rBPF64_32:
		return "R_BPF_64_32"
	}
	return fmt.Sprintf("%d (unknown)", t)
}

// applyRelocation resolves one relocation of the instruction ins of fn.
func (o *object) applyRelocation(fn *function, ins *asm.Instruction, r relocation) error {
	sym := &o.syms[r.sym]
	if r.typ == rBPFNone {
		// Only EM_NONE objects keep type-0 relocations (see relocations).
		if !o.noneIsMapLoad(ins, sym) {
			return fmt.Errorf("%w: relocation type 0 against %s on instruction %v of an EM_NONE object: only an LD_IMM64 of a map or a data section is relocated for it (as R_BPF_64_64)", errShape, sym.describe(), *ins)
		}
		r.typ = rBPF64_64
	}
	if sym.section == int(elf.SHN_UNDEF) {
		return o.externReference(fn, ins, r)
	}
	if sym.section >= len(o.sections) || o.sections[sym.section] == nil {
		name := "special"
		if sym.section < len(o.f.Sections) {
			name = o.f.Sections[sym.section].Name
		}
		return fmt.Errorf("%w: relocation against %s in section %s, which holds no maps, data or code", errShape, sym.describe(), name)
	}
	target := o.sections[sym.section]
	// addend is the byte offset into the target the relocation adds to
	// the symbol: the instruction's immediate for SHT_REL, the explicit
	// addend for SHT_RELA.
	addend := int64(int32(uint32(ins.Constant)))
	if r.rela {
		addend = r.addend
	}
	switch {
	case ins.IsFunctionCall():
		if r.typ != rBPF64_32 {
			return fmt.Errorf("%w: relocation type %s against %s on a call (only R_BPF_64_32 patches a call's immediate)", errShape, relocTypeName(r.typ), sym.describe())
		}
		if target.kind != kindProgram {
			return fmt.Errorf("%w: call of %s in section %s, which is not code", ErrFormat, sym.describe(), target.name)
		}
		// REL: the original immediate counts instructions from the one
		// after the call (libbpf's rule: symbol/8 + imm + 1); RELA: the
		// addend is a byte offset from the symbol.
		var off int64
		if r.rela {
			off = int64(sym.value) + r.addend
		} else {
			imm := int32(o.bo.Uint32(fn.sec.data[r.offset+4:]))
			off = int64(sym.value) + (int64(imm)+1)*asm.InstructionSize
		}
		if off < 0 || off%asm.InstructionSize != 0 {
			return fmt.Errorf("%w: call of %s at byte offset %d", ErrFormat, sym.describe(), off)
		}
		callee := funcAt(target, int(off/asm.InstructionSize))
		if callee == nil {
			return fmt.Errorf("%w: call of %s: offset %d of section %s starts no function", ErrFormat, sym.describe(), off, target.name)
		}
		o.link(fn, ins, callee)
		return nil
	case ins.OpCode == asm.LdImmDW:
	default:
		return fmt.Errorf("%w: relocation (type %d) against %s on instruction %v, which is neither an LD_IMM64 nor a call", errShape, r.typ, sym.describe(), *ins)
	}
	if r.typ != rBPF64_64 {
		return fmt.Errorf("%w: relocation type %s against %s on an LD_IMM64 (only R_BPF_64_64 patches its 64-bit immediate)", errShape, relocTypeName(r.typ), sym.describe())
	}
	if ins.Src != 0 {
		return fmt.Errorf("%w: relocation against %s on an LD_IMM64 with pseudo source %d", ErrFormat, sym.describe(), ins.Src)
	}
	off := int64(sym.value) + addend
	switch target.kind {
	case kindLegacyMaps, kindBTFMaps:
		if sym.typ != elf.STT_SECTION {
			off = int64(sym.value)
		}
		d, ok := o.mapAt(target.idx, uint64(off))
		if !ok || off < 0 {
			return fmt.Errorf("%w: reference to %s: offset %d of section %s is in no map definition", ErrFormat, sym.describe(), off, target.name)
		}
		*ins = ins.WithReference(d.name)
		ins.Src = asm.PseudoMapFD
		ins.Constant = 0
	case kindData:
		if off < 0 || uint64(off) >= max(target.size, 1) {
			return fmt.Errorf("%w: reference to %s: offset %d outside section %s (%d bytes)", ErrFormat, sym.describe(), off, target.name, target.size)
		}
		target.used = true
		*ins = ins.WithReference(target.name)
		ins.Src = asm.PseudoMapValue
		ins.Constant = int64(uint64(off) << 32)
	case kindProgram:
		if off < 0 || off%asm.InstructionSize != 0 {
			return fmt.Errorf("%w: function pointer to %s at byte offset %d", ErrFormat, sym.describe(), off)
		}
		callee := funcAt(target, int(off/asm.InstructionSize))
		if callee == nil {
			return fmt.Errorf("%w: function pointer to %s: offset %d of section %s starts no function", ErrFormat, sym.describe(), off, target.name)
		}
		ins.Src = asm.PseudoFunc
		o.link(fn, ins, callee)
	default:
		return fmt.Errorf("%w: reference to %s in section %s, which holds no maps or data", errShape, sym.describe(), target.name)
	}
	return nil
}

// noneIsMapLoad reports whether a type-0 relocation of an EM_NONE object
// against sym on ins is a map reference the old toolchain did not type:
// an LD_IMM64 whose symbol lies in a maps or global data section.
func (o *object) noneIsMapLoad(ins *asm.Instruction, sym *symbol) bool {
	if ins.OpCode != asm.LdImmDW || sym.section <= 0 || sym.section >= len(o.sections) {
		return false
	}
	t := o.sections[sym.section]
	return t != nil && (t.kind == kindLegacyMaps || t.kind == kindBTFMaps || t.kind == kindData)
}

// addProgram links the entry point fn with the functions it reaches and
// adds the program to the spec.
func (o *object) addProgram(fn *function, opts Options) error {
	if _, dup := o.spec.Programs[fn.key]; dup {
		return fmt.Errorf("%w: program %s defined twice", ErrFormat, fn.key)
	}
	order := []*function{fn}
	seen := map[*function]bool{fn: true}
	for i := 0; i < len(order); i++ {
		for _, c := range order[i].calls {
			if !seen[c] {
				seen[c] = true
				order = append(order, c)
			}
		}
	}
	n := 0
	for _, f := range order {
		n += len(f.insns)
	}
	insns := make(asm.Instructions, 0, n)
	bases := make([]int, len(order))
	raw := 0
	for k, f := range order {
		bases[k] = raw
		start := len(insns)
		insns = append(insns, f.insns...)
		insns[start] = insns[start].WithSymbol(f.key)
		raw += f.end - f.start
	}
	conv, ok := SectionType(fn.sec.name)
	var (
		forced   Convention
		override bool
	)
	if c, set := opts.Programs[fn.key]; set {
		forced, override = c, true
	} else if c, set := opts.Programs[fn.name]; set {
		forced, override = c, true
	}
	if !override {
		for _, st := range opts.Sections {
			if m, _ := path.Match(st.Pattern, fn.sec.name); m {
				forced, override = st.Convention, true
				break
			}
		}
	}
	switch {
	case override && ok && forced.Type == conv.Type:
		// Forced to the type the name implies anyway: keep what else the
		// name says (the frags flag and devmap attach type of
		// "xdp.frags/devmap", the target of "iter/bpf_map") where the
		// override leaves it zero.
		if forced.AttachType == 0 {
			forced.AttachType = conv.AttachType
		}
		if forced.Flags == 0 {
			forced.Flags = conv.Flags
		}
		if forced.AttachTo == "" {
			forced.AttachTo = conv.AttachTo
		}
		conv = forced
	case override:
		conv = forced
	case !ok:
		conv = Convention{Type: opts.DefaultType}
	}
	typ, attach, flags, attachTo := conv.Type, conv.AttachType, conv.Flags, conv.AttachTo
	o.spec.Programs[fn.key] = &bpf.ProgramSpec{
		Name:          fn.name,
		Section:       fn.sec.name,
		Type:          typ,
		AttachType:    attach,
		Flags:         bpf.ProgramFlags(flags),
		AttachTo:      attachTo,
		License:       o.license,
		KernelVersion: o.version,
		Instructions:  insns,
		ByteOrder:     o.bo,
	}
	o.linked = append(o.linked, linkedProgram{key: fn.key, funcs: order, bases: bases, rawLen: raw})
	return nil
}

// linkedProgram remembers where each function landed in a program, to
// place its BTF records.
type linkedProgram struct {
	key    string
	funcs  []*function
	bases  []int
	rawLen int
	// fis and lis are the program's func_info and line_info records,
	// instruction offsets counted in raw slots of the program.
	fis []btf.FuncInfo
	lis []btf.LineInfo
}
