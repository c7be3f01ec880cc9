package elf

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
)

// headers locates the section headers, the symbol table and the
// relocation entries of an ELF64 object, so that tests can change one
// field of them.
type headers struct {
	bo       binary.ByteOrder
	sections []int // file offset of each section header
	symbols  []int // file offset of each symbol table entry
	relocs   []int // file offset of each relocation entry
	rela     []bool
	data     [][2]int // file offset and size of each section's bytes
}

func locate(raw []byte) (*headers, bool) {
	if len(raw) < 64 || !bytes.HasPrefix(raw, []byte(elf.ELFMAG)) || raw[elf.EI_CLASS] != byte(elf.ELFCLASS64) {
		return nil, false
	}
	h := &headers{bo: binary.LittleEndian}
	if raw[elf.EI_DATA] == byte(elf.ELFDATA2MSB) {
		h.bo = binary.BigEndian
	}
	shoff, shentsize, shnum := h.bo.Uint64(raw[0x28:]), int(h.bo.Uint16(raw[0x3a:])), int(h.bo.Uint16(raw[0x3c:]))
	if shentsize != 64 || shoff > uint64(len(raw)) || uint64(len(raw))-shoff < uint64(shnum*64) {
		return nil, false
	}
	for i := range shnum {
		off := int(shoff) + i*64
		h.sections = append(h.sections, off)
		typ := elf.SectionType(h.bo.Uint32(raw[off+4:]))
		dataOff, size := h.bo.Uint64(raw[off+24:]), h.bo.Uint64(raw[off+32:])
		if typ == elf.SHT_NOBITS || dataOff > uint64(len(raw)) || size > uint64(len(raw))-dataOff {
			h.data = append(h.data, [2]int{0, 0})
			continue
		}
		h.data = append(h.data, [2]int{int(dataOff), int(size)})
		entry := map[elf.SectionType]int{elf.SHT_SYMTAB: 24, elf.SHT_REL: 16, elf.SHT_RELA: 24}[typ]
		for e := 0; entry != 0 && e+entry <= int(size); e += entry {
			if typ == elf.SHT_SYMTAB {
				h.symbols = append(h.symbols, int(dataOff)+e)
			} else {
				h.relocs = append(h.relocs, int(dataOff)+e)
				h.rela = append(h.rela, typ == elf.SHT_RELA)
			}
		}
	}
	return h, true
}

// field is a field of a header: its offset in the entry and its width.
type field struct{ off, width int }

var (
	sectionFields = []field{{0, 4}, {4, 4}, {8, 8}, {24, 8}, {32, 8}, {40, 4}, {44, 4}, {56, 8}} // name, type, flags, offset, size, link, info, entsize
	symbolFields  = []field{{0, 4}, {4, 1}, {6, 2}, {8, 8}, {16, 8}}                             // name, info, shndx, value, size
	relocFields   = []field{{0, 8}, {8, 4}, {12, 4}, {16, 8}}                                    // offset, type, symbol, addend
)

func (h *headers) put(raw []byte, at int, f field, v uint64) {
	switch f.width {
	case 1:
		raw[at+f.off] = byte(v)
	case 2:
		h.bo.PutUint16(raw[at+f.off:], uint16(v))
	case 4:
		h.bo.PutUint32(raw[at+f.off:], uint32(v))
	case 8:
		h.bo.PutUint64(raw[at+f.off:], v)
	}
}

// sectionIndex returns the index of the section named name.
func sectionIndex(t *testing.T, raw []byte, name string) int {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range f.Sections {
		if s.Name == name {
			return i
		}
	}
	t.Fatalf("no section %s", name)
	return 0
}

