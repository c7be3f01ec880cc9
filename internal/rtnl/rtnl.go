// Package rtnl is purebpf's one rtnetlink client, used by package attach
// (XDP and tc attachments, interface lookups) and by the test fixtures of
// bpftest (veth pairs, addresses, links up, MTUs). Messages are built with
// the Append helpers here; the socket, framing, sequence checks and
// extended acknowledgements come from github.com/mdlayher/netlink.
//
// Requests that the kernel answers with an acknowledgement only (Ack,
// SetXDP, SetUp, DeleteLink...) take a fast path: the request is built in
// a buffer the Conn keeps and written and read directly on the netlink
// socket (one write and one read, no allocation). Requests with replies
// (Request: lookups and dumps) go through netlink.Conn.Execute.
//
// A Conn is bound to the network namespace it was created in, for its whole
// life: Dial creates the socket inside the namespace it is given without
// moving the calling thread. Shared hands out one reference-counted Conn per
// namespace handle, closed when the handle (*netns.NetNS) is closed and the
// last user has put it back, so that a cached socket never keeps a deleted
// namespace alive.
package rtnl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/internal/faultinject"
	"github.com/purebpf/bpf/internal/nsclose"
	"github.com/purebpf/bpf/netns"
)

// vethInfoPeer is VETH_INFO_PEER from linux/veth.h.
const vethInfoPeer = 1

// Conn is a rtnetlink socket in one network namespace. It is safe for
// concurrent use (requests are serialised).
type Conn struct {
	mu  sync.Mutex // serialises requests (and guards the buffers)
	c   *netlink.Conn
	raw syscall.RawConn
	seq uint32

	// The fast path's buffers and the results of its raw I/O callbacks,
	// which are method values bound once so that no closure is built per
	// request.
	wbuf, rbuf  []byte
	out         []byte
	n           int
	ioErr       error
	write, read func(fd uintptr) bool

	refs atomic.Int32 // references of a Shared Conn; 0 for Dial's
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
	raw, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("rtnl: raw socket: %w", err)
	}
	conn := &Conn{c: c, raw: raw, wbuf: make([]byte, 0, 512), rbuf: make([]byte, 8192), seq: 1 << 31}
	conn.write, conn.read = conn.writeRaw, conn.readRaw
	return conn, nil
}

// Close closes the socket. Closing twice is safe. A Shared Conn is not
// closed this way: use Put.
func (c *Conn) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c == nil {
		return nil
	}
	err := c.c.Close()
	c.c = nil
	return err
}

// The shared connections: one per namespace handle, and one for the
// process's own namespace.
var shared struct {
	mu   sync.Mutex
	byNS map[*netns.NetNS]*Conn
	host *Conn
}

// Shared returns the shared Conn of the namespace ns, dialling it on first
// use; give it back with Put. The namespace's Conn is closed once ns is
// closed and every user has put it back. For a nil ns (the calling
// thread's namespace) the process's Conn is shared when the calling thread
// is in the process's own namespace, and a Conn of its own (closed by Put)
// is dialled otherwise.
func Shared(ns *netns.NetNS) (*Conn, error) {
	if ns == nil {
		return sharedHost()
	}
	shared.mu.Lock()
	if c := shared.byNS[ns]; c != nil {
		c.refs.Add(1)
		shared.mu.Unlock()
		return c, nil
	}
	// Dial on a thread inside ns: Do holds the handle open until the
	// thread has entered it, so a concurrent Close cannot swap the
	// descriptor under the dial.
	var c *Conn
	err := ns.Do(func() error {
		var err error
		c, err = Dial(-1)
		return err
	})
	if err != nil {
		shared.mu.Unlock()
		return nil, fmt.Errorf("rtnl: dial in netns %s: %w", ns, err)
	}
	c.refs.Store(2) // the cache's and the caller's
	if shared.byNS == nil {
		shared.byNS = map[*netns.NetNS]*Conn{}
	}
	shared.byNS[ns] = c
	shared.mu.Unlock()
	nsclose.Add(ns, func() { forget(ns, c) })
	if ns.FD() < 0 {
		forget(ns, c) // closed before the hook was in place
	}
	return c, nil
}

