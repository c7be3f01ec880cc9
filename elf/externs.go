package elf

import (
	"cmp"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	pbtf "github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/maps"
)

// externTable holds the extern symbols of an object (undefined ELF
// symbols): what the BTF datasecs ".kconfig" and ".ksyms" say they are,
// and which functions use them. They are resolved at load, not here.
type externTable struct {
	byName map[string]*bpf.Extern
	uses   map[*function][]*bpf.Extern
	// kconfigSize is the size of the ".kconfig" map's value.
	kconfigSize uint32
}

// collectExterns describes every undefined global or weak symbol.
func (o *object) collectExterns() error {
	t := &externTable{byName: map[string]*bpf.Extern{}, uses: map[*function][]*bpf.Extern{}}
	o.externs = t
	for i := 1; i < len(o.syms); i++ {
		sym := &o.syms[i]
		if sym.section != int(elf.SHN_UNDEF) || sym.name == "" || sym.typ == elf.STT_SECTION || sym.typ == elf.STT_FILE {
			continue
		}
		if sym.bind != elf.STB_GLOBAL && sym.bind != elf.STB_WEAK {
			continue
		}
		if _, dup := t.byName[sym.name]; dup {
			return fmt.Errorf("%w: extern %s declared twice in the symbol table", ErrFormat, sym.name)
		}
		t.byName[sym.name] = &bpf.Extern{Name: sym.name, Weak: sym.bind == elf.STB_WEAK}
	}
	if len(t.byName) == 0 || o.btf == nil {
		return nil
	}
	if err := o.externsFromDatasec(".kconfig"); err != nil {
		return err
	}
	if err := o.externsFromDatasec(".ksyms"); err != nil {
		return err
	}
	return o.layoutKconfig()
}

// externsFromDatasec gives the externs listed in datasec name their kind
// and, for kconfig values, their encoding and size.
func (o *object) externsFromDatasec(name string) error {
	sec, ok := o.btf.Datasec(name)
	if !ok {
		return nil
	}
	for i := range sec.Vlen {
		m, err := o.btf.Member(sec, i)
		if err != nil {
			return fmt.Errorf("datasec %s: %w", name, err)
		}
		vt, err := o.btf.Type(m.Type)
		if err != nil {
			return fmt.Errorf("datasec %s: %w", name, err)
		}
		vname, err := o.btf.Name(vt)
		if err != nil {
			return fmt.Errorf("datasec %s: %w", name, err)
		}
		ext := o.externs.byName[vname]
		if ext == nil {
			continue // declared but never referenced: clang drops the symbol
		}
		switch {
		case name == ".kconfig" && vt.Kind == btf.KindVar:
			ext.Kind = bpf.ExternKconfig
			if err := o.kconfigEncoding(ext, btf.TypeID(vt.SizeOrType)); err != nil {
				return fmt.Errorf("kconfig extern %s: %w", vname, err)
			}
		case name == ".ksyms" && vt.Kind == btf.KindVar:
			ext.Kind = bpf.ExternKsym
			ext.Typed = !o.isVoid(btf.TypeID(vt.SizeOrType))
			if ext.Typed {
				ext.TypeID = pbtf.TypeID(vt.ID)
			}
		case name == ".ksyms" && vt.Kind == btf.KindFunc:
			ext.Kind = bpf.ExternKfunc
			ext.TypeID = pbtf.TypeID(vt.ID)
		default:
			return fmt.Errorf("%w: datasec %s: %s is a %s, not a variable or function", ErrFormat, name, vname, vt.Kind)
		}
	}
	return nil
}

// isVoid reports whether id is void, possibly behind qualifiers.
func (o *object) isVoid(id btf.TypeID) bool {
	for range 32 {
		if id == 0 {
			return true
		}
		t, err := o.btf.Type(id)
		if err != nil {
			return false
		}
		switch t.Kind {
		case btf.KindConst, btf.KindVolatile, btf.KindRestrict, btf.KindTypedef, btf.KindTypeTag:
			id = btf.TypeID(t.SizeOrType)
			continue
		}
		return false
	}
	return false
}

