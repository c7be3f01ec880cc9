// Package btf reads the BPF Type Format sections of clang objects: the
// types in .BTF (as much as a loader needs: sizes, struct members, the
// map definitions of .maps, data sections) and the func_info / line_info
// records of .BTF.ext. It also prepares .BTF for BPF_BTF_LOAD (filling
// in data section sizes and variable offsets, which clang leaves to the
// loader).
//
// Parsing is lazy: Parse validates the header and indexes the types in
// one pass without allocating per type; a type is decoded when asked for.
package btf

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Magic is the BTF magic number (in the byte order of the data).
const Magic = 0xeB9F

// ErrInvalid is wrapped by every error about malformed BTF.
var ErrInvalid = errors.New("invalid BTF")

// Kind is a BTF type kind (BTF_KIND_*).
type Kind uint8

// BTF kinds.
const (
	KindUnknown  Kind = 0
	KindInt      Kind = 1
	KindPointer  Kind = 2
	KindArray    Kind = 3
	KindStruct   Kind = 4
	KindUnion    Kind = 5
	KindEnum     Kind = 6
	KindForward  Kind = 7
	KindTypedef  Kind = 8
	KindVolatile Kind = 9
	KindConst    Kind = 10
	KindRestrict Kind = 11
	KindFunc     Kind = 12
	KindFuncProt Kind = 13
	KindVar      Kind = 14
	KindDatasec  Kind = 15
	KindFloat    Kind = 16
	KindDeclTag  Kind = 17
	KindTypeTag  Kind = 18
	KindEnum64   Kind = 19
)

var kindNames = [...]string{"unknown", "int", "ptr", "array", "struct", "union", "enum", "fwd", "typedef", "volatile", "const", "restrict", "func", "func_proto", "var", "datasec", "float", "decl_tag", "type_tag", "enum64"}

// String returns the kind's name as bpftool prints it ("struct", "func_proto").
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// TypeID identifies a type in a Spec; 0 is void.
type TypeID uint32

const headerLen = 24

// Spec is parsed .BTF, or split BTF on top of a base Spec (kernel module
// BTF on vmlinux's). A Spec is safe for concurrent use.
type Spec struct {
	raw     []byte // the whole section, header included
	bo      binary.ByteOrder
	hdrLen  uint32
	types   []byte   // type section
	strings []byte   // string section
	offs    []uint32 // offs[i]: offset of local type i (1-based) in types
	named   int      // number of local types with a name offset other than 0
	le      bool     // bo is little-endian (for the hot loops: u32)

	base    *Spec  // nil for stand-alone BTF
	firstID TypeID // id of local type 1: 1, or base.NumTypes()+1
	strBase uint32 // offset of strings[0] in the combined string space

	names    nameTable // exact names of the local types
	flavours nameTable // essential names of the local types named "x___y"
}

// Parse indexes the .BTF section raw (byte order bo, as the ELF file's).
// It checks the header, that every type record lies within the type
// section, and that every kind is known; it fails with an error wrapping
// ErrInvalid. raw is retained, not copied.
func Parse(raw []byte, bo binary.ByteOrder) (*Spec, error) {
	return parse(raw, bo, nil)
}

// ParseSplit indexes split BTF raw on top of base, as the kernel exposes
// a module's types in /sys/kernel/btf/<module> on top of vmlinux's: the
// first type id of raw is base.NumTypes()+1, and a string offset at or
// past the length of base's string section refers to raw's strings
// (smaller ones to base's). The returned Spec resolves the ids and string
// offsets of both; its NumTypes counts both. raw must be in base's byte
// order. Errors wrap ErrInvalid.
func ParseSplit(raw []byte, bo binary.ByteOrder, base *Spec) (*Spec, error) {
	if base == nil {
		return nil, fmt.Errorf("%w: split BTF without a base", ErrInvalid)
	}
	if !sameOrder(bo, base.bo) {
		return nil, fmt.Errorf("%w: split BTF in byte order %s on a base in %s", ErrInvalid, bo, base.bo)
	}
	return parse(raw, bo, base)
}

