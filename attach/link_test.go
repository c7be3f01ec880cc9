package attach_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/testenv"
)

// TestXDPLinkPin: a pinned link outlives Close of its attachment (and so
// the process); removing the pin detaches.
func TestXDPLinkPin(t *testing.T) {
	p := newPair(t)
	testenv.SkipUnsupported(t, features.HaveXDPLink())
	dir := bpffs(t)
	prog := dropworld(t)
	att, err := attach.XDP(p.B.Name, prog, attach.XDPOptions{Mode: attach.Generic, Method: attach.Link, Netns: p.B.NS})
	if err != nil {
		t.Fatal(err)
	}
	pin := filepath.Join(dir, "xdp_link")
	if err := att.Pin(pin); err != nil {
		t.Fatal(err)
	}
	if err := att.Close(); err != nil {
		t.Fatal(err)
	}
	assertXDP(t, p.B.Name, p.B.NS, attach.Generic, progID(t, prog))
	// A netlink detach cannot remove a link's program.
	if err := attach.DetachXDP(p.B.Name, attach.DetachXDPOptions{Netns: p.B.NS}); !errors.Is(err, unix.EBUSY) {
		t.Fatalf("netlink detach of a link: %v, want EBUSY", err)
	}
	if err := os.Remove(pin); err != nil {
		t.Fatal(err)
	}
	// The kernel releases the unpinned link asynchronously.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := attach.QueryXDP(p.B.Name, p.B.NS)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Attached() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still attached 10s after the pin was removed: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Netlink attachments cannot be pinned.
	nl, err := attach.XDP(p.B.Name, prog, attach.XDPOptions{Mode: attach.Generic, Method: attach.Netlink, Netns: p.B.NS})
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	if err := nl.Pin(filepath.Join(dir, "nl")); err == nil {
		t.Fatal("pinning a netlink attachment succeeded")
	}
}

