package attach_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/internal/testenv"
)

// TestUnpinAndPinnedPath: attachments and links report their pin and
// remove it with Unpin like bpf.Program and maps.Map; netlink attachments
// have none (bpf.ErrNotPinned); a pin someone else removed is forgotten
// by Unpin and by Release (which then refuses, keeping the link); Unpin
// works after Close, and the link then ends.
func TestUnpinAndPinnedPath(t *testing.T) {
	p := newPair(t)
	bpfDir := bpffs(t)
	for _, c := range hookCases(t) {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(bpfDir, strings.ReplaceAll(c.name, " ", "_"))
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if c.feature != nil {
				testenv.SkipUnsupported(t, c.feature())
			}
			a := c.attach(t, p)
			defer a.Close()
			if got := a.PinnedPath(); got != "" {
				t.Fatalf("PinnedPath of a new attachment: %q", got)
			}
			if err := a.Unpin(); !errors.Is(err, bpf.ErrNotPinned) {
				t.Fatalf("Unpin without a pin: %v, want bpf.ErrNotPinned", err)
			}
			if c.method == attach.MethodNetlink {
				if err := a.Pin(filepath.Join(dir, "netlink")); err == nil {
					t.Fatal("Pin of a netlink attachment succeeded")
				}
				return
			}
			id := c.holds(t, p)

			// Someone else removes the pin: Release must not believe it.
			gone := filepath.Join(dir, "gone")
			if err := a.Pin(gone); err != nil {
				t.Fatal(err)
			}
			if got := a.PinnedPath(); got != gone {
				t.Fatalf("PinnedPath %q, want %q", got, gone)
			}
			if err := os.Remove(gone); err != nil {
				t.Fatal(err)
			}
			if err := a.Release(); err == nil {
				t.Fatal("Release with a removed pin succeeded (closing the descriptor detaches)")
			}
			if got := a.PinnedPath(); got != "" {
				t.Fatalf("PinnedPath after the pin was removed and Release refused: %q", got)
			}
			if _, err := a.Info(); err != nil {
				t.Fatalf("Info after the refused Release: %v", err)
			}

			// Unpin of a pin someone else removed forgets the path.
			if err := a.Pin(gone); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(gone); err != nil {
				t.Fatal(err)
			}
			if err := a.Unpin(); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("Unpin of a removed pin: %v, want os.ErrNotExist", err)
			}
			if got := a.PinnedPath(); got != "" {
				t.Fatalf("PinnedPath after Unpin of a removed pin: %q", got)
			}

			// A Link opened from a pin: the same rules.
			pin := filepath.Join(dir, "kept")
			if err := a.Pin(pin); err != nil {
				t.Fatal(err)
			}
			l, err := attach.LoadPinnedLink(pin)
			if err != nil {
				t.Fatal(err)
			}
			if got := l.PinnedPath(); got != pin {
				t.Fatalf("Link.PinnedPath %q, want %q", got, pin)
			}
			if err := os.Remove(pin); err != nil {
				t.Fatal(err)
			}
			if err := l.Release(); err == nil {
				t.Fatal("Link.Release with a removed pin succeeded")
			}
			if got := l.PinnedPath(); got != "" {
				t.Fatalf("Link.PinnedPath after its pin was removed: %q", got)
			}
			if err := l.Unpin(); !errors.Is(err, bpf.ErrNotPinned) {
				t.Fatalf("Link.Unpin after its pin was forgotten: %v, want bpf.ErrNotPinned", err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if err := a.Pin(pin); err != nil {
				t.Fatal(err)
			}

			// Close keeps a pinned link attached; Unpin after Close ends it.
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			if got := c.holds(t, p); got != id {
				t.Fatalf("after Close of a pinned link the hook holds %d, want %d", got, id)
			}
			if err := a.Unpin(); err != nil {
				t.Fatalf("Unpin after Close: %v", err)
			}
			if got := a.PinnedPath(); got != "" {
				t.Fatalf("PinnedPath after Unpin: %q", got)
			}
			waitDetached(t, p, c, "after Unpin of a closed attachment")
		})
	}
}
