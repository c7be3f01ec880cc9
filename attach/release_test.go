package attach_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/rtnl"
	"github.com/purebpf/bpf/internal/testenv"
)

// hookCase attaches one kind of program to p.B and reads back which
// program the hook holds.
type hookCase struct {
	name    string
	method  attach.Method
	feature func() error // nil: always available
	attach  func(t *testing.T, p *testnet.VethPair) attach.Attachment
	// holds returns the program attached at the hook (0: none).
	holds func(t *testing.T, p *testnet.VethPair) bpf.ProgramID
	// remove detaches a released netlink attachment by other means.
	remove func(t *testing.T, p *testnet.VethPair)
}

func hookCases(t *testing.T) []hookCase {
	xdp := dropworld(t)
	cls := loadReturn(t, "cls", bpf.SchedCLS, tcActOK)
	xdpAttach := func(m attach.Method) func(*testing.T, *testnet.VethPair) attach.Attachment {
		return func(t *testing.T, p *testnet.VethPair) attach.Attachment {
			a, err := attach.XDP(attach.ByName(p.B.Name).In(p.B.Netns), xdp, attach.XDPOptions{Mode: attach.XDPGeneric, Method: m})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
	}
	xdpHolds := func(t *testing.T, p *testnet.VethPair) bpf.ProgramID {
		st, err := attach.XDPPrograms(attach.ByName(p.B.Name).In(p.B.Netns))
		if err != nil {
			t.Fatal(err)
		}
		return st.ProgramID(attach.XDPGeneric)
	}
	tcAttach := func(m attach.Method) func(*testing.T, *testnet.VethPair) attach.Attachment {
		return func(t *testing.T, p *testnet.VethPair) attach.Attachment {
			a, err := attach.TC(attach.ByIndex(p.B.Index).In(p.B.Netns), cls, attach.Ingress, attach.TCOptions{Method: m})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
	}
	filterHolds := func(t *testing.T, p *testnet.VethPair) bpf.ProgramID {
		fs, err := attach.TCFilters(attach.ByIndex(p.B.Index).In(p.B.Netns), attach.Ingress)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) == 0 {
			return 0
		}
		return fs[0].ProgramID
	}
	tcxHolds := func(t *testing.T, p *testnet.VethPair) bpf.ProgramID {
		ps, err := attach.TCXPrograms(attach.ByIndex(p.B.Index).In(p.B.Netns), attach.Ingress)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) == 0 {
			return 0
		}
		return ps[0].ProgramID
	}
	return []hookCase{
		{name: "xdp netlink", method: attach.MethodNetlink, attach: xdpAttach(attach.MethodNetlink), holds: xdpHolds,
			remove: func(t *testing.T, p *testnet.VethPair) {
				if err := attach.DetachXDP(attach.ByName(p.B.Name).In(p.B.Netns), attach.DetachXDPOptions{}); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "tc filter", method: attach.MethodNetlink, attach: tcAttach(attach.MethodNetlink), holds: filterHolds,
			remove: func(t *testing.T, p *testnet.VethPair) {
				if err := attach.DeleteTCFilters(attach.ByName(p.B.Name).In(p.B.Netns), attach.Ingress); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "xdp link", method: attach.MethodLink, feature: features.HaveXDPLink, attach: xdpAttach(attach.MethodLink), holds: xdpHolds},
		{name: "tcx link", method: attach.MethodLink, feature: features.HaveTCX, attach: tcAttach(attach.MethodLink), holds: tcxHolds},
	}
}

// warmSockets opens the namespaces' shared rtnetlink sockets, which stay
// open until the namespaces' handles are closed, so that descriptor counts
// taken afterwards see only what attachments hold.
func warmSockets(t *testing.T, p *testnet.VethPair) {
	t.Helper()
	for _, ns := range []*testnet.Endpoint{p.A, p.B} {
		if _, err := attach.Interfaces(ns.Netns); err != nil {
			t.Fatal(err)
		}
	}
}

// waitDetached waits for the hook to be empty: the kernel releases a link
// whose last reference went away asynchronously.
func waitDetached(t *testing.T, p *testnet.VethPair, c hookCase, why string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.holds(t, p) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still attached after 10s", why)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCloseDetaches: Close of an unpinned attachment of every kind
// detaches its program and leaves no descriptor behind; later calls say the
// attachment is gone.
func TestCloseDetaches(t *testing.T) {
	p := newPair(t)
	warmSockets(t, p)
	for _, c := range hookCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if c.feature != nil {
				testenv.SkipUnsupported(t, c.feature())
			}
			fds := countFDs(t)
			a := c.attach(t, p)
			info, err := a.Info()
			if err != nil || info.Method != c.method || info.ProgramID == 0 || info.ProgramID != c.holds(t, p) || info.Interface.Index != p.B.Index {
				t.Fatalf("Info while attached: %+v, %v; want method %v, the hook's program, ifindex %d", info, err, c.method, p.B.Index)
			}
			if (c.method == attach.MethodLink) != (info.LinkID != 0) {
				t.Fatalf("Info: link id %d for method %v", info.LinkID, c.method)
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			waitDetached(t, p, c, "after Close")
			if got := countFDs(t); got != fds {
				t.Fatalf("%d descriptors before the attachment, %d after Close", fds, got)
			}
			if err := a.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			for name, err := range map[string]error{"Detach": a.Detach(), "Release": a.Release(), "Pin": a.Pin(filepath.Join(t.TempDir(), "x"))} {
				if !errors.Is(err, bpf.ErrClosed) || errors.Is(err, attach.ErrVanished) {
					t.Errorf("%s after Close: %v, want bpf.ErrClosed (not ErrVanished)", name, err)
				}
			}
			if _, err := a.Info(); !errors.Is(err, bpf.ErrClosed) {
				t.Errorf("Info after Close: %v, want bpf.ErrClosed", err)
			}
		})
	}
}

// TestReleaseKeepsAttached: Release leaves the program attached and
// closes what the attachment held: always for netlink attachments, and for
// links once they are pinned (an unpinned link refuses, since closing its
// descriptor would detach it).
func TestReleaseKeepsAttached(t *testing.T) {
	p := newPair(t)
	warmSockets(t, p)
	dir := bpffs(t)
	for _, c := range hookCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if c.feature != nil {
				testenv.SkipUnsupported(t, c.feature())
			}
			fds := countFDs(t)
			a := c.attach(t, p)
			id := c.holds(t, p)
			if id == 0 {
				t.Fatal("nothing attached")
			}
			pin := filepath.Join(dir, "link")
			if c.method == attach.MethodLink {
				if err := a.Release(); err == nil || errors.Is(err, attach.ErrVanished) {
					t.Fatalf("Release of an unpinned link: %v, want a refusal", err)
				}
				if got, want := countFDs(t), fds+1; got != want {
					t.Fatalf("after the refused Release: %d descriptors, want %d (the link's)", got, want)
				}
				if err := a.Pin(pin); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.Release(); err != nil {
				t.Fatal(err)
			}
			if got := countFDs(t); got != fds {
				t.Fatalf("%d descriptors before the attachment, %d after Release", fds, got)
			}
			if got := c.holds(t, p); got != id {
				t.Fatalf("after Release the hook holds program %d, want %d", got, id)
			}
			if err := a.Close(); err != nil {
				t.Fatalf("Close after Release: %v", err)
			}
			if got := c.holds(t, p); got != id {
				t.Fatalf("Close after Release detached: the hook holds %d, want %d", got, id)
			}
			if err := a.Detach(); !errors.Is(err, bpf.ErrClosed) {
				t.Fatalf("Detach after Release: %v, want bpf.ErrClosed", err)
			}
			if c.method == attach.MethodNetlink {
				c.remove(t, p)
				waitDetached(t, p, c, "after removing the released attachment")
				return
			}
			// The pin holds the link: a Link opened from it can be
			// released again, and unpinning and closing the last one
			// detaches.
			l, err := attach.LoadPinnedLink(pin)
			if err != nil {
				t.Fatal(err)
			}
			if info, err := l.Info(); err != nil || info.ProgramID != id || info.Interface.Index != p.B.Index {
				t.Fatalf("pinned link info %+v, %v", info, err)
			}
			if err := l.Release(); err != nil {
				t.Fatal(err)
			}
			if got := countFDs(t); got != fds {
				t.Fatalf("Link.Release left %d descriptors, want %d", got, fds)
			}
			l, err = attach.LoadPinnedLink(pin)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Unpin(); err != nil {
				t.Fatal(err)
			}
			if err := l.Unpin(); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("second Unpin: %v, want os.ErrNotExist", err)
			}
			if err := l.Release(); err == nil {
				t.Fatal("Release of an unpinned Link succeeded")
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Info(); !errors.Is(err, bpf.ErrClosed) {
				t.Fatalf("Info of a closed Link: %v, want bpf.ErrClosed", err)
			}
			waitDetached(t, p, c, "after the last descriptor and the pin went away")
		})
	}
}

