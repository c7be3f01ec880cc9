package bpf_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/maps"
)

// TestProgramMethodsAfterClose checks that every method of a Program that
// needs the descriptor fails with an error matching ErrClosed after Close
// (the value maps and attach report too), while the pin can still be
// removed.
func TestProgramMethodsAfterClose(t *testing.T) {
	if bpf.ErrClosed != maps.ErrClosed {
		t.Fatal("bpf.ErrClosed and maps.ErrClosed differ")
	}
	dir := mountBPFFS(t)
	prog := mustLoad(t, xdpReturn(bpf.XDPPass))
	if err := prog.Pin(filepath.Join(dir, "closed")); err != nil {
		t.Fatal(err)
	}
	if err := prog.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"Run", func() error { _, err := prog.Run(bpf.RunOptions{Data: make([]byte, 64)}); return err }},
		{"Pin", func() error { return prog.Pin(filepath.Join(dir, "again")) }},
		{"Info", func() error { _, err := prog.Info(); return err }},
		{"Clone", func() error { _, err := prog.Clone(); return err }},
		{"XlatedInstructions", func() error { _, err := prog.XlatedInstructions(); return err }},
		{"MemoryLocked", func() error { _, err := prog.MemoryLocked(); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, bpf.ErrClosed) {
				t.Fatalf("%s after Close: %v, want an error matching ErrClosed", tc.name, err)
			}
		})
	}
	if err := prog.Unpin(); err != nil {
		t.Fatalf("Unpin after Close: %v", err)
	}
	if err := prog.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
