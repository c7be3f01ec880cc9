package btf

import (
	"encoding/binary"
	"strings"
	"testing"
)

// TestStringOffset checks that the strings StringAt returns find their
// offsets again without a search, that equal strings from elsewhere do
// not, and that MarshalWithStrings places extra strings where it says.
func TestStringOffset(t *testing.T) {
	b := NewBuilder()
	b.Int("unsigned int", 4, 0, 32)
	b.Int("int", 4, IntSigned, 32)
	s, err := Parse(b.Bytes(), binary.NativeEndian)
	if err != nil {
		t.Fatal(err)
	}
	ti, err := s.Type(2)
	if err != nil {
		t.Fatal(err)
	}
	at, err := s.StringAt(ti.NameOff)
	if err != nil || at != "int" {
		t.Fatalf("StringAt(%d) = %q, %v", ti.NameOff, at, err)
	}
	tail, _ := s.StringAt(1) // "unsigned int"
	for _, tc := range []struct {
		name string
		str  string
		off  uint32
		ok   bool
	}{
		{"empty", "", 0, true},
		{"from StringAt", at, ti.NameOff, true},
		{"a whole string", tail, 1, true},
		{"the tail of a string", tail[len("unsigned "):], 1 + uint32(len("unsigned ")), true},
		{"not NUL-terminated there", tail[:len("unsigned")], 0, false},
		{"equal but elsewhere", strings.Clone("int"), 0, false},
	} {
		off, ok := s.StringOffset(tc.str)
		if off != tc.off || ok != tc.ok {
			t.Errorf("%s: StringOffset(%q) = %d, %v; want %d, %v", tc.name, tc.str, off, ok, tc.off, tc.ok)
		}
	}

	raw, offs := s.MarshalWithStrings(binary.NativeEndian, []string{"hand.c", "return 0;"})
	m, err := Parse(raw, binary.NativeEndian)
	if err != nil {
		t.Fatal(err)
	}
	if m.NumTypes() != s.NumTypes() {
		t.Errorf("%d types after adding strings, want %d", m.NumTypes(), s.NumTypes())
	}
	for i, want := range []string{"hand.c", "return 0;"} {
		if got, err := m.String(offs[i]); err != nil || got != want {
			t.Errorf("string %d at %d = %q (%v), want %q", i, offs[i], got, err, want)
		}
	}
	if got, _ := m.String(ti.NameOff); got != "int" {
		t.Errorf("existing string moved: %q at %d", got, ti.NameOff)
	}
}