// TestXDPLinkUpdateAndDetach: Update swaps the program of a link
// atomically; Detach removes it even while pinned.
func TestXDPLinkUpdateAndDetach(t *testing.T) {
	p := newPair(t)
	testenv.SkipUnsupported(t, features.HaveXDPLink())
	testenv.SkipUnsupported(t, features.HaveLinkDetach())
	dir := bpffs(t)
	drop, pass := dropworld(t), xdpPass(t)
	att, err := attach.XDP(p.B.Name, pass, attach.XDPOptions{Mode: attach.Native, Netns: p.B.NS})
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	if want := autoXDPMethod(t); att.Method() != want {
		t.Fatalf("Auto chose %v, want %v", att.Method(), want)
	}
	wantFlows(t, p, true, "pass attached")
	if err := att.Update(drop); err != nil {
		t.Fatal(err)
	}
	assertXDP(t, p.B.Name, p.B.NS, attach.Native, progID(t, drop))
	if att.ProgramID() != progID(t, drop) {
		t.Fatalf("ProgramID %d after Update, want %d", att.ProgramID(), progID(t, drop))
	}
	wantFlows(t, p, false, "updated to drop")
	if err := att.Update(loadReturn(t, "cls", bpf.SchedCLS, 0)); !errors.Is(err, attach.ErrProgramType) {
		t.Fatalf("Update with a tc program: %v", err)
	}
	if err := att.Pin(filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	if err := att.Detach(); err != nil {
		t.Fatal(err)
	}
	assertXDP(t, p.B.Name, p.B.NS, attach.Native, 0)
	wantFlows(t, p, true, "after Detach")
	if err := att.Update(pass); !errors.Is(err, attach.ErrVanished) {
		t.Fatalf("Update after Detach: %v, want ErrVanished", err)
	}
}

// TestNamespaceStaysPut: operations on other namespaces never move the
// calling thread, and leave no descriptors behind.
func TestNamespaceStaysPut(t *testing.T) {
	p := newPair(t)
	prog := dropworld(t)
	cls := loadReturn(t, "cls", bpf.SchedCLS, 0)
	// Link methods run where the kernel has them (XDP links 5.9+, tcx
	// 6.6+); netlink runs everywhere.
	xdpMethods, tcMethods := []attach.Method{attach.Netlink}, []attach.Method{attach.Netlink}
	if autoXDPMethod(t) == attach.Link {
		xdpMethods = append(xdpMethods, attach.Link)
	}
	tcx := autoTCMethod(t) == attach.Link
	if tcx {
		tcMethods = append(tcMethods, attach.Link)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadNS(t)
	fds := countFDs(t)
	for range 3 {
		for _, m := range xdpMethods {
			a, err := attach.XDP(p.B.Name, prog, attach.XDPOptions{Mode: attach.Generic, Method: m, Netns: p.B.NS})
			if err != nil {
				t.Fatal(err)
			}
			if threadNS(t) != before {
				t.Fatal("XDP attach moved the calling thread")
			}
			if _, err := attach.QueryXDP(p.B.Name, p.B.NS); err != nil {
				t.Fatal(err)
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range tcMethods {
			ta, err := attach.TC(p.B.Index, cls, attach.TCOptions{Hook: attach.Ingress, Method: m, Netns: p.B.NS})
			if err != nil {
				t.Fatal(err)
			}
			if threadNS(t) != before {
				t.Fatal("tc attach moved the calling thread")
			}
			if tcx {
				if _, err := attach.ListTCX(p.B.Index, attach.Ingress, p.B.NS); err != nil {
					t.Fatal(err)
				}
			} else if _, err := attach.ListTCFilters(p.B.Index, attach.Ingress, p.B.NS); err != nil {
				t.Fatal(err)
			}
			if err := ta.Close(); err != nil {
				t.Fatal(err)
			}
		}
		// Failures release everything too.
		if _, err := attach.XDP("nosuch0", prog, attach.XDPOptions{Netns: p.B.NS}); err == nil {
			t.Fatal("attach to a missing interface succeeded")
		}
		if _, err := attach.XDP(p.B.Name, prog, attach.XDPOptions{Mode: attach.Native, Method: xdpMethods[len(xdpMethods)-1], Netns: p.A.NS}); err == nil {
			t.Fatal("attach to an interface of another namespace succeeded")
		}
	}
	if threadNS(t) != before {
		t.Fatal("the calling thread changed namespace")
	}
	if after := countFDs(t); after != fds {
		t.Fatalf("%d open descriptors before, %d after", fds, after)
	}
}

func threadNS(t *testing.T) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestHandleReuse: one Handle serves many requests, and refuses options
// naming another namespace.
func TestHandleReuse(t *testing.T) {
	p := newPair(t)
	h, err := attach.NewHandle(p.B.NS)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	prog := dropworld(t)
	iface := attach.Interface{Name: p.B.Name}
	for range 5 {
		a, err := h.AttachXDP(iface, prog, attach.XDPOptions{Mode: attach.Generic, Method: attach.Netlink})
		if err != nil {
			t.Fatal(err)
		}
		if st, err := h.QueryXDP(iface); err != nil || st.ID(attach.Generic) != a.ProgramID() {
			t.Fatalf("query %+v, %v", st, err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.AttachXDP(iface, prog, attach.XDPOptions{Netns: p.A.NS}); err == nil {
		t.Fatal("options naming another namespace were accepted")
	}
	links, err := h.Links()
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 2 { // lo and the veth end
		t.Fatalf("links %+v, want lo and %s", links, p.B.Name)
	}
	h.Close()
	if _, err := h.QueryXDP(iface); err == nil {
		t.Fatal("query on a closed handle succeeded")
	}
}

// TestDetachLinkedXDP: netlink cannot remove a program a bpf_link holds;
// DetachXDP with Links detaches the link, which attach.LinkFromID and
// attach.LoadPinnedLink also reach.
func TestDetachLinkedXDP(t *testing.T) {
	p := newPair(t)
	testenv.SkipUnsupported(t, features.HaveXDPLink())
	testenv.SkipUnsupported(t, features.HaveLinkDetach())
	prog := dropworld(t)
	att, err := attach.XDP(p.B.Name, prog, attach.XDPOptions{Method: attach.Link, Mode: attach.Generic, Netns: p.B.NS})
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	dir := t.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, ""); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(dir, unix.MNT_DETACH)
	pin := filepath.Join(dir, "xdp_link")
	if err := att.Pin(pin); err != nil {
		t.Fatal(err)
	}
	l, err := attach.LoadPinnedLink(pin)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	info, err := l.Info()
	if err != nil || info.Type != attach.LinkTypeXDP || info.ProgramID != progID(t, prog) || int(info.Ifindex) != p.B.Index {
		t.Fatalf("link info %+v, %v", info, err)
	}
	byID, err := attach.LinkFromID(info.ID)
	if err != nil {
		t.Fatal(err)
	}
	byID.Close()
	ids, err := attach.LinkIDs()
	if err != nil || !slices.Contains(ids, info.ID) {
		t.Fatalf("link ids %v lack %d (%v)", ids, info.ID, err)
	}

	if err := attach.DetachXDP(p.B.Name, attach.DetachXDPOptions{Netns: p.B.NS}); !errors.Is(err, unix.EBUSY) {
		t.Fatalf("netlink detach of a link: %v, want EBUSY", err)
	}
	if err := attach.DetachXDP(p.B.Name, attach.DetachXDPOptions{Netns: p.B.NS, Links: true}); err != nil {
		t.Fatal(err)
	}
	if st, err := attach.QueryXDP(p.B.Name, p.B.NS); err != nil || st.Attached() {
		t.Fatalf("after detaching the link: %+v, %v", st, err)
	}
	wantFlows(t, p, true, "after detaching the link")
	if info, err := l.Info(); err != nil || info.Ifindex != 0 {
		t.Fatalf("detached link still names ifindex %d (%v)", info.Ifindex, err)
	}
}