// edit applies edits to a copy of raw: each 11-byte record picks a
// section header, symbol, relocation or section byte (byte 0), which one
// (byte 1), which field or offset (bytes 2-5) and the new value (bytes
// 3-10). It returns raw itself when raw is not an ELF64 object.
func edit(raw, edits []byte) []byte {
	h, ok := locate(raw)
	if !ok {
		return raw
	}
	out := bytes.Clone(raw)
	for ; len(edits) >= 11; edits = edits[11:] {
		e := edits[:11]
		v := binary.LittleEndian.Uint64(e[3:])
		switch e[0] % 4 {
		case 0:
			f := sectionFields[int(e[2])%len(sectionFields)]
			h.put(out, h.sections[int(e[1])%len(h.sections)], f, v)
		case 1:
			if len(h.symbols) > 0 {
				f := symbolFields[int(e[2])%len(symbolFields)]
				h.put(out, h.symbols[int(e[1])%len(h.symbols)], f, v)
			}
		case 2:
			if len(h.relocs) > 0 {
				k := int(e[1]) % len(h.relocs)
				f := relocFields[int(e[2])%len(relocFields)]
				if f.off == 16 && !h.rela[k] {
					continue
				}
				if h.bo == binary.BigEndian && (f.off == 8 || f.off == 12) {
					f.off = 20 - f.off // r_info's halves: symbol high, type low
				}
				h.put(out, h.relocs[k], f, v)
			}
		case 3:
			d := h.data[int(e[1])%len(h.data)]
			if d[1] > 0 {
				out[d[0]+int(binary.LittleEndian.Uint32(e[2:]))%d[1]] = e[6]
			}
		}
	}
	return out
}

// FuzzParseFields changes fields of the section headers, symbols and
// relocations of the committed objects (what byte-level mutation of a
// whole file rarely reaches in a consistent way) and parses the result
// with three sets of options: it must return a spec or an error wrapping
// ErrFormat or ErrNotSupported, never panic.
func FuzzParseFields(f *testing.F) {
	var seeds [][]byte
	for _, obj := range objects(f) {
		b, err := os.ReadFile(obj)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	seeds = append(seeds, oldObject(f).Bytes())
	for i := range seeds {
		f.Add(uint8(i), []byte{})
		f.Add(uint8(i), []byte{0, 3, 6, 0xff, 0xff, 0, 0, 0, 0, 0, 0})                            // a section's info
		f.Add(uint8(i), []byte{1, 5, 3, 8, 0, 0, 0, 0, 0, 0, 0})                                  // a symbol's value
		f.Add(uint8(i), []byte{2, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0})                                 // a relocation's offset
		f.Add(uint8(i), []byte{3, 2, 0, 0, 0, 0, 0x85, 0, 0, 0, 0})                               // a byte of code
		f.Add(uint8(i), []byte{0, 4, 1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 4, 6, 1, 0, 0, 0, 0, 0, 0, 0}) // type REL, info 1
	}
	f.Fuzz(func(t *testing.T, seed uint8, edits []byte) {
		raw := edit(seeds[int(seed)%len(seeds)], edits)
		for _, opts := range []Options{{}, oldOptions, {DefaultType: 6}} {
			spec, err := parse(raw, opts)
			if err == nil && spec == nil {
				t.Fatal("nil spec without error")
			}
			if err != nil && !errors.Is(err, ErrFormat) && !errors.Is(err, bpf.ErrNotSupported) {
				t.Fatalf("error wraps neither ErrFormat nor ErrNotSupported: %v", err)
			}
		}
	})
}

// TestRelocationSectionNames parses objects whose relocation sections
// carry the names of other kinds of sections (license, .BTF, maps) and
// apply to a section that does not exist: an error, not an index out of
// range (found by reading classify after fuzzing).
func TestRelocationSectionNames(t *testing.T) {
	obj, err := os.ReadFile("../examples/xdp1/bpf/xdp1_legacy.o")
	if err != nil {
		t.Fatal(err)
	}
	h, ok := locate(obj)
	if !ok {
		t.Fatal("cannot locate the headers of xdp1_legacy.o")
	}
	for _, name := range []string{"license", ".BTF", ".BTF.ext", "maps", "xdp1", ".text"} {
		for _, typ := range []elf.SectionType{elf.SHT_REL, elf.SHT_RELA} {
			t.Run(name+"/"+typ.String(), func(t *testing.T) {
				raw := bytes.Clone(obj)
				at := h.sections[sectionIndex(t, raw, name)]
				h.put(raw, at, sectionFields[1], uint64(typ))
				h.put(raw, at, sectionFields[6], 0xffff) // info: the section it applies to
				_, err := parse(raw, Options{})
				if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "applies to section 65535, which does not exist") {
					t.Errorf("error %v", err)
				}
			})
		}
	}
}
