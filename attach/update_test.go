package attach_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/internal/testenv"
)

// TestUpdate: every kind of attachment, and a Link opened by id, replaces
// its program in place with Update; a program of the wrong type is
// refused and leaves the hook alone; Update after Close reports
// bpf.ErrClosed.
func TestUpdate(t *testing.T) {
	p := newPair(t)
	xdp2 := loadReturn(t, "xdp_pass", bpf.XDP, 2) // XDP_PASS
	cls2 := loadReturn(t, "cls_shot", bpf.SchedCLS, tcActShot)
	for _, c := range hookCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if c.feature != nil {
				testenv.SkipUnsupported(t, c.feature())
			}
			next, wrong := cls2, xdp2
			if strings.HasPrefix(c.name, "xdp") {
				next, wrong = xdp2, cls2
			}
			a := c.attach(t, p)
			defer a.Close()
			first := c.holds(t, p)
			if err := a.Update(wrong); !errors.Is(err, attach.ErrProgramType) {
				t.Fatalf("Update with a %v program: %v, want ErrProgramType", wrong.Type(), err)
			}
			if got := c.holds(t, p); got != first {
				t.Fatalf("refused Update changed the hook: %d, want %d", got, first)
			}
			if err := a.Update(next); err != nil {
				t.Fatal(err)
			}
			if got := c.holds(t, p); got != next.ID() {
				t.Fatalf("after Update the hook holds %d, want %d", got, next.ID())
			}
			info, err := a.Info()
			if err != nil || info.ProgramID != next.ID() {
				t.Fatalf("Info after Update: %+v, %v; want program %d", info, err, next.ID())
			}
			if c.method == attach.MethodLink {
				// A Link opened by id updates the same link.
				l, err := attach.LinkFromID(info.LinkID)
				if err != nil {
					t.Fatal(err)
				}
				if err := l.Update(wrong); err == nil {
					t.Fatalf("Link.Update with a %v program succeeded", wrong.Type())
				}
				prev, err := bpf.ProgramFromID(first)
				if err != nil {
					t.Fatal(err)
				}
				err = l.Update(prev)
				prev.Close()
				if err != nil {
					t.Fatal(err)
				}
				if got := c.holds(t, p); got != first {
					t.Fatalf("after Link.Update the hook holds %d, want %d", got, first)
				}
				l.Close()
				if err := l.Update(next); !errors.Is(err, bpf.ErrClosed) {
					t.Fatalf("Link.Update after Close: %v, want bpf.ErrClosed", err)
				}
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			if err := a.Update(next); !errors.Is(err, bpf.ErrClosed) {
				t.Fatalf("Update after Close: %v, want bpf.ErrClosed", err)
			}
			waitDetached(t, p, c, "after Close of the updated attachment")
		})
	}
}
