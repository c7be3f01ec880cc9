package btf

import (
	"bytes"
	"fmt"
)

// Int encodings (BTF_INT_*), the bits of IntInfo.Encoding.
const (
	IntSigned = 1 << 0
	IntChar   = 1 << 1
	IntBool   = 1 << 2
)

// IntInfo is the kind-specific word of an int: its encoding, the bit
// offset of the value within the int's bytes and its number of bits.
type IntInfo struct {
	Encoding uint8
	Offset   uint8
	Bits     uint8
}

// Int decodes the encoding word of an int type.
func (s *Spec) Int(t Type) (IntInfo, error) {
	if t.Kind != KindInt || len(t.data) < 4 {
		return IntInfo{}, fmt.Errorf("%w: type %d is a %s, not an int", ErrInvalid, t.ID, t.Kind)
	}
	v := s.bo.Uint32(t.data)
	return IntInfo{Encoding: uint8(v >> 24 & 0x0f), Offset: uint8(v >> 16), Bits: uint8(v)}, nil
}

// BitfieldSize returns the bitfield size of member i of a struct or union
// whose kind flag is set (0: not a bitfield, the member's type gives the
// size), and 0 for other types.
func (s *Spec) BitfieldSize(t Type, i int) uint32 {
	if !t.KindFlag || (t.Kind != KindStruct && t.Kind != KindUnion) || i < 0 || i >= t.Vlen {
		return 0
	}
	return s.bo.Uint32(t.data[12*i+8:]) >> 24
}

// EnumValue returns the name offset and value of value i of an enum or
// enum64. Values of 32-bit enums are sign-extended, as they are stored.
func (s *Spec) EnumValue(t Type, i int) (nameOff uint32, value int64, err error) {
	if i < 0 || i >= t.Vlen {
		return 0, 0, fmt.Errorf("%w: value %d of a %s with %d", ErrInvalid, i, t.Kind, t.Vlen)
	}
	switch t.Kind {
	case KindEnum:
		b := t.data[8*i:]
		return s.bo.Uint32(b), int64(int32(s.bo.Uint32(b[4:]))), nil
	case KindEnum64:
		b := t.data[12*i:]
		return s.bo.Uint32(b), int64(uint64(s.bo.Uint32(b[8:]))<<32 | uint64(s.bo.Uint32(b[4:]))), nil
	}
	return 0, 0, fmt.Errorf("%w: type %d is a %s, not an enum", ErrInvalid, t.ID, t.Kind)
}

// StringBytes is String without the copy: the bytes of the NUL-terminated
// string at off, aliasing the string section (valid while s is
// reachable; they must not be modified).
func (s *Spec) StringBytes(off uint32) ([]byte, error) {
	if off == 0 {
		return nil, nil
	}
	o := s
	for o.base != nil && off < o.strBase {
		o = o.base
	}
	local := off - o.strBase
	if uint64(local) >= uint64(len(o.strings)) {
		return nil, fmt.Errorf("%w: string offset %d outside the %d-byte string section", ErrInvalid, off, uint64(o.strBase)+uint64(len(o.strings)))
	}
	b := o.strings[local:]
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i:i], nil
	}
	return nil, fmt.Errorf("%w: string at offset %d is not NUL-terminated", ErrInvalid, off)
}