func parse(raw []byte, bo binary.ByteOrder, base *Spec) (*Spec, error) {
	if len(raw) < headerLen {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the header", ErrInvalid, len(raw))
	}
	if m := bo.Uint16(raw); m != Magic {
		return nil, fmt.Errorf("%w: magic %#04x (byte order %s?)", ErrInvalid, m, bo)
	}
	if raw[2] != 1 {
		return nil, fmt.Errorf("%w: version %d", ErrInvalid, raw[2])
	}
	hdrLen := bo.Uint32(raw[4:])
	typeOff, typeLen := bo.Uint32(raw[8:]), bo.Uint32(raw[12:])
	strOff, strLen := bo.Uint32(raw[16:]), bo.Uint32(raw[20:])
	if hdrLen < headerLen || uint64(hdrLen) > uint64(len(raw)) {
		return nil, fmt.Errorf("%w: header length %d", ErrInvalid, hdrLen)
	}
	body := raw[hdrLen:]
	in := func(off, n uint32) bool { return uint64(off)+uint64(n) <= uint64(len(body)) }
	if !in(typeOff, typeLen) || !in(strOff, strLen) {
		return nil, fmt.Errorf("%w: type section [%d,+%d) or string section [%d,+%d) outside the %d bytes of data", ErrInvalid, typeOff, typeLen, strOff, strLen, len(body))
	}
	s := &Spec{raw: raw, bo: bo, hdrLen: hdrLen, types: body[typeOff : typeOff+typeLen], strings: body[strOff : strOff+strLen], base: base, firstID: 1}
	s.le = sameOrder(bo, binary.LittleEndian)
	if base != nil {
		n := uint64(base.NumTypes()) + 1
		sb := uint64(base.strBase) + uint64(len(base.strings))
		if n+uint64(len(s.types)/12) >= 1<<31 || sb+uint64(len(s.strings)) >= 1<<32 {
			return nil, fmt.Errorf("%w: split BTF: too many types or strings", ErrInvalid)
		}
		s.firstID, s.strBase = TypeID(n), uint32(sb)
	} else if strLen > 0 && s.strings[0] != 0 {
		return nil, fmt.Errorf("%w: string section does not start with NUL", ErrInvalid)
	}
	s.offs = make([]uint32, 1, 1+len(s.types)/24)
	types := s.types
	for off := 0; off < len(types); {
		if len(types)-off < 12 {
			return nil, fmt.Errorf("%w: type %d: truncated header at offset %d", ErrInvalid, s.localID(len(s.offs)), off)
		}
		hdr := types[off : off+12]
		info := s.u32(hdr[4:])
		kind, vlen := Kind(info>>24&0x1f), int(info&0xffff)
		var extra int
		switch kind {
		case KindInt, KindVar, KindDeclTag:
			extra = 4
		case KindPointer, KindForward, KindTypedef, KindVolatile, KindConst, KindRestrict, KindFunc, KindFloat, KindTypeTag:
		case KindArray:
			extra = 12
		case KindStruct, KindUnion, KindDatasec, KindEnum64:
			extra = 12 * vlen
		case KindEnum, KindFuncProt:
			extra = 8 * vlen
		default:
			return nil, fmt.Errorf("%w: type %d: unknown kind %d", ErrInvalid, s.localID(len(s.offs)), kind)
		}
		if len(types)-off-12 < extra {
			return nil, fmt.Errorf("%w: type %d (%s): %d bytes of members past the end of the type section", ErrInvalid, s.localID(len(s.offs)), kind, extra)
		}
		if s.u32(hdr) != 0 {
			s.named++
		}
		s.offs = append(s.offs, uint32(off))
		off += 12 + extra
	}
	if uint64(s.firstID)+uint64(len(s.offs)) >= 1<<31 {
		return nil, fmt.Errorf("%w: %d types", ErrInvalid, len(s.offs))
	}
	return s, nil
}

// u32 reads a word in s's byte order without the interface call of bo.
func (s *Spec) u32(b []byte) uint32 {
	if s.le {
		return binary.LittleEndian.Uint32(b)
	}
	return binary.BigEndian.Uint32(b)
}

// localID returns the TypeID of local type i.
func (s *Spec) localID(i int) TypeID { return s.firstID + TypeID(i) - 1 }

// Base returns the Spec a split Spec is on, nil for stand-alone BTF.
func (s *Spec) Base() *Spec { return s.base }

// FirstID returns the first type id of s's own types: 1 for stand-alone
// BTF, the base's NumTypes()+1 for split BTF.
func (s *Spec) FirstID() TypeID { return s.firstID }

// StringBase returns the offset of s's own string section in the string
// offsets its types use: 0 for stand-alone BTF, the total length of the
// base's strings for split BTF.
func (s *Spec) StringBase() uint32 { return s.strBase }

