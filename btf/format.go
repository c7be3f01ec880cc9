package btf

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"

	ib "github.com/purebpf/bpf/internal/btf"
)

// FormatOptions selects between the renderings of bpftool's BTF dumper.
// The zero value is the compact JSON of "bpftool -j map dump" (the
// "formatted" member).
type FormatOptions struct {
	// Plain selects the spellings of bpftool's plain-text dumps instead of
	// its JSON ones: pointers as C's %p ("0x7f..." or "(nil)") instead of
	// decimal numbers, bitfields and 128-bit integers as bare hexadecimal
	// numbers instead of quoted "0x..." strings, unprintable chars as bare
	// 0x.. numbers. Plain output is then not always valid JSON.
	Plain bool
	// Pretty lays the value out as bpftool's plain dumps do: every struct
	// member on a new line indented four spaces per nesting level, the
	// closing bracket of a non-empty object or array on a line of its
	// own, array elements on the line of their predecessor.
	Pretty bool
	// Depth is the nesting level at which the value starts in the
	// enclosing document, for Pretty: the members of a struct value are
	// indented 4*(Depth+1) spaces, its closing brace 4*Depth.
	Depth int
}

// Format writes data, a value of type typeID, to w as JSON the way
// bpftool's BTF dumper does in its JSON output (FormatWithOptions with
// zero options):
//
//   - integers as decimal numbers, signed or unsigned as their encoding
//     says; bool as true or false; chars (encoding char) as one-letter
//     strings; bitfields, 128-bit integers and integers of other widths as
//     "0x..." strings
//   - arrays of char holding a NUL-terminated printable string as a string,
//     other arrays as JSON arrays
//   - structs and unions as objects of their members (every member of a
//     union, each read from the start of the value; anonymous members
//     under the name "")
//   - enums as the name of the matching value, or the number when none
//     matches
//   - typedefs and qualifiers resolved; pointers as numbers
//   - a datasec as {"name": [{"var": value}, ...]}
//   - floats as numbers (bpftool cannot format them)
//
// data must hold at least the type's size in bytes (more is ignored).
// Types without a value (void, functions, forward declarations) and
// malformed BTF are errors.
func (s *Spec) Format(w io.Writer, typeID TypeID, data []byte) error {
	return s.FormatWithOptions(w, typeID, data, FormatOptions{})
}

