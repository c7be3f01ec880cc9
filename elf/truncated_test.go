package elf

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

// headersFirst lays out a 64-bit little-endian object with its section
// header table right after the ELF header and the sections' data after
// it, in their original order, with the section names first if
// namesFirst (clang puts the table at the end, just after the section
// names, so cutting its objects short only ever cuts the table). All
// these layouts are valid ELF.
func headersFirst(t *testing.T, data []byte, namesFirst bool) []byte {
	t.Helper()
	le := binary.LittleEndian
	shoff, shnum := le.Uint64(data[0x28:]), int(le.Uint16(data[0x3c:]))
	const hdr, shent = 64, 64
	out := append([]byte(nil), data[:hdr]...)
	le.PutUint64(out[0x28:], hdr)
	out = append(out, data[shoff:shoff+uint64(shnum*shent)]...)
	order := make([]int, 0, shnum)
	for i := 1; i < shnum; i++ {
		order = append(order, i)
	}
	h := func(i int) []byte { return out[hdr+i*shent : hdr+(i+1)*shent] }
	names := int(le.Uint16(data[0x3e:]))
	slices.SortStableFunc(order, func(a, b int) int {
		if namesFirst && (a == names) != (b == names) {
			if a == names {
				return -1
			}
			return 1
		}
		return int(le.Uint64(h(a)[0x18:])) - int(le.Uint64(h(b)[0x18:]))
	})
	for _, i := range order {
		sh := h(i)
		if elf.SectionType(le.Uint32(sh[4:])) == elf.SHT_NOBITS {
			continue
		}
		off, size, align := le.Uint64(sh[0x18:]), le.Uint64(sh[0x20:]), le.Uint64(sh[0x30:])
		for align > 1 && uint64(len(out))%align != 0 {
			out = append(out, 0)
		}
		le.PutUint64(h(i)[0x18:], uint64(len(out)))
		out = append(out, data[off:off+size]...)
	}
	return out
}

// TestTruncatedObject cuts a committed object short at many places, in
// its own layout and with the section header table first, and checks
// that the error says what was cut (instead of a bare EOF), how long the
// file should be, and wraps ErrFormat and io.ErrUnexpectedEOF.
func TestTruncatedObject(t *testing.T) {
	data, err := os.ReadFile("../examples/xdp1/bpf/xdp1.o")
	if err != nil {
		t.Fatal(err)
	}
	first, namesLast := headersFirst(t, data, true), headersFirst(t, data, false)
	for _, d := range [][]byte{first, namesLast} {
		if _, err := Parse(d); err != nil {
			t.Fatalf("xdp1.o with its section headers first does not parse: %v", err)
		}
	}
	section := func(d []byte, name string) *elf.Section {
		f, err := elf.NewFile(bytes.NewReader(d))
		if err != nil {
			t.Fatal(err)
		}
		s := f.Section(name)
		if s == nil {
			t.Fatalf("xdp1.o has no section %s", name)
		}
		return s
	}
	// in returns a cut inside (at the middle of) the named section of a
	// layout; at a cut at its start.
	in := func(d []byte, name string) int { s := section(d, name); return int(s.Offset + s.Size/2) }
	at := func(d []byte, name string) int { return int(section(d, name).Offset) }
	shoff := int(binary.LittleEndian.Uint64(data[0x28:]))
	for _, tc := range []struct {
		name string
		data []byte
		cut  int
		want string
	}{
		{"empty", data, 0, "empty file"},
		{"inside the identification", data, 3, "truncated object: the ELF identification at [0,+16) lies beyond the end of the 3-byte file"},
		{"inside the ELF header", data, 40, "truncated object: the ELF header at [0,+64) lies beyond the end of the 40-byte file"},
		{"inside the data, headers last", data, len(data) / 2, fmt.Sprintf("the section header table (27 headers) at [%d,+1728)", shoff)},
		{"before the section headers", data, shoff, fmt.Sprintf("the section header table (27 headers) at [%d,+1728) lies beyond the end of the %d-byte file (it needs at least %d bytes)", shoff, shoff, len(data))},
		{"last byte missing", data, len(data) - 1, "the section header table (27 headers)"},
		{"inside the section headers", first, 64 + 10*64, "the section header table (27 headers) at [64,+1728)"},
		{"inside a program", first, in(first, "xdp"), fmt.Sprintf("section xdp (section 3) at [%d,+488)", at(first, "xdp"))},
		{"inside .BTF", first, in(first, ".BTF"), "section .BTF (section 16)"},
		{"between .BTF and .BTF.ext", first, at(first, ".BTF.ext"), "section .BTF.ext (section 18)"},
		{"inside the symbol table", first, in(first, ".symtab"), "the symbol table .symtab (section 26)"},
		{"inside relocations", first, in(first, ".relxdp"), "the relocations .relxdp (section 4)"},
		{"inside the section names", first, in(first, ".strtab"), "the section name string table (section 1)"},
		{"inside a program, names cut off", namesLast, in(namesLast, "xdp"), "section 3 at ["},
		{"inside the symbol table, names cut off", namesLast, in(namesLast, ".symtab"), "the symbol table (section 26)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.data[:tc.cut])
			if err == nil {
				t.Fatalf("%d of %d bytes parsed", tc.cut, len(tc.data))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if tc.cut > 0 && !strings.Contains(err.Error(), fmt.Sprintf("the %d-byte file", tc.cut)) {
				t.Errorf("error %q does not give the file's length %d", err, tc.cut)
			}
			if !errors.Is(err, ErrFormat) || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("error %q does not wrap ErrFormat and io.ErrUnexpectedEOF", err)
			}
		})
	}
	// Every cut of the committed object says it is truncated.
	for n := range len(data) {
		if _, err := Parse(data[:n]); !errors.Is(err, io.ErrUnexpectedEOF) || strings.HasSuffix(err.Error(), ": EOF") {
			t.Fatalf("the first %d bytes: %v, want a truncated-object error", n, err)
		}
	}
}