// forget drops the cache's reference to c, the Conn of ns, once.
func forget(ns *netns.NetNS, c *Conn) {
	shared.mu.Lock()
	cur := shared.byNS[ns]
	if cur == c {
		delete(shared.byNS, ns)
	}
	shared.mu.Unlock()
	if cur == c {
		c.Put()
	}
}

var processNS struct {
	once     sync.Once
	dev, ino uint64
	err      error
}

// inProcessNS reports whether the calling thread is in the network
// namespace of the process (that of its main thread when first asked).
func inProcessNS() bool {
	processNS.once.Do(func() {
		var st unix.Stat_t
		processNS.err = unix.Stat("/proc/self/ns/net", &st)
		processNS.dev, processNS.ino = st.Dev, st.Ino
	})
	if processNS.err != nil {
		return false
	}
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
		return false
	}
	return st.Dev == processNS.dev && st.Ino == processNS.ino
}

func sharedHost() (*Conn, error) {
	if !inProcessNS() {
		c, err := Dial(-1)
		if err != nil {
			return nil, err
		}
		c.refs.Store(1)
		return c, nil
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.host == nil {
		c, err := Dial(-1)
		if err != nil {
			return nil, err
		}
		c.refs.Store(1) // the cache's; the process's namespace is never closed
		shared.host = c
	}
	shared.host.refs.Add(1)
	return shared.host, nil
}

// Put gives back a Conn from Shared; the last Put of a Conn whose
// namespace was closed (or of a private one) closes it.
func (c *Conn) Put() {
	if c.refs.Add(-1) == 0 {
		c.Close()
	}
}

// Error is a failed rtnetlink request: the operation, the errno and, when
// the kernel sent one, its extended-ack message. errors.Is matches the
// errno (for example unix.EEXIST).
type Error struct {
	Op      string
	Errno   error  // the unix.Errno, or the socket error
	Message string // the kernel's extended-ack text, may be empty
	err     error  // what the netlink package returned, or Errno
}

func (e *Error) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("rtnl: %s: %v (kernel: %s)", e.Op, e.Errno, e.Message)
	}
	return fmt.Sprintf("rtnl: %s: %v", e.Op, e.Errno)
}

// Unwrap returns the cause, which unwraps to the errno.
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

// AppendIfinfomsg appends struct ifinfomsg to b.
func AppendIfinfomsg(b []byte, family uint8, index int32, flags, change uint32) []byte {
	var m [unix.SizeofIfInfomsg]byte
	m[0] = family
	binary.NativeEndian.PutUint32(m[4:], uint32(index))
	binary.NativeEndian.PutUint32(m[8:], flags)
	binary.NativeEndian.PutUint32(m[12:], change)
	return append(b, m[:]...)
}

// SizeofTcmsg is the size of struct tcmsg.
const SizeofTcmsg = 20

// AppendTcmsg appends struct tcmsg (AF_UNSPEC) to b.
func AppendTcmsg(b []byte, index int32, handle, parent, info uint32) []byte {
	var m [SizeofTcmsg]byte
	binary.NativeEndian.PutUint32(m[4:], uint32(index))
	binary.NativeEndian.PutUint32(m[8:], handle)
	binary.NativeEndian.PutUint32(m[12:], parent)
	binary.NativeEndian.PutUint32(m[16:], info)
	return append(b, m[:]...)
}

// AppendAttrHeader appends the header of an attribute of typ whose total
// length (header included) is length.
func AppendAttrHeader(b []byte, length int, typ uint16) []byte {
	return append(b, byte(length), byte(length>>8), byte(typ), byte(typ>>8))
}