// Raw returns the BTF s was parsed from (for split BTF, only the split
// part). It aliases s's data and must not be modified.
func (s *Spec) Raw() []byte { return s.raw }

// Marshal returns s's own BTF (for split BTF, only the split part) in
// byte order bo, with a 24-byte header followed by the type and the
// string sections.
func (s *Spec) Marshal(bo binary.ByteOrder) []byte {
	return AppendBTF(make([]byte, 0, headerLen+len(s.types)+len(s.strings)), bo, s.bo, s.types, s.strings)
}

// ByteOrder returns the byte order of the data.
func (s *Spec) ByteOrder() binary.ByteOrder { return s.bo }

// NumTypes returns the number of types (the largest TypeID), the base's
// included for split BTF.
func (s *Spec) NumTypes() int { return int(s.firstID) - 1 + len(s.offs) - 1 }

// String returns the NUL-terminated string at off in the string section
// (for split BTF, the base's strings then the split's). Offset 0 is "".
func (s *Spec) String(off uint32) (string, error) {
	b, err := s.StringBytes(off)
	return string(b), err
}

// Type is one decoded type header.
type Type struct {
	ID       TypeID
	Kind     Kind
	NameOff  uint32
	Vlen     int
	KindFlag bool
	// SizeOrType is the size of ints, structs, unions, enums, datasecs and
	// floats, and the referenced type of the other kinds.
	SizeOrType uint32
	data       []byte // the kind-specific data after the header
	// owner keeps the Spec whose (possibly mapped) data holds data alive.
	owner *Spec
}

// Data returns the kind-specific words after the type's header (member
// records, enum values, ...), aliasing the Spec's data: it must not be
// modified and is valid while the Spec is reachable.
func (t Type) Data() []byte { return t.data }

// owning returns the Spec holding type id (s or one of its bases) and the
// local index of id in it; ok is false for ids out of range.
func (s *Spec) owning(id TypeID) (*Spec, int, bool) {
	for o := s; o != nil; o = o.base {
		if id >= o.firstID {
			i := int(id-o.firstID) + 1
			return o, i, i < len(o.offs)
		}
	}
	return nil, 0, false
}

// Type decodes the header of type id.
func (s *Spec) Type(id TypeID) (Type, error) {
	o, i, ok := s.owning(id)
	if id == 0 || !ok {
		return Type{}, fmt.Errorf("%w: type id %d out of range (1..%d)", ErrInvalid, id, s.NumTypes())
	}
	return o.localType(i), nil
}

// localType decodes the header of local type i.
func (s *Spec) localType(i int) Type {
	off := s.offs[i]
	var end int
	if i+1 < len(s.offs) {
		end = int(s.offs[i+1])
	} else {
		end = len(s.types)
	}
	b := s.types[off:end]
	info := s.bo.Uint32(b[4:])
	return Type{
		ID: s.localID(i), Kind: Kind(info >> 24 & 0x1f), NameOff: s.bo.Uint32(b), Vlen: int(info & 0xffff),
		KindFlag: info>>31 != 0, SizeOrType: s.bo.Uint32(b[8:]), data: b[12:], owner: s,
	}
}

// Name returns the name of t.
func (s *Spec) Name(t Type) (string, error) { return s.String(t.NameOff) }

// Member is a member of a struct or union, a variable of a datasec, a
// parameter of a function prototype or a value of an enum.
type Member struct {
	NameOff uint32
	Type    TypeID
	// Offset is the bit offset of a struct member (the low 24 bits when
	// the struct's kind flag is set), the byte offset of a datasec
	// variable.
	Offset uint32
	// Size is the size of a datasec variable.
	Size uint32
}

// Member returns member i of a struct, union, datasec or function
// prototype.
func (s *Spec) Member(t Type, i int) (Member, error) {
	if i < 0 || i >= t.Vlen {
		return Member{}, fmt.Errorf("%w: member %d of a %s with %d", ErrInvalid, i, t.Kind, t.Vlen)
	}
	switch t.Kind {
	case KindStruct, KindUnion:
		b := t.data[12*i:]
		off := s.bo.Uint32(b[8:])
		if t.KindFlag {
			off &= 0xffffff
		}
		return Member{NameOff: s.bo.Uint32(b), Type: TypeID(s.bo.Uint32(b[4:])), Offset: off}, nil
	case KindDatasec:
		b := t.data[12*i:]
		return Member{Type: TypeID(s.bo.Uint32(b)), Offset: s.bo.Uint32(b[4:]), Size: s.bo.Uint32(b[8:])}, nil
	case KindFuncProt:
		b := t.data[8*i:]
		return Member{NameOff: s.bo.Uint32(b), Type: TypeID(s.bo.Uint32(b[4:]))}, nil
	}
	return Member{}, fmt.Errorf("%w: type %d is a %s, which has no members", ErrInvalid, t.ID, t.Kind)
}

