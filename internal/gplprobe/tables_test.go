package gplprobe

import (
	"reflect"
	"strings"
	"testing"
)

func TestGPLTableRoundTrip(t *testing.T) {
	in := &GPLTable{Kernel: "6.18", Entries: []GPLEntry{{ID: 1}, {ID: 6, GPLOnly: true}, {ID: 74, Kept: true}}}
	out, err := ParseGPLTable(in.Format())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip: %+v, want %+v", out, in)
	}
	for _, tt := range []struct {
		id   int32
		want GPLEntry
		ok   bool
	}{{6, GPLEntry{ID: 6, GPLOnly: true}, true}, {74, GPLEntry{ID: 74, Kept: true}, true}, {5, GPLEntry{}, false}} {
		if e, ok := out.Lookup(tt.id); e != tt.want || ok != tt.ok {
			t.Errorf("Lookup(%d) = %+v, %v; want %+v, %v", tt.id, e, ok, tt.want, tt.ok)
		}
	}
}

func TestHelperTableRoundTrip(t *testing.T) {
	in := &HelperTable{Kernel: "6.1", Types: []HelperType{{Name: "XDP", Helpers: []int32{1, 2, 255}}, {Name: "SchedCLS"}}}
	out, err := ParseHelperTable(in.Format())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip: %+v, want %+v", out, in)
	}
	src, err := out.Go("check", "testdata/helpers.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "kernel.XDP:      {0x6, 0x0, 0x0, 0x8000000000000000}") {
		t.Errorf("generated:\n%s", src)
	}
}

func TestParseTableErrors(t *testing.T) {
	for _, tt := range []struct {
		table, record, want string
	}{
		{"gplonly", "1 x any\n", `want "kernel <series>" first`},
		{"gplonly", "# only a comment\n", `no "kernel <series>" line`},
		{"gplonly", "kernel 6.18\n1 x maybe\n", `line 2: verdict "maybe"`},
		{"gplonly", "kernel 6.18\n0 x any\n", `line 2: helper id "0"`},
		{"gplonly", "kernel 6.18\n2 x any\n1 y any\n", "line 3: helper 1 after helper 2"},
		{"gplonly", "kernel 6.18\n1 x any extra\n", "line 2: want"},
		{"helpers", "kernel 6.18\nxdp 1\n", `program type "xdp"`},
		{"helpers", "kernel 6.18\nXDP 1 256\n", `helper id "256"`},
		{"helpers", "kernel 6.18\nXDP 3 2\n", "helper 2 after helper 3"},
		{"other", "kernel 6.18\n", `unknown table "other"`},
	} {
		t.Run(tt.want, func(t *testing.T) {
			_, err := Generate(tt.table, []byte(tt.record), "p", "in.txt")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Generate(%s, %q) = %v, want an error containing %q", tt.table, tt.record, err, tt.want)
			}
		})
	}
}
