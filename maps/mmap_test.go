package maps

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// TestMmap writes an mmapable array through its mapping and reads it
// with lookups, and the other way round; a read-only mapping refuses
// writes, a frozen map refuses a writable mapping, and Close unmaps.
func TestMmap(t *testing.T) {
	m := mustNew(t, &Spec{Name: "mmap_test", Type: Array, KeySize: 4, ValueSize: 12, MaxEntries: 3, Flags: FlagMmapable})
	mem, err := m.Mmap(true)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	// Elements are 16 bytes apart (12 rounded up to 8).
	if mem.Len() != 48 || !mem.Writable() {
		t.Fatalf("Len %d, Writable %v; want 48, true", mem.Len(), mem.Writable())
	}
	if _, err := mem.WriteAt([]byte("second value"), 16); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 12)
	if err := m.Lookup(uint32(1), got); err != nil || string(got) != "second value" {
		t.Errorf("element 1 = %q (%v), want the bytes written through the mapping", got, err)
	}
	if err := m.Update(uint32(2), []byte("third value!"), UpdateAny); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.ReadAt(got, 32); err != nil || string(got) != "third value!" {
		t.Errorf("mapping at 32 = %q (%v), want the updated element 2", got, err)
	}
	for _, tc := range []struct {
		what string
		err  error
		want string
	}{
		{"write past the end", func() error { _, err := mem.WriteAt(make([]byte, 8), 44); return err }(), "write of 8 bytes at offset 44 of 48"},
		{"negative offset", func() error { _, err := mem.ReadAt(got, -1); return err }(), "read at offset -1"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.what, tc.err, tc.want)
		}
	}
	if n, err := mem.ReadAt(make([]byte, 8), 44); n != 4 || err != io.EOF {
		t.Errorf("read across the end: %d, %v; want 4, io.EOF", n, err)
	}

	ro, err := m.Mmap(false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.WriteAt([]byte{1}, 0); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("write to a read-only mapping: %v", err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ro.ReadAt(got, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("read after Close: %v, want ErrClosed", err)
	}
	if err := ro.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// A writable mapping keeps the map from being frozen; once frozen,
	// only read-only mappings are allowed.
	if err := m.Freeze(); err == nil {
		t.Error("Freeze succeeded with a writable mapping open")
	}
	mem.Close()
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if w, err := m.Mmap(true); err == nil {
		w.Close()
		t.Error("writable mapping of a frozen map succeeded")
	}
	if r, err := m.Mmap(false); err != nil {
		t.Errorf("read-only mapping of a frozen map: %v", err)
	} else {
		r.Close()
	}

	plain := mustNew(t, &Spec{Name: "mmap_plain", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if _, err := plain.Mmap(false); err == nil || !strings.Contains(err.Error(), "FlagMmapable") {
		t.Errorf("Mmap of an array without FlagMmapable: %v", err)
	}
}
