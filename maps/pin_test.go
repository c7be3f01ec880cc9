package maps

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnpin checks the pin rule every object follows: Unpin removes the
// pin the Map made (Pin, New with PinByName) or was opened from
// (LoadPinned, New reusing a pin), and says ErrNotPinned (which matches
// os.ErrNotExist) when it has none.
func TestUnpin(t *testing.T) {
	dir := bpffs(t)
	m := mustNew(t, hashSpec("t_unpin", 2))
	exists := func(path string) bool {
		_, err := os.Stat(path)
		return err == nil
	}
	pin := func(t *testing.T, path string) {
		t.Helper()
		if err := m.Pin(path); err != nil {
			t.Fatal(err)
		}
		// m forgets the path once another Map removes it.
		t.Cleanup(func() { m.Unpin() })
	}
	tests := []struct {
		name string
		// setup returns the Map to unpin and the pin Unpin must remove
		// ("" for none).
		setup     func(t *testing.T, path string) (*Map, string)
		want      string // Unpin's error, "" for none; %s is the path
		notPinned bool   // the error matches ErrNotPinned
	}{
		{name: "pinned by Pin", setup: func(t *testing.T, path string) (*Map, string) {
			pin(t, path)
			return m, path
		}},
		{name: "pinned by New", setup: func(t *testing.T, path string) (*Map, string) {
			n := mustNew(t, &Spec{Name: "t_unpin_new", Type: Hash, KeySize: 4, ValueSize: 8, MaxEntries: 2, Pinning: PinByName, PinPath: path})
			return n, filepath.Join(path, "t_unpin_new")
		}},
		{name: "reused by New", setup: func(t *testing.T, path string) (*Map, string) {
			spec := &Spec{Name: "t_unpin_new", Type: Hash, KeySize: 4, ValueSize: 8, MaxEntries: 2, Pinning: PinByName, PinPath: path}
			first := mustNew(t, spec)
			t.Cleanup(func() { first.Unpin() })
			return mustNew(t, spec), filepath.Join(path, "t_unpin_new")
		}},
		{name: "opened by LoadPinned", setup: func(t *testing.T, path string) (*Map, string) {
			pin(t, path)
			p, err := LoadPinned(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			return p, path
		}},
		{name: "never pinned", setup: func(t *testing.T, path string) (*Map, string) {
			return m, ""
		}, want: "map t_unpin: unpin: not pinned", notPinned: true},
		{name: "clone of a pinned map", setup: func(t *testing.T, path string) (*Map, string) {
			pin(t, path)
			c, err := m.Clone()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			return c, ""
		}, want: "map t_unpin: unpin: not pinned", notPinned: true},
		{name: "pin removed by someone else", setup: func(t *testing.T, path string) (*Map, string) {
			pin(t, path)
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			return m, ""
		}, want: "map t_unpin: unpin: remove %s: no such file or directory"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := fmt.Sprintf("%s/pin%d", dir, i)
			if tt.name == "pinned by New" || tt.name == "reused by New" {
				if err := os.Mkdir(path, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			mm, pinned := tt.setup(t, path)
			if pinned != "" && mm.PinnedPath() != pinned {
				t.Fatalf("PinnedPath() = %q, want %q", mm.PinnedPath(), pinned)
			}
			err := mm.Unpin()
			want := strings.ReplaceAll(tt.want, "%s", path)
			switch {
			case want == "" && err != nil:
				t.Fatalf("Unpin: %v", err)
			case want != "" && (err == nil || err.Error() != want):
				t.Fatalf("Unpin: %v, want %s", err, want)
			case want != "" && !errors.Is(err, os.ErrNotExist):
				t.Errorf("Unpin: %v does not match os.ErrNotExist", err)
			case want != "" && errors.Is(err, ErrNotPinned) != tt.notPinned:
				t.Errorf("Unpin: %v matches ErrNotPinned: %v, want %v", err, !tt.notPinned, tt.notPinned)
			}
			if pinned != "" && exists(pinned) {
				t.Errorf("pin %s still exists", pinned)
			}
			if tt.name == "clone of a pinned map" && !exists(path) {
				t.Errorf("Unpin of a clone removed %s", path)
			}
			if err := mm.Unpin(); !errors.Is(err, ErrNotPinned) || mm.PinnedPath() != "" {
				t.Errorf("second Unpin: %v, PinnedPath %q", err, mm.PinnedPath())
			}
			// Unpinning does not close: the map still works.
			if err := mm.Update(uint32(1), uint64(i), UpdateAny); err != nil {
				t.Errorf("update after Unpin: %v", err)
			}
		})
	}
}