// TestNamespaceSocketClosedWithNamespace: the rtnetlink socket kept for a
// namespace is closed with the namespace's handle, so deleting the
// namespace destroys it (and its veth end, which takes the peer along).
func TestNamespaceSocketClosedWithNamespace(t *testing.T) {
	p := newPair(t)
	warmSockets(t, p)
	prog := dropworld(t)
	a, err := attach.XDP(attach.ByName(p.B.Name).In(p.B.Netns), prog, attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodNetlink})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	fds := countFDs(t)
	if err := p.B.Netns.Delete(); err != nil {
		t.Fatal(err)
	}
	// The namespace's descriptor and its cached socket are gone.
	if got, want := countFDs(t), fds-2; got != want {
		t.Fatalf("after deleting the namespace: %d descriptors, want %d (its handle and its socket closed)", got, want)
	}
	c, err := rtnl.Dial(p.A.Netns.FD())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The kernel destroys a namespace nobody refers to asynchronously.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := c.LinkByName(p.A.Name)
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENODEV) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still exists 30s after its peer's namespace was deleted: something keeps the namespace alive", p.A.Name)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := attach.XDPPrograms(attach.ByName(p.B.Name).In(p.B.Netns)); err == nil {
		t.Fatal("query in a closed namespace succeeded")
	}
}

