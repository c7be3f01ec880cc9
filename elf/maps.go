package elf

import (
	"cmp"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/purebpf/bpf"
	pbtf "github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/internal/sha1"
	"github.com/purebpf/bpf/maps"
)

// mapDef locates a map definition inside a maps section, for relocations.
type mapDef struct {
	name       string
	off, size  uint64
	spec       *maps.Spec
	valuesOff  uint64 // BTF maps: offset of the "values" member, or ^0
	valuesElem bool   // BTF maps: values are programs (not maps)
}

// Legacy pinning values of iproute2's struct bpf_elf_map.
const (
	pinNone     = 0
	pinObjectNS = 1
	pinGlobalNS = 2
)

// flagNUMANode is BPF_F_NUMA_NODE.
const flagNUMANode = 1 << 2

// loadMaps reads the legacy "maps" section and the BTF ".maps" section.
func (o *object) loadMaps() error {
	o.spec.Maps = map[string]*maps.Spec{}
	for _, sec := range o.sections {
		if sec == nil {
			continue
		}
		var err error
		switch sec.kind {
		case kindLegacyMaps:
			err = o.loadLegacyMaps(sec)
		case kindBTFMaps:
			err = o.loadBTFMaps(sec)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (o *object) addMap(sec *section, name string, spec *maps.Spec) error {
	if _, dup := o.spec.Maps[name]; dup {
		return fmt.Errorf("%w: section %s: map %s defined twice", ErrFormat, sec.name, name)
	}
	o.spec.Maps[name] = spec
	return nil
}

// mapSymbols returns the symbols of a maps section that name definitions,
// with their sizes; symbols of size 0 (old toolchains) extend to the next
// symbol or the end of the section.
func (o *object) mapSymbols(sec *section) ([]mapDef, error) {
	var defs []mapDef
	for _, i := range sec.syms {
		sym := &o.syms[i]
		if sym.typ != elf.STT_OBJECT && sym.typ != elf.STT_NOTYPE {
			continue
		}
		if sym.name == "" {
			return nil, fmt.Errorf("%w: section %s: unnamed symbol at offset %d", ErrFormat, sec.name, sym.value)
		}
		if len(defs) > 0 && defs[len(defs)-1].off == sym.value {
			// An alias at the same offset (a local label, say): keep the
			// first (global symbols sort first).
			continue
		}
		defs = append(defs, mapDef{name: sym.name, off: sym.value, size: sym.size, valuesOff: ^uint64(0)})
	}
	for i := range defs {
		d := &defs[i]
		if d.size == 0 {
			end := sec.size
			if i+1 < len(defs) {
				end = defs[i+1].off
			}
			d.size = end - d.off
		}
		if d.off > sec.size || d.size > sec.size-d.off {
			return nil, fmt.Errorf("%w: section %s: map %s at [%d,+%d) outside the %d-byte section", ErrFormat, sec.name, d.name, d.off, d.size, sec.size)
		}
	}
	return defs, nil
}

// loadLegacyMaps reads a "maps" section of fixed-layout definitions:
// 16-20 bytes (bpf_map_def: type, key_size, value_size, max_entries,
// map_flags), 24-32 (the samples/bpf layout adding inner_map_idx and
// numa_node), 36 and more (iproute2's bpf_elf_map adding id, pinning,
// inner_id, inner_idx; bytes past 36 must be zero).
func (o *object) loadLegacyMaps(sec *section) error {
	defs, err := o.mapSymbols(sec)
	if err != nil {
		return err
	}
	if len(defs) == 0 && sec.size > 0 {
		return fmt.Errorf("%w: section maps: %d bytes but no symbols naming the maps", ErrFormat, sec.size)
	}
	type legacy struct {
		id, pinning, innerID, innerIdx, innerMapIdx uint32
		hasInnerIdx                                 bool // samples layout
		elfMap                                      bool // iproute2 layout
	}
	extra := make([]legacy, len(defs))
	var objectHash string
	for i := range defs {
		d := &defs[i]
		if d.size < 16 || d.size%4 != 0 {
			return fmt.Errorf("%w: section maps: map %s: definition of %d bytes (want 16 or more, a multiple of 4)", ErrFormat, d.name, d.size)
		}
		b := sec.data[d.off : d.off+d.size]
		if sec.data == nil {
			return fmt.Errorf("%w: section maps has no data", ErrFormat)
		}
		word := func(n int) uint32 { return o.bo.Uint32(b[4*n:]) }
		spec := &maps.Spec{
			Name:       d.name,
			Type:       maps.Type(word(0)),
			KeySize:    word(1),
			ValueSize:  word(2),
			MaxEntries: word(3),
		}
		if d.size >= 20 {
			spec.Flags = maps.Flags(word(4))
		}
		x := &extra[i]
		switch {
		case d.size >= 36:
			x.elfMap = true
			x.id, x.pinning, x.innerID, x.innerIdx = word(5), word(6), word(7), word(8)
			for j := 36; j < len(b); j++ {
				if b[j] != 0 {
					return fmt.Errorf("%w: section maps: map %s: %d-byte definition has non-zero bytes past iproute2's 36-byte bpf_elf_map", errShape, d.name, d.size)
				}
			}
		case d.size >= 24:
			x.hasInnerIdx = true
			x.innerMapIdx = word(5)
			if d.size >= 28 {
				spec.NumaNode = word(6)
			}
		}
		switch x.pinning {
		case pinNone:
		case pinGlobalNS:
			spec.Pinning, spec.PinPath = maps.PinByName, "tc/globals"
		case pinObjectNS:
			if objectHash == "" {
				sum := sha1.Sum(o.data)
				objectHash = hex.EncodeToString(sum[:])
			}
			spec.Pinning, spec.PinPath = maps.PinByName, "tc/"+objectHash
		default:
			// iproute2 custom pinning (/etc/iproute2/bpf_pinning) or a
			// project's own value: kept, decided by whoever creates the map.
			spec.Pinning, spec.PinValue = maps.PinUnknown, x.pinning
		}
		d.spec = spec
		if err := o.addMap(sec, d.name, spec); err != nil {
			return err
		}
	}
	// Maps of maps: the samples layout names the inner map template by
	// index; iproute2 by id, and places maps with an id and an inner_idx
	// into the outer maps whose inner_id is that id.
	for i := range defs {
		spec, x := defs[i].spec, &extra[i]
		if !isMapOfMaps(spec.Type) {
			continue
		}
		switch {
		case x.elfMap:
			if x.innerID == 0 {
				return fmt.Errorf("%w: section maps: map %s: %s without inner_id", ErrFormat, spec.Name, spec.Type)
			}
			found := false
			for j := range defs {
				if extra[j].elfMap && extra[j].id == x.innerID && j != i {
					spec.InnerMap = templateOf(defs[j].spec)
					found = true
					break
				}
			}
			if !found {
				return fmt.Errorf("%w: section maps: map %s: inner map with id %d not found", ErrFormat, spec.Name, x.innerID)
			}
			for j := range defs {
				y := &extra[j]
				if j == i || !y.elfMap || y.id == 0 || y.innerID != 0 || y.innerIdx == ^uint32(0) || y.id != x.innerID {
					continue
				}
				spec.Contents = append(spec.Contents, maps.KV{Key: y.innerIdx, Value: bpf.MapRef(defs[j].name)})
			}
		case x.hasInnerIdx:
			if int(x.innerMapIdx) >= len(defs) || int(x.innerMapIdx) == i {
				return fmt.Errorf("%w: section maps: map %s: inner_map_idx %d of %d maps", ErrFormat, spec.Name, x.innerMapIdx, len(defs))
			}
			spec.InnerMap = templateOf(defs[x.innerMapIdx].spec)
		default:
			return fmt.Errorf("%w: section maps: map %s: %s needs an inner map; its %d-byte definition cannot name one", ErrFormat, spec.Name, spec.Type, defs[i].size)
		}
	}
	o.mapDefs = append(o.mapDefs, sectionDefs{sec: sec.idx, defs: defs})
	return nil
}

func isMapOfMaps(t maps.Type) bool { return t == maps.ArrayOfMaps || t == maps.HashOfMaps }

// templateOf returns a copy of s to use as an inner map template.
func templateOf(s *maps.Spec) *maps.Spec {
	c := s.Copy()
	c.Pinning, c.PinPath, c.Contents = maps.PinNone, "", nil
	return c
}

// sectionDefs are the map definitions of one maps section.
type sectionDefs struct {
	sec  int
	defs []mapDef
}

// mapAt returns the map defined at offset off of maps section sec.
func (o *object) mapAt(sec int, off uint64) (*mapDef, bool) {
	for i := range o.mapDefs {
		if o.mapDefs[i].sec != sec {
			continue
		}
		defs := o.mapDefs[i].defs
		// defs are sorted by offset: find the last starting at or before off.
		j, _ := slices.BinarySearchFunc(defs, off, func(d mapDef, off uint64) int { return cmp.Compare(d.off, off) })
		if j == len(defs) || defs[j].off != off {
			j--
		}
		if j >= 0 && off >= defs[j].off && off < defs[j].off+defs[j].size {
			return &defs[j], true
		}
	}
	return nil, false
}

// loadBTFMaps reads the BTF-defined maps of ".maps".
func (o *object) loadBTFMaps(sec *section) error {
	if o.btf == nil {
		return fmt.Errorf("%w: section .maps needs BTF, and the object has no .BTF section", ErrFormat)
	}
	ds, ok := o.btf.Datasec(".maps")
	if !ok {
		return fmt.Errorf("%w: section .maps: no BTF datasec .maps", ErrFormat)
	}
	defs, err := o.mapSymbols(sec)
	if err != nil {
		return err
	}
	byName := make(map[string]*mapDef, len(defs))
	for i := range defs {
		byName[defs[i].name] = &defs[i]
	}
	for i := range ds.Vlen {
		m, err := o.btf.Member(ds, i)
		if err != nil {
			return fmt.Errorf("section .maps: %w", err)
		}
		v, err := o.btf.Type(m.Type)
		if err != nil {
			return fmt.Errorf("section .maps: %w", err)
		}
		if v.Kind != btf.KindVar {
			return fmt.Errorf("%w: section .maps: datasec member %d is a %s, not a variable", ErrFormat, i, v.Kind)
		}
		name, err := o.btf.Name(v)
		if err != nil {
			return fmt.Errorf("section .maps: %w", err)
		}
		d := byName[name]
		if d == nil {
			return fmt.Errorf("%w: section .maps: map %s has BTF but no symbol", ErrFormat, name)
		}
		spec, keyType, valueType, valuesOff, progValues, err := o.btfMapDef(name, btf.TypeID(v.SizeOrType), 0)
		if err != nil {
			return fmt.Errorf("section .maps: map %s: %w", name, err)
		}
		d.spec, d.valuesOff, d.valuesElem = spec, valuesOff, progValues
		spec.KeyType, spec.ValueType = pbtf.TypeID(keyType), pbtf.TypeID(valueType)
		if err := o.addMap(sec, name, spec); err != nil {
			return err
		}
	}
	for i := range defs {
		if defs[i].spec == nil {
			return fmt.Errorf("%w: section .maps: symbol %s has no BTF map definition", ErrFormat, defs[i].name)
		}
	}
	o.mapDefs = append(o.mapDefs, sectionDefs{sec: sec.idx, defs: defs})
	return o.btfMapValues(sec)
}

// btfMapDef decodes a BTF map definition struct: every member is a
// pointer, to an array whose length is the value of integer attributes
// (type, max_entries, map_flags, numa_node, pinning, key_size,
// value_size, map_extra), or to the key and value types, or an array of
// pointers to inner map definitions or function prototypes ("values");
// integer attributes may also be one-value enums (__ulong, 64 bits).
// Ring buffers get key and value size 0 and perf event arrays 4 and 4
// whatever types they declare; the declared types are returned (for
// CollectionSpec.MapBTF) all the same.
func (o *object) btfMapDef(name string, id btf.TypeID, depth int) (spec *maps.Spec, keyType, valueType btf.TypeID, valuesOff uint64, progValues bool, err error) {
	valuesOff = ^uint64(0)
	t, err := o.btf.Skip(id)
	if err != nil {
		return nil, 0, 0, 0, false, err
	}
	if t.Kind != btf.KindStruct {
		return nil, 0, 0, 0, false, fmt.Errorf("%w: definition is a %s, not a struct", ErrFormat, t.Kind)
	}
	spec = &maps.Spec{Name: name}
	var keySize, valueSize uint32
	var haveKeySize, haveValueSize bool
	for i := range t.Vlen {
		m, err := o.btf.Member(t, i)
		if err != nil {
			return nil, 0, 0, 0, false, err
		}
		mname, err := o.btf.String(m.NameOff)
		if err != nil {
			return nil, 0, 0, 0, false, err
		}
		mt, err := o.btf.Skip(m.Type)
		if err != nil {
			return nil, 0, 0, 0, false, fmt.Errorf("member %s: %w", mname, err)
		}
		var n uint32
		switch mname {
		case "type", "max_entries", "map_flags", "numa_node", "pinning", "key_size", "value_size", "map_extra":
			v, err := o.btfMapAttr(mname, mt)
			if err != nil {
				return nil, 0, 0, 0, false, err
			}
			if mname == "map_extra" {
				spec.MapExtra = v
				continue
			}
			if v > 1<<32-1 {
				return nil, 0, 0, 0, false, fmt.Errorf("%w: member %s: value %#x does not fit 32 bits", ErrFormat, mname, v)
			}
			n = uint32(v)
		}
		switch mname {
		case "type":
			spec.Type = maps.Type(n)
		case "max_entries":
			spec.MaxEntries = n
		case "map_flags":
			spec.Flags = maps.Flags(n)
		case "numa_node":
			spec.NumaNode = n
		case "pinning":
			switch n {
			case 0:
			case 1: // LIBBPF_PIN_BY_NAME
				spec.Pinning, spec.PinPath = maps.PinByName, ""
			default:
				// Another project's value (cilium's 16): kept, decided by
				// whoever creates the map.
				spec.Pinning, spec.PinValue = maps.PinUnknown, n
			}
		case "key_size":
			keySize, haveKeySize = n, true
		case "value_size":
			valueSize, haveValueSize = n, true
		case "key", "value":
			if mt.Kind != btf.KindPointer {
				return nil, 0, 0, 0, false, fmt.Errorf("%w: member %s is a %s, want a pointer (__type)", ErrFormat, mname, mt.Kind)
			}
			target := btf.TypeID(mt.SizeOrType)
			size, err := o.btf.Sizeof(target)
			if err != nil {
				return nil, 0, 0, 0, false, fmt.Errorf("member %s: %w", mname, err)
			}
			if mname == "key" {
				keySize, haveKeySize, keyType = size, true, target
			} else {
				valueSize, haveValueSize, valueType = size, true, target
			}
		case "values":
			if mt.Kind != btf.KindArray {
				return nil, 0, 0, 0, false, fmt.Errorf("%w: member values is a %s, want an array (__array)", ErrFormat, mt.Kind)
			}
			if m.Offset%8 != 0 {
				return nil, 0, 0, 0, false, fmt.Errorf("%w: member values at bit offset %d", ErrFormat, m.Offset)
			}
			valuesOff = uint64(m.Offset / 8)
			elem, _, _ := o.btf.Array(mt)
			pt, err := o.btf.Skip(elem)
			if err != nil {
				return nil, 0, 0, 0, false, fmt.Errorf("member values: %w", err)
			}
			if pt.Kind != btf.KindPointer {
				return nil, 0, 0, 0, false, fmt.Errorf("%w: member values: elements are %s, want pointers", ErrFormat, pt.Kind)
			}
			target, err := o.btf.Skip(btf.TypeID(pt.SizeOrType))
			if err != nil {
				return nil, 0, 0, 0, false, fmt.Errorf("member values: %w", err)
			}
			switch target.Kind {
			case btf.KindFuncProt:
				progValues = true
			case btf.KindStruct:
				if depth > 0 {
					return nil, 0, 0, 0, false, fmt.Errorf("%w: maps of maps of maps", errShape)
				}
				inner, _, _, _, _, err := o.btfMapDef(name+".inner", target.ID, depth+1)
				if err != nil {
					return nil, 0, 0, 0, false, fmt.Errorf("inner map: %w", err)
				}
				spec.InnerMap = inner
			default:
				return nil, 0, 0, 0, false, fmt.Errorf("%w: member values: elements point to a %s", ErrFormat, target.Kind)
			}
		default:
			return nil, 0, 0, 0, false, fmt.Errorf("%w: unknown member %q", errShape, mname)
		}
	}
	if spec.Type == maps.UnspecifiedMap {
		return nil, 0, 0, 0, false, fmt.Errorf("%w: no type", ErrFormat)
	}
	_ = haveKeySize
	_ = haveValueSize
	spec.KeySize, spec.ValueSize = keySize, valueSize
	switch spec.Type {
	case maps.RingBuf, maps.UserRingBuf:
		// The kernel wants neither key nor value size; a declared
		// record type (__type(value, struct event)) stays in MapBTF
		// for readers to decode records with.
		spec.KeySize, spec.ValueSize = 0, 0
	case maps.PerfEventArray:
		// Key and value are a CPU index and a perf event descriptor,
		// whatever types the declaration names.
		if keyType != 0 {
			spec.KeySize = 4
		}
		if valueType != 0 {
			spec.ValueSize = 4
		}
	}
	if isMapOfMaps(spec.Type) || spec.Type == maps.ProgArray {
		// The value of these maps is a descriptor; "values" gives the
		// element type, not the value size.
		if spec.ValueSize == 0 || valueType == 0 {
			spec.ValueSize = 4
		}
	}
	return spec, keyType, valueType, valuesOff, progValues, nil
}

// btfMapAttr returns the value of an integer attribute of a BTF map
// definition: a pointer to an array whose length is the value (libbpf's
// __uint), or an enum whose single value is the value (libbpf's __ulong,
// for map_extra; values wider than 32 bits are an 8-byte BTF_KIND_ENUM64
// since clang 15).
func (o *object) btfMapAttr(name string, mt btf.Type) (uint64, error) {
	switch mt.Kind {
	case btf.KindPointer:
		at, err := o.btf.Skip(btf.TypeID(mt.SizeOrType))
		if err != nil {
			return 0, fmt.Errorf("member %s: %w", name, err)
		}
		_, n, err := o.btf.Array(at)
		if err != nil {
			return 0, fmt.Errorf("member %s: %w", name, err)
		}
		return uint64(n), nil
	case btf.KindEnum, btf.KindEnum64:
		if mt.Vlen != 1 {
			return 0, fmt.Errorf("%w: member %s is an enum with %d values, want one (__ulong)", ErrFormat, name, mt.Vlen)
		}
		if mt.Kind == btf.KindEnum && mt.SizeOrType > 4 {
			// clang before 15 has no BTF_KIND_ENUM64: it keeps the low
			// 32 bits of a wider value in an 8-byte enum.
			return 0, fmt.Errorf("%w: member %s is an %d-byte enum without 64-bit values: the compiler (clang < 15) truncated a value wider than 32 bits; rebuild with clang 15 or later", ErrFormat, name, mt.SizeOrType)
		}
		_, v, err := o.btf.EnumValue(mt, 0)
		if err != nil {
			return 0, fmt.Errorf("member %s: %w", name, err)
		}
		if mt.Kind == btf.KindEnum {
			// __ulong values are unsigned: undo the sign extension of
			// 32-bit enums.
			return uint64(uint32(v)), nil
		}
		return uint64(v), nil
	}
	return 0, fmt.Errorf("%w: member %s is a %s, want a pointer to an array (__uint) or an enum (__ulong)", ErrFormat, name, mt.Kind)
}

// btfMapValues turns the relocations of ".maps" (the "values"
// initialisers) into map contents.
func (o *object) btfMapValues(sec *section) error {
	rels, err := o.relocations(sec)
	if err != nil {
		return err
	}
	for _, r := range rels {
		d, ok := o.mapAt(sec.idx, r.offset)
		if !ok {
			return fmt.Errorf("%w: section .maps: relocation at offset %d is in no map", ErrFormat, r.offset)
		}
		sym := &o.syms[r.sym]
		if d.valuesOff == ^uint64(0) || r.offset < d.off+d.valuesOff || (r.offset-d.off-d.valuesOff)%8 != 0 {
			return fmt.Errorf("%w: section .maps: map %s: relocation against %s outside its values array", ErrFormat, d.name, sym.describe())
		}
		key := uint32((r.offset - d.off - d.valuesOff) / 8)
		if d.valuesElem {
			if sym.typ != elf.STT_FUNC || sym.name == "" {
				return fmt.Errorf("%w: section .maps: map %s: values[%d] refers to %s, not a function", ErrFormat, d.name, key, sym.describe())
			}
			d.spec.Contents = append(d.spec.Contents, maps.KV{Key: key, Value: bpf.ProgramRef(sym.name)})
			continue
		}
		if sym.section != sec.idx {
			return fmt.Errorf("%w: section .maps: map %s: values[%d] refers to %s, not a map", ErrFormat, d.name, key, sym.describe())
		}
		inner, ok := o.mapAt(sec.idx, sym.value)
		if !ok {
			return fmt.Errorf("%w: section .maps: map %s: values[%d] refers to %s, not a map", ErrFormat, d.name, key, sym.describe())
		}
		d.spec.Contents = append(d.spec.Contents, maps.KV{Key: key, Value: bpf.MapRef(inner.name)})
	}
	return nil
}

// loadDataMaps creates the single-element array maps of the global data
// sections that programs refer to. ".rodata*" maps are read-only for
// programs (and frozen by bpf.NewCollection).
func (o *object) loadDataMaps() error {
	for _, sec := range o.sections {
		if sec == nil || sec.kind != kindData || !sec.used {
			continue
		}
		if sec.size == 0 || sec.size > 1<<31 {
			return fmt.Errorf("%w: data section %s of %d bytes", ErrFormat, sec.name, sec.size)
		}
		// Relocations in global data (pointers to functions, maps or
		// other variables stored in a variable) would have to be
		// resolved at load; copying the bytes unchanged would leave
		// them zero.
		rels, err := o.relocations(sec)
		if err != nil {
			return err
		}
		if len(rels) > 0 {
			r := rels[0]
			return fmt.Errorf("%w: data section %s: %d relocations (the first of type %s against %s at offset %d): pointers stored in global data", errShape, sec.name, len(rels), relocTypeName(r.typ), o.syms[r.sym].describe(), r.offset)
		}
		spec := &maps.Spec{
			Name:       sec.name,
			Type:       maps.Array,
			KeySize:    4,
			ValueSize:  uint32(sec.size),
			MaxEntries: 1,
		}
		if len(sec.name) >= 7 && sec.name[:7] == ".rodata" {
			spec.Flags = maps.FlagReadOnlyProg
		}
		if sec.data != nil {
			value := make([]byte, len(sec.data))
			copy(value, sec.data)
			spec.Contents = []maps.KV{{Key: uint32(0), Value: value}}
		}
		if err := o.addMap(sec, sec.name, spec); err != nil {
			return err
		}
		// The section's datasec is the value type, with no key type,
		// as libbpf gives global data maps (the kernel allows a void
		// key for single-element arrays of a datasec, 5.2+): tools
		// format the variables by name, and the kernel finds the
		// fields it manages (bpf_spin_lock, timers, list heads) there.
		if o.btf != nil {
			if t, ok := o.btf.Datasec(sec.name); ok {
				spec.ValueType = pbtf.TypeID(t.ID)
			}
		}
	}
	return nil
}
