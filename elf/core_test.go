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
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/elf/internal/elftest"
	"github.com/purebpf/bpf/maps"
)

// TestCORERecordsNeverDropped: CO-RE records that cannot be placed are
// parse errors, never dropped: records without the .BTF that names their
// types, and records for a section that holds no code.
func TestCORERecordsNeverDropped(t *testing.T) {
	obj, err := os.ReadFile("testdata/core.o")
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(obj))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		section  string // whose bytes are patched
		old, new string
		want     string
	}{
		{"no .BTF", ".strtab", // clang keeps section names in .strtab
			".BTF\x00", ".BTX\x00", "CO-RE relocations but the object has no .BTF"},
		// The section names of .BTF.ext records are BTF strings.
		{"records for a section without code", ".BTF", "\x00xdp\x00", "\x00xdq\x00", "CO-RE relocations for section xdq, which holds no code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := f.Section(tt.section)
			if s == nil {
				t.Fatalf("core.o has no %s", tt.section)
			}
			b := append([]byte(nil), obj...)
			body := b[s.Offset : s.Offset+s.Size]
			i := bytes.LastIndex(body, []byte(tt.old))
			if i < 0 {
				t.Fatalf("%q not in %s", tt.old, tt.section)
			}
			copy(body[i:], tt.new)
			_, err := Parse(b)
			if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse = %v, want ErrFormat saying %q", err, tt.want)
			}
		})
	}
}

// TestRelocationTypesChecked: a relocation whose type does not fit the
// instruction it patches, or one in global data (a pointer stored in a
// variable), is refused by name instead of being applied as if it were
// the usual kind or dropped.
func TestRelocationTypesChecked(t *testing.T) {
	tests := []struct {
		name   string
		insns  []asm.Instruction
		relocs []elftest.Reloc
		data   bool // a .data section the program uses, with a relocation
		want   string
	}{
		{"LD_IMM64 with R_BPF_64_32", []asm.Instruction{ldMap, exitIns, ret2, exitIns},
			[]elftest.Reloc{{Section: "xdp", Symbol: "m", Type: elftest.R_BPF_64_32}}, false,
			"relocation type R_BPF_64_32 against"},
		{"call with R_BPF_64_64", []asm.Instruction{call, exitIns, ret2, exitIns},
			[]elftest.Reloc{{Section: "xdp", Symbol: "sub", Type: elftest.R_BPF_64_64}}, false,
			"relocation type R_BPF_64_64 against"},
		{"call with an unknown type", []asm.Instruction{call, exitIns, ret2, exitIns},
			[]elftest.Reloc{{Section: "xdp", Symbol: "sub", Type: 77}}, false,
			"relocation type 77 is not understood"},
		{"pointer in global data", []asm.Instruction{ldMap, exitIns, ret2, exitIns},
			[]elftest.Reloc{{Section: "xdp", Symbol: ".data"}, {Section: ".data", Symbol: "sub", Type: 2}}, true,
			"data section .data: 1 relocations (the first of type R_BPF_64_ABS64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := code(t, tt.insns...)
			subOff := uint64(len(text) - 16) // the last two instructions
			f := &elftest.File{
				Sections: []elftest.Section{
					{Name: "xdp", Flags: elf.SHF_ALLOC | elf.SHF_EXECINSTR, Data: text},
					{Name: "maps", Data: make([]byte, 20)},
					{Name: ".data", Flags: elf.SHF_ALLOC | elf.SHF_WRITE, Data: make([]byte, 8)},
					{Name: "license", Data: []byte("GPL\x00")},
				},
				Symbols: []elftest.Symbol{
					{Name: ".data", Section: ".data", Type: elf.STT_SECTION},
					{Name: "prog", Section: "xdp", Type: elf.STT_FUNC, Bind: elf.STB_GLOBAL, Size: subOff},
					{Name: "sub", Section: "xdp", Value: subOff, Type: elf.STT_FUNC, Size: 16},
					{Name: "m", Section: "maps", Bind: elf.STB_GLOBAL},
				},
				Relocs: tt.relocs,
			}
			for i, w := range []uint32{uint32(maps.Array), 4, 8, 1} { // a legacy map definition
				binary.LittleEndian.PutUint32(f.Sections[1].Data[4*i:], w)
			}
			_, err := Parse(f.Bytes())
			if err == nil || !errors.Is(err, bpf.ErrNotSupported) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse = %v, want bpf.ErrNotSupported saying %q", err, tt.want)
			}
		})
	}
}
