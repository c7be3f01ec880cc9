package btf

import "encoding/binary"

// Builder assembles raw BTF in host byte order: tests use it to make
// types the kernel accepts (BPF_BTF_LOAD) or that exercise a parser.
// Type ids are given out in order from 1.
type Builder struct {
	types []byte
	strs  []byte
	n     TypeID
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder { return &Builder{strs: []byte{0}} }

// String adds s to the string section and returns its offset ("" is 0).
func (b *Builder) String(s string) uint32 {
	if s == "" {
		return 0
	}
	off := uint32(len(b.strs))
	b.strs = append(append(b.strs, s...), 0)
	return off
}

// Raw adds a type record: the 12-byte header and the kind-specific words.
func (b *Builder) Raw(kind Kind, name string, vlen int, kindFlag bool, sizeOrType uint32, words ...uint32) TypeID {
	info := uint32(kind)<<24 | uint32(vlen)&0xffff
	if kindFlag {
		info |= 1 << 31
	}
	ne := binary.NativeEndian
	b.types = ne.AppendUint32(b.types, b.String(name))
	b.types = ne.AppendUint32(b.types, info)
	b.types = ne.AppendUint32(b.types, sizeOrType)
	for _, w := range words {
		b.types = ne.AppendUint32(b.types, w)
	}
	b.n++
	return b.n
}

// Int adds an integer of size bytes with the given encoding (IntSigned,
// IntChar, IntBool or 0) and number of bits.
func (b *Builder) Int(name string, size uint32, encoding uint8, bits uint8) TypeID {
	return b.Raw(KindInt, name, 0, false, size, uint32(encoding)<<24|uint32(bits))
}

// Ref adds a type of a kind that only refers to another: pointer,
// typedef, volatile, const, restrict, type tag.
func (b *Builder) Ref(kind Kind, name string, to TypeID) TypeID {
	return b.Raw(kind, name, 0, false, uint32(to))
}

// Array adds an array of n elem indexed by index (an int type).
func (b *Builder) Array(elem, index TypeID, n uint32) TypeID {
	return b.Raw(KindArray, "", 0, false, 0, uint32(elem), uint32(index), n)
}

// BuilderMember is a struct or union member for Builder.
type BuilderMember struct {
	Name   string
	Type   TypeID
	BitOff uint32
	// Bits is the bitfield size, 0 for a whole member.
	Bits uint32
}

// Struct adds a struct (or, with union, a union) of size bytes. The kind
// flag is set when a member is a bitfield.
func (b *Builder) Struct(union bool, name string, size uint32, members ...BuilderMember) TypeID {
	kf := false
	for _, m := range members {
		kf = kf || m.Bits != 0
	}
	var words []uint32
	for _, m := range members {
		off := m.BitOff
		if kf {
			off |= m.Bits << 24
		}
		words = append(words, b.String(m.Name), uint32(m.Type), off)
	}
	kind := KindStruct
	if union {
		kind = KindUnion
	}
	return b.Raw(kind, name, len(members), kf, size, words...)
}

// BuilderEnumValue is an enumerator for Builder.
type BuilderEnumValue struct {
	Name  string
	Value int64
}

// Enum adds an enum of size bytes (an enum64 when size is 8).
func (b *Builder) Enum(name string, size uint32, signed bool, values ...BuilderEnumValue) TypeID {
	var words []uint32
	for _, v := range values {
		words = append(words, b.String(v.Name), uint32(v.Value))
		if size == 8 {
			words = append(words, uint32(uint64(v.Value)>>32))
		}
	}
	kind := KindEnum
	if size == 8 {
		kind = KindEnum64
	}
	return b.Raw(kind, name, len(values), signed, size, words...)
}

// Var adds a global variable of type typ.
func (b *Builder) Var(name string, typ TypeID) TypeID {
	return b.Raw(KindVar, name, 0, false, uint32(typ), 1)
}

// BuilderVar is a datasec entry for Builder.
type BuilderVar struct {
	Var          TypeID
	Offset, Size uint32
}

// Datasec adds a data section of size bytes.
func (b *Builder) Datasec(name string, size uint32, vars ...BuilderVar) TypeID {
	var words []uint32
	for _, v := range vars {
		words = append(words, uint32(v.Var), v.Offset, v.Size)
	}
	return b.Raw(KindDatasec, name, len(vars), false, size, words...)
}

// Bytes returns the raw BTF: header, types, strings.
func (b *Builder) Bytes() []byte {
	ne := binary.NativeEndian
	out := ne.AppendUint16(nil, Magic)
	out = append(out, 1, 0)
	out = ne.AppendUint32(out, headerLen)
	out = ne.AppendUint32(out, 0)
	out = ne.AppendUint32(out, uint32(len(b.types)))
	out = ne.AppendUint32(out, uint32(len(b.types)))
	out = ne.AppendUint32(out, uint32(len(b.strs)))
	out = append(out, b.types...)
	return append(out, b.strs...)
}
