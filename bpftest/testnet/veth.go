package testnet

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/purebpf/bpf/internal/rtnl"
	"github.com/purebpf/bpf/netns"
	"golang.org/x/sys/unix"
)

// NamePrefix starts the name of every namespace this package creates. The
// rest is "<pid>-<8 random hex digits>".
const NamePrefix = "pbt-"

// Default addresses of a veth pair: TEST-NET-1 and the IPv6 documentation
// prefix, which are never routed on real networks.
var (
	DefaultIPv4A = netip.MustParsePrefix("192.0.2.1/24")
	DefaultIPv4B = netip.MustParsePrefix("192.0.2.2/24")
	DefaultIPv6A = netip.MustParsePrefix("2001:db8::1/64")
	DefaultIPv6B = netip.MustParsePrefix("2001:db8::2/64")
)

// Default interface names of a veth pair, each inside its own namespace.
const (
	DefaultNameA = "veth0"
	DefaultNameB = "veth1"
)

func newName() string {
	return fmt.Sprintf("%s%d-%08x", NamePrefix, os.Getpid(), rand.Uint32())
}

// CreateNamespace creates a named network namespace (NamePrefix...) in
// /run/netns with its loopback interface up. The caller removes it with
// Delete (tests use bpftest.NewNamespace, which does it for them).
func CreateNamespace() (*netns.NetNS, error) {
	var ns *netns.NetNS
	var err error
	for range 3 { // a random name collides only by extreme bad luck
		ns, err = netns.New(newName())
		if !errors.Is(err, os.ErrExist) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("testnet: %w", err)
	}
	c, err := rtnl.Dial(ns.FD())
	if err == nil {
		var lo int
		lo, err = c.LinkIndex("lo")
		if err == nil {
			err = c.SetUp(lo, true)
		}
		c.Close()
	}
	if err != nil {
		ns.Delete()
		return nil, fmt.Errorf("testnet: namespace %s: loopback up: %w", ns.Name(), err)
	}
	return ns, nil
}

// Endpoint is one end of a veth pair.
type Endpoint struct {
	NS    *netns.NetNS     // the namespace the interface is in
	Name  string           // the interface's name inside NS
	Index int              // the interface's index inside NS
	MAC   net.HardwareAddr // the interface's MAC address
	IPv4  netip.Prefix     // the interface's IPv4 address; invalid if none
	IPv6  netip.Prefix     // the interface's IPv6 address (nodad); invalid if none
}

// Do runs fn on an OS thread inside the endpoint's namespace, see
// netns.NetNS.Do. Sockets fn creates belong to that namespace.
func (e *Endpoint) Do(fn func() error) error { return e.NS.Do(fn) }

// Addr returns the endpoint's IPv4 address, or its IPv6 address when it has
// no IPv4 one.
func (e *Endpoint) Addr() netip.Addr {
	if e.IPv4.IsValid() {
		return e.IPv4.Addr()
	}
	return e.IPv6.Addr()
}

// VethPair is a veth pair between two network namespaces: A and B are its
// ends. Both are up and have their addresses when the pair is returned.
type VethPair struct {
	A, B *Endpoint

	ownNS     bool // A.NS and B.NS were created for the pair
	created   bool // the veth exists
	closeOnce sync.Once
	closeErr  error
}

// VethOption configures CreateVethPair (and bpftest.NewVethPair).
type VethOption func(*vethConfig)

type vethConfig struct {
	nameA, nameB string
	v4A, v4B     netip.Prefix
	v6A, v6B     netip.Prefix
	mtu          int
	nsA, nsB     *netns.NetNS
}

// WithNames sets the interface names (default "veth0" in A, "veth1" in B).
func WithNames(a, b string) VethOption {
	return func(c *vethConfig) { c.nameA, c.nameB = a, b }
}

// WithIPv4 sets the IPv4 addresses of the ends (default 192.0.2.1/24 and
// 192.0.2.2/24). An invalid (zero) prefix leaves that end without one.
func WithIPv4(a, b netip.Prefix) VethOption {
	return func(c *vethConfig) { c.v4A, c.v4B = a, b }
}

// WithIPv6 sets the IPv6 addresses of the ends (default 2001:db8::1/64 and
// 2001:db8::2/64, added with nodad). An invalid (zero) prefix leaves that
// end without one.
func WithIPv6(a, b netip.Prefix) VethOption {
	return func(c *vethConfig) { c.v6A, c.v6B = a, b }
}

// WithMTU sets the MTU of both ends (default 1500).
func WithMTU(mtu int) VethOption {
	return func(c *vethConfig) { c.mtu = mtu }
}

// WithNamespaces puts the ends into existing namespaces instead of new
// ones, to build topologies of more than two namespaces. The pair's Close
// then deletes the veth but leaves the namespaces alone. The interface names
// and addresses must not clash with what is already in them.
func WithNamespaces(a, b *netns.NetNS) VethOption {
	return func(c *vethConfig) { c.nsA, c.nsB = a, b }
}

