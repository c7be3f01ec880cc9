package elf

import (
	"crypto/sha1"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/elf/internal/elftest"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
	"golang.org/x/sys/unix"
)

// code encodes instructions little-endian.
func code(t testing.TB, insns ...asm.Instruction) []byte {
	t.Helper()
	b, err := asm.Instructions(insns).Encode(binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	ldMap   = asm.Instruction{OpCode: asm.LdImmDW, Dst: asm.R1}
	call    = asm.Instruction{OpCode: asm.CallOpCode, Src: asm.PseudoCall, Constant: -1}
	ret0    = asm.Mov.Imm(asm.R0, 0)
	ret2    = asm.Mov.Imm(asm.R0, 2)
	exitIns = asm.Return()
)

// elfMap is iproute2's struct bpf_elf_map.
func elfMap(typ maps.Type, key, value, max, flags, id, pinning, innerID, innerIdx uint32) []byte {
	var b []byte
	for _, w := range []uint32{uint32(typ), key, value, max, flags, id, pinning, innerID, innerIdx} {
		b = binary.LittleEndian.AppendUint32(b, w)
	}
	return b
}

// oldObject is an object as a 2017 toolchain and iproute2's headers made
// it: EM_NONE, SHT_RELA, NOTYPE and zero-size symbols, a 36-byte
// bpf_elf_map section with a map of maps tied by id / inner_id /
// inner_idx, a static function as an entry point in a loader-named
// section, a .text helper called through a section-relative relocation,
// and no license.
func oldObject(t testing.TB) *elftest.File {
	mapsSec := append(append(
		elfMap(maps.Array, 4, 8, 1, 0, 1, pinNone, 0, 0),                    // inner: id 1, goes to index 0 of outer
		elfMap(maps.ArrayOfMaps, 4, 4, 4, 0, 2, pinNone, 1, ^uint32(0))...), // outer: inner_id 1
		elfMap(maps.Hash, 4, 8, 16, 0, 0, pinObjectNS, 0, 0)..., // counters
	)
	return &elftest.File{
		NoMachine: true,
		RELA:      true,
		Sections: []elftest.Section{
			{Name: ".text", Flags: elf.SHF_ALLOC | elf.SHF_EXECINSTR, Data: code(t, ret2, exitIns, ret0, exitIns)},
			{Name: "from-netdev", Flags: elf.SHF_ALLOC | elf.SHF_EXECINSTR, Data: code(t, ldMap, ldMap, ret0, exitIns, call, exitIns)},
			{Name: "2/1", Flags: elf.SHF_ALLOC | elf.SHF_EXECINSTR, Data: code(t, ret0, exitIns)},
			{Name: "maps", Flags: elf.SHF_ALLOC | elf.SHF_WRITE, Data: mapsSec},
		},
		Symbols: []elftest.Symbol{
			{Name: ".text", Section: ".text", Type: elf.STT_SECTION},
			{Name: "maps", Section: "maps", Type: elf.STT_SECTION},
			{Name: "helper", Section: ".text", Value: 16, Type: elf.STT_FUNC},
			{Name: "tail_a", Section: "2/1", Type: elf.STT_FUNC},
			{Name: "LBB0_1", Section: "from-netdev", Value: 40},
			{Name: "text_entry", Section: ".text", Bind: elf.STB_GLOBAL},
			{Name: "main_netdev", Section: "from-netdev", Bind: elf.STB_GLOBAL},
			{Name: "main_host", Section: "from-netdev", Value: 48, Bind: elf.STB_GLOBAL},
			{Name: "inner", Section: "maps", Bind: elf.STB_GLOBAL},
			{Name: "outer", Section: "maps", Value: 36, Bind: elf.STB_GLOBAL},
			{Name: "counters", Section: "maps", Value: 72, Bind: elf.STB_GLOBAL, Type: elf.STT_OBJECT},
		},
		Relocs: []elftest.Reloc{
			{Section: "from-netdev", Offset: 0, Symbol: "outer"},
			{Section: "from-netdev", Offset: 16, Symbol: "maps", Addend: 72},
			{Section: "from-netdev", Offset: 48, Symbol: ".text", Addend: 16, Type: elftest.R_BPF_64_32},
		},
	}
}

var oldOptions = Options{
	License:  "GPL",
	Sections: []SectionOverride{{Pattern: "2/*", Convention: Convention{Type: bpf.SchedCLS}}, {Pattern: "from-*", Convention: Convention{Type: bpf.SchedCLS}}},
	Programs: map[string]Convention{"text_entry": {Type: bpf.XDP}},
}

func TestOldToolchainObject(t *testing.T) {
	obj := oldObject(t).Bytes()
	spec, err := ParseWithOptions(obj, oldOptions)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		section string
		typ     bpf.ProgramType
		insns   int
	}{
		"main_netdev": {"from-netdev", bpf.SchedCLS, 4},
		"main_host":   {"from-netdev", bpf.SchedCLS, 4}, // call, exit + helper
		"tail_a":      {"2/1", bpf.SchedCLS, 2},
		"text_entry":  {".text", bpf.XDP, 2},
	}
	if len(spec.Programs) != len(want) {
		t.Errorf("programs %v, want %d", sortedKeys(spec.Programs), len(want))
	}
	for name, w := range want {
		p := spec.Programs[name]
		if p == nil {
			t.Errorf("program %s missing", name)
			continue
		}
		if p.Section != w.section || p.Type != w.typ || len(p.Instructions) != w.insns || p.License != "GPL" {
			t.Errorf("program %s: section %s type %s %d instructions license %q, want %s %s %d GPL", name, p.Section, p.Type, len(p.Instructions), p.License, w.section, w.typ, w.insns)
		}
	}
	host := spec.Programs["main_host"].Instructions
	if host[0].Reference() != "helper" || host[2].Symbol() != "helper" {
		t.Errorf("main_host does not call the linked helper: %v", host)
	}
	netdev := spec.Programs["main_netdev"].Instructions
	if netdev[0].Reference() != "outer" || netdev[1].Reference() != "counters" {
		t.Errorf("map references %q %q, want outer and counters", netdev[0].Reference(), netdev[1].Reference())
	}
	outer := spec.Maps["outer"]
	if outer == nil || outer.InnerMap == nil || outer.InnerMap.Type != maps.Array || outer.InnerMap.ValueSize != 8 {
		t.Fatalf("outer map %v: inner map template not taken from the map with id 1", outer)
	}
	if len(outer.Contents) != 1 || outer.Contents[0].Key != uint32(0) || outer.Contents[0].Value != bpf.MapRef("inner") {
		t.Errorf("outer contents %v, want [0]=inner (inner_idx 0)", outer.Contents)
	}
	sum := sha1.Sum(obj)
	if c := spec.Maps["counters"]; c.Pinning != maps.PinByName || c.PinPath != "tc/"+hex.EncodeToString(sum[:]) {
		t.Errorf("counters pinned %d at %q, want PIN_OBJECT_NS under tc/<sha1 of the object>", c.Pinning, c.PinPath)
	}
}

