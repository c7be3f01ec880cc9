package elf

import (
	"encoding/binary"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/maps"
)

// TestUnknownPinningKept checks that pinning values the loader does not
// know, in iproute2's bpf_elf_map (a custom value from
// /etc/iproute2/bpf_pinning) and in BTF map definitions (cilium's 16),
// are kept as maps.PinUnknown with the raw value instead of refusing the
// object.
func TestUnknownPinningKept(t *testing.T) {
	for _, tc := range []struct {
		name, mapName string
		open          func() (*bpf.CollectionSpec, error)
		value         uint32
	}{
		{"iproute2 custom", "counters", func() (*bpf.CollectionSpec, error) {
			f := oldObject(t)
			binary.LittleEndian.PutUint32(f.Sections[3].Data[72+24:], 5)
			return ParseWithOptions(f.Bytes(), oldOptions)
		}, 5},
		{"BTF cilium replace", "replaced", func() (*bpf.CollectionSpec, error) { return Open("testdata/pinning.o") }, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := tc.open()
			if err != nil {
				t.Fatal(err)
			}
			m := spec.Maps[tc.mapName]
			if m == nil {
				t.Fatalf("no map %s", tc.mapName)
			}
			if m.Pinning != maps.PinUnknown || m.PinValue != tc.value || m.PinPath != "" {
				t.Errorf("%s: pinning %v value %d path %q, want unknown %d", tc.mapName, m.Pinning, m.PinValue, m.PinPath, tc.value)
			}
		})
	}
}
