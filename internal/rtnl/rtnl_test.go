package rtnl_test

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/purebpf/bpf/internal/rtnl"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/netns"
	"golang.org/x/sys/unix"
)

func newNS(t *testing.T) *netns.NetNS {
	t.Helper()
	ns, err := netns.NewAnonymous()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

func dial(t *testing.T, ns *netns.NetNS) *rtnl.Conn {
	t.Helper()
	c, err := rtnl.Dial(ns.FD())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// openFDs maps each open descriptor to what it points at.
func openFDs(t *testing.T) map[string]string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	fds := make(map[string]string, len(ents))
	for _, e := range ents {
		// The directory's own descriptor is closed by now and does not
		// resolve.
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
			fds[e.Name()] = target
		}
	}
	return fds
}

func TestVethAcrossNamespaces(t *testing.T) {
	testenv.RequirePrivileged(t)
	a, b := newNS(t), newNS(t)
	ca, cb := dial(t, a), dial(t, b)

	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 0xa}
	peerMAC := net.HardwareAddr{0x02, 0, 0, 0, 0, 0xb}
	if err := ca.CreateVeth("va", "vb", rtnl.VethOptions{PeerNSFD: b.FD(), MTU: 1400, HardwareAddr: mac, PeerHardwareAddr: peerMAC}); err != nil {
		t.Fatal(err)
	}
	la, err := ca.LinkByName("va")
	if err != nil {
		t.Fatal(err)
	}
	lb, err := cb.LinkByName("vb")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		l    rtnl.Link
		name string
		mac  net.HardwareAddr
	}{{la, "va", mac}, {lb, "vb", peerMAC}} {
		if tc.l.Name != tc.name || tc.l.Kind != "veth" || tc.l.MTU != 1400 || tc.l.Up() || tc.l.HardwareAddr.String() != tc.mac.String() {
			t.Errorf("link = %+v; want name %s, kind veth, MTU 1400, down, MAC %s", tc.l, tc.name, tc.mac)
		}
	}
	// The peer is only in b.
	if _, err := ca.LinkByName("vb"); !errors.Is(err, unix.ENODEV) {
		t.Errorf("vb in namespace a: err = %v, want ENODEV", err)
	}
	// Neither end is in the host's namespace.
	host, err := rtnl.Dial(-1)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	for _, n := range []string{"va", "vb"} {
		if _, err := host.LinkByName(n); !errors.Is(err, unix.ENODEV) {
			t.Errorf("%s visible in host namespace (err %v)", n, err)
		}
	}

	if err := ca.SetUp(la.Index, true); err != nil {
		t.Fatal(err)
	}
	if err := ca.SetMTU(la.Index, 9000); err != nil {
		t.Fatal(err)
	}
	la, err = ca.LinkByName("va")
	if err != nil {
		t.Fatal(err)
	}
	if !la.Up() || la.MTU != 9000 {
		t.Errorf("after SetUp and SetMTU: %+v", la)
	}
	if err := ca.SetUp(la.Index, false); err != nil {
		t.Fatal(err)
	}
	if la, _ = ca.LinkByName("va"); la.Up() {
		t.Errorf("link still up after SetUp(false)")
	}

	p4 := netip.MustParsePrefix("192.0.2.1/24")
	p6 := netip.MustParsePrefix("2001:db8::1/64")
	if err := ca.AddAddr(la.Index, p4, 0); err != nil {
		t.Fatal(err)
	}
	if err := ca.AddAddr(la.Index, p6, rtnl.NoDAD); err != nil {
		t.Fatal(err)
	}
	if err := ca.AddAddr(la.Index, p4, 0); !errors.Is(err, unix.EEXIST) {
		t.Errorf("adding %s twice: err = %v, want EEXIST", p4, err)
	}
	addrs, err := ca.Addrs(la.Index)
	if err != nil {
		t.Fatal(err)
	}
	found := map[netip.Prefix]rtnl.AddrFlags{}
	for _, a := range addrs {
		found[a.Prefix] = a.Flags
	}
	if _, ok := found[p4]; !ok {
		t.Errorf("addresses %v lack %s", addrs, p4)
	}
	if f, ok := found[p6]; !ok || f&rtnl.NoDAD == 0 {
		t.Errorf("addresses %v lack %s with nodad", addrs, p6)
	}

	links, err := ca.Links()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Name)
	}
	if strings.Join(names, ",") != "lo,va" {
		t.Errorf("links in a = %v, want lo,va", names)
	}

	// Deleting one end removes the pair.
	if err := ca.DeleteLink(la.Index); err != nil {
		t.Fatal(err)
	}
	if _, err := cb.LinkByName("vb"); !errors.Is(err, unix.ENODEV) {
		t.Errorf("peer after DeleteLink: err = %v, want ENODEV", err)
	}
}