// kconfigEncoding sets how the value of a kconfig extern of type id is
// encoded, as libbpf does: bool, char ('y', 'n', 'm'), enum
// libbpf_tristate, integers, and char arrays for strings. An encoding
// libbpf does not know is left 0 and fails the programs using it at load.
func (o *object) kconfigEncoding(ext *bpf.Extern, id btf.TypeID) error {
	size, err := o.btf.Sizeof(id)
	if err != nil {
		return err
	}
	ext.Size = size
	t, err := o.btf.Skip(id)
	if err != nil {
		return err
	}
	switch t.Kind {
	case btf.KindInt:
		info, err := o.btf.Int(t)
		if err != nil {
			return err
		}
		switch {
		case info.Encoding&btf.IntBool != 0 && size == 1:
			ext.Kconfig = bpf.KconfigBool
		case size == 1:
			// char, signed or not: 'y', 'n', 'm' or a number.
			ext.Kconfig = bpf.KconfigChar
		case size == 2 || size == 4 || size == 8:
			ext.Kconfig = bpf.KconfigInt
			ext.Signed = info.Encoding&btf.IntSigned != 0
		}
	case btf.KindEnum:
		if n, _ := o.btf.Name(t); n == "libbpf_tristate" {
			ext.Kconfig = bpf.KconfigTristate
		} else if size == 1 || size == 2 || size == 4 || size == 8 {
			ext.Kconfig = bpf.KconfigInt
		}
	case btf.KindArray:
		elem, _, err := o.btf.Array(t)
		if err != nil {
			return err
		}
		et, err := o.btf.Skip(elem)
		if err != nil {
			return err
		}
		if et.Kind == btf.KindInt && et.SizeOrType == 1 {
			ext.Kconfig = bpf.KconfigString
		}
	}
	return nil
}

// kconfigAlign is the alignment of a kconfig value in the ".kconfig" map.
func kconfigAlign(e *bpf.Extern) uint32 {
	switch e.Kconfig {
	case bpf.KconfigInt, bpf.KconfigTristate:
		return max(e.Size, 1)
	}
	return 1
}