// TestProgramClosedAfterAttach: an attachment does not need the caller's
// program descriptor: with the program closed, Info, Update and Close
// still name it (by id) and Close detaches it.
func TestProgramClosedAfterAttach(t *testing.T) {
	p := newPair(t)
	iface := attach.ByIndex(p.B.Index).In(p.B.Netns)
	prog := loadReturn(t, "closed_early", bpf.XDP, int32(bpf.XDPDrop))
	id := progID(t, prog)
	a, err := attach.XDP(iface, prog, attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodNetlink})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := prog.Close(); err != nil {
		t.Fatal(err)
	}
	if info, err := a.Info(); err != nil || info.ProgramID != id {
		t.Fatalf("Info with the program closed: %+v, %v", info, err)
	}
	next := xdpPass(t)
	if err := a.Update(next); err != nil {
		t.Fatalf("Update with the old program closed: %v", err)
	}
	assertXDP(t, p.B.Name, p.B.Netns, attach.XDPGeneric, progID(t, next))
	if err := next.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Detach(); err != nil {
		t.Fatalf("Detach with the program closed: %v", err)
	}
	if st, err := attach.XDPPrograms(iface); err != nil || st.Attached() {
		t.Fatalf("after Detach: %+v, %v", st, err)
	}
}

// TestCallerNamespace: an Interface without Netns is in the calling
// thread's namespace; on a thread that entered another namespace, calls
// use a socket of their own there (nothing is cached for it) and leave no
// descriptor behind.
func TestCallerNamespace(t *testing.T) {
	p := newPair(t)
	prog := dropworld(t)
	methods := []attach.Method{attach.MethodNetlink, autoXDPMethod(t)}
	round := func() {
		err := p.B.Netns.Do(func() error {
			iface := attach.ByName(p.B.Name)
			for _, m := range methods {
				a, err := attach.XDP(iface, prog, attach.XDPOptions{Mode: attach.XDPGeneric, Method: m})
				if err != nil {
					return err
				}
				if st, err := attach.XDPPrograms(iface); err != nil || st.ProgramID(attach.XDPGeneric) != a.ProgramID() {
					t.Errorf("query in the caller's namespace: %+v, %v", st, err)
				}
				if a.Interface().Netns != nil || a.Interface().Index != p.B.Index {
					t.Errorf("attachment's interface %+v, want ifindex %d and no Netns", a.Interface(), p.B.Index)
				}
				if err := a.Close(); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The first round also sets up what the process keeps for good (the
	// runtime's network poller, feature probes).
	round()
	fds := countFDs(t)
	round()
	if got := countFDs(t); got != fds {
		t.Fatalf("%d descriptors before, %d after calls on a thread in another namespace", fds, got)
	}
	if st, err := attach.XDPPrograms(attach.ByName(p.B.Name).In(p.B.Netns)); err != nil || st.Attached() {
		t.Fatalf("after Close: %+v, %v", st, err)
	}
}