func TestErrors(t *testing.T) {
	testenv.RequirePrivileged(t)
	a := newNS(t)
	c := dial(t, a)
	if err := c.CreateVeth("x0", "x1", rtnl.VethOptions{PeerNSFD: -1}); err != nil {
		t.Fatal(err)
	}
	idx, err := c.LinkIndex("x0")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		do      func() error
		errno   error
		message string // part of the extended ack, "" if the kernel sends none
	}{
		{"duplicate veth", func() error { return c.CreateVeth("x0", "x2", rtnl.VethOptions{PeerNSFD: -1}) }, unix.EEXIST, ""},
		{"mtu above maximum", func() error { return c.SetMTU(idx, 1<<20) }, unix.EINVAL, "mtu"},
		{"missing link", func() error { return c.SetUp(99999, true) }, unix.ENODEV, ""},
		{"delete missing", func() error { return c.DeleteLink(99999) }, unix.ENODEV, ""},
		{"name too long", func() error { return c.CreateVeth("abcdefghijklmnopq", "x", rtnl.VethOptions{PeerNSFD: -1}) }, nil, ""},
		{"bad peer namespace fd", func() error { return c.CreateVeth("y0", "y1", rtnl.VethOptions{PeerNSFD: 0}) }, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "rtnl: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if tt.errno != nil {
				if !errors.Is(err, tt.errno) {
					t.Errorf("error %v is not %v", err, tt.errno)
				}
				var re *rtnl.Error
				if !errors.As(err, &re) || !errors.Is(re.Errno, tt.errno) {
					t.Errorf("error %v does not hold an *rtnl.Error with the errno", err)
				}
			}
			if tt.message != "" {
				var re *rtnl.Error
				if !errors.As(err, &re) || !strings.Contains(re.Message, tt.message) || !strings.Contains(err.Error(), re.Message) {
					t.Errorf("error %q lacks the kernel's message containing %q", err, tt.message)
				}
			}
		})
	}
}

func TestCloseAndFDs(t *testing.T) {
	testenv.RequirePrivileged(t)
	a := newNS(t)
	// Earlier tests' descriptors may be closed meanwhile (by the
	// garbage collector's safety net), so the check is that nothing new
	// is left open, not that the count is equal.
	before := openFDs(t)
	for range 10 {
		c, err := rtnl.Dial(a.FD())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Links(); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if _, err := c.Links(); err == nil {
			t.Errorf("Links on a closed Conn succeeded")
		}
	}
	for fd, target := range openFDs(t) {
		if before[fd] != target {
			t.Errorf("descriptor %s (%s) left open", fd, target)
		}
	}
}

func BenchmarkLinkByName(b *testing.B) {
	testenv.RequirePrivileged(b)
	// A private namespace: benchmarks do not look at the host's links.
	ns, err := netns.NewAnonymous()
	if err != nil {
		b.Fatal(err)
	}
	defer ns.Close()
	c, err := rtnl.Dial(ns.FD())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.LinkByName("lo"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestShared: one Conn per namespace handle, closed once the handle is
// closed and its users put it back; for the calling thread's namespace the
// process's Conn is shared only on threads in the process's namespace.
func TestShared(t *testing.T) {
	testenv.RequirePrivileged(t)
	ns, err := netns.NewAnonymous()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	c1, err := rtnl.Shared(ns)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := rtnl.Shared(ns)
	if err != nil {
		t.Fatal(err)
	}
	if c1 != c2 {
		t.Fatal("two Conns for one namespace handle")
	}
	h1, err := rtnl.Shared(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h1.Put()
	h2, err := rtnl.Shared(nil)
	if err != nil {
		t.Fatal(err)
	}
	if h1 != h2 || h1 == c1 {
		t.Fatal("the process's namespace does not have one Conn of its own")
	}
	h2.Put()
	// On a thread inside another namespace, nil means that namespace: a
	// private Conn, closed by Put.
	err = ns.Do(func() error {
		x, err := rtnl.Shared(nil)
		if err != nil {
			return err
		}
		if x == h1 || x == c1 {
			t.Error("a thread in another namespace got a shared Conn")
		}
		links, err := x.Links()
		if err != nil || len(links) != 1 || links[0].Name != "lo" {
			t.Errorf("links of the private Conn: %+v, %v; want only lo", links, err)
		}
		x.Put()
		if _, err := x.Links(); err == nil {
			t.Error("the private Conn works after Put")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c1.Put()
	c2.Put()
	if _, err := c1.Links(); err != nil {
		t.Fatalf("the namespace's Conn closed while its handle is open: %v", err)
	}
	held, err := rtnl.Shared(ns)
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := held.Links(); err != nil {
		t.Fatalf("a held Conn closed with its namespace's handle: %v", err)
	}
	held.Put()
	if _, err := c1.Links(); err == nil {
		t.Fatal("the namespace's Conn works after its handle was closed and put back")
	}
	if _, err := rtnl.Shared(ns); !errors.Is(err, netns.ErrClosed) {
		t.Fatalf("Shared of a closed handle: %v, want netns.ErrClosed", err)
	}
}

// BenchmarkSetXDPFastPath: an acknowledged request on the fast path (here
// a detach from an interface without XDP, which the kernel accepts).
func BenchmarkSetXDPFastPath(b *testing.B) {
	testenv.RequirePrivileged(b)
	ns, err := netns.NewAnonymous()
	if err != nil {
		b.Fatal(err)
	}
	defer ns.Close()
	c, err := rtnl.Dial(ns.FD())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	lo, err := c.LinkIndex("lo")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.SetXDP("detach", lo, -1, 1<<1, -1); err != nil {
			b.Fatal(err)
		}
	}
}