// CreateVethPair creates a veth pair with its ends in two new named
// namespaces (or those of WithNamespaces), brings both ends up and assigns
// the addresses. The caller must Close the pair (tests use
// bpftest.NewVethPair, which does it for them).
// On error everything created so far is removed again.
func CreateVethPair(opts ...VethOption) (p *VethPair, err error) {
	cfg := vethConfig{
		nameA: DefaultNameA, nameB: DefaultNameB,
		v4A: DefaultIPv4A, v4B: DefaultIPv4B,
		v6A: DefaultIPv6A, v6B: DefaultIPv6B,
	}
	for _, o := range opts {
		o(&cfg)
	}
	for _, v := range []netip.Prefix{cfg.v4A, cfg.v4B} {
		if v.IsValid() && !v.Addr().Is4() {
			return nil, fmt.Errorf("testnet: create veth pair: %s is not an IPv4 prefix", v)
		}
	}
	for _, v := range []netip.Prefix{cfg.v6A, cfg.v6B} {
		if v.IsValid() && (!v.Addr().Is6() || v.Addr().Is4In6()) {
			return nil, fmt.Errorf("testnet: create veth pair: %s is not an IPv6 prefix", v)
		}
	}
	if (cfg.nsA == nil) != (cfg.nsB == nil) {
		return nil, errors.New("testnet: create veth pair: WithNamespaces needs two namespaces")
	}
	p = &VethPair{
		A: &Endpoint{NS: cfg.nsA, Name: cfg.nameA, IPv4: cfg.v4A, IPv6: cfg.v6A},
		B: &Endpoint{NS: cfg.nsB, Name: cfg.nameB, IPv4: cfg.v4B, IPv6: cfg.v6B},
	}
	defer func() {
		if err != nil {
			p.Close()
			p = nil
		}
	}()
	if cfg.nsA == nil {
		p.ownNS = true
		if p.A.NS, err = CreateNamespace(); err != nil {
			return p, err
		}
		if p.B.NS, err = CreateNamespace(); err != nil {
			return p, err
		}
	}
	wrap := func(err error) error {
		return fmt.Errorf("testnet: veth pair %s@%s - %s@%s: %w", p.A.Name, p.A.NS, p.B.Name, p.B.NS, err)
	}
	ca, err := rtnl.Dial(p.A.NS.FD())
	if err != nil {
		return p, wrap(err)
	}
	defer ca.Close()
	cb, err := rtnl.Dial(p.B.NS.FD())
	if err != nil {
		return p, wrap(err)
	}
	defer cb.Close()

	if err := ca.CreateVeth(p.A.Name, p.B.Name, rtnl.VethOptions{PeerNSFD: p.B.NS.FD(), MTU: cfg.mtu}); err != nil {
		return p, wrap(err)
	}
	p.created = true
	for _, side := range []struct {
		e *Endpoint
		c *rtnl.Conn
	}{{p.A, ca}, {p.B, cb}} {
		l, err := side.c.LinkByName(side.e.Name)
		if err != nil {
			return p, wrap(err)
		}
		side.e.Index, side.e.MAC = l.Index, l.HardwareAddr
		if side.e.IPv4.IsValid() {
			if err := side.c.AddAddr(l.Index, side.e.IPv4, 0); err != nil {
				return p, wrap(err)
			}
		}
		if side.e.IPv6.IsValid() {
			if err := side.c.AddAddr(l.Index, side.e.IPv6, rtnl.NoDAD); err != nil {
				return p, wrap(err)
			}
		}
		if err := side.c.SetUp(l.Index, true); err != nil {
			return p, wrap(err)
		}
	}
	// Wait until the kernel has finished bringing both ends up, so that the
	// caller's first packet is not dropped.
	if err := waitReady(ca, p.A, 5*time.Second); err != nil {
		return p, wrap(err)
	}
	if err := waitReady(cb, p.B, 5*time.Second); err != nil {
		return p, wrap(err)
	}
	return p, nil
}

// waitReady polls until e's link is ready to pass traffic (see
// rtnl.Link.Ready) and, with IPv6, has joined the solicited-node multicast
// group of its address: the kernel does that in deferred work, and
// neighbour solicitations that arrive earlier are ignored, which costs the
// first IPv6 packets a one-second retransmission.
func waitReady(c *rtnl.Conn, e *Endpoint, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	pause := 50 * time.Microsecond
	var solicited netip.Addr
	if e.IPv6.IsValid() {
		a := e.IPv6.Addr().As16()
		solicited = netip.AddrFrom16([16]byte{0xff, 0x02, 10: 0, 11: 0x01, 12: 0xff, 13: a[13], 14: a[14], 15: a[15]})
	}
	for {
		l, err := c.LinkByName(e.Name)
		if err != nil {
			return err
		}
		ready := l.Ready()
		if ready && solicited.IsValid() {
			groups, err := c.IPv6Multicast(e.Index)
			if err != nil {
				return err
			}
			ready = slices.Contains(groups, solicited)
		}
		if ready {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v (operstate %d, qdisc %q, ipv6 group %s joined: %v)",
				e.Name, timeout, l.OperState, l.Qdisc, solicited, l.Ready())
		}
		time.Sleep(pause)
		pause = min(2*pause, 10*time.Millisecond)
	}
}

// Close deletes the veth pair and, unless WithNamespaces was used, both
// namespaces. Closing twice is safe.
func (p *VethPair) Close() error {
	p.closeOnce.Do(func() {
		var errs []error
		if p.created && p.A.NS.FD() >= 0 {
			// Explicit deletion removes both ends at once, instead of
			// whenever the kernel gets round to destroying the namespaces.
			c, err := rtnl.Dial(p.A.NS.FD())
			if err == nil {
				index := p.A.Index
				if index == 0 {
					index, err = c.LinkIndex(p.A.Name)
				}
				if err == nil {
					err = c.DeleteLink(index)
				}
				c.Close()
			}
			if err != nil && !errors.Is(err, unix.ENODEV) {
				errs = append(errs, fmt.Errorf("delete %s in %s: %w", p.A.Name, p.A.NS, err))
			}
		}
		if p.ownNS {
			for _, ns := range []*netns.NetNS{p.A.NS, p.B.NS} {
				if ns != nil {
					if err := ns.Delete(); err != nil {
						errs = append(errs, err)
					}
				}
			}
		}
		p.closeErr = errors.Join(errs...)
	})
	return p.closeErr
}
