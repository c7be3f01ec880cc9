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
	"github.com/purebpf/bpf/netns"
)

// TestXDPLinkPin: a pinned link outlives Close of its attachment (and so
// the process); removing the pin detaches.
func TestXDPLinkPin(t *testing.T) {
	p := newPair(t)
	testenv.SkipUnsupported(t, features.HaveXDPLink())
	dir := bpffs(t)
	prog := dropworld(t)
	att, err := attach.XDP(attach.ByName(p.B.Name).In(p.B.Netns), prog, attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodLink})
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
	assertXDP(t, p.B.Name, p.B.Netns, attach.XDPGeneric, progID(t, prog))
	// A netlink detach cannot remove a link's program.
	if err := attach.DetachXDP(attach.ByName(p.B.Name).In(p.B.Netns), attach.DetachXDPOptions{}); !errors.Is(err, unix.EBUSY) {
		t.Fatalf("netlink detach of a link: %v, want EBUSY", err)
	}
	if err := os.Remove(pin); err != nil {
		t.Fatal(err)
	}
	// The kernel releases the unpinned link asynchronously.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := attach.XDPPrograms(attach.ByName(p.B.Name).In(p.B.Netns))
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
	nl, err := attach.XDP(attach.ByName(p.B.Name).In(p.B.Netns), prog, attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodNetlink})
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
	att, err := attach.XDP(attach.ByName(p.B.Name).In(p.B.Netns), pass, attach.XDPOptions{Mode: attach.XDPNative})
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
	assertXDP(t, p.B.Name, p.B.Netns, attach.XDPNative, progID(t, drop))
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
	assertXDP(t, p.B.Name, p.B.Netns, attach.XDPNative, 0)
	wantFlows(t, p, true, "after Detach")
	if err := att.Update(pass); !errors.Is(err, bpf.ErrClosed) {
		t.Fatalf("Update after Detach: %v, want bpf.ErrClosed", err)
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
	xdpMethods, tcMethods := []attach.Method{attach.MethodNetlink}, []attach.Method{attach.MethodNetlink}
	if autoXDPMethod(t) == attach.MethodLink {
		xdpMethods = append(xdpMethods, attach.MethodLink)
	}
	tcx := autoTCMethod(t) == attach.MethodLink
	if tcx {
		tcMethods = append(tcMethods, attach.MethodLink)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadNS(t)
	// Each namespace's rtnetlink socket is opened on first use and kept
	// until its handle is closed: open both before counting.
	for _, ns := range []*netns.NetNS{p.A.Netns, p.B.Netns} {
		if _, err := attach.Interfaces(ns); err != nil {
			t.Fatal(err)
		}
	}
	fds := countFDs(t)
	for range 3 {
		for _, m := range xdpMethods {
			a, err := attach.XDP(attach.ByName(p.B.Name).In(p.B.Netns), prog, attach.XDPOptions{Mode: attach.XDPGeneric, Method: m})
			if err != nil {
				t.Fatal(err)
			}
			if threadNS(t) != before {
				t.Fatal("XDP attach moved the calling thread")
			}
			if _, err := attach.XDPPrograms(attach.ByName(p.B.Name).In(p.B.Netns)); err != nil {
				t.Fatal(err)
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range tcMethods {
			ta, err := attach.TC(attach.ByIndex(p.B.Index).In(p.B.Netns), cls, attach.Ingress, attach.TCOptions{Method: m})
			if err != nil {
				t.Fatal(err)
			}
			if threadNS(t) != before {
				t.Fatal("tc attach moved the calling thread")
			}
			if tcx {
				if _, err := attach.TCXPrograms(attach.ByIndex(p.B.Index).In(p.B.Netns), attach.Ingress); err != nil {
					t.Fatal(err)
				}
			} else if _, err := attach.TCFilters(attach.ByIndex(p.B.Index).In(p.B.Netns), attach.Ingress); err != nil {
				t.Fatal(err)
			}
			if err := ta.Close(); err != nil {
				t.Fatal(err)
			}
		}
		// Failures release everything too.
		if _, err := attach.XDP(attach.ByName("nosuch0").In(p.B.Netns), prog, attach.XDPOptions{}); err == nil {
			t.Fatal("attach to a missing interface succeeded")
		}
		if _, err := attach.XDP(attach.ByName(p.B.Name).In(p.A.Netns), prog, attach.XDPOptions{Mode: attach.XDPNative, Method: xdpMethods[len(xdpMethods)-1]}); err == nil {
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

// TestInterfacesAndReuse: many requests in one namespace (served by its
// one cached socket), and Interfaces lists the namespace's interfaces with
// their XDP state.
func TestInterfacesAndReuse(t *testing.T) {
	p := newPair(t)
	prog := dropworld(t)
	iface := attach.ByName(p.B.Name).In(p.B.Netns)
	for range 5 {
		a, err := attach.XDP(iface, prog, attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodNetlink})
		if err != nil {
			t.Fatal(err)
		}
		if st, err := attach.XDPPrograms(iface); err != nil || st.ProgramID(attach.XDPGeneric) != a.ProgramID() {
			t.Fatalf("query %+v, %v", st, err)
		}
		links, err := attach.Interfaces(p.B.Netns)
		if err != nil {
			t.Fatal(err)
		}
		if len(links) != 2 { // lo and the veth end
			t.Fatalf("links %+v, want lo and %s", links, p.B.Name)
		}
		for _, l := range links {
			want := bpf.ProgramID(0)
			if l.Interface.Name == p.B.Name {
				want = a.ProgramID()
			}
			if l.Interface.Netns != p.B.Netns || l.Interface.Index <= 0 || l.ProgramID(attach.XDPGeneric) != want {
				t.Fatalf("interface %+v: want netns %v and program %d", l, p.B.Netns, want)
			}
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
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
	att, err := attach.XDP(attach.ByName(p.B.Name).In(p.B.Netns), prog, attach.XDPOptions{Method: attach.MethodLink, Mode: attach.XDPGeneric})
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
	if err != nil || info.LinkType != attach.LinkTypeXDP || info.ProgramID != progID(t, prog) || info.Interface.Index != p.B.Index || info.LinkID != l.ID() {
		t.Fatalf("link info %+v, %v", info, err)
	}
	byID, err := attach.LinkFromID(info.LinkID)
	if err != nil {
		t.Fatal(err)
	}
	byID.Close()
	ids, err := attach.LinkIDs()
	if err != nil || !slices.Contains(ids, info.LinkID) {
		t.Fatalf("link ids %v lack %d (%v)", ids, info.LinkID, err)
	}

	if err := attach.DetachXDP(attach.ByName(p.B.Name).In(p.B.Netns), attach.DetachXDPOptions{}); !errors.Is(err, unix.EBUSY) {
		t.Fatalf("netlink detach of a link: %v, want EBUSY", err)
	}
	if err := attach.DetachXDP(attach.ByName(p.B.Name).In(p.B.Netns), attach.DetachXDPOptions{Links: true}); err != nil {
		t.Fatal(err)
	}
	if st, err := attach.XDPPrograms(attach.ByName(p.B.Name).In(p.B.Netns)); err != nil || st.Attached() {
		t.Fatalf("after detaching the link: %+v, %v", st, err)
	}
	wantFlows(t, p, true, "after detaching the link")
	if info, err := l.Info(); err != nil || info.Interface.Index != 0 {
		t.Fatalf("detached link still names ifindex %d (%v)", info.Interface.Index, err)
	}
}