// AppendU32 appends a 32-bit attribute.
func AppendU32(b []byte, typ uint16, v uint32) []byte {
	b = AppendAttrHeader(b, 8, typ)
	return binary.NativeEndian.AppendUint32(b, v)
}

// AppendString appends a NUL-terminated string attribute, padded to 4
// bytes.
func AppendString(b []byte, typ uint16, s string) []byte {
	n := 4 + len(s) + 1
	b = AppendAttrHeader(b, n, typ)
	b = append(b, s...)
	b = append(b, 0)
	for ; n%4 != 0; n++ {
		b = append(b, 0)
	}
	return b
}

// BeginNested appends the header of a nested attribute of typ and returns
// where it starts, for EndNested.
func BeginNested(b []byte, typ uint16) ([]byte, int) {
	return AppendAttrHeader(b, 0, typ|netlink.Nested), len(b)
}

// EndNested sets the length of the nested attribute that starts at start.
func EndNested(b []byte, start int) []byte {
	binary.NativeEndian.PutUint16(b[start:], uint16(len(b)-start))
	return b
}

const flagsAck = netlink.Request | netlink.Acknowledge

var errClosed = errors.New("connection is closed")

// Request sends a request with a reply (a lookup or a dump: flags without
// Acknowledge) and returns the reply's messages.
func (c *Conn) Request(op string, typ netlink.HeaderType, flags netlink.HeaderFlags, data []byte) ([]netlink.Message, error) {
	if c == nil {
		return nil, &Error{Op: op, Errno: errClosed, err: errClosed}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c == nil {
		return nil, &Error{Op: op, Errno: errClosed, err: errClosed}
	}
	if err := injected(op, typ); err != nil {
		return nil, err
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

// Ack sends a request that the kernel answers with an acknowledgement
// only (Request and Acknowledge are added to flags) and waits for it. It
// makes one write and one read and does not allocate unless it fails.
func (c *Conn) Ack(op string, typ netlink.HeaderType, flags netlink.HeaderFlags, data []byte) error {
	if c == nil {
		return &Error{Op: op, Errno: errClosed, err: errClosed}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c == nil {
		return &Error{Op: op, Errno: errClosed, err: errClosed}
	}
	if err := injected(op, typ); err != nil {
		return err
	}
	c.seq++
	seq := c.seq
	b := c.wbuf[:0]
	b = binary.NativeEndian.AppendUint32(b, uint32(unix.NLMSG_HDRLEN+len(data)))
	b = binary.NativeEndian.AppendUint16(b, uint16(typ))
	b = binary.NativeEndian.AppendUint16(b, uint16(flags|flagsAck))
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0) // to the kernel
	b = append(b, data...)
	c.wbuf, c.out = b, b
	if err := c.raw.Write(c.write); err != nil {
		return &Error{Op: op, Errno: err, err: err}
	}
	if c.ioErr != nil {
		return &Error{Op: op, Errno: c.ioErr, err: c.ioErr}
	}
	for {
		if err := c.raw.Read(c.read); err != nil {
			return &Error{Op: op, Errno: err, err: err}
		}
		if c.ioErr != nil {
			return &Error{Op: op, Errno: c.ioErr, err: c.ioErr}
		}
		for m := c.rbuf[:c.n]; len(m) >= unix.NLMSG_HDRLEN; {
			l := int(binary.NativeEndian.Uint32(m))
			if l < unix.NLMSG_HDRLEN || l > len(m) {
				break // truncated: not ours
			}
			msg := m[:l]
			m = m[min(nlmsgAlign(l), len(m)):]
			if binary.NativeEndian.Uint32(msg[8:]) != seq || binary.NativeEndian.Uint16(msg[4:]) != unix.NLMSG_ERROR {
				continue // a late reply to an abandoned request
			}
			return ackError(op, msg)
		}
	}
}

// injected returns the failure internal/faultinject chose for this
// request, or nil (one atomic load when no plan is armed).
func injected(op string, typ netlink.HeaderType) error {
	if p := faultinject.Active(); p != nil {
		if errno := p.Check(faultinject.Netlink, uint32(typ)); errno != 0 {
			return &Error{Op: op, Errno: errno, err: errno}
		}
	}
	return nil
}

func nlmsgAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

func (c *Conn) writeRaw(fd uintptr) bool {
	_, err := unix.Write(int(fd), c.out)
	if err == unix.EAGAIN {
		return false
	}
	c.ioErr = err
	return true
}

func (c *Conn) readRaw(fd uintptr) bool {
	n, err := unix.Read(int(fd), c.rbuf)
	if err == unix.EAGAIN {
		return false
	}
	c.n, c.ioErr = n, err
	return true
}

// NLMSGERR_ATTR_MSG and the header flags of extended acks.
const (
	nlmsgerrAttrMsg = 1
	nlmCapped       = 0x100
	nlmAckTLVs      = 0x200
)

// ackError decodes an NLMSG_ERROR message: nil for an acknowledgement,
// an *Error with the errno and the extended-ack text otherwise.
func ackError(op string, msg []byte) error {
	if len(msg) < unix.NLMSG_HDRLEN+4 {
		return &Error{Op: op, Errno: unix.EBADMSG, err: unix.EBADMSG}
	}
	code := int32(binary.NativeEndian.Uint32(msg[unix.NLMSG_HDRLEN:]))
	if code == 0 {
		return nil
	}
	errno := unix.Errno(-code)
	e := &Error{Op: op, Errno: errno, err: errno}
	flags := binary.NativeEndian.Uint16(msg[6:])
	if flags&nlmAckTLVs == 0 {
		return e
	}
	// The echoed request follows the errno: its header only when capped.
	rest := msg[unix.NLMSG_HDRLEN+4:]
	if len(rest) < unix.NLMSG_HDRLEN {
		return e
	}
	echoed := unix.NLMSG_HDRLEN
	if flags&nlmCapped == 0 {
		echoed = nlmsgAlign(int(binary.NativeEndian.Uint32(rest)))
	}
	if echoed > len(rest) {
		return e
	}
	if ad, err := netlink.NewAttributeDecoder(rest[echoed:]); err == nil {
		for ad.Next() {
			if ad.Type() == nlmsgerrAttrMsg {
				e.Message = ad.String()
			}
		}
	}
	return e
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
			d.Bytes(vethInfoPeer, append(AppendIfinfomsg(nil, unix.AF_UNSPEC, 0, 0, 0), peerAttrs...))
			return nil
		})
		return nil
	})
	attrs, err := ae.Encode()
	if err != nil {
		return fmt.Errorf("rtnl: %s: %w", op, err)
	}
	return c.Ack(op, unix.RTM_NEWLINK, netlink.Create|netlink.Excl, append(AppendIfinfomsg(nil, unix.AF_UNSPEC, 0, 0, 0), attrs...))
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
	var buf [unix.SizeofIfInfomsg]byte
	return c.Ack(fmt.Sprintf("set link %d %s", index, state), unix.RTM_NEWLINK, 0,
		AppendIfinfomsg(buf[:0], unix.AF_UNSPEC, int32(index), flags, unix.IFF_UP))
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
	return c.Ack(op, unix.RTM_NEWLINK, 0, append(AppendIfinfomsg(nil, unix.AF_UNSPEC, int32(index), 0, 0), attrs...))
}

