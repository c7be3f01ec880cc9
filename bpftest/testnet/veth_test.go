package testnet_test

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/internal/rtnl"
	"github.com/purebpf/bpf/netns"
	"golang.org/x/sys/unix"
)

// linkIn looks up an interface inside a namespace.
func linkIn(t *testing.T, ns *netns.NetNS, name string) (rtnl.Link, []rtnl.Addr) {
	t.Helper()
	c, err := rtnl.Dial(ns.FD())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l, err := c.LinkByName(name)
	if err != nil {
		t.Fatalf("%s in %s: %v", name, ns, err)
	}
	addrs, err := c.Addrs(l.Index)
	if err != nil {
		t.Fatal(err)
	}
	return l, addrs
}

func hasAddr(addrs []rtnl.Addr, p netip.Prefix) bool {
	for _, a := range addrs {
		if a.Prefix == p {
			return true
		}
	}
	return false
}

func TestVethPairLifecycle(t *testing.T) {
	bpftest.RequirePrivileged(t)
	start := time.Now()
	p, err := testnet.CreateVethPair(testnet.VethOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// How long it takes is measured, not asserted (tests are not timed).
	t.Logf("namespaces, veth pair and addresses in %v", time.Since(start))
	defer p.Close()

	paths := []string{p.A.Netns.Path(), p.B.Netns.Path()}
	for _, tc := range []struct {
		e          *testnet.Endpoint
		name       string
		ipv4, ipv6 netip.Prefix
	}{
		{p.A, "veth0", testnet.DefaultIPv4A, testnet.DefaultIPv6A},
		{p.B, "veth1", testnet.DefaultIPv4B, testnet.DefaultIPv6B},
	} {
		e := tc.e
		if !strings.HasPrefix(e.Netns.Name(), testnet.NamePrefix) {
			t.Errorf("namespace name %q lacks prefix %q", e.Netns.Name(), testnet.NamePrefix)
		}
		if _, err := os.Stat(e.Netns.Path()); err != nil {
			t.Errorf("namespace file: %v", err)
		}
		if e.Name != tc.name || e.IPv4 != tc.ipv4 || e.IPv6 != tc.ipv6 {
			t.Errorf("endpoint = %s %s %s; want %s %s %s", e.Name, e.IPv4, e.IPv6, tc.name, tc.ipv4, tc.ipv6)
		}
		l, addrs := linkIn(t, e.Netns, e.Name)
		if l.Index != e.Index || l.Kind != "veth" || !l.Up() || l.HardwareAddr.String() != e.MAC.String() {
			t.Errorf("link %+v does not match endpoint %+v or is not an up veth", l, e)
		}
		if !hasAddr(addrs, tc.ipv4) || !hasAddr(addrs, tc.ipv6) {
			t.Errorf("addresses of %s = %v; want %s and %s", e.Name, addrs, tc.ipv4, tc.ipv6)
		}
		lo, _ := linkIn(t, e.Netns, "lo")
		if !lo.Up() {
			t.Errorf("lo in %s is down", e.Netns)
		}
	}
	if p.A.Netns.Name() == p.B.Netns.Name() {
		t.Errorf("both ends in namespace %s", p.A.Netns.Name())
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	for _, path := range paths {
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s remains after Close: %v", path, err)
		}
	}
}

func TestVethPairOptions(t *testing.T) {
	bpftest.RequirePrivileged(t)
	v4a, v4b := netip.MustParsePrefix("198.51.100.1/30"), netip.MustParsePrefix("198.51.100.2/30")
	v6a, v6b := netip.MustParsePrefix("fd00:1::a/120"), netip.MustParsePrefix("fd00:1::b/120")
	tests := []struct {
		name         string
		opts         testnet.VethOptions
		nameA, nameB string
		mtu          int
		v4A, v6B     netip.Prefix
	}{
		{"defaults", testnet.VethOptions{}, "veth0", "veth1", 1500, testnet.DefaultIPv4A, testnet.DefaultIPv6B},
		{"names and mtu", testnet.VethOptions{NameA: "left", NameB: "right", MTU: 9000}, "left", "right", 9000, testnet.DefaultIPv4A, testnet.DefaultIPv6B},
		{"other addresses", testnet.VethOptions{IPv4A: v4a, IPv4B: v4b, IPv6A: v6a, IPv6B: v6b}, "veth0", "veth1", 1500, v4a, v6b},
		{"ipv6 only", testnet.VethOptions{NoIPv4: true}, "veth0", "veth1", 1500, netip.Prefix{}, testnet.DefaultIPv6B},
		{"ipv4 only", testnet.VethOptions{NoIPv6: true}, "veth0", "veth1", 1500, testnet.DefaultIPv4A, netip.Prefix{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := bpftest.NewVethPair(t, tt.opts)
			la, addrsA := linkIn(t, p.A.Netns, tt.nameA)
			lb, addrsB := linkIn(t, p.B.Netns, tt.nameB)
			if la.MTU != tt.mtu || lb.MTU != tt.mtu {
				t.Errorf("MTUs %d, %d; want %d", la.MTU, lb.MTU, tt.mtu)
			}
			var v4, v6 int
			for _, a := range append(addrsA, addrsB...) {
				if a.Prefix.Addr().Is4() {
					v4++
				} else if !a.Prefix.Addr().IsLinkLocalUnicast() {
					v6++
				}
			}
			if tt.v4A.IsValid() != (v4 == 2) || tt.v6B.IsValid() != (v6 == 2) {
				t.Errorf("addresses %v and %v; want IPv4 %v, IPv6 %v", addrsA, addrsB, tt.v4A.IsValid(), tt.v6B.IsValid())
			}
			if tt.v4A.IsValid() && !hasAddr(addrsA, tt.v4A) {
				t.Errorf("addresses of A %v lack %s", addrsA, tt.v4A)
			}
			if tt.v6B.IsValid() && !hasAddr(addrsB, tt.v6B) {
				t.Errorf("addresses of B %v lack %s", addrsB, tt.v6B)
			}
			if p.A.Addr() != tt.v4A.Addr() && !(tt.v4A == netip.Prefix{}) {
				t.Errorf("A.Addr() = %s, want %s", p.A.Addr(), tt.v4A.Addr())
			}
		})
	}
}

func TestCreateVethPairErrorsLeaveNothing(t *testing.T) {
	bpftest.RequirePrivileged(t)
	ns := bpftest.NewNamespace(t)
	tests := []struct {
		name string
		opts testnet.VethOptions
		want error
	}{
		{"name too long", testnet.VethOptions{NameA: "a-very-long-interface-name", NameB: "b"}, nil},
		{"same names", testnet.VethOptions{NameA: "x", NameB: "x", NetnsA: ns, NetnsB: ns}, unix.EEXIST},
		{"one namespace", testnet.VethOptions{NetnsA: ns}, nil},
		{"mtu too big", testnet.VethOptions{MTU: 1 << 20}, unix.EINVAL},
		{"ipv4 as ipv6", testnet.VethOptions{IPv6A: testnet.DefaultIPv4A, IPv6B: testnet.DefaultIPv4B, NoIPv4: true}, nil},
		{"ipv6 as ipv4", testnet.VethOptions{IPv4A: testnet.DefaultIPv6A, IPv4B: testnet.DefaultIPv6B}, nil},
		{"no ipv4 with an ipv4 address", testnet.VethOptions{NoIPv4: true, IPv4B: testnet.DefaultIPv4B}, nil},
		{"no ipv6 with an ipv6 address", testnet.VethOptions{NoIPv6: true, IPv6A: testnet.DefaultIPv6A}, nil},
	}
	before := len(ourNamespaces())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := testnet.CreateVethPair(tt.opts)
			if err == nil {
				p.Close()
				t.Fatal("no error")
			}
			t.Log(err)
			if !strings.HasPrefix(err.Error(), "testnet: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v is not %v", err, tt.want)
			}
			if n := len(ourNamespaces()); n != before {
				t.Errorf("%d namespaces of this process exist, want %d", n, before)
			}
		})
	}
	// The failed pair inside ns was removed again.
	c, err := rtnl.Dial(ns.FD())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	links, err := c.Links()
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 {
		t.Errorf("links left in %s: %v", ns, links)
	}
}

