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
	// replaced the program, or the interface went away), or it was
	// already closed or released.
	ErrVanished = errors.New("attachment vanished")
	// ErrNotAttached: there is nothing to detach.
	ErrNotAttached = errors.New("nothing attached")
)

// Interface names a network interface in a network namespace: by name, by
// index, or both (the index wins). Build one with ByName or ByIndex and
// place it with In; the zero Netns is the calling thread's namespace.
type Interface struct {
	// Name is the interface's name, such as "veth0".
	Name string
	// Index is the interface's index (ifindex); 0 when only the name is
	// known.
	Index int
	// Netns is the namespace the interface lives in; nil is the calling
	// thread's. The handle must stay open while the interface is used
	// (and while attachments made on it live).
	Netns *netns.NetNS
}

// ByName returns the interface called name in the calling thread's
// namespace (add In to place it elsewhere).
func ByName(name string) Interface { return Interface{Name: name} }

// ByIndex returns the interface with index (ifindex) in the calling
// thread's namespace (add In to place it elsewhere).
func ByIndex(index int) Interface { return Interface{Index: index} }

// In returns i placed in the namespace ns (nil: the calling thread's).
func (i Interface) In(ns *netns.NetNS) Interface {
	i.Netns = ns
	return i
}

// String returns "name (ifindex N)", or the part that is known. The
// namespace is not part of it (errors name it separately).
func (i Interface) String() string {
	switch {
	case i.Name != "" && i.Index > 0:
		return fmt.Sprintf("%s (ifindex %d)", i.Name, i.Index)
	case i.Name != "":
		return i.Name
	}
	return "ifindex " + strconv.Itoa(i.Index)
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

// handle is one rtnetlink socket in one network namespace. Every
// operation gets one with getHandle and gives it back with put;
// attachments made through netlink keep theirs until they end.
type handle struct {
	ns     *netns.NetNS
	nsName string
	conn   atomic.Pointer[netlink.Conn]
}

// getHandle returns a handle for the namespace ns (nil: the calling
// thread's).
func getHandle(ns *netns.NetNS) (*handle, error) {
	return openHandle(ns)
}

// put gives back a handle from getHandle.
func (h *handle) put() {
	h.close()
}

// openHandle opens a rtnetlink socket in ns, or in the calling thread's
// namespace when ns is nil. The socket is created on a temporary thread
// inside ns; the caller's thread does not move.
func openHandle(ns *netns.NetNS) (*handle, error) {
	h := &handle{ns: ns}
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

func (h *handle) inNS() string {
	if h.nsName == "" {
		return ""
	}
	return " in netns " + h.nsName
}

// close closes the socket. Closing twice, or while another goroutine
// uses the handle (whose request then fails), is safe.
func (h *handle) close() error {
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
func (h *handle) newError(op string, iface Interface, request string, kind, cause error) *Error {
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

// nsName names ns for errors ("" for the calling thread's).
func nsName(ns *netns.NetNS) string {
	if ns == nil {
		return ""
	}
	return ns.String()
}

// do runs fn inside the handle's namespace (on a temporary thread), or
// directly when the handle is in the caller's namespace.
func (h *handle) do(fn func() error) error {
	if h.ns == nil {
		return fn()
	}
	return h.ns.Do(fn)
}

const (
	flagsAck = netlink.Request | netlink.Acknowledge
)

var errClosed = errors.New("handle is closed")

func (h *handle) execute(typ netlink.HeaderType, flags netlink.HeaderFlags, data []byte) ([]netlink.Message, error) {
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
func (h *handle) getLink(op string, iface Interface) (link, error) {
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
		l, err := parseLink(m.Data, h.ns)
		if err != nil {
			return link{}, h.newError(op, iface, "RTM_GETLINK", nil, err)
		}
		return l, nil
	}
	return link{}, h.newError(op, iface, "RTM_GETLINK", ErrNoInterface, errors.New("no link in the reply"))
}

func parseLink(b []byte, ns *netns.NetNS) (link, error) {
	if len(b) < unix.SizeofIfInfomsg {
		return link{}, fmt.Errorf("short ifinfomsg: %d bytes", len(b))
	}
	var l link
	l.Netns = ns
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
func (h *handle) resolve(op string, iface Interface) (Interface, error) {
	if iface.Index > 0 && iface.Name != "" {
		return iface, nil
	}
	l, err := h.getLink(op, iface)
	if err != nil {
		return iface, err
	}
	return l.Interface, nil
}

// Interfaces lists the interfaces of the namespace ns (nil: the calling
// thread's) with their XDP state (what "ip link show" prints as
// "prog/xdp id N"). Each XDPState's Interface has its name, index and ns.
func Interfaces(ns *netns.NetNS) ([]XDPState, error) {
	h, err := getHandle(ns)
	if err != nil {
		return nil, err
	}
	defer h.put()
	all := Interface{Name: "interfaces", Netns: ns}
	msgs, err := h.execute(unix.RTM_GETLINK, netlink.Request|netlink.Dump, ifinfomsg(nil, 0))
	if err != nil {
		return nil, h.newError("list", all, "RTM_GETLINK", nil, err)
	}
	out := make([]XDPState, 0, len(msgs))
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK {
			continue
		}
		l, err := parseLink(m.Data, ns)
		if err != nil {
			return nil, h.newError("list", all, "RTM_GETLINK", nil, err)
		}
		out = append(out, l.xdp)
	}
	return out, nil
}
