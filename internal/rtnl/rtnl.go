// Package rtnl is a minimal rtnetlink client: just what purebpf's test
// fixtures and attachment code need to create veth pairs, bring links up,
// set MTUs, add addresses and look links up. Messages are built here; the
// socket, framing, sequence checks and extended acknowledgements come from
// github.com/mdlayher/netlink.
//
// A Conn is bound to the network namespace it was created in, for its whole
// life: Dial creates the socket inside the namespace it is given and then
// returns the thread to where it was.
package rtnl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// vethInfoPeer is VETH_INFO_PEER from linux/veth.h.
const vethInfoPeer = 1

// Conn is a rtnetlink socket in one network namespace. It is safe for
// concurrent use (requests are serialised by the underlying netlink.Conn).
type Conn struct {
	c *netlink.Conn
}

// Dial opens a rtnetlink socket in the network namespace referred to by
// nsFD, or in the calling thread's namespace when nsFD < 0. Extended
// acknowledgements are requested so that kernel error messages reach the
// caller's errors.
func Dial(nsFD int) (*Conn, error) {
	cfg := &netlink.Config{Strict: true}
	if nsFD >= 0 {
		cfg.NetNS = nsFD
	}
	c, err := netlink.Dial(unix.NETLINK_ROUTE, cfg)
	if err != nil {
		return nil, fmt.Errorf("rtnl: dial: %w", err)
	}
	if err := c.SetOption(netlink.ExtendedAcknowledge, true); err != nil {
		c.Close()
		return nil, fmt.Errorf("rtnl: enable extended ack: %w", err)
	}
	return &Conn{c: c}, nil
}

// Close closes the socket. Closing twice is safe.
func (c *Conn) Close() error {
	if c == nil || c.c == nil {
		return nil
	}
	err := c.c.Close()
	c.c = nil
	return err
}

// Error is a failed rtnetlink request: the operation, the errno and, when
// the kernel sent one, its extended-ack message. errors.Is matches the errno
// (for example unix.EEXIST); errors.As finds the *netlink.OpError.
type Error struct {
	Op      string
	Errno   error  // the unix.Errno, or the socket error
	Message string // the kernel's extended-ack text, may be empty
	err     error  // what the netlink package returned
}

func (e *Error) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("rtnl: %s: %v (kernel: %s)", e.Op, e.Errno, e.Message)
	}
	return fmt.Sprintf("rtnl: %s: %v", e.Op, e.Errno)
}

// Unwrap returns the error of the netlink package, which unwraps to the
// errno.
func (e *Error) Unwrap() error { return e.err }

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	e := &Error{Op: op, Errno: err, err: err}
	var oe *netlink.OpError
	if errors.As(err, &oe) {
		e.Errno = oe.Err
		e.Message = oe.Message
	}
	return e
}

// ifinfomsg encodes struct ifinfomsg.
func ifinfomsg(family uint8, index int32, flags, change uint32) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	b[0] = family
	binary.NativeEndian.PutUint32(b[4:], uint32(index))
	binary.NativeEndian.PutUint32(b[8:], flags)
	binary.NativeEndian.PutUint32(b[12:], change)
	return b
}

const (
	flagsAck    = netlink.Request | netlink.Acknowledge
	flagsCreate = flagsAck | netlink.Create | netlink.Excl
)

