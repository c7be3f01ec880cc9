package attach_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
)

// TestAttachRace: two processes attach to the same interface and hook at
// the same moment without asking to replace. On the exclusive hooks
// (XDP, whether through netlink or a bpf_link, and a tc filter at one
// priority and handle) exactly one wins and the other gets an ErrExists
// error naming the winner's program; tcx holds both. Each process then
// closes what it attached and the hook is empty.
func TestAttachRace(t *testing.T) {
	const rounds = 3
	tests := []struct {
		a, b   string
		shared bool // both win
	}{
		{"xdp-netlink", "xdp-netlink", false},
		{"xdp-link", "xdp-link", false},
		{"xdp-netlink", "xdp-link", false},
		{"tc-filter", "tc-filter", false},
		{"tcx", "tcx", true},
	}
	for _, tt := range tests {
		t.Run(tt.a+"-vs-"+tt.b, func(t *testing.T) {
			p := newPair(t)
			requireKind(t, tt.a)
			requireKind(t, tt.b)
			iface := p.B.Interface()
			for round := range rounds {
				cs := []*child{startChild(t, tt.a, p.B, childWait+"=1"), startChild(t, tt.b, p.B, childWait+"=1")}
				for _, c := range cs {
					c.expect(t, "READY")
				}
				// Both are loaded and waiting: let them go together.
				for _, c := range cs {
					if _, err := c.stdin.Write([]byte("go\n")); err != nil {
						t.Fatal(err)
					}
				}
				var won []bpf.ProgramID
				type refusal struct {
					text   string
					exists bool
					holder bpf.ProgramID
				}
				var lost []refusal
				for _, c := range cs {
					prog, _, text, exists, holder := c.result(t)
					if prog != 0 {
						won = append(won, prog)
					} else {
						lost = append(lost, refusal{text, exists, holder})
					}
				}
				if tt.shared {
					if len(won) != 2 {
						t.Fatalf("round %d: %d of 2 attached to a shared hook; refusals %+v", round, len(won), lost)
					}
				} else {
					if len(won) != 1 || len(lost) != 1 {
						t.Fatalf("round %d: %d won, refusals %+v; want exactly one winner", round, len(won), lost)
					}
					l := lost[0]
					if !l.exists || l.holder != won[0] || !strings.Contains(l.text, "program "+strconv.FormatUint(uint64(won[0]), 10)) {
						t.Fatalf("round %d: the loser's error %q (ErrExists %v, holder %d) does not name the winner, program %d", round, l.text, l.exists, l.holder, won[0])
					}
				}
				waitHook(t, tt.a, iface, won, "both attached")
				for _, c := range cs {
					if closed := c.finish(t); closed != "" && closed != "err=<nil>" {
						t.Fatalf("round %d: child's Close: %s", round, closed)
					}
				}
				waitHook(t, tt.a, iface, nil, "both closed")
			}
		})
	}
}

// TestCloseAfterOthersReplaced: another process takes over the hook of our
// attachment (replaces our netlink XDP program or tc filter, or updates
// our link to its program while holding a reference of its own); our
// Close then leaves its program attached, and its own Close removes it.
func TestCloseAfterOthersReplaced(t *testing.T) {
	tests := []struct {
		kind  string // what we attach, as a child kind
		other string // what the other process does
		ours  func(t *testing.T, iface attach.Interface) (attach.Attachment, bpf.ProgramID)
	}{
		{"xdp-netlink", "xdp-netlink-replace", func(t *testing.T, iface attach.Interface) (attach.Attachment, bpf.ProgramID) {
			prog := dropworld(t)
			a, err := attach.XDP(iface, prog, attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodNetlink})
			if err != nil {
				t.Fatal(err)
			}
			return a, progID(t, prog)
		}},
		{"tc-filter", "tc-filter-replace", func(t *testing.T, iface attach.Interface) (attach.Attachment, bpf.ProgramID) {
			prog := loadReturn(t, "ours_tc", bpf.SchedCLS, tcActOK)
			a, err := attach.TC(iface, prog, attach.Ingress, attach.TCOptions{Method: attach.MethodNetlink, Priority: 1, Handle: 1})
			if err != nil {
				t.Fatal(err)
			}
			return a, progID(t, prog)
		}},
		{"xdp-link", "xdp-link-update", func(t *testing.T, iface attach.Interface) (attach.Attachment, bpf.ProgramID) {
			prog := dropworld(t)
			a, err := attach.XDP(iface, prog, attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodLink})
			if err != nil {
				t.Fatal(err)
			}
			return a, progID(t, prog)
		}},
		{"tcx", "tcx-update", func(t *testing.T, iface attach.Interface) (attach.Attachment, bpf.ProgramID) {
			prog := loadReturn(t, "ours_tcx", bpf.SchedCLS, tcActOK)
			a, err := attach.TC(iface, prog, attach.Ingress, attach.TCOptions{Method: attach.MethodLink})
			if err != nil {
				t.Fatal(err)
			}
			return a, progID(t, prog)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			p := newPair(t)
			requireKind(t, tt.kind)
			iface := p.B.Interface()
			ours, ourProg := tt.ours(t, iface)
			defer ours.Close()
			info, err := ours.Info()
			if err != nil {
				t.Fatal(err)
			}
			c := startChild(t, tt.other, p.B, childLink+"="+strconv.FormatUint(uint64(info.LinkID), 10))
			theirs, _, refusal, _, _ := c.result(t)
			if theirs == 0 {
				t.Fatalf("the other process could not take over: %s", refusal)
			}
			waitHook(t, tt.kind, iface, []bpf.ProgramID{theirs}, "after the other process took over")
			if err := ours.Close(); err != nil {
				t.Fatalf("Close of the attachment taken over: %v", err)
			}
			waitHook(t, tt.kind, iface, []bpf.ProgramID{theirs}, "after our Close")
			if slices.Contains(hookState(t, tt.kind, iface), ourProg) {
				t.Fatalf("our program %d came back", ourProg)
			}
			if closed := c.finish(t); closed != "err=<nil>" {
				t.Fatalf("the other process's Close: %s", closed)
			}
			waitHook(t, tt.kind, iface, nil, "after the other process's Close")
		})
	}
}