// DeleteLink deletes the link with the given index; deleting one end of a
// veth pair deletes both.
func (c *Conn) DeleteLink(index int) error {
	var buf [unix.SizeofIfInfomsg]byte
	return c.Ack(fmt.Sprintf("delete link %d", index), unix.RTM_DELLINK, 0,
		AppendIfinfomsg(buf[:0], unix.AF_UNSPEC, int32(index), 0, 0))
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
	return c.Ack(op, unix.RTM_NEWADDR, netlink.Create|netlink.Excl, append(hdr, attrs...))
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
	XDP          XDP    // IFLA_XDP: the XDP programs attached
}

// XDP is what IFLA_XDP reports about an interface's XDP hook.
type XDP struct {
	Attached uint8  // XDP_ATTACHED_*: NONE, DRV, SKB, HW or MULTI
	ProgID   uint32 // IFLA_XDP_PROG_ID: the program of the only mode attached
	// The programs per mode (4.19+; 0 when none).
	DrvProgID, SkbProgID, HwProgID uint32
}

// IFLA_XDP and its nested attributes (linux/if_link.h).
const (
	iflaXDP           = 43
	iflaXDPFD         = 1
	iflaXDPAttached   = 2
	iflaXDPFlags      = 3
	iflaXDPProgID     = 4
	iflaXDPDrvProgID  = 5
	iflaXDPSkbProgID  = 6
	iflaXDPHwProgID   = 7
	iflaXDPExpectedFD = 8
)