// layoutKconfig places the kconfig values in the ".kconfig" map's value:
// by decreasing alignment, then name, each aligned.
func (o *object) layoutKconfig() error {
	var kc []*bpf.Extern
	for _, e := range o.externs.byName {
		if e.Kind == bpf.ExternKconfig {
			kc = append(kc, e)
		}
	}
	slices.SortFunc(kc, func(a, b *bpf.Extern) int {
		if c := cmp.Compare(kconfigAlign(b), kconfigAlign(a)); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	off := uint64(0)
	for _, e := range kc {
		a := uint64(kconfigAlign(e))
		off = (off + a - 1) / a * a
		e.Offset = uint32(off)
		off += uint64(e.Size)
		if off > 1<<20 {
			return fmt.Errorf("%w: kconfig externs take more than 1 MiB", ErrFormat)
		}
	}
	o.externs.kconfigSize = uint32(off)
	return nil
}

// externReference turns the relocation r of ins (in fn) against an
// extern symbol into a reference the loader resolves: a kfunc call, the
// address of a ksym or kfunc (LD_IMM64 src PseudoBTFID), or a kconfig
// value (a PseudoMapValue load of the ".kconfig" map).
func (o *object) externReference(fn *function, ins *asm.Instruction, r relocation) error {
	sym := &o.syms[r.sym]
	if o.externs == nil || o.externs.byName[sym.name] == nil {
		return fmt.Errorf("%w: relocation against undefined %s (local, or unnamed)", ErrFormat, sym.describe())
	}
	ext := o.externs.byName[sym.name]
	switch {
	case ins.IsFunctionCall():
		if r.typ != rBPF64_32 {
			return fmt.Errorf("%w: relocation type %s against extern %s on a call (only R_BPF_64_32 patches a call's immediate)", errShape, relocTypeName(r.typ), sym.name)
		}
		switch ext.Kind {
		case 0:
			ext.Kind = o.undeclaredKind(bpf.ExternKfunc)
		case bpf.ExternKfunc, bpf.ExternLink:
		default:
			return fmt.Errorf("%w: call of extern %s, which is a %s extern, not a function", ErrFormat, sym.name, ext.Kind)
		}
		*ins = asm.Instruction{OpCode: ins.OpCode, Src: asm.PseudoKfuncCall}.WithReference(ext.Name)
	case ins.OpCode == asm.LdImmDW:
		if r.typ != rBPF64_64 {
			return fmt.Errorf("%w: relocation type %s against extern %s on an LD_IMM64 (only R_BPF_64_64 patches its 64-bit immediate)", errShape, relocTypeName(r.typ), sym.name)
		}
		if ins.Src != 0 {
			return fmt.Errorf("%w: relocation against extern %s on an LD_IMM64 with pseudo source %d", ErrFormat, sym.name, ins.Src)
		}
		if ext.Kind == 0 {
			ext.Kind = o.undeclaredKind(bpf.ExternKsym)
		}
		if ext.Kind == bpf.ExternKconfig {
			addend := int64(int32(uint32(ins.Constant)))
			if r.rela {
				addend = r.addend
			}
			off := int64(ext.Offset) + addend
			if addend < 0 || addend >= int64(max(ext.Size, 1)) {
				return fmt.Errorf("%w: reference to kconfig extern %s at offset %d, outside its %d bytes", ErrFormat, sym.name, addend, ext.Size)
			}
			*ins = ins.WithReference(bpf.KconfigMap)
			ins.Src = asm.PseudoMapValue
			ins.Constant = off << 32
			break
		}
		*ins = ins.WithReference(ext.Name)
		ins.Src = asm.PseudoBTFID
		ins.Constant = 0
	default:
		return fmt.Errorf("%w: relocation (type %d) against extern %s on instruction %v, which is neither an LD_IMM64 nor a call", errShape, r.typ, sym.name, *ins)
	}
	if !slices.Contains(o.externs.uses[fn], ext) {
		o.externs.uses[fn] = append(o.externs.uses[fn], ext)
	}
	return nil
}

// undeclaredKind is the kind of an extern that neither .kconfig nor
// .ksyms lists: with BTF, one that another object defines (libbpf
// refuses such objects; static linking resolves them); without BTF,
// where nothing tells, a kfunc (for a call) or a typeless ksym.
func (o *object) undeclaredKind(guess bpf.ExternKind) bpf.ExternKind {
	if o.btf != nil {
		return bpf.ExternLink
	}
	return guess
}

// finishExterns gives each program the externs its functions use and
// adds the ".kconfig" map (its value is filled at load).
func (o *object) finishExterns() error {
	t := o.externs
	if t == nil || len(t.uses) == 0 {
		return nil
	}
	kconfig := false
	for _, lp := range o.linked {
		var exts []*bpf.Extern
		for _, fn := range lp.funcs {
			for _, e := range t.uses[fn] {
				if !slices.Contains(exts, e) {
					exts = append(exts, e)
				}
				kconfig = kconfig || e.Kind == bpf.ExternKconfig
			}
		}
		if len(exts) == 0 {
			continue
		}
		slices.SortFunc(exts, func(a, b *bpf.Extern) int { return cmp.Compare(a.Name, b.Name) })
		o.spec.Programs[lp.key].Externs = exts
	}
	if !kconfig {
		return nil
	}
	if o.spec.Maps == nil {
		o.spec.Maps = map[string]*maps.Spec{}
	}
	if _, dup := o.spec.Maps[bpf.KconfigMap]; dup {
		return fmt.Errorf("%w: a map named %s exists besides the kconfig externs", ErrFormat, bpf.KconfigMap)
	}
	o.spec.Maps[bpf.KconfigMap] = &maps.Spec{
		Name:       bpf.KconfigMap,
		Type:       maps.Array,
		KeySize:    4,
		ValueSize:  max(t.kconfigSize, 1),
		MaxEntries: 1,
		Flags:      maps.FlagReadOnlyProg,
	}
	return nil
}

// BTF linkage values.
const (
	btfFuncStatic    = 0
	btfFuncExtern    = 2
	btfVarAllocated  = 1
	btfVarExtern     = 2
	btfTypeHeaderLen = 12
)

// btfRecord is one type of a raw .BTF: its header fields and its
// kind-specific bytes.
type btfRecord struct {
	nameOff, info, sizeOrType uint32
	extra                     []byte
}

func (r *btfRecord) kind() btf.Kind { return btf.Kind(r.info >> 24 & 0x1f) }
func (r *btfRecord) vlen() int      { return int(r.info & 0xffff) }

// extraLen is the size of the kind-specific data after a type header.
func extraLen(kind btf.Kind, vlen int) (int, bool) {
	switch kind {
	case btf.KindInt, btf.KindVar, btf.KindDeclTag:
		return 4, true
	case btf.KindPointer, btf.KindForward, btf.KindTypedef, btf.KindVolatile, btf.KindConst,
		btf.KindRestrict, btf.KindFunc, btf.KindFloat, btf.KindTypeTag:
		return 0, true
	case btf.KindArray:
		return 12, true
	case btf.KindStruct, btf.KindUnion, btf.KindDatasec, btf.KindEnum64:
		return 12 * vlen, true
	case btf.KindEnum, btf.KindFuncProt:
		return 8 * vlen, true
	}
	return 0, false
}

// fixExternBTF rewrites the object's BTF (already prepared for the
// kernel) so that the kernel accepts it despite the externs, as libbpf
// does: the kernel refuses extern linkage, void variables and functions
// in datasecs. Extern functions become static; extern variables
// become allocated, typeless ones of type int; the ".kconfig" datasec
// gets the offsets of the ".kconfig" map; the entries of ".ksyms" become
// int-sized variables laid end to end.
func (o *object) fixExternBTF() error {
	raw := o.kraw
	if raw == nil || o.externs == nil || len(o.externs.byName) == 0 {
		return nil
	}
	bo := o.bo
	types, strs, err := btfSections(raw, bo)
	if err != nil || types == nil {
		return err
	}
	strs = append([]byte(nil), strs...)
	recs := []*btfRecord{nil} // by type id
	for len(types) > 0 {
		if len(types) < btfTypeHeaderLen {
			return fmt.Errorf("%w: section .BTF: truncated type", ErrFormat)
		}
		r := &btfRecord{nameOff: bo.Uint32(types), info: bo.Uint32(types[4:]), sizeOrType: bo.Uint32(types[8:])}
		n, ok := extraLen(r.kind(), r.vlen())
		if !ok || len(types) < btfTypeHeaderLen+n {
			return fmt.Errorf("%w: section .BTF: type %d of kind %s", ErrFormat, len(recs), r.kind())
		}
		r.extra = append([]byte(nil), types[btfTypeHeaderLen:btfTypeHeaderLen+n]...)
		types = types[btfTypeHeaderLen+n:]
		recs = append(recs, r)
	}
	name := func(r *btfRecord) string {
		if int(r.nameOff) < len(strs) {
			return cString(strs[r.nameOff:])
		}
		return ""
	}
	addString := func(s string) uint32 {
		off := uint32(len(strs))
		strs = append(append(strs, s...), 0)
		return off
	}
	isVoid := func(id uint32) bool {
		for range 32 {
			if id == 0 {
				return true
			}
			if int(id) >= len(recs) {
				return false
			}
			switch r := recs[id]; r.kind() {
			case btf.KindConst, btf.KindVolatile, btf.KindRestrict, btf.KindTypedef, btf.KindTypeTag:
				id = r.sizeOrType
				continue
			}
			return false
		}
		return false
	}
	// An int for typeless variables and the stand-in of functions.
	intID := uint32(0)
	for id, r := range recs[1:] {
		if r.kind() == btf.KindInt && r.sizeOrType == 4 {
			intID = uint32(id + 1)
			break
		}
	}
	if intID == 0 {
		recs = append(recs, &btfRecord{nameOff: addString("int"), info: uint32(btf.KindInt) << 24, sizeOrType: 4,
			extra: appendU32(bo, nil, 1<<24|32)})
		intID = uint32(len(recs) - 1)
	}
	stand := uint32(0)
	for id := 1; id < len(recs); id++ {
		r := recs[id]
		switch r.kind() {
		case btf.KindFunc:
			if r.vlen() == btfFuncExtern {
				r.info = r.info&^0xffff | btfFuncStatic
			}
		case btf.KindVar:
			if bo.Uint32(r.extra) == btfVarExtern {
				bo.PutUint32(r.extra, btfVarAllocated)
				if isVoid(r.sizeOrType) {
					r.sizeOrType = intID
				}
			}
		case btf.KindDatasec:
			switch name(r) {
			case ".kconfig":
				o.fixKconfigDatasec(r, recs, name)
			case ".ksyms":
				if stand == 0 {
					recs = append(recs, &btfRecord{nameOff: addString("__purebpf_ksym"), info: uint32(btf.KindVar) << 24,
						sizeOrType: intID, extra: appendU32(bo, nil, btfVarAllocated)})
					stand = uint32(len(recs) - 1)
				}
				if err := o.fixKsymsDatasec(r, recs, stand); err != nil {
					return err
				}
			}
		}
	}
	var out []byte
	out = append(out, raw[:bo.Uint32(raw[4:])]...) // the header
	tb := []byte{}
	for _, r := range recs[1:] {
		tb = appendU32(bo, tb, r.nameOff)
		tb = appendU32(bo, tb, r.info)
		tb = appendU32(bo, tb, r.sizeOrType)
		tb = append(tb, r.extra...)
	}
	bo.PutUint32(out[8:], 0)
	bo.PutUint32(out[12:], uint32(len(tb)))
	bo.PutUint32(out[16:], uint32(len(tb)))
	bo.PutUint32(out[20:], uint32(len(strs)))
	out = append(append(out, tb...), strs...)
	o.kraw = out
	return nil
}

// fixKconfigDatasec gives the variables of the ".kconfig" datasec the
// offsets and sizes of the ".kconfig" map's value, in offset order;
// variables no symbol names (unused declarations) are left out.
func (o *object) fixKconfigDatasec(r *btfRecord, recs []*btfRecord, name func(*btfRecord) string) {
	bo := o.bo
	type entry struct{ typ, off, size uint32 }
	var es []entry
	for i := range r.vlen() {
		typ := bo.Uint32(r.extra[12*i:])
		if int(typ) >= len(recs) {
			continue
		}
		e := o.externs.byName[name(recs[typ])]
		if e == nil || e.Kind != bpf.ExternKconfig || e.Size == 0 {
			continue
		}
		es = append(es, entry{typ, e.Offset, e.Size})
	}
	slices.SortFunc(es, func(a, b entry) int { return cmp.Compare(a.off, b.off) })
	r.extra = r.extra[:0]
	for _, e := range es {
		r.extra = appendU32(bo, appendU32(bo, appendU32(bo, r.extra, e.typ), e.off), e.size)
	}
	r.info = r.info&^0xffff | uint32(len(es))
	r.sizeOrType = max(o.externs.kconfigSize, 1)
}

// fixKsymsDatasec lays the entries of ".ksyms" end to end, functions
// replaced by the int variable stand.
func (o *object) fixKsymsDatasec(r *btfRecord, recs []*btfRecord, stand uint32) error {
	bo := o.bo
	off := uint32(0)
	for i := range r.vlen() {
		e := r.extra[12*i:]
		typ := bo.Uint32(e)
		if int(typ) >= len(recs) {
			return fmt.Errorf("%w: section .BTF: datasec .ksyms refers to type %d", ErrFormat, typ)
		}
		size := uint32(4)
		if recs[typ].kind() != btf.KindVar {
			typ = stand
		} else if sz, err := o.btf.Sizeof(btf.TypeID(recs[typ].sizeOrType)); err == nil && sz > 0 {
			size = sz
		}
		bo.PutUint32(e, typ)
		bo.PutUint32(e[4:], off)
		bo.PutUint32(e[8:], size)
		off += (size + 7) &^ 7
	}
	r.sizeOrType = max(off, 1)
	return nil
}

func appendU32(bo binary.ByteOrder, b []byte, v uint32) []byte {
	var w [4]byte
	bo.PutUint32(w[:], v)
	return append(b, w[:]...)
}
