package main

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/maps"
)

// parseBytes reads the bytes of a key or value from words, up to (not
// including) the first word in stop. Accepted forms, mixable:
//
//	0x01 1 001     one byte per word, C notation (hex, decimal, octal) as bpftool
//	hex 01 ff      after "hex", one hexadecimal byte per word
//	hex:0100ff     any number of bytes in one word
//	u32:17         a little-endian (host order) integer: u8 u16 u32 u64 i8 i16 i32 i64
func parseBytes(words []string, stop ...string) ([]byte, []string, error) {
	var b []byte
	hexMode := false
	i := 0
	for ; i < len(words); i++ {
		w := words[i]
		if contains(stop, w) {
			break
		}
		if w == "hex" {
			hexMode = true
			continue
		}
		if rest, ok := strings.CutPrefix(w, "hex:"); ok {
			rest = strings.NewReplacer(" ", "", ":", "", "_", "").Replace(rest)
			v, err := hex.DecodeString(rest)
			if err != nil {
				return nil, nil, usagef("%q: not hexadecimal bytes", w)
			}
			b = append(b, v...)
			continue
		}
		if typ, num, ok := strings.Cut(w, ":"); ok {
			v, err := appendTyped(b, typ, num)
			if err != nil {
				return nil, nil, err
			}
			b = v
			continue
		}
		base := 0
		if hexMode {
			base = 16
		}
		v, err := strconv.ParseUint(w, base, 8)
		if err != nil {
			return nil, nil, usagef("%q: not a byte (0-255; use hex:... or u32:... for longer values)", w)
		}
		b = append(b, byte(v))
	}
	return b, words[i:], nil
}

func appendTyped(b []byte, typ, num string) ([]byte, error) {
	var bits int
	signed := false
	switch typ {
	case "u8", "u16", "u32", "u64":
		bits, _ = strconv.Atoi(typ[1:])
	case "i8", "i16", "i32", "i64", "s8", "s16", "s32", "s64":
		bits, _ = strconv.Atoi(typ[1:])
		signed = true
	default:
		return nil, usagef("%s:%s: unknown type %q (u8, u16, u32, u64, i8, i16, i32, i64, hex)", typ, num, typ)
	}
	var u uint64
	if signed {
		v, err := strconv.ParseInt(num, 0, bits)
		if err != nil {
			return nil, usagef("%s:%s: not a %d-bit signed number", typ, num, bits)
		}
		u = uint64(v)
	} else {
		v, err := strconv.ParseUint(num, 0, bits)
		if err != nil {
			return nil, usagef("%s:%s: not a %d-bit unsigned number", typ, num, bits)
		}
		u = v
	}
	switch bits {
	case 8:
		return append(b, byte(u)), nil
	case 16:
		return binary.NativeEndian.AppendUint16(b, uint16(u)), nil
	case 32:
		return binary.NativeEndian.AppendUint32(b, uint32(u)), nil
	}
	return binary.NativeEndian.AppendUint64(b, u), nil
}

// kvBTF formats the keys and values of a map with BTF, as bpftool does.
type kvBTF struct {
	spec           *btf.Spec
	keyID, valueID btf.TypeID // keyID 0: the key is not printed
}

// mapBTF returns the BTF formatter of a map, or nil when keys and values
// are printed in hex: the map has no BTF value type, its BTF cannot be
// read (too old a kernel, no privileges) or the types do not
// match the key and value sizes.
func mapBTF(m *maps.Map, l layout) *kvBTF {
	info, err := m.Info()
	if err != nil || info.BTF == 0 || info.ValueType == 0 {
		return nil
	}
	spec, err := btf.LoadByID(info.BTF)
	if err != nil {
		return nil
	}
	if n, err := spec.Size(info.ValueType); err != nil || int(n) != l.valueSize {
		return nil
	}
	if info.KeyType != 0 {
		if n, err := spec.Size(info.KeyType); err != nil || int(n) != l.keySize {
			return nil
		}
	}
	return &kvBTF{spec: spec, keyID: info.KeyType, valueID: info.ValueType}
}

// appendBTFName writes a member name of bpftool's JSON writer: a new
// line indented four spaces per depth when pretty.
func appendBTFName(b []byte, name string, depth int, pretty bool) []byte {
	if pretty {
		b = append(b, '\n')
		for range depth {
			b = append(b, "    "...)
		}
	}
	b = append(append(append(b, '"'), name...), `":`...)
	if pretty {
		b = append(b, ' ')
	}
	return b
}

// appendElem formats an element at depth (of the object's opening brace)
// like bpftool's do_dump_btf: {"key": K, "value": V}, or for per-CPU maps
// {"key": K, "values": [{"cpu": N, "value": V}, ...]}. plain selects the
// layout and spellings of bpftool's plain output, otherwise compact JSON.
func (k *kvBTF) appendElem(b []byte, l layout, key, value []byte, depth int, plain bool) ([]byte, error) {
	opts := btf.FormatOptions{Plain: plain, Pretty: plain, Depth: depth + 1}
	var err error
	b = append(b, '{')
	if k.keyID != 0 {
		b = appendBTFName(b, "key", depth+1, plain)
		if b, err = k.spec.AppendFormat(b, k.keyID, key, opts); err != nil {
			return b, err
		}
		b = append(b, ',')
	}
	if !l.perCPU {
		b = appendBTFName(b, "value", depth+1, plain)
		if b, err = k.spec.AppendFormat(b, k.valueID, value, opts); err != nil {
			return b, err
		}
	} else {
		b = appendBTFName(b, "values", depth+1, plain)
		b = append(b, '[')
		opts.Depth = depth + 3
		for i := 0; i < l.cpus; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			b = appendBTFName(b, "cpu", depth+3, plain)
			b = strconv.AppendInt(b, int64(i), 10)
			b = append(b, ',')
			b = appendBTFName(b, "value", depth+3, plain)
			if b, err = k.spec.AppendFormat(b, k.valueID, value[i*l.stride:i*l.stride+l.valueSize], opts); err != nil {
				return b, err
			}
			b = appendBTFEnd(b, '}', depth+2, plain)
		}
		if l.cpus > 0 {
			b = appendBTFEnd(b, ']', depth+1, plain)
		} else {
			b = append(b, ']')
		}
	}
	return appendBTFEnd(b, '}', depth, plain), nil
}

// appendBTFEnd closes a non-empty object or array begun at depth.
func appendBTFEnd(b []byte, c byte, depth int, pretty bool) []byte {
	if pretty {
		b = append(b, '\n')
		for range depth {
			b = append(b, "    "...)
		}
	}
	return append(b, c)
}