// FormatWithOptions is Format with the rendering chosen by opts.
func (s *Spec) FormatWithOptions(w io.Writer, typeID TypeID, data []byte, opts FormatOptions) error {
	b, err := s.AppendFormat(nil, typeID, data, opts)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// AppendFormat appends the formatted value to dst and returns the
// extended buffer (see Format and FormatOptions). It allocates only to
// grow dst. On error dst is returned unchanged.
func (s *Spec) AppendFormat(dst []byte, typeID TypeID, data []byte, opts FormatOptions) ([]byte, error) {
	size, err := s.s.Sizeof(ib.TypeID(typeID))
	if err != nil {
		return dst, fmt.Errorf("btf: format type %d: %w", typeID, err)
	}
	if uint64(len(data)) < uint64(size) {
		return dst, fmt.Errorf("btf: format %s: %d bytes of data, the type needs %d", s.TypeName(typeID), len(data), size)
	}
	f := formatter{s: s.s, opts: opts, b: dst, budget: maxValues + 8*int(size)}
	if err := f.value(ib.TypeID(typeID), 0, data, opts.Depth, 0); err != nil {
		return dst, fmt.Errorf("btf: format %s: %w", s.TypeName(typeID), err)
	}
	return f.b, nil
}

// maxNest bounds the nesting of formatted values (a struct containing
// itself in malformed BTF must not recurse forever).
const maxNest = 64

// maxValues (plus 8 per byte of the type's size: one per bitfield bit)
// bounds the number of values one Format writes: malformed BTF can describe types of a few bytes with
// exponentially many members (a struct of size 0 whose members are that
// struct) or arrays of billions of empty elements.
const maxValues = 1 << 12

type formatter struct {
	s      *ib.Spec
	opts   FormatOptions
	b      []byte
	budget int // values left to write
}

var errShort = fmt.Errorf("%w: member or element beyond the end of the data", ErrInvalid)

func (f *formatter) eol(depth int) {
	if !f.opts.Pretty {
		return
	}
	f.b = append(f.b, '\n')
	for range depth {
		f.b = append(f.b, "    "...)
	}
}

// name writes a member name at depth (the depth inside the object).
func (f *formatter) name(name []byte, depth int) {
	f.eol(depth)
	f.b = appendJSONString(f.b, name)
	f.b = append(f.b, ':')
	if f.opts.Pretty {
		f.b = append(f.b, ' ')
	}
}

// close ends an object or array begun at depth.
func (f *formatter) close(c byte, depth int, empty bool) {
	if !empty {
		f.eol(depth)
	}
	f.b = append(f.b, c)
}

func (f *formatter) value(id ib.TypeID, bitOff uint32, data []byte, depth, nest int) error {
	if nest > maxNest {
		return fmt.Errorf("%w: values nested deeper than %d", ErrInvalid, maxNest)
	}
	if f.budget--; f.budget < 0 {
		return fmt.Errorf("%w: more values than the data can hold", ErrInvalid)
	}
	var t ib.Type
	for i := 0; ; i++ {
		var err error
		if t, err = f.s.Type(id); err != nil {
			return err
		}
		switch t.Kind {
		case ib.KindTypedef, ib.KindVolatile, ib.KindConst, ib.KindRestrict, ib.KindTypeTag:
			if i > maxNest {
				return fmt.Errorf("%w: type %d: chain of typedefs and qualifiers too long", ErrInvalid, id)
			}
			id = ib.TypeID(t.SizeOrType)
			continue
		}
		break
	}
	switch t.Kind {
	case ib.KindInt:
		return f.int(t, bitOff, data)
	case ib.KindPointer:
		if len(data) < 8 {
			return errShort
		}
		v := f.s.ByteOrder().Uint64(data)
		switch {
		case !f.opts.Plain:
			f.b = strconv.AppendUint(f.b, v, 10)
		case v == 0:
			f.b = append(f.b, "(nil)"...)
		default:
			f.b = strconv.AppendUint(append(f.b, "0x"...), v, 16)
		}
		return nil
	case ib.KindArray:
		return f.array(t, data, depth, nest)
	case ib.KindStruct, ib.KindUnion:
		f.b = append(f.b, '{')
		for i := range t.Vlen {
			m, err := f.s.Member(t, i)
			if err != nil {
				return err
			}
			name, err := f.s.StringBytes(m.NameOff)
			if err != nil {
				return err
			}
			if i > 0 {
				f.b = append(f.b, ',')
			}
			f.name(name, depth+1)
			off := m.Offset / 8
			if uint64(off) > uint64(len(data)) {
				return errShort
			}
			if bf := f.s.BitfieldSize(t, i); bf != 0 {
				if err := f.bitfield(bf, m.Offset%8, data[off:]); err != nil {
					return err
				}
				continue
			}
			if err := f.value(m.Type, m.Offset%8, data[off:], depth+1, nest+1); err != nil {
				return err
			}
		}
		f.close('}', depth, t.Vlen == 0)
		return nil
	case ib.KindEnum, ib.KindEnum64:
		return f.enum(t, data)
	case ib.KindVar:
		name, err := f.s.StringBytes(t.NameOff)
		if err != nil {
			return err
		}
		f.b = append(f.b, '{')
		f.name(name, depth+1)
		if err := f.value(ib.TypeID(t.SizeOrType), 0, data, depth+1, nest+1); err != nil {
			return err
		}
		f.close('}', depth, false)
		return nil
	case ib.KindDatasec:
		name, err := f.s.StringBytes(t.NameOff)
		if err != nil {
			return err
		}
		f.b = append(f.b, '{')
		f.name(name, depth+1)
		f.b = append(f.b, '[')
		for i := range t.Vlen {
			m, err := f.s.Member(t, i)
			if err != nil {
				return err
			}
			if i > 0 {
				f.b = append(f.b, ',')
			}
			if uint64(m.Offset) > uint64(len(data)) {
				return errShort
			}
			if err := f.value(m.Type, 0, data[m.Offset:], depth+2, nest+1); err != nil {
				return err
			}
		}
		f.close(']', depth+1, t.Vlen == 0)
		f.close('}', depth, false)
		return nil
	case ib.KindFloat:
		return f.float(t, data)
	}
	return fmt.Errorf("%w: type %d is a %s, which has no value", ErrInvalid, t.ID, t.Kind)
}

func (f *formatter) array(t ib.Type, data []byte, depth, nest int) error {
	elem, n, err := f.s.Array(t)
	if err != nil {
		return err
	}
	if f.isString(elem, n, data) {
		i := 0
		for data[i] != 0 {
			i++
		}
		f.b = appendJSONString(f.b, data[:i])
		return nil
	}
	size, err := f.s.Sizeof(elem)
	if err != nil {
		return err
	}
	if uint64(size)*uint64(n) > uint64(len(data)) {
		return errShort
	}
	f.b = append(f.b, '[')
	for i := range n {
		if i > 0 {
			f.b = append(f.b, ',')
		}
		if err := f.value(elem, 0, data[i*size:], depth+1, nest+1); err != nil {
			return err
		}
	}
	f.close(']', depth, n == 0)
	return nil
}

// isString tells whether an array of n elem is printed as a string: its
// element is a one-byte int named "char" or encoded as a char
// (qualifiers skipped, typedefs not), and data holds a NUL within the n
// bytes, preceded by printable ASCII only.
func (f *formatter) isString(elem ib.TypeID, n uint32, data []byte) bool {
	if n == 0 {
		return false
	}
	var t ib.Type
	for i := 0; ; i++ {
		var err error
		if t, err = f.s.Type(elem); err != nil || i > maxNest {
			return false
		}
		if t.Kind == ib.KindConst || t.Kind == ib.KindVolatile || t.Kind == ib.KindRestrict || t.Kind == ib.KindTypeTag {
			elem = ib.TypeID(t.SizeOrType)
			continue
		}
		break
	}
	if t.Kind != ib.KindInt || t.SizeOrType != 1 {
		return false
	}
	if ii, _ := f.s.Int(t); ii.Encoding != ib.IntChar {
		if name, _ := f.s.StringBytes(t.NameOff); string(name) != "char" {
			return false
		}
	}
	for i := 0; i < int(n) && i < len(data); i++ {
		switch c := data[i]; {
		case c == 0:
			return true
		case c <= 0x1f || c >= 0x7f:
			return false
		}
	}
	return false
}

func (f *formatter) int(t ib.Type, bitOff uint32, data []byte) error {
	ii, err := f.s.Int(t)
	if err != nil {
		return err
	}
	bits := uint32(ii.Bits)
	if bitOff != 0 || ii.Offset != 0 || bits%8 != 0 {
		total := bitOff + uint32(ii.Offset)
		if uint64(total/8) > uint64(len(data)) {
			return errShort
		}
		return f.bitfield(bits, total%8, data[total/8:])
	}
	if uint64(bits/8) > uint64(len(data)) {
		return errShort
	}
	bo := f.s.ByteOrder()
	if bits == 128 {
		lo, hi := bo.Uint64(data), bo.Uint64(data[8:])
		if bo == binary.BigEndian {
			lo, hi = hi, lo
		}
		f.hex128(lo, hi)
		return nil
	}
	switch ii.Encoding {
	case 0, ib.IntSigned:
		var v uint64
		switch bits {
		case 8:
			v = uint64(data[0])
		case 16:
			v = uint64(bo.Uint16(data))
		case 32:
			v = uint64(bo.Uint32(data))
		case 64:
			v = bo.Uint64(data)
		default:
			return f.bitfield(bits, 0, data)
		}
		if ii.Encoding == 0 {
			f.b = strconv.AppendUint(f.b, v, 10)
			return nil
		}
		sh := 64 - bits
		f.b = strconv.AppendInt(f.b, int64(v<<sh)>>sh, 10)
		return nil
	case ib.IntChar:
		c := data[0]
		switch {
		case c >= 0x20 && c < 0x7f:
			f.b = appendJSONString(f.b, data[:1])
		case f.opts.Plain:
			f.b = strconv.AppendUint(append(f.b, "0x"...), uint64(c), 16)
		default:
			f.b = append(f.b, `"\u00`...)
			f.b = append(f.b, hexDigits[c>>4], hexDigits[c&15], '"')
		}
		return nil
	case ib.IntBool:
		f.b = strconv.AppendBool(f.b, data[0] != 0)
		return nil
	}
	return fmt.Errorf("%w: int type %d has encoding %#x", ErrInvalid, t.ID, ii.Encoding)
}

const hexDigits = "0123456789abcdef"

// bitfield writes the bits bits starting bitOff (< 8) bits into data, as
// bpftool does: a hexadecimal number (a "0x..." string in JSON).
func (f *formatter) bitfield(bits, bitOff uint32, data []byte) error {
	if bits == 0 || bits > 128 {
		return fmt.Errorf("%w: bitfield of %d bits", ErrInvalid, bits)
	}
	n := (bitOff + bits + 7) / 8
	if n > 16 {
		return fmt.Errorf("%w: bitfield of %d bits at bit %d spans more than 16 bytes", ErrInvalid, bits, bitOff)
	}
	if uint64(n) > uint64(len(data)) {
		return errShort
	}
	var lo, hi uint64
	var shift uint32
	if f.s.ByteOrder() == binary.BigEndian {
		for _, c := range data[:n] {
			hi = hi<<8 | lo>>56
			lo = lo<<8 | uint64(c)
		}
		shift = n*8 - bitOff - bits
	} else {
		for i := int(n) - 1; i >= 0; i-- {
			hi = hi<<8 | lo>>56
			lo = lo<<8 | uint64(data[i])
		}
		shift = bitOff
	}
	// Shift right, then keep the low bits.
	if shift >= 64 {
		lo, hi = hi>>(shift-64), 0
	} else if shift > 0 {
		lo, hi = lo>>shift|hi<<(64-shift), hi>>shift
	}
	switch {
	case bits < 64:
		lo, hi = lo&(1<<bits-1), 0
	case bits == 64:
		hi = 0
	case bits < 128:
		hi &= 1<<(bits-64) - 1
	}
	f.hex128(lo, hi)
	return nil
}

func (f *formatter) hex128(lo, hi uint64) {
	if !f.opts.Plain {
		f.b = append(f.b, '"')
	}
	f.b = append(f.b, "0x"...)
	if hi != 0 {
		f.b = strconv.AppendUint(f.b, hi, 16)
		var tmp [16]byte
		s := strconv.AppendUint(tmp[:0], lo, 16)
		for range 16 - len(s) {
			f.b = append(f.b, '0')
		}
		f.b = append(f.b, s...)
	} else {
		f.b = strconv.AppendUint(f.b, lo, 16)
	}
	if !f.opts.Plain {
		f.b = append(f.b, '"')
	}
}

func (f *formatter) enum(t ib.Type, data []byte) error {
	size := t.SizeOrType
	if uint64(size) > uint64(len(data)) {
		return errShort
	}
	bo := f.s.ByteOrder()
	var v int64
	switch size {
	case 1:
		v = int64(int8(data[0]))
	case 2:
		v = int64(int16(bo.Uint16(data)))
	case 4:
		v = int64(int32(bo.Uint32(data)))
	case 8:
		v = int64(bo.Uint64(data))
	default:
		return fmt.Errorf("%w: enum type %d of %d bytes", ErrInvalid, t.ID, size)
	}
	for i := range t.Vlen {
		nameOff, ev, err := f.s.EnumValue(t, i)
		if err != nil {
			return err
		}
		if t.Kind == ib.KindEnum64 && size != 8 {
			// bpftool compares the 64 bits it read; so do we.
			ev = int64(uint64(ev))
		}
		if ev == v {
			name, err := f.s.StringBytes(nameOff)
			if err != nil {
				return err
			}
			f.b = appendJSONString(f.b, name)
			return nil
		}
	}
	f.b = strconv.AppendInt(f.b, v, 10)
	return nil
}

func (f *formatter) float(t ib.Type, data []byte) error {
	bo := f.s.ByteOrder()
	var v float64
	var bits int
	switch t.SizeOrType {
	case 4:
		if len(data) < 4 {
			return errShort
		}
		v, bits = float64(math.Float32frombits(bo.Uint32(data))), 32
	case 8:
		if len(data) < 8 {
			return errShort
		}
		v, bits = math.Float64frombits(bo.Uint64(data)), 64
	default:
		return fmt.Errorf("%w: float type %d of %d bytes", ErrInvalid, t.ID, t.SizeOrType)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		f.b = strconv.AppendQuote(f.b, strconv.FormatFloat(v, 'g', -1, bits))
		return nil
	}
	f.b = strconv.AppendFloat(f.b, v, 'g', -1, bits)
	return nil
}

// appendJSONString quotes s as bpftool's JSON writer does (escaping tab,
// newline, carriage return, form feed, backspace, backslash and double
// quote), escaping other control bytes as \u00XX to stay valid JSON.
func appendJSONString(b, s []byte) []byte {
	b = append(b, '"')
	for _, c := range s {
		switch c {
		case '\t':
			b = append(b, `\t`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\f':
			b = append(b, `\f`...)
		case '\b':
			b = append(b, `\b`...)
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		default:
			if c < 0x20 {
				b = append(b, `\u00`...)
				b = append(b, hexDigits[c>>4], hexDigits[c&15])
				continue
			}
			b = append(b, c)
		}
	}
	return append(b, '"')
}
