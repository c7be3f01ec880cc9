package btf

import (
	"encoding/binary"
	"errors"
	"testing"
)

// TestCORERecords reads the CO-RE records clang wrote into core.o and
// checks what each refers to.
func TestCORERecords(t *testing.T) {
	raw, bo := sectionOf(t, "../../elf/testdata/core.o", ".BTF")
	rawExt, _ := sectionOf(t, "../../elf/testdata/core.o", ".BTF.ext")
	spec, err := Parse(raw, bo)
	if err != nil {
		t.Fatal(err)
	}
	if !HasCORE(rawExt, bo) {
		t.Fatal("HasCORE = false for an object with CO-RE records")
	}
	ext, err := ParseExt(rawExt, bo, spec)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		insn   uint32
		kind   COREKind
		access string
		target string
	}{
		{0, COREFieldByteOffset, "0:0", "struct xdp_md___local.data"},
		{8, COREFieldByteOffset, "0:1", "struct xdp_md___local.data_end"},
		{24, COREFieldExists, "0:3", "struct xdp_md___local.ingress_ifindex"},
		{40, CORETypeSize, "0", "struct xdp_md___local"},
		{72, COREEnumvalExists, "0", "enum xdp_action___local::XDP_PASS___local"},
	}
	got := ext.CORE["xdp"]
	if len(got) != len(want) || len(ext.CORE) != 1 {
		t.Fatalf("CO-RE records %+v, want %d in section xdp only", ext.CORE, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Insn != w.insn || g.Kind != w.kind || g.Access != w.access {
			t.Errorf("record %d: %+v, want insn %d kind %s access %q", i, g, w.insn, w.kind, w.access)
		}
		if d := spec.DescribeCORE(g); d != w.target {
			t.Errorf("record %d: DescribeCORE = %q, want %q", i, d, w.target)
		}
	}
	// The same object's func/line info is still read.
	if len(ext.Funcs["xdp"]) != 2 || len(ext.Lines["xdp"]) == 0 {
		t.Errorf("func info %v, line info %d records", ext.Funcs["xdp"], len(ext.Lines["xdp"]))
	}
}

// TestCOREMalformed damages the core_relo subsection of core.o: a
// truncated subsection, a record size below 16, an offset that is not an
// instruction boundary and an access string outside the string section
// are errors, not dropped records.
func TestCOREMalformed(t *testing.T) {
	raw, bo := sectionOf(t, "../../elf/testdata/core.o", ".BTF")
	rawExt, _ := sectionOf(t, "../../elf/testdata/core.o", ".BTF.ext")
	spec, err := Parse(raw, bo)
	if err != nil {
		t.Fatal(err)
	}
	hdrLen := bo.Uint32(rawExt[4:])
	coreOff := hdrLen + bo.Uint32(rawExt[24:])
	// The subsection: record size, then {sec name, count, records}.
	firstRec := coreOff + 4 + 8
	tests := []struct {
		name   string
		damage func(b []byte)
	}{
		{"length past the end", func(b []byte) { bo.PutUint32(b[28:], uint32(len(b))) }},
		{"record size 8", func(b []byte) { bo.PutUint32(b[coreOff:], 8) }},
		{"unaligned instruction offset", func(b []byte) { bo.PutUint32(b[firstRec:], 3) }},
		{"access string outside the strings", func(b []byte) { bo.PutUint32(b[firstRec+8:], 1<<30) }},
		{"count past the end", func(b []byte) { bo.PutUint32(b[coreOff+8:], 1<<20) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := append([]byte(nil), rawExt...)
			tt.damage(b)
			_, err := ParseExt(b, bo, spec)
			if err == nil {
				t.Fatal("damaged core_relo parsed without error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
}

// TestHasCORE covers the header-only check used when .BTF is missing.
func TestHasCORE(t *testing.T) {
	hdr := func(hdrLen, coreLen uint32) []byte {
		b := make([]byte, 32)
		binary.LittleEndian.PutUint16(b, Magic)
		b[2] = 1
		binary.LittleEndian.PutUint32(b[4:], hdrLen)
		binary.LittleEndian.PutUint32(b[28:], coreLen)
		return b
	}
	tests := []struct {
		name string
		raw  []byte
		want bool
	}{
		{"core records", hdr(32, 16), true},
		{"empty core subsection", hdr(32, 0), false},
		{"24-byte header (no core subsection)", hdr(24, 16), false},
		{"too short", hdr(32, 16)[:20], false},
		{"bad magic", append([]byte{0, 0}, hdr(32, 16)[2:]...), false},
	}
	for _, tt := range tests {
		if got := HasCORE(tt.raw, binary.LittleEndian); got != tt.want {
			t.Errorf("%s: HasCORE = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestDescribeCOREMalformed: access strings that do not fit the type
// still describe what they can and show the raw string.
func TestDescribeCOREMalformed(t *testing.T) {
	raw, bo := sectionOf(t, "../../elf/testdata/core.o", ".BTF")
	spec, err := Parse(raw, bo)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		r    CORERelo
		want string
	}{
		{CORERelo{Type: 2, Access: "0:9", Kind: COREFieldByteOffset}, `struct xdp_md___local (access "0:9")`},
		{CORERelo{Type: 2, Access: "0:x", Kind: COREFieldByteOffset}, `struct xdp_md___local (access "0:x")`},
		{CORERelo{Type: 2, Access: "2:1", Kind: COREFieldByteOffset}, `struct xdp_md___local[2].data_end`},
		{CORERelo{Type: 2, Access: "0:0:1", Kind: COREFieldByteOffset}, `struct xdp_md___local.data (access "0:0:1")`},
		{CORERelo{Type: 8, Access: "5", Kind: COREEnumvalValue}, `enum xdp_action___local (access "5")`},
		{CORERelo{Type: 1 << 20, Access: "0", Kind: CORETypeSize}, `type 1048576 (access "0")`},
	}
	for _, tt := range tests {
		if got := spec.DescribeCORE(tt.r); got != tt.want {
			t.Errorf("DescribeCORE(%+v) = %q, want %q", tt.r, got, tt.want)
		}
	}
	if s := COREKind(99).String(); s != "core_kind(99)" {
		t.Errorf("COREKind(99) = %q", s)
	}
}