// SetXDP attaches the program fd to the XDP hook of the link with the
// given index, or detaches with fd -1 (RTM_SETLINK with IFLA_XDP: FD,
// FLAGS and, when expectedFD >= 0, EXPECTED_FD (5.7+)). flags are
// XDP_FLAGS_*. It takes the no-allocation fast path of Ack.
func (c *Conn) SetXDP(op string, index, fd int, flags uint32, expectedFD int) error {
	// ifinfomsg (16) + IFLA_XDP (4) + FD (8) + FLAGS (8) + EXPECTED_FD (8)
	var buf [unix.SizeofIfInfomsg + 28]byte
	b := AppendIfinfomsg(buf[:0], unix.AF_UNSPEC, int32(index), 0, 0)
	b, start := BeginNested(b, iflaXDP)
	b = AppendU32(b, iflaXDPFD, uint32(int32(fd)))
	b = AppendU32(b, iflaXDPFlags, flags)
	if expectedFD >= 0 {
		b = AppendU32(b, iflaXDPExpectedFD, uint32(expectedFD))
	}
	b = EndNested(b, start)
	return c.Ack(op, unix.RTM_SETLINK, 0, b)
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
	msgs, err := c.Request(op, unix.RTM_GETLINK, netlink.Request, append(AppendIfinfomsg(nil, unix.AF_UNSPEC, 0, 0, 0), attrs...))
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

// LinkByIndex returns the link with the given index, with an error
// wrapping unix.ENODEV if there is none.
func (c *Conn) LinkByIndex(op string, index int) (Link, error) {
	var buf [unix.SizeofIfInfomsg]byte
	msgs, err := c.Request(op, unix.RTM_GETLINK, netlink.Request, AppendIfinfomsg(buf[:0], unix.AF_UNSPEC, int32(index), 0, 0))
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
	msgs, err := c.Request("list links", unix.RTM_GETLINK, netlink.Request|netlink.Dump, AppendIfinfomsg(nil, unix.AF_UNSPEC, 0, 0, 0))
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
		case iflaXDP:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					switch nad.Type() {
					case iflaXDPAttached:
						l.XDP.Attached = nad.Uint8()
					case iflaXDPProgID:
						l.XDP.ProgID = nad.Uint32()
					case iflaXDPDrvProgID:
						l.XDP.DrvProgID = nad.Uint32()
					case iflaXDPSkbProgID:
						l.XDP.SkbProgID = nad.Uint32()
					case iflaXDPHwProgID:
						l.XDP.HwProgID = nad.Uint32()
					}
				}
				return nil
			})
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
	msgs, err := c.Request("list addresses", unix.RTM_GETADDR, netlink.Request|netlink.Dump, hdr)
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
	msgs, err := c.Request("list ipv6 multicast groups", unix.RTM_GETMULTICAST, netlink.Request|netlink.Dump, hdr)
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