func (c *Conn) execute(op string, typ netlink.HeaderType, flags netlink.HeaderFlags, data []byte) ([]netlink.Message, error) {
	if c == nil || c.c == nil {
		return nil, fmt.Errorf("rtnl: %s: connection is closed", op)
	}
	msgs, err := c.c.Execute(netlink.Message{
		Header: netlink.Header{Type: typ, Flags: flags},
		Data:   data,
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return msgs, nil
}

// VethOptions configure CreateVeth.
type VethOptions struct {
	// PeerNSFD places the peer in the namespace referred to by this
	// descriptor; < 0 keeps it in the Conn's namespace.
	PeerNSFD int
	// MTU of both ends; 0 keeps the kernel default (1500).
	MTU int
	// HardwareAddr and PeerHardwareAddr set the MAC addresses; nil lets
	// the kernel choose random ones.
	HardwareAddr, PeerHardwareAddr net.HardwareAddr
}

// CreateVeth creates a veth pair: name in the Conn's namespace and peer in
// the namespace given by opts.PeerNSFD (the peer never appears anywhere
// else). Both ends start down. The kind "veth" needs Linux 2.6.24;
// IFLA_NET_NS_FD needs 3.0.
func (c *Conn) CreateVeth(name, peer string, opts VethOptions) error {
	op := fmt.Sprintf("create veth %s (peer %s)", name, peer)
	if err := checkIfname(name); err != nil {
		return fmt.Errorf("rtnl: %s: %w", op, err)
	}
	if err := checkIfname(peer); err != nil {
		return fmt.Errorf("rtnl: %s: %w", op, err)
	}
	// The peer is a struct ifinfomsg followed by link attributes.
	pae := netlink.NewAttributeEncoder()
	pae.String(unix.IFLA_IFNAME, peer)
	if opts.MTU > 0 {
		pae.Uint32(unix.IFLA_MTU, uint32(opts.MTU))
	}
	if opts.PeerHardwareAddr != nil {
		pae.Bytes(unix.IFLA_ADDRESS, opts.PeerHardwareAddr)
	}
	if opts.PeerNSFD >= 0 {
		pae.Uint32(unix.IFLA_NET_NS_FD, uint32(opts.PeerNSFD))
	}
	peerAttrs, err := pae.Encode()
	if err != nil {
		return fmt.Errorf("rtnl: %s: %w", op, err)
	}
	ae := netlink.NewAttributeEncoder()
	ae.String(unix.IFLA_IFNAME, name)
	if opts.MTU > 0 {
		ae.Uint32(unix.IFLA_MTU, uint32(opts.MTU))
	}
	if opts.HardwareAddr != nil {
		ae.Bytes(unix.IFLA_ADDRESS, opts.HardwareAddr)
	}
	ae.Nested(unix.IFLA_LINKINFO, func(li *netlink.AttributeEncoder) error {
		li.String(unix.IFLA_INFO_KIND, "veth")
		li.Nested(unix.IFLA_INFO_DATA, func(d *netlink.AttributeEncoder) error {
			d.Bytes(vethInfoPeer, append(ifinfomsg(unix.AF_UNSPEC, 0, 0, 0), peerAttrs...))
			return nil
		})
		return nil
	})
	attrs, err := ae.Encode()
	if err != nil {
		return fmt.Errorf("rtnl: %s: %w", op, err)
	}
	_, err = c.execute(op, unix.RTM_NEWLINK, flagsCreate, append(ifinfomsg(unix.AF_UNSPEC, 0, 0, 0), attrs...))
	return err
}

func checkIfname(name string) error {
	if name == "" || len(name) >= unix.IFNAMSIZ {
		return fmt.Errorf("invalid interface name %q: must be 1 to %d bytes", name, unix.IFNAMSIZ-1)
	}
	return nil
}

// SetUp sets or clears IFF_UP on the link with the given index.
func (c *Conn) SetUp(index int, up bool) error {
	var flags uint32
	state := "down"
	if up {
		flags, state = unix.IFF_UP, "up"
	}
	_, err := c.execute(fmt.Sprintf("set link %d %s", index, state), unix.RTM_NEWLINK, flagsAck,
		ifinfomsg(unix.AF_UNSPEC, int32(index), flags, unix.IFF_UP))
	return err
}

// SetMTU sets the MTU of the link with the given index.
func (c *Conn) SetMTU(index, mtu int) error {
	op := fmt.Sprintf("set link %d mtu %d", index, mtu)
	if mtu <= 0 || mtu > 1<<20 {
		return fmt.Errorf("rtnl: %s: MTU out of range", op)
	}
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(unix.IFLA_MTU, uint32(mtu))
	attrs, err := ae.Encode()
	if err != nil {
		return fmt.Errorf("rtnl: %s: %w", op, err)
	}
	_, err = c.execute(op, unix.RTM_NEWLINK, flagsAck, append(ifinfomsg(unix.AF_UNSPEC, int32(index), 0, 0), attrs...))
	return err
}

// DeleteLink deletes the link with the given index; deleting one end of a
// veth pair deletes both.
func (c *Conn) DeleteLink(index int) error {
	_, err := c.execute(fmt.Sprintf("delete link %d", index), unix.RTM_DELLINK, flagsAck,
		ifinfomsg(unix.AF_UNSPEC, int32(index), 0, 0))
	return err
}

// AddrFlags are IFA_F_* flags for AddAddr.
type AddrFlags uint32

// NoDAD skips IPv6 duplicate address detection so the address is usable at
// once (IFA_F_NODAD).
const NoDAD AddrFlags = unix.IFA_F_NODAD

// AddAddr adds the address prefix.Addr() with prefix.Bits() to the link with
// the given index (RTM_NEWADDR), also installing the prefix route.
func (c *Conn) AddAddr(index int, prefix netip.Prefix, flags AddrFlags) error {
	op := fmt.Sprintf("add address %s to link %d", prefix, index)
	if !prefix.IsValid() {
		return fmt.Errorf("rtnl: %s: invalid prefix", op)
	}
	addr := prefix.Addr().Unmap()
	family := uint8(unix.AF_INET6)
	if addr.Is4() {
		family = unix.AF_INET
	}
	hdr := make([]byte, unix.SizeofIfAddrmsg)
	hdr[0] = family
	hdr[1] = uint8(prefix.Bits())
	hdr[2] = uint8(flags) // the low 8 bits; IFA_FLAGS carries all of them
	hdr[3] = unix.RT_SCOPE_UNIVERSE
	binary.NativeEndian.PutUint32(hdr[4:], uint32(index))
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(unix.IFA_LOCAL, addr.AsSlice())
	ae.Bytes(unix.IFA_ADDRESS, addr.AsSlice())
	if flags != 0 {
		ae.Uint32(unix.IFA_FLAGS, uint32(flags))
	}
	attrs, err := ae.Encode()
	if err != nil {
		return fmt.Errorf("rtnl: %s: %w", op, err)
	}
	_, err = c.execute(op, unix.RTM_NEWADDR, flagsCreate, append(hdr, attrs...))
	return err
}

// Link describes a network interface.
type Link struct {
	Index        int
	Name         string
	Kind         string // IFLA_INFO_KIND, such as "veth"; "" for devices without one
	Flags        uint32 // IFF_* flags
	MTU          int
	HardwareAddr net.HardwareAddr
	OperState    uint8  // IFLA_OPERSTATE, RFC 2863: 6 (IF_OPER_UP) when it can pass traffic
	Qdisc        string // IFLA_QDISC: "noop" until the kernel activates the device's queue
}

// OperUp is IF_OPER_UP, the operational state of a link that can pass
// traffic.
const OperUp = 6

// Ready reports whether the link is up, operationally up and has its
// queueing discipline attached: packets sent before that are dropped by the
// "noop" qdisc. The kernel gets there asynchronously (in its link watch
// work) after a link and its carrier come up.
func (l Link) Ready() bool {
	return l.Up() && l.OperState == OperUp && l.Qdisc != "" && l.Qdisc != "noop"
}

// Up reports whether IFF_UP is set.
func (l Link) Up() bool { return l.Flags&unix.IFF_UP != 0 }

// LinkByName returns the link called name, with an error wrapping
// unix.ENODEV if there is none.
func (c *Conn) LinkByName(name string) (Link, error) {
	op := "get link " + name
	if err := checkIfname(name); err != nil {
		return Link{}, fmt.Errorf("rtnl: %s: %w", op, err)
	}
	ae := netlink.NewAttributeEncoder()
	ae.String(unix.IFLA_IFNAME, name)
	attrs, err := ae.Encode()
	if err != nil {
		return Link{}, fmt.Errorf("rtnl: %s: %w", op, err)
	}
	msgs, err := c.execute(op, unix.RTM_GETLINK, netlink.Request, append(ifinfomsg(unix.AF_UNSPEC, 0, 0, 0), attrs...))
	if err != nil {
		return Link{}, err
	}
	for _, m := range msgs {
		if m.Header.Type == unix.RTM_NEWLINK {
			l, err := parseLink(m.Data)
			if err != nil {
				return Link{}, fmt.Errorf("rtnl: %s: %w", op, err)
			}
			return l, nil
		}
	}
	return Link{}, fmt.Errorf("rtnl: %s: no link in reply", op)
}

// LinkIndex returns the index of the link called name.
func (c *Conn) LinkIndex(name string) (int, error) {
	l, err := c.LinkByName(name)
	return l.Index, err
}

// Links lists all links of the Conn's namespace.
func (c *Conn) Links() ([]Link, error) {
	msgs, err := c.execute("list links", unix.RTM_GETLINK, netlink.Request|netlink.Dump, ifinfomsg(unix.AF_UNSPEC, 0, 0, 0))
	if err != nil {
		return nil, err
	}
	links := make([]Link, 0, len(msgs))
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK {
			continue
		}
		l, err := parseLink(m.Data)
		if err != nil {
			return nil, fmt.Errorf("rtnl: list links: %w", err)
		}
		links = append(links, l)
	}
	return links, nil
}

func parseLink(b []byte) (Link, error) {
	if len(b) < unix.SizeofIfInfomsg {
		return Link{}, fmt.Errorf("short ifinfomsg: %d bytes", len(b))
	}
	l := Link{
		Index: int(int32(binary.NativeEndian.Uint32(b[4:]))),
		Flags: binary.NativeEndian.Uint32(b[8:]),
	}
	ad, err := netlink.NewAttributeDecoder(b[unix.SizeofIfInfomsg:])
	if err != nil {
		return Link{}, fmt.Errorf("link %d attributes: %w", l.Index, err)
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.IFLA_IFNAME:
			l.Name = ad.String()
		case unix.IFLA_MTU:
			l.MTU = int(ad.Uint32())
		case unix.IFLA_OPERSTATE:
			l.OperState = ad.Uint8()
		case unix.IFLA_QDISC:
			l.Qdisc = ad.String()
		case unix.IFLA_ADDRESS:
			l.HardwareAddr = net.HardwareAddr(append([]byte(nil), ad.Bytes()...))
		case unix.IFLA_LINKINFO:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					if nad.Type() == unix.IFLA_INFO_KIND {
						l.Kind = nad.String()
					}
				}
				return nil
			})
		}
	}
	if err := ad.Err(); err != nil {
		return Link{}, fmt.Errorf("link %d attributes: %w", l.Index, err)
	}
	return l, nil
}

