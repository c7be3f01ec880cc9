package maps

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestMethodsAfterClose checks that every method of a Map that needs the
// descriptor fails with an error matching ErrClosed after Close, while the
// pin (a file) can still be removed.
func TestMethodsAfterClose(t *testing.T) {
	dir := bpffs(t)
	m := mustNew(t, &Spec{Name: "t_closed", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 4, Flags: FlagMmapable})
	if err := m.Pin(filepath.Join(dir, "closed")); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	var v uint64
	keys := make([]uint32, 2)
	vals := make([]uint64, 2)
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"Lookup", func() error { return m.Lookup(uint32(0), &v) }},
		{"Update", func() error { return m.Update(uint32(0), uint64(1), UpdateAny) }},
		{"BatchLookup", func() error { _, err := m.BatchLookup(new(BatchCursor), keys, vals); return err }},
		{"Info", func() error { _, err := m.Info(); return err }},
		{"Pin", func() error { return m.Pin(filepath.Join(dir, "again")) }},
		{"Clone", func() error { _, err := m.Clone(); return err }},
		{"Freeze", m.Freeze},
		{"MemoryLocked", func() error { _, err := m.MemoryLocked(); return err }},
		{"Frozen", func() error { _, err := m.Frozen(); return err }},
		{"Mmap", func() error { _, err := m.Mmap(false); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("%s after Close: %v, want an error matching ErrClosed", tc.name, err)
			}
		})
	}
	if err := m.Unpin(); err != nil {
		t.Fatalf("Unpin after Close: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