// Array returns the element type and the number of elements of an array.
func (s *Spec) Array(t Type) (elem TypeID, nelems uint32, err error) {
	if t.Kind != KindArray {
		return 0, 0, fmt.Errorf("%w: type %d is a %s, not an array", ErrInvalid, t.ID, t.Kind)
	}
	return TypeID(s.bo.Uint32(t.data)), s.bo.Uint32(t.data[8:]), nil
}

// maxDepth bounds chains of typedefs, qualifiers and arrays, so a cycle
// in malformed BTF is an error rather than a hang.
const maxDepth = 32

// Skip follows typedefs and qualifiers (const, volatile, restrict,
// type tags) from id to the first other type.
func (s *Spec) Skip(id TypeID) (Type, error) {
	for range maxDepth {
		t, err := s.Type(id)
		if err != nil {
			return Type{}, err
		}
		switch t.Kind {
		case KindTypedef, KindVolatile, KindConst, KindRestrict, KindTypeTag:
			id = TypeID(t.SizeOrType)
			continue
		}
		return t, nil
	}
	return Type{}, fmt.Errorf("%w: type %d: chain of qualifiers longer than %d", ErrInvalid, id, maxDepth)
}

// Sizeof returns the size in bytes of a value of type id.
func (s *Spec) Sizeof(id TypeID) (uint32, error) {
	mult := uint64(1)
	for range maxDepth {
		t, err := s.Skip(id)
		if err != nil {
			return 0, err
		}
		switch t.Kind {
		case KindInt, KindStruct, KindUnion, KindEnum, KindEnum64, KindDatasec, KindFloat:
			n := mult * uint64(t.SizeOrType)
			if n > 1<<32-1 {
				return 0, fmt.Errorf("%w: type %d: size overflows", ErrInvalid, id)
			}
			return uint32(n), nil
		case KindPointer:
			return uint32(mult * 8), nil
		case KindArray:
			elem, n, _ := s.Array(t)
			mult *= uint64(n)
			if mult > 1<<32-1 {
				return 0, fmt.Errorf("%w: type %d: size overflows", ErrInvalid, id)
			}
			id = elem
			continue
		}
		return 0, fmt.Errorf("%w: type %d (%s) has no size", ErrInvalid, t.ID, t.Kind)
	}
	return 0, fmt.Errorf("%w: type %d: nested deeper than %d", ErrInvalid, id, maxDepth)
}

// Datasec returns the datasec named name, and false if there is none.
func (s *Spec) Datasec(name string) (Type, bool) { return s.Named(KindDatasec, name) }

// ForKernel returns a copy of the raw .BTF section ready for
// BPF_BTF_LOAD: the size of each datasec is set from sectionSize and the
// offset of each of its variables from varOffset (clang leaves both to
// the loader). Datasecs or variables the functions do not know (ok false)
// keep their values.
func (s *Spec) ForKernel(sectionSize func(name string) (uint32, bool), varOffset func(sec, name string) (uint32, bool)) ([]byte, error) {
	out := make([]byte, len(s.raw))
	copy(out, s.raw)
	typeBase := int(s.hdrLen) + int(s.bo.Uint32(s.raw[8:]))
	for id := 1; id < len(s.offs); id++ {
		t := s.localType(id)
		if t.Kind != KindDatasec {
			continue
		}
		name, err := s.String(t.NameOff)
		if err != nil {
			return nil, err
		}
		base := typeBase + int(s.offs[id])
		if size, ok := sectionSize(name); ok {
			s.bo.PutUint32(out[base+8:], size)
		}
		for i := range t.Vlen {
			m, _ := s.Member(t, i)
			v, err := s.Type(m.Type)
			if err != nil {
				return nil, fmt.Errorf("datasec %s: %w", name, err)
			}
			vname, err := s.String(v.NameOff)
			if err != nil {
				return nil, err
			}
			if off, ok := varOffset(name, vname); ok {
				s.bo.PutUint32(out[base+12+12*i+4:], off)
			}
		}
	}
	return out, nil
}
