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

	"github.com/purebpf/bpf/attach"
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
	Netns *netns.NetNS     // the namespace the interface is in
	Name  string           // the interface's name inside Netns
	Index int              // the interface's index inside Netns
	MAC   net.HardwareAddr // the interface's MAC address
	IPv4  netip.Prefix     // the interface's IPv4 address; invalid if none
	IPv6  netip.Prefix     // the interface's IPv6 address (nodad); invalid if none
}

// Interface returns the endpoint's interface as package attach (and this
// package's SendFrames, StartCapture and LiveOptions) name one: its name,
// index and namespace.
func (e *Endpoint) Interface() attach.Interface {
	return attach.Interface{Name: e.Name, Index: e.Index, Netns: e.Netns}
}

// Do runs fn on an OS thread inside the endpoint's namespace, see
// netns.NetNS.Do. Sockets fn creates belong to that namespace.
func (e *Endpoint) Do(fn func() error) error { return e.Netns.Do(fn) }

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

	ownNS     bool // A.Netns and B.Netns were created for the pair
	created   bool // the veth exists
	closeOnce sync.Once
	closeErr  error
}

// VethOptions configures CreateVethPair (and bpftest.NewVethPair). The zero
// value is the default pair: interfaces DefaultNameA and DefaultNameB in two
// new namespaces, addresses DefaultIPv4A/B and DefaultIPv6A/B, MTU 1500.
type VethOptions struct {
	// NameA and NameB are the interface names; empty means DefaultNameA
	// ("veth0") and DefaultNameB ("veth1").
	NameA, NameB string
	// IPv4A and IPv4B are the ends' IPv4 addresses; an invalid (zero)
	// prefix means DefaultIPv4A and DefaultIPv4B (192.0.2.1/24 and
	// 192.0.2.2/24).
	IPv4A, IPv4B netip.Prefix
	// IPv6A and IPv6B are the ends' IPv6 addresses, added with nodad; an
	// invalid (zero) prefix means DefaultIPv6A and DefaultIPv6B
	// (2001:db8::1/64 and 2001:db8::2/64).
	IPv6A, IPv6B netip.Prefix
	// NoIPv4 and NoIPv6 leave both ends without an address of that
	// family (the address fields must then be zero).
	NoIPv4, NoIPv6 bool
	// MTU is the MTU of both ends; 0 means the kernel's default (1500).
	MTU int
	// NetnsA and NetnsB put the ends into existing namespaces instead of
	// new ones, to build topologies of more than two namespaces; give both
	// or neither. The pair's Close then deletes the veth but leaves the
	// namespaces alone. The interface names and addresses must not clash
	// with what is already in them.
	NetnsA, NetnsB *netns.NetNS
}

// addresses returns the IPv4 and IPv6 prefixes of both ends after
// defaults, or an error for contradictory or misfamilied options.
func (o VethOptions) addresses() (v4A, v4B, v6A, v6B netip.Prefix, err error) {
	pick := func(p, def netip.Prefix, none bool) netip.Prefix {
		switch {
		case none:
			return netip.Prefix{}
		case p.IsValid():
			return p
		}
		return def
	}
	if o.NoIPv4 && (o.IPv4A.IsValid() || o.IPv4B.IsValid()) {
		return v4A, v4B, v6A, v6B, errors.New("NoIPv4 with an IPv4 address")
	}
	if o.NoIPv6 && (o.IPv6A.IsValid() || o.IPv6B.IsValid()) {
		return v4A, v4B, v6A, v6B, errors.New("NoIPv6 with an IPv6 address")
	}
	v4A, v4B = pick(o.IPv4A, DefaultIPv4A, o.NoIPv4), pick(o.IPv4B, DefaultIPv4B, o.NoIPv4)
	v6A, v6B = pick(o.IPv6A, DefaultIPv6A, o.NoIPv6), pick(o.IPv6B, DefaultIPv6B, o.NoIPv6)
	for _, v := range []netip.Prefix{v4A, v4B} {
		if v.IsValid() && !v.Addr().Is4() {
			return v4A, v4B, v6A, v6B, fmt.Errorf("%s is not an IPv4 prefix", v)
		}
	}
	for _, v := range []netip.Prefix{v6A, v6B} {
		if v.IsValid() && (!v.Addr().Is6() || v.Addr().Is4In6()) {
			return v4A, v4B, v6A, v6B, fmt.Errorf("%s is not an IPv6 prefix", v)
		}
	}
	return v4A, v4B, v6A, v6B, nil
}

// CreateVethPair creates a veth pair with its ends in two new named
// namespaces (or opts.NetnsA and opts.NetnsB), brings both ends up and
// assigns the addresses. The caller must Close the pair (tests use
// bpftest.NewVethPair, which does it for them).
// On error everything created so far is removed again.
func CreateVethPair(opts VethOptions) (p *VethPair, err error) {
	v4A, v4B, v6A, v6B, err := opts.addresses()
	if err != nil {
		return nil, fmt.Errorf("testnet: create veth pair: %w", err)
	}
	if (opts.NetnsA == nil) != (opts.NetnsB == nil) {
		return nil, errors.New("testnet: create veth pair: NetnsA and NetnsB must be given together")
	}
	nameA, nameB := opts.NameA, opts.NameB
	if nameA == "" {
		nameA = DefaultNameA
	}
	if nameB == "" {
		nameB = DefaultNameB
	}
	p = &VethPair{
		A: &Endpoint{Netns: opts.NetnsA, Name: nameA, IPv4: v4A, IPv6: v6A},
		B: &Endpoint{Netns: opts.NetnsB, Name: nameB, IPv4: v4B, IPv6: v6B},
	}
	defer func() {
		if err != nil {
			p.Close()
			p = nil
		}
	}()
	if opts.NetnsA == nil {
		p.ownNS = true
		if p.A.Netns, err = CreateNamespace(); err != nil {
			return p, err
		}
		if p.B.Netns, err = CreateNamespace(); err != nil {
			return p, err
		}
	}
	wrap := func(err error) error {
		return fmt.Errorf("testnet: veth pair %s@%s - %s@%s: %w", p.A.Name, p.A.Netns, p.B.Name, p.B.Netns, err)
	}
	ca, err := rtnl.Dial(p.A.Netns.FD())
	if err != nil {
		return p, wrap(err)
	}
	defer ca.Close()
	cb, err := rtnl.Dial(p.B.Netns.FD())
	if err != nil {
		return p, wrap(err)
	}
	defer cb.Close()

	if err := ca.CreateVeth(p.A.Name, p.B.Name, rtnl.VethOptions{PeerNSFD: p.B.Netns.FD(), MTU: opts.MTU}); err != nil {
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

// Close deletes the veth pair and, unless VethOptions.NetnsA and NetnsB
// were given, both namespaces. Closing twice is safe.
func (p *VethPair) Close() error {
	p.closeOnce.Do(func() {
		var errs []error
		if p.created && p.A.Netns.FD() >= 0 {
			// Explicit deletion removes both ends at once, instead of
			// whenever the kernel gets round to destroying the namespaces.
			c, err := rtnl.Dial(p.A.Netns.FD())
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
				errs = append(errs, fmt.Errorf("delete %s in %s: %w", p.A.Name, p.A.Netns, err))
			}
		}
		if p.ownNS {
			for _, ns := range []*netns.NetNS{p.A.Netns, p.B.Netns} {
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
