package maps

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/testenv"
)

// TestRefusalOfSupportedType checks that a creation the kernel refuses
// with ENOTSUPP or EOPNOTSUPP for a map type it has (a hash of maps, as
// cilium's maglev maps) never says the running kernel lacks the type, yet
// matches ErrNotSupported and the errno.
func TestRefusalOfSupportedType(t *testing.T) {
	testenv.RequirePrivileged(t)
	inner := &Spec{Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1}
	b := btf.NewBuilder()
	u16 := b.Add(&btf.Int{Name: "u16", Size: 2, Bits: 16})
	u32 := b.Add(&btf.Int{Name: "u32", Size: 4, Bits: 32})
	types, err := b.Spec()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		spec Spec
		err  error
	}{
		{"enotsupp", Spec{Name: "maglev", Type: HashOfMaps, KeySize: 2, ValueSize: 4, MaxEntries: 8, InnerMap: inner}, enotsupp},
		{"eopnotsupp", Spec{Name: "maglev", Type: HashOfMaps, KeySize: 2, ValueSize: 4, MaxEntries: 8, InnerMap: inner}, unix.EOPNOTSUPP},
		{"btf enotsupp", Spec{Name: "maglev", Type: HashOfMaps, KeySize: 2, ValueSize: 4, MaxEntries: 8, InnerMap: inner, BTF: types, KeyType: u16, ValueType: u32}, enotsupp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := createError(&tc.spec, tc.err)
			if strings.Contains(err.Error(), "running kernel") {
				t.Errorf("error %q blames the running kernel for a map type it has", err)
			}
			if !strings.Contains(err.Error(), "create map maglev") || !strings.Contains(err.Error(), "hash_of_maps") {
				t.Errorf("error %q does not name the map and its type", err)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("error %q does not wrap %v", err, tc.err)
			}
			if tc.spec.BTF == nil && !errors.Is(err, features.ErrNotSupported) {
				t.Errorf("error %q does not match ErrNotSupported", err)
			}
		})
	}
}