// TestTopology joins three namespaces: a - r - b, two veth pairs on r.
func TestTopology(t *testing.T) {
	bpftest.RequirePrivileged(t)
	a, r, b := bpftest.NewNamespace(t), bpftest.NewNamespace(t), bpftest.NewNamespace(t)
	left := bpftest.NewVethPair(t, testnet.VethOptions{NetnsA: a, NetnsB: r, NameA: "eth0", NameB: "left",
		IPv4A: netip.MustParsePrefix("10.99.1.1/24"), IPv4B: netip.MustParsePrefix("10.99.1.2/24"), NoIPv6: true})
	right := bpftest.NewVethPair(t, testnet.VethOptions{NetnsA: b, NetnsB: r, NameA: "eth0", NameB: "right",
		IPv4A: netip.MustParsePrefix("10.99.2.1/24"), IPv4B: netip.MustParsePrefix("10.99.2.2/24"), NoIPv6: true})
	var names []string
	if err := r.Do(func() error {
		ifs, err := net.Interfaces()
		for _, i := range ifs {
			names = append(names, i.Name)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "lo,left,right" {
		t.Errorf("interfaces in r: %v, want lo,left,right", names)
	}
	for _, p := range []*testnet.VethPair{left, right} {
		rep, err := testnet.Ping(p.A.Netns, p.B.Addr(), testnet.PingOptions{Count: 1})
		if err != nil || rep.Received != 1 {
			t.Errorf("ping %s from %s: %+v, %v", p.B.Addr(), p.A.Netns, rep, err)
		}
	}
	// Closing a pair in borrowed namespaces removes the veth only.
	if err := left.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a.Path()); err != nil {
		t.Errorf("namespace a gone with the pair: %v", err)
	}
	c, err := rtnl.Dial(r.FD())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.LinkByName("left"); !errors.Is(err, unix.ENODEV) {
		t.Errorf("left still in r after Close: %v", err)
	}
}

func TestEndpointDo(t *testing.T) {
	bpftest.RequirePrivileged(t)
	p := bpftest.NewVethPair(t, testnet.VethOptions{})
	var addrs []net.Addr
	if err := p.B.Do(func() error {
		ifi, err := net.InterfaceByName("veth1")
		if err != nil {
			return err
		}
		addrs, err = ifi.Addrs()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, a := range addrs {
		if a.String() == testnet.DefaultIPv4B.String() {
			found = true
		}
	}
	if !found {
		t.Errorf("veth1 addresses seen inside B: %v, want %s", addrs, testnet.DefaultIPv4B)
	}
	// Outside Do the process is still in its own namespace.
	if _, err := net.InterfaceByName("veth1"); err == nil {
		cur, _ := netns.Current()
		defer cur.Close()
		c, _ := rtnl.Dial(-1)
		defer c.Close()
		l, _ := c.LinkByName("veth1")
		if l.Index == p.B.Index && l.HardwareAddr.String() == p.B.MAC.String() {
			t.Errorf("B's veth1 is visible outside Do")
		}
	}
}

func BenchmarkNewVethPair(b *testing.B) {
	bpftest.RequirePrivileged(b)
	for b.Loop() {
		p, err := testnet.CreateVethPair(testnet.VethOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
