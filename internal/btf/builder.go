package btf

import "encoding/binary"

// Builder assembles raw BTF (host byte order by Bytes, either by
// BytesIn): tests use it to make types the kernel accepts (BPF_BTF_LOAD)
// or that exercise a parser. Type ids are given out in order from 1, or
// for split BTF (NewSplitBuilder) from the base's NumTypes()+1.
type Builder struct {
	types   []byte
	strs    []byte
	n       TypeID
	strBase uint32
	seen    map[string]uint32
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder { return &Builder{strs: []byte{0}} }

// NewSplitBuilder returns an empty Builder of split BTF on top of base:
// its first type id is base.NumTypes()+1 and its string offsets start
// after base's strings (types may refer to base's types by id; names are
// always added to the split's own strings).
func NewSplitBuilder(base *Spec) *Builder {
	return &Builder{n: TypeID(base.NumTypes()), strBase: base.strBase + uint32(len(base.strings))}
}

// String adds s to the string section (once: equal strings share an
// offset) and returns its offset ("" is 0).
func (b *Builder) String(s string) uint32 {
	if s == "" {
		return 0
	}
	if off, ok := b.seen[s]; ok {
		return off
	}
	if b.seen == nil {
		b.seen = map[string]uint32{}
	}
	off := b.strBase + uint32(len(b.strs))
	b.strs = append(append(b.strs, s...), 0)
	b.seen[s] = off
	return off
}

// NextID returns the id the next type added will get.
func (b *Builder) NextID() TypeID { return b.n + 1 }

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

// Fwd adds a forward declaration of a struct (or, with union, a union).
func (b *Builder) Fwd(name string, union bool) TypeID {
	return b.Raw(KindForward, name, 0, union, 0)
}

// Float adds a floating-point type of size bytes.
func (b *Builder) Float(name string, size uint32) TypeID {
	return b.Raw(KindFloat, name, 0, false, size)
}

// Func linkages (BTF_FUNC_*), the vlen of a func.
const (
	LinkageStatic = 0
	LinkageGlobal = 1
	LinkageExtern = 2
)

// Func adds a function of prototype proto with the given linkage.
func (b *Builder) Func(name string, proto TypeID, linkage int) TypeID {
	return b.Raw(KindFunc, name, linkage, false, uint32(proto))
}

// BuilderParam is a function prototype parameter for Builder.
type BuilderParam struct {
	Name string
	Type TypeID
}

// FuncProto adds a function prototype returning ret (0: void). A
// variadic prototype ends with a parameter of type 0 and no name.
func (b *Builder) FuncProto(ret TypeID, params ...BuilderParam) TypeID {
	var words []uint32
	for _, p := range params {
		words = append(words, b.String(p.Name), uint32(p.Type))
	}
	return b.Raw(KindFuncProt, "", len(params), false, uint32(ret), words...)
}

// VarLinkage adds a variable of type typ with the given linkage
// (LinkageStatic, LinkageGlobal or LinkageExtern).
func (b *Builder) VarLinkage(name string, typ TypeID, linkage uint32) TypeID {
	return b.Raw(KindVar, name, 0, false, uint32(typ), linkage)
}

// DeclTag adds the declaration tag value on type to (or, with component
// >= 0, on its member or parameter of that index).
func (b *Builder) DeclTag(value string, to TypeID, component int32) TypeID {
	return b.Raw(KindDeclTag, value, 0, false, uint32(to), uint32(component))
}

// Bytes returns the raw BTF in host byte order: header, types, strings.
func (b *Builder) Bytes() []byte { return b.BytesIn(binary.NativeEndian) }

// BytesIn returns the raw BTF in byte order bo.
func (b *Builder) BytesIn(bo binary.ByteOrder) []byte {
	return AppendBTF(nil, bo, binary.NativeEndian, b.types, b.strs)
}

// AppendBTF appends to dst raw BTF in byte order bo (a 24-byte header,
// the type section, the string section) made of types, a type section in
// byte order from, and strings. The type section is all 32-bit words, so
// changing its byte order swaps every word.
func AppendBTF(dst []byte, bo, from binary.ByteOrder, types, strs []byte) []byte {
	var hdr [headerLen]byte
	bo.PutUint16(hdr[:], Magic)
	hdr[2] = 1
	bo.PutUint32(hdr[4:], headerLen)
	bo.PutUint32(hdr[12:], uint32(len(types)))
	bo.PutUint32(hdr[16:], uint32(len(types)))
	bo.PutUint32(hdr[20:], uint32(len(strs)))
	dst = append(dst, hdr[:]...)
	if sameOrder(bo, from) {
		return append(append(dst, types...), strs...)
	}
	var w [4]byte
	for i := 0; i+4 <= len(types); i += 4 {
		bo.PutUint32(w[:], from.Uint32(types[i:]))
		dst = append(dst, w[:]...)
	}
	return append(dst, strs...)
}

func sameOrder(a, b binary.ByteOrder) bool {
	return a.Uint16([]byte{1, 2}) == b.Uint16([]byte{1, 2})
}