// TestSamplesMapLayout reads the 28-byte definitions of the old
// samples/bpf loader, whose map of maps names its inner map by index.
func TestSamplesMapLayout(t *testing.T) {
	def := func(typ maps.Type, key, value, max, innerIdx uint32) []byte {
		var b []byte
		for _, w := range []uint32{uint32(typ), key, value, max, 0, innerIdx, 0} {
			b = binary.LittleEndian.AppendUint32(b, w)
		}
		return b
	}
	f := &elftest.File{
		Sections: []elftest.Section{
			{Name: "xdp", Flags: elf.SHF_ALLOC | elf.SHF_EXECINSTR, Data: code(t, ldMap, ret2, exitIns)},
			{Name: "maps", Data: append(def(maps.HashOfMaps, 4, 4, 8, 1), def(maps.Hash, 4, 4, 1, 0)...)},
			{Name: "license", Data: []byte("GPL\x00")},
		},
		Symbols: []elftest.Symbol{
			{Name: "prog", Section: "xdp", Type: elf.STT_FUNC, Bind: elf.STB_GLOBAL},
			{Name: "outer", Section: "maps", Bind: elf.STB_GLOBAL},
			{Name: "inner", Section: "maps", Value: 28, Bind: elf.STB_GLOBAL},
		},
		Relocs: []elftest.Reloc{{Section: "xdp", Symbol: "outer"}},
	}
	spec, err := Parse(f.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if o := spec.Maps["outer"]; o.InnerMap == nil || o.InnerMap.Type != maps.Hash || o.MaxEntries != 8 {
		t.Errorf("outer %v, inner %v: want hash_of_maps with the hash as inner template", o, o.InnerMap)
	}
	if spec.Programs["prog"].License != "GPL" {
		t.Errorf("license %q", spec.Programs["prog"].License)
	}
}

// TestOptions checks the precedence of type overrides: by program name,
// then by section pattern, then the section name convention, then the
// default.
func TestOptions(t *testing.T) {
	obj, err := os.ReadFile(filepath.Join("testdata", "features.o"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts Options
		want map[string]bpf.ProgramType
	}{
		{"none", Options{}, map[string]bpf.ProgramType{"text_entry": bpf.UnspecifiedProgram, "tc_features": bpf.SchedCLS, "xdp_tail": bpf.XDP}},
		{"default", Options{DefaultType: bpf.SchedCLS}, map[string]bpf.ProgramType{"text_entry": bpf.SchedCLS, "xdp_tail": bpf.XDP}},
		{"pattern", Options{Sections: []SectionOverride{{Pattern: "x*", Convention: Convention{Type: bpf.SchedACT}}}}, map[string]bpf.ProgramType{"xdp_tail": bpf.SchedACT, "tc_features": bpf.SchedCLS}},
		{"name", Options{Programs: map[string]Convention{"xdp_tail": {Type: bpf.SocketFilter}}, Sections: []SectionOverride{{Pattern: "*", Convention: Convention{Type: bpf.SchedACT}}}},
			map[string]bpf.ProgramType{"xdp_tail": bpf.SocketFilter, "text_entry": bpf.SchedACT}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := ParseWithOptions(obj, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for prog, want := range tc.want {
				if got := spec.Programs[prog].Type; got != want {
					t.Errorf("%s: type %s, want %s", prog, got, want)
				}
			}
		})
	}
	if _, err := ParseWithOptions(obj, Options{Sections: []SectionOverride{{Pattern: "[", Convention: Convention{Type: bpf.XDP}}}}); err == nil {
		t.Error("bad pattern accepted")
	}
}

func TestSectionType(t *testing.T) {
	for _, tc := range []struct {
		name   string
		typ    bpf.ProgramType
		attach bpf.AttachType
		flags  bpf.ProgramFlags
		ok     bool
	}{
		{"xdp", bpf.XDP, bpf.AttachXDP, 0, true},
		{"xdp.frags", bpf.XDP, bpf.AttachXDP, bpf.XDPHasFrags, true},
		{"xdp/devmap", bpf.XDP, bpf.AttachXDPDevMap, 0, true},
		{"xdp1", bpf.XDP, 0, 0, true},
		{"xdp_mark", bpf.XDP, 0, 0, true},
		{"tc", bpf.SchedCLS, 0, 0, true},
		{"tc/ingress", bpf.SchedCLS, bpf.AttachTCXIngress, 0, true},
		{"tcx/egress", bpf.SchedCLS, bpf.AttachTCXEgress, 0, true},
		{"tc_mark", bpf.SchedCLS, 0, 0, true},
		{"classifier", bpf.SchedCLS, 0, 0, true},
		{"action", bpf.SchedACT, 0, 0, true},
		{"socket", bpf.SocketFilter, 0, 0, true},
		{"kprobe/do_sys_open", bpf.Kprobe, 0, 0, true},
		{"tracepoint/syscalls/sys_enter_open", bpf.TracePoint, 0, 0, true},
		{"cgroup_skb/egress", bpf.CGroupSKB, bpf.AttachCGroupInetEgress, 0, true},
		{"?xdp", bpf.XDP, bpf.AttachXDP, 0, true},
		{".text", bpf.UnspecifiedProgram, 0, 0, false},
		{"rx", bpf.UnspecifiedProgram, 0, 0, false},
		{"tx", bpf.UnspecifiedProgram, 0, 0, false},
		{"filter", bpf.UnspecifiedProgram, 0, 0, false},
		{"from-netdev", bpf.UnspecifiedProgram, 0, 0, false},
	} {
		c, ok := SectionType(tc.name)
		if c.Type != tc.typ || c.AttachType != tc.attach || c.Flags != tc.flags || ok != tc.ok {
			t.Errorf("SectionType(%q) = %+v, %v; want %s, %d, %v, %v", tc.name, c, ok, tc.typ, tc.attach, tc.flags, tc.ok)
		}
	}
}

// TestParseErrors feeds broken and unsupported objects and checks the
// error names the problem.
func TestParseErrors(t *testing.T) {
	base := func() *elftest.File { return oldObject(t) }
	for _, tc := range []struct {
		name   string
		mutate func(f *elftest.File)
		raw    []byte
		want   string
		is     error
	}{
		{name: "not ELF", raw: []byte("hello, world, this is not an object file at all....................."), want: "bad magic", is: ErrFormat},
		{name: "empty", raw: []byte{}, is: ErrFormat},
		{name: "x86", mutate: func(f *elftest.File) { f.Machine = elf.EM_X86_64 }, want: "EM_X86_64", is: ErrFormat},
		{name: "shared object", mutate: func(f *elftest.File) { f.Type = elf.ET_DYN }, want: "ET_DYN", is: ErrFormat},
		{name: "no symbols", mutate: func(f *elftest.File) { f.NoSymtab = true }, want: "no symbol table", is: ErrFormat},
		{name: "symbol index", mutate: func(f *elftest.File) { f.Relocs[0].SymbolIndex = 999 }, want: "symbol 999", is: ErrFormat},
		{name: "relocation offset", mutate: func(f *elftest.File) { f.Relocs[0].Offset = 4096 }, want: "outside section from-netdev", is: ErrFormat},
		{name: "relocation inside LD_IMM64", mutate: func(f *elftest.File) { f.Relocs[0].Offset = 8 }, want: "not at the start of an instruction", is: ErrFormat},
		{name: "relocation on ALU", mutate: func(f *elftest.File) { f.Relocs[0].Offset = 32 }, want: "neither an LD_IMM64 nor a call", is: bpf.ErrNotSupported},
		{name: "extern on ALU", mutate: func(f *elftest.File) {
			f.Symbols = append(f.Symbols, elftest.Symbol{Name: "bpf_ksym", Bind: elf.STB_GLOBAL})
			f.Relocs[0].Symbol = "bpf_ksym"
			f.Relocs[0].Offset = 32
		}, want: "against extern bpf_ksym", is: bpf.ErrNotSupported},
		{name: "call to no function", mutate: func(f *elftest.File) { f.Relocs[2].Addend = 8 }, want: "starts no function", is: ErrFormat},
		{name: "map reference past maps", mutate: func(f *elftest.File) { f.Relocs[1].Addend = 200 }, want: "in no map definition", is: ErrFormat},
		{name: "odd map size", mutate: func(f *elftest.File) {
			f.Sections[3].Data = f.Sections[3].Data[:90]
		}, want: "definition of 18 bytes", is: ErrFormat},
		{name: "small map", mutate: func(f *elftest.File) {
			f.Sections[3].Data = f.Sections[3].Data[:36+36+12]
		}, want: "definition of 12 bytes", is: ErrFormat},
		{name: "no inner id", mutate: func(f *elftest.File) {
			binary.LittleEndian.PutUint32(f.Sections[3].Data[36+28:], 0)
		}, want: "without inner_id", is: ErrFormat},
		{name: "unknown inner id", mutate: func(f *elftest.File) {
			binary.LittleEndian.PutUint32(f.Sections[3].Data[36+28:], 7)
		}, want: "inner map with id 7 not found", is: ErrFormat},
		{name: "section beyond file", mutate: func(f *elftest.File) { f.Sections[1].Offset = 1 << 40 }, is: ErrFormat},
		{name: "function in LD_IMM64", mutate: func(f *elftest.File) { f.Symbols[7].Value = 8 }, want: "inside an LD_IMM64", is: ErrFormat},
		{name: "function offset", mutate: func(f *elftest.File) { f.Symbols[7].Value = 1 << 20 }, want: "not an instruction of the section", is: ErrFormat},
		{name: "truncated code", mutate: func(f *elftest.File) { f.Sections[2].Data = f.Sections[2].Data[:12] }, want: "whole number of instructions", is: ErrFormat},
		{name: "BTF maps without BTF", mutate: func(f *elftest.File) { f.Sections[3].Name = ".maps" }, want: "no .BTF", is: ErrFormat},
		{name: "BTF lies", mutate: func(f *elftest.File) {
			btf := make([]byte, 24)
			binary.LittleEndian.PutUint16(btf, 0xeB9F)
			btf[2] = 1
			binary.LittleEndian.PutUint32(btf[4:], 24)
			binary.LittleEndian.PutUint32(btf[12:], 1000) // type_len
			f.Sections = append(f.Sections, elftest.Section{Name: ".BTF", Data: btf})
		}, want: "section .BTF", is: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.raw
			if raw == nil {
				f := base()
				tc.mutate(f)
				raw = f.Bytes()
			}
			_, err := ParseWithOptions(raw, oldOptions)
			if err == nil {
				t.Fatal("parsed without error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q does not wrap %v", err, tc.is)
			}
		})
	}
}

// FuzzParse parses arbitrary bytes, seeded with the committed objects and
// the synthetic old-toolchain object; it must never panic.
func FuzzParse(f *testing.F) {
	for _, obj := range objects(f) {
		b, err := os.ReadFile(obj)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(oldObject(f).Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := parse(data, oldOptions)
		if err == nil && spec == nil {
			t.Fatal("nil spec without error")
		}
	})
}

// TestOldToolchainLoads loads the synthetic old-toolchain object into the
// kernel: the map of maps gets its inner map at inner_idx, the
// PIN_OBJECT_NS map is pinned under the object's hash, and the static
// entry point and the program calling the .text helper run.
func TestOldToolchainLoads(t *testing.T) {
	testenv.RequirePrivileged(t)
	root := t.TempDir()
	if err := unix.Mount("bpf", root, "bpf", 0, "mode=0700"); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(root, unix.MNT_DETACH)
	obj := oldObject(t).Bytes()
	spec, err := ParseWithOptions(obj, oldOptions)
	if err != nil {
		t.Fatal(err)
	}
	coll, err := bpf.NewCollectionWithOptions(spec, bpf.CollectionOptions{PinRoot: root})
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer coll.Close()
	var innerID uint32
	if err := coll.Maps["outer"].Lookup(uint32(0), &innerID); err != nil {
		t.Fatalf("outer[0]: %v (inner map not stored at inner_idx 0)", err)
	}
	if id := coll.Maps["inner"].ID(); uint32(id) != innerID {
		t.Errorf("outer[0] holds map id %d, want inner's %d", innerID, id)
	}
	sum := sha1.Sum(obj)
	if _, err := os.Stat(filepath.Join(root, "tc", hex.EncodeToString(sum[:]), "counters")); err != nil {
		t.Errorf("PIN_OBJECT_NS map not pinned: %v", err)
	}
	frame := make([]byte, 64)
	for name, want := range map[string]uint32{"main_host": 0, "main_netdev": 0, "tail_a": 0, "text_entry": 2} {
		res, err := coll.Programs[name].Run(bpf.RunOptions{Data: frame})
		if err != nil {
			t.Fatalf("run %s: %v", name, err)
		}
		if res.ReturnValue != want {
			t.Errorf("%s returned %d, want %d", name, res.ReturnValue, want)
		}
	}
}
