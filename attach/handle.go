package attach

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/netns"
)

// Sentinel errors, matched with errors.Is on the *Error values this package
// returns.
var (
	// ErrNoInterface: the interface does not exist (in the target
	// namespace).
	ErrNoInterface = errors.New("no such interface")
	// ErrProgramType: the program's type does not fit the hook (XDP needs
	// bpf.XDP, cls_bpf filters and tcx need bpf.SchedCLS).
	ErrProgramType = errors.New("wrong program type for the hook")
	// ErrModeNotSupported: the device or kernel cannot run XDP in the
	// requested mode (for example native mode on a driver without XDP
	// support, or offload without a capable NIC). It wraps
	// bpf.ErrNotSupported.
	ErrModeNotSupported = fmt.Errorf("XDP mode %w by the device", sys.ErrNotSupported)
	// ErrVanished: the attachment is no longer there (someone detached or
	// replaced the program, or the interface went away).
	ErrVanished = errors.New("attachment vanished")
	// ErrNotAttached: there is nothing to detach.
	ErrNotAttached = errors.New("nothing attached")
)

// Interface names a network interface by name, by index, or both (the
// index wins). Its namespace is the Handle's, or the options' Netns.
type Interface struct {
	Name  string
	Index int
}

// String returns "name (ifindex N)", or the part that is known.
func (i Interface) String() string {
	switch {
	case i.Name != "" && i.Index > 0:
		return fmt.Sprintf("%s (ifindex %d)", i.Name, i.Index)
	case i.Name != "":
		return i.Name
	}
	return "ifindex " + strconv.Itoa(i.Index)
}

// Iface is what functions taking an interface accept: its name, its index
// or an Interface.
type Iface interface {
	string | int | Interface
}

func toInterface[I Iface](i I) Interface {
	switch v := any(i).(type) {
	case string:
		return Interface{Name: v}
	case int:
		return Interface{Index: v}
	case Interface:
		return v
	}
	panic("unreachable")
}

// Error is an attachment operation that failed.
type Error struct {
	Op        string    // "attach XDP to", "list tc filters of", ...
	Interface Interface // the target
	Netns     string    // the namespace's name or path; "" for the caller's own
	Request   string    // the netlink request or bpf command, such as "RTM_SETLINK"; may be empty
	Message   string    // the kernel's extended-ack text; may be empty
	Kind      error     // one of the package's sentinels, or nil
	Err       error     // the cause, usually a unix.Errno
}

func (e *Error) Error() string {
	s := e.Op + " " + e.Interface.String()
	if e.Netns != "" {
		s += " in netns " + e.Netns
	}
	s += ": "
	if e.Kind != nil {
		s += e.Kind.Error() + ": "
	}
	if e.Request != "" {
		s += e.Request
		if e.Message != "" {
			s += " (netlink: " + e.Message + ")"
		}
		s += ": "
	} else if e.Message != "" {
		s += "(netlink: " + e.Message + "): "
	}
	if e.Err != nil {
		s += e.Err.Error()
	}
	return s
}

// Unwrap returns the sentinel and the cause.
func (e *Error) Unwrap() []error {
	if e.Kind != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Err}
}

// Handle is one rtnetlink socket in one network namespace, reused for every
// request made through it. It is safe for concurrent use (requests are
// serialised). Close it when done; attachments made through a Handle use
// it for detaching, so keep it open until they are closed.
type Handle struct {
	ns     *netns.NetNS
	nsName string
	conn   atomic.Pointer[netlink.Conn]
}

// NewHandle opens a rtnetlink socket in ns, or in the calling thread's
// namespace when ns is nil. The socket is created on a temporary thread
// inside ns; the caller's thread does not move. The handle does not own ns:
// keep ns open while the handle is used for bpf_link or tcx operations
// (they enter ns for each call).
func NewHandle(ns *netns.NetNS) (*Handle, error) {
	h := &Handle{ns: ns}
	cfg := &netlink.Config{Strict: true}
	if ns != nil {
		h.nsName = ns.String()
		fd := ns.FD()
		if fd < 0 {
			return nil, fmt.Errorf("attach: open netlink socket in netns %s: %w", h.nsName, netns.ErrClosed)
		}
		cfg.NetNS = fd
	}
	c, err := netlink.Dial(unix.NETLINK_ROUTE, cfg)
	if err != nil {
		return nil, fmt.Errorf("attach: open netlink socket%s: %w", h.inNS(), err)
	}
	if err := c.SetOption(netlink.ExtendedAcknowledge, true); err != nil {
		c.Close()
		return nil, fmt.Errorf("attach: enable netlink extended acks%s: %w", h.inNS(), err)
	}
	h.conn.Store(c)
	return h, nil
}

func (h *Handle) inNS() string {
	if h.nsName == "" {
		return ""
	}
	return " in netns " + h.nsName
}

// Netns returns the namespace the handle works in (nil: the caller's).
func (h *Handle) Netns() *netns.NetNS { return h.ns }

// Close closes the socket. Closing twice, or while another goroutine
// uses the handle (whose request then fails), is safe.
func (h *Handle) Close() error {
	if h == nil {
		return nil
	}
	if c := h.conn.Swap(nil); c != nil {
		return c.Close()
	}
	return nil
}

