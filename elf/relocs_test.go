package elf

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/elf/internal/elftest"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
)

// noneObject is an object as OVS's datapath toolchain writes it:
// EM_NONE, SHT_RELA, and relocation type 0 on the LD_IMM64s of a map
// (iproute2 bpf_elf_map) and of a global data section. The program sets
// counter[0] to 7 and returns the word in .data (2, XDP_PASS).
func noneObject(t testing.TB) *elftest.File {
	skip := asm.JEq.Imm(asm.R0, 0, "")
	skip.Offset = 1
	prog := code(t,
		asm.StoreImm(asm.R10, -4, 0, asm.Word),   // 0
		ldMap,                                    // 1: r1 = counter
		asm.Mov.Reg(asm.R2, asm.R10),             // 3
		asm.Add.Imm(asm.R2, -4),                  // 4
		asm.Call(asm.FnMapLookupElem),            // 5
		skip,                                     // 6
		asm.StoreImm(asm.R0, 0, 7, asm.DWord),    // 7
		ldMap,                                    // 8: r1 = .data
		asm.LoadMem(asm.R0, asm.R1, 0, asm.Word), // 10
		exitIns,                                  // 11
	)
	return &elftest.File{
		NoMachine: true,
		RELA:      true,
		Sections: []elftest.Section{
			{Name: "xdp", Flags: elf.SHF_ALLOC | elf.SHF_EXECINSTR, Data: prog},
			{Name: "maps", Flags: elf.SHF_ALLOC | elf.SHF_WRITE, Data: elfMap(maps.Array, 4, 8, 1, 0, 0, pinNone, 0, 0)},
			{Name: ".data", Flags: elf.SHF_ALLOC | elf.SHF_WRITE, Data: binary.LittleEndian.AppendUint32(nil, 2)},
			{Name: "license", Flags: elf.SHF_ALLOC, Data: []byte("GPL\x00")},
		},
		Symbols: []elftest.Symbol{
			{Name: ".data", Section: ".data", Type: elf.STT_SECTION},
			{Name: "datapath", Section: "xdp", Type: elf.STT_FUNC, Bind: elf.STB_GLOBAL},
			{Name: "counter", Section: "maps", Bind: elf.STB_GLOBAL},
		},
		Relocs: []elftest.Reloc{
			{Section: "xdp", Offset: 8, Symbol: "counter", TypeNone: true},
			{Section: "xdp", Offset: 64, Symbol: ".data", TypeNone: true},
		},
	}
}

// TestNoneRelocations parses the EM_NONE object: type-0 relocations on
// LD_IMM64s of a map and of .data are map references.
// Both SHT_RELA (OVS) and SHT_REL sections are read so.
func TestNoneRelocations(t *testing.T) {
	for _, rela := range []bool{true, false} {
		f := noneObject(t)
		f.RELA = rela
		spec, err := Parse(f.Bytes())
		if err != nil {
			t.Fatalf("RELA %v: %v", rela, err)
		}
		insns := spec.Programs["datapath"].Instructions
		if insns[1].Reference() != "counter" || insns[1].Src != asm.PseudoMapFD {
			t.Errorf("RELA %v: instruction 1 = %v (reference %q), want a map load of counter", rela, insns[1], insns[1].Reference())
		}
		if insns[7].Reference() != ".data" || insns[7].Src != asm.PseudoMapValue || insns[7].MapOffset() != 0 {
			t.Errorf("RELA %v: instruction 7 = %v (reference %q), want a value load of .data at offset 0", rela, insns[7], insns[7].Reference())
		}
	}
}

// TestNoneRelocationsLoad loads the EM_NONE object and runs it: the
// relocated map and data references reach the kernel's maps.
func TestNoneRelocationsLoad(t *testing.T) {
	testenv.RequirePrivileged(t)
	spec, err := Parse(noneObject(t).Bytes())
	if err != nil {
		t.Fatal(err)
	}
	coll, err := bpf.NewCollection(spec)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer coll.Close()
	res, err := coll.Programs["datapath"].Run(bpf.RunOptions{Data: make([]byte, 64)})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != 2 {
		t.Errorf("returned %d, want 2 (the word in .data)", res.ReturnValue)
	}
	var v uint64
	if err := coll.Maps["counter"].Lookup(uint32(0), &v); err != nil {
		t.Fatal(err)
	}
	if v != 7 {
		t.Errorf("counter[0] = %d, want 7 (stored by the program)", v)
	}
}

// TestRelocationTypeErrors: type 0 is skipped in EM_BPF objects (the
// ABI's R_BPF_NONE), an error in EM_NONE objects on anything but a map
// or data load, and unknown types are errors; each names the section
// and offset.
func TestRelocationTypeErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(f *elftest.File)
		want   []string // substrings; nil: parses
		is     error
	}{
		{name: "EM_BPF type 0 skipped", mutate: func(f *elftest.File) {
			f.NoMachine = false
			// A type-0 entry on an ALU instruction: R_BPF_NONE, ignored.
			f.Relocs = append(f.Relocs, elftest.Reloc{Section: "xdp", Offset: 24, Symbol: "counter", TypeNone: true})
			for i := range f.Relocs[:2] {
				f.Relocs[i].TypeNone = false
			}
		}},
		{name: "type 0 on ALU", mutate: func(f *elftest.File) { f.Relocs[0].Offset = 24 },
			want: []string{"section xdp: offset 24", "relocation type 0 against symbol counter", "EM_NONE"}, is: bpf.ErrNotSupported},
		{name: "type 0 on call", mutate: func(f *elftest.File) { f.Relocs[0].Offset = 40 },
			want: []string{"section xdp: offset 40", "relocation type 0"}, is: bpf.ErrNotSupported},
		{name: "type 0 against code", mutate: func(f *elftest.File) { f.Relocs[0].Symbol = "datapath" },
			want: []string{"section xdp: offset 8", "relocation type 0 against symbol datapath"}, is: bpf.ErrNotSupported},
		{name: "type 0 against extern", mutate: func(f *elftest.File) {
			f.Symbols = append(f.Symbols, elftest.Symbol{Name: "ext", Bind: elf.STB_GLOBAL})
			f.Relocs[0].Symbol = "ext"
		}, want: []string{"section xdp: offset 8", "relocation type 0 against symbol ext"}, is: bpf.ErrNotSupported},
		{name: "type 0 null entry", mutate: func(f *elftest.File) { f.Relocs[0].Symbol, f.Relocs[0].SymbolIndex = "", 0 },
			want: []string{"entry 0 refers to symbol 0"}, is: ErrFormat},
		{name: "unknown type", mutate: func(f *elftest.File) { f.Relocs[1].TypeNone, f.Relocs[1].Type = false, 77 },
			want: []string{"relocation type 77 is not understood", "offset 64 of section xdp"}, is: bpf.ErrNotSupported},
		{name: "unknown type EM_BPF", mutate: func(f *elftest.File) { f.NoMachine = false; f.Relocs[0].TypeNone, f.Relocs[0].Type = false, 99 },
			want: []string{"relocation type 99 is not understood", "offset 8 of section xdp"}, is: bpf.ErrNotSupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := noneObject(t)
			tc.mutate(f)
			_, err := Parse(f.Bytes())
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !errors.Is(err, tc.is) {
				t.Fatalf("Parse = %v, want an error wrapping %v", err, tc.is)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
