package main

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
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