// newError builds an *Error for op on iface; cause may be a netlink error,
// whose errno and ext-ack text are split out.
func (h *Handle) newError(op string, iface Interface, request string, kind, cause error) *Error {
	return mkError(op, iface, h.nsName, request, kind, cause)
}

// mkError builds an *Error, splitting a netlink error into errno and
// ext-ack text and a bpf(2) error into its errno (Request names the
// command).
func mkError(op string, iface Interface, ns, request string, kind, cause error) *Error {
	e := &Error{Op: op, Interface: iface, Netns: ns, Request: request, Kind: kind, Err: cause}
	var oe *netlink.OpError
	var se *sys.Error
	switch {
	case errors.As(cause, &oe):
		e.Message = oe.Message
		e.Err = oe.Err
	case errors.As(cause, &se):
		e.Err = se.Errno
	}
	return e
}

// do runs fn inside the handle's namespace (on a temporary thread), or
// directly when the handle is in the caller's namespace.
func (h *Handle) do(fn func() error) error {
	if h.ns == nil {
		return fn()
	}
	return h.ns.Do(fn)
}

const (
	flagsAck = netlink.Request | netlink.Acknowledge
)

var errClosed = errors.New("handle is closed")

func (h *Handle) execute(typ netlink.HeaderType, flags netlink.HeaderFlags, data []byte) ([]netlink.Message, error) {
	if h == nil {
		return nil, errClosed
	}
	c := h.conn.Load()
	if c == nil {
		return nil, errClosed
	}
	return c.Execute(netlink.Message{
		Header: netlink.Header{Type: typ, Flags: flags},
		Data:   data,
	})
}

// ifinfomsg appends struct ifinfomsg (AF_UNSPEC) for index to b.
func ifinfomsg(b []byte, index int) []byte {
	var m [unix.SizeofIfInfomsg]byte
	binary.NativeEndian.PutUint32(m[4:], uint32(int32(index)))
	return append(b, m[:]...)
}

// link is what an RTM_GETLINK reply says about an interface.
type link struct {
	Interface
	xdp XDPState
}

// getLink looks iface up by index or name and parses its XDP state.
func (h *Handle) getLink(op string, iface Interface) (link, error) {
	if iface.Index <= 0 && (iface.Name == "" || len(iface.Name) >= unix.IFNAMSIZ) {
		return link{}, h.newError(op, iface, "", ErrNoInterface,
			fmt.Errorf("invalid interface: need an index > 0 or a name of 1 to %d bytes", unix.IFNAMSIZ-1))
	}
	b := ifinfomsg(make([]byte, 0, 64), iface.Index)
	if iface.Index <= 0 {
		ae := netlink.NewAttributeEncoder()
		ae.String(unix.IFLA_IFNAME, iface.Name)
		attrs, err := ae.Encode()
		if err != nil {
			return link{}, h.newError(op, iface, "", nil, err)
		}
		b = append(b, attrs...)
	}
	msgs, err := h.execute(unix.RTM_GETLINK, netlink.Request, b)
	if err != nil {
		var kind error
		if errors.Is(err, unix.ENODEV) {
			kind = ErrNoInterface
		}
		return link{}, h.newError(op, iface, "RTM_GETLINK", kind, err)
	}
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK {
			continue
		}
		l, err := parseLink(m.Data)
		if err != nil {
			return link{}, h.newError(op, iface, "RTM_GETLINK", nil, err)
		}
		return l, nil
	}
	return link{}, h.newError(op, iface, "RTM_GETLINK", ErrNoInterface, errors.New("no link in the reply"))
}

func parseLink(b []byte) (link, error) {
	if len(b) < unix.SizeofIfInfomsg {
		return link{}, fmt.Errorf("short ifinfomsg: %d bytes", len(b))
	}
	var l link
	l.Index = int(int32(binary.NativeEndian.Uint32(b[4:])))
	ad, err := netlink.NewAttributeDecoder(b[unix.SizeofIfInfomsg:])
	if err != nil {
		return link{}, err
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.IFLA_IFNAME:
			l.Name = ad.String()
		case iflaXDP:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				l.xdp = parseXDP(nad)
				return nil
			})
		}
	}
	if err := ad.Err(); err != nil {
		return link{}, err
	}
	l.xdp.Interface = l.Interface
	return l, nil
}

// resolve returns iface with its index (and name) filled in.
func (h *Handle) resolve(op string, iface Interface) (Interface, error) {
	if iface.Index > 0 && iface.Name != "" {
		return iface, nil
	}
	l, err := h.getLink(op, iface)
	if err != nil {
		return iface, err
	}
	return l.Interface, nil
}

// Links lists the interfaces of the handle's namespace with their XDP
// state (what "ip link show" prints as "prog/xdp id N").
func (h *Handle) Links() ([]XDPState, error) {
	msgs, err := h.execute(unix.RTM_GETLINK, netlink.Request|netlink.Dump, ifinfomsg(nil, 0))
	if err != nil {
		return nil, h.newError("list", Interface{Name: "interfaces"}, "RTM_GETLINK", nil, err)
	}
	out := make([]XDPState, 0, len(msgs))
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK {
			continue
		}
		l, err := parseLink(m.Data)
		if err != nil {
			return nil, h.newError("list", Interface{Name: "interfaces"}, "RTM_GETLINK", nil, err)
		}
		out = append(out, l.xdp)
	}
	return out, nil
}
