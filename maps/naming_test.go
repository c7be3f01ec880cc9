package maps

import (
	"errors"
	"testing"

	"github.com/purebpf/bpf/internal/testenv"
)

// TestCreateErrorsNameMapOnce checks that errors of New name the map
// once, also when the failure is an operation on the new map (writing
// Contents), whose *Error stays reachable.
func TestCreateErrorsNameMapOnce(t *testing.T) {
	testenv.RequirePrivileged(t)
	tests := []struct {
		name string
		spec *Spec
		want string
		op   string // the *Error's Op, "" for none
	}{
		{"contents key size", &Spec{Name: "once_map", Type: Hash, KeySize: 8, ValueSize: 4, MaxEntries: 1,
			Contents: []KV{{uint32(1), uint32(2)}}},
			"create map once_map: contents[0]: update: key is 4 bytes, map needs 8", "update"},
		{"contents full", &Spec{Name: "once_map", Type: Hash, KeySize: 4, ValueSize: 4, MaxEntries: 1,
			Contents: []KV{{uint32(1), uint32(2)}, {uint32(2), uint32(3)}}},
			"create map once_map: contents[1]: update: map is full: max_entries 1 reached: BPF_MAP_UPDATE_ELEM: argument list too long", "update"},
		{"invalid spec", &Spec{Name: "once_map", Type: Array, KeySize: 8, ValueSize: 4, MaxEntries: 1},
			"create map once_map: array maps need key size == 4, spec has 8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(tt.spec)
			if err == nil {
				m.Close()
				t.Fatal("created")
			}
			if err.Error() != tt.want {
				t.Fatalf("error\n%v\nwant\n%s", err, tt.want)
			}
			var e *Error
			if got := errors.As(err, &e); got != (tt.op != "") || got && (e.Map != "once_map" || e.Op != tt.op) {
				t.Errorf("errors.As(*Error) = %v (%+v), want op %q", got, e, tt.op)
			}
		})
	}
}