// Addr is an address assigned to a link.
type Addr struct {
	Index  int
	Prefix netip.Prefix
	Flags  AddrFlags
}

// Addrs lists the addresses of the link with the given index, or of all
// links when index is 0.
func (c *Conn) Addrs(index int) ([]Addr, error) {
	hdr := make([]byte, unix.SizeofIfAddrmsg)
	msgs, err := c.execute("list addresses", unix.RTM_GETADDR, netlink.Request|netlink.Dump, hdr)
	if err != nil {
		return nil, err
	}
	var out []Addr
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWADDR || len(m.Data) < unix.SizeofIfAddrmsg {
			continue
		}
		d := m.Data
		a := Addr{Index: int(binary.NativeEndian.Uint32(d[4:])), Flags: AddrFlags(d[2])}
		if index != 0 && a.Index != index {
			continue
		}
		bits := int(d[1])
		ad, err := netlink.NewAttributeDecoder(d[unix.SizeofIfAddrmsg:])
		if err != nil {
			return nil, fmt.Errorf("rtnl: list addresses: %w", err)
		}
		var local, address netip.Addr
		for ad.Next() {
			switch ad.Type() {
			case unix.IFA_LOCAL:
				local, _ = netip.AddrFromSlice(ad.Bytes())
			case unix.IFA_ADDRESS:
				address, _ = netip.AddrFromSlice(ad.Bytes())
			case unix.IFA_FLAGS:
				a.Flags = AddrFlags(ad.Uint32())
			}
		}
		if err := ad.Err(); err != nil {
			return nil, fmt.Errorf("rtnl: list addresses: %w", err)
		}
		if local.IsValid() {
			address = local
		}
		a.Prefix = netip.PrefixFrom(address, bits)
		out = append(out, a)
	}
	return out, nil
}

// IPv6Multicast lists the IPv6 multicast groups the link with the given
// index has joined (RTM_GETMULTICAST), such as the solicited-node groups
// of its addresses, which it must join before neighbour discovery for them
// works.
func (c *Conn) IPv6Multicast(index int) ([]netip.Addr, error) {
	hdr := make([]byte, unix.SizeofIfAddrmsg)
	hdr[0] = unix.AF_INET6
	msgs, err := c.execute("list ipv6 multicast groups", unix.RTM_GETMULTICAST, netlink.Request|netlink.Dump, hdr)
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, m := range msgs {
		if len(m.Data) < unix.SizeofIfAddrmsg || int(binary.NativeEndian.Uint32(m.Data[4:])) != index {
			continue
		}
		ad, err := netlink.NewAttributeDecoder(m.Data[unix.SizeofIfAddrmsg:])
		if err != nil {
			return nil, fmt.Errorf("rtnl: list ipv6 multicast groups: %w", err)
		}
		for ad.Next() {
			if ad.Type() == unix.IFA_MULTICAST {
				if a, ok := netip.AddrFromSlice(ad.Bytes()); ok {
					out = append(out, a)
				}
			}
		}
	}
	return out, nil
}
