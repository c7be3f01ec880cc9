package attach

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/internal/rtnl"
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
	// ErrVanished: the attachment is no longer there because someone
	// else detached or replaced the program, or the interface went away.
	// An attachment this process closed, released or detached reports
	// bpf.ErrClosed instead.
	ErrVanished = errors.New("attachment vanished")
	// ErrNotAttached: there is nothing to detach.
	ErrNotAttached = errors.New("nothing attached")
	// ErrExists: the hook already has a program and the request does not
	// replace it: XDP without Replace or ExpectedProgram (through netlink
	// or a bpf_link, in the same mode or another one), XDP with an
	// ExpectedProgram that is no longer the one attached, or a tc filter
	// at a priority and handle that are taken (without Replace). The
	// *Error's Holder names the program found on the hook by a query
	// right after the refusal (when that program went away in between,
	// the error is the kernel's errno alone). errors.Is also matches the
	// errno (unix.EBUSY or unix.EEXIST).
	ErrExists = errors.New("the hook already has a program")
)

// Interface names a network interface in a network namespace: by name, by
// index, or both (the index wins). Build one with ByName or ByIndex and
// place it with In; the zero Netns is the calling thread's namespace. An
// interface given by name is looked up (RTM_GETLINK) before each request;
// one given by index goes to the kernel as it is, which is one request
// fewer.
type Interface struct {
	// Name is the interface's name, such as "veth0".
	Name string
	// Index is the interface's index (ifindex); 0 when only the name is
	// known.
	Index int
	// Netns is the namespace the interface lives in; nil is the calling
	// thread's. The namespace handle must stay open while the interface
	// is used; closing it also closes the rtnetlink socket this package
	// keeps for the namespace (see the package documentation).
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
	Interface Interface // the target, with its namespace (Interface.Netns; printed by name or path)
	Request   string    // the netlink request or bpf command, such as "RTM_SETLINK"; may be empty
	Message   string    // the kernel's extended-ack text; may be empty
	Kind      error     // one of the package's sentinels, or nil
	Err       error     // the cause, usually a unix.Errno
	// Holder is, with Kind ErrExists, the program on the hook that the
	// request would have replaced; 0 otherwise.
	Holder bpf.ProgramID
}

func (e *Error) Error() string {
	s := e.Op + " " + e.Interface.String()
	if ns := nsName(e.Interface.Netns); ns != "" {
		s += " in netns " + ns
	}
	s += ": "
	if e.Kind != nil {
		s += e.Kind.Error()
		if e.Holder != 0 {
			s += " (program " + strconv.FormatUint(uint64(e.Holder), 10) + ")"
		}
		s += ": "
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

// handle is a namespace and, once a request needs it, the namespace's
// shared rtnetlink connection (rtnl.Shared: one socket per *netns.NetNS,
// closed with it). Every operation starts with handle{ns: ...} and ends
// with put; netlink attachments keep theirs until they end. Requests that
// need no netlink (a bpf_link on an interface given by index) open
// nothing.
type handle struct {
	c  *rtnl.Conn
	ns *netns.NetNS
}

// conn returns the namespace's connection, taking a reference on first
// use.
func (h *handle) conn() (*rtnl.Conn, error) {
	if h.c != nil {
		return h.c, nil
	}
	c, err := rtnl.Shared(h.ns)
	if err != nil {
		return nil, err
	}
	h.c = c
	return c, nil
}

// put gives back the connection, if one was taken.
func (h *handle) put() {
	if h.c != nil {
		h.c.Put()
		h.c = nil
	}
}

func (h *handle) ack(op string, typ netlink.HeaderType, flags netlink.HeaderFlags, b []byte) error {
	c, err := h.conn()
	if err != nil {
		return err
	}
	return c.Ack(op, typ, flags, b)
}

func (h *handle) request(op string, typ netlink.HeaderType, flags netlink.HeaderFlags, b []byte) ([]netlink.Message, error) {
	c, err := h.conn()
	if err != nil {
		return nil, err
	}
	return c.Request(op, typ, flags, b)
}

func (h *handle) setXDP(op string, index, fd int, flags uint32, expectedFD int) error {
	c, err := h.conn()
	if err != nil {
		return err
	}
	return c.SetXDP(op, index, fd, flags, expectedFD)
}

func (h *handle) linkByIndex(op string, index int) (rtnl.Link, error) {
	c, err := h.conn()
	if err != nil {
		return rtnl.Link{}, err
	}
	return c.LinkByIndex(op, index)
}

func (h *handle) linkByName(name string) (rtnl.Link, error) {
	c, err := h.conn()
	if err != nil {
		return rtnl.Link{}, err
	}
	return c.LinkByName(name)
}

func (h *handle) links() ([]rtnl.Link, error) {
	c, err := h.conn()
	if err != nil {
		return nil, err
	}
	return c.Links()
}

// newError builds an *Error for op on iface; cause may be an rtnetlink
// error, whose errno and ext-ack text are split out.
func (h *handle) newError(op string, iface Interface, request string, kind, cause error) *Error {
	if iface.Netns == nil {
		iface.Netns = h.ns
	}
	return mkError(op, iface, request, kind, cause)
}

// mkError builds an *Error, splitting an rtnetlink error into errno and
// ext-ack text and a bare bpf(2) error into its errno (Request names the
// command).
func mkError(op string, iface Interface, request string, kind, cause error) *Error {
	e := &Error{Op: op, Interface: iface, Request: request, Kind: kind, Err: cause}
	var re *rtnl.Error
	var se *sys.Error
	switch {
	case errors.As(cause, &re):
		e.Message = re.Message
		e.Err = re.Errno
	case errors.As(cause, &se) && error(se) == cause:
		// Only a bare bpf(2) error: one wrapped with an explanation
		// keeps it.
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

// link is what an RTM_GETLINK reply says about an interface.
type link struct {
	Interface
	xdp XDPState
}

func linkFrom(l rtnl.Link, ns *netns.NetNS) link {
	iface := Interface{Name: l.Name, Index: l.Index, Netns: ns}
	return link{iface, xdpState(iface, l.XDP)}
}

// getLink looks iface up by index or name and parses its XDP state.
func (h *handle) getLink(op string, iface Interface) (link, error) {
	var l rtnl.Link
	var err error
	switch {
	case iface.Index > 0:
		l, err = h.linkByIndex("RTM_GETLINK", iface.Index)
	case iface.Name != "" && len(iface.Name) < unix.IFNAMSIZ:
		l, err = h.linkByName(iface.Name)
	default:
		return link{}, h.newError(op, iface, "", ErrNoInterface,
			fmt.Errorf("invalid interface: need an index > 0 or a name of 1 to %d bytes", unix.IFNAMSIZ-1))
	}
	if err != nil {
		var kind error
		if errors.Is(err, unix.ENODEV) {
			kind = ErrNoInterface
		}
		return link{}, h.newError(op, iface, "RTM_GETLINK", kind, err)
	}
	return linkFrom(l, h.ns), nil
}

// resolve returns iface with its index filled in. An interface given by
// index is taken as it is (the kernel checks it in the request that
// follows; see missing).
func (h *handle) resolve(op string, iface Interface) (Interface, error) {
	if iface.Index > 0 {
		return iface, nil
	}
	l, err := h.getLink(op, iface)
	if err != nil {
		return iface, err
	}
	return l.Interface, nil
}

// missing reports whether iface does not exist, for classifying errors of
// requests made with an unchecked index.
func (h *handle) missing(iface Interface) bool {
	_, err := h.getLink("", iface)
	return errors.Is(err, ErrNoInterface)
}

// Interfaces lists the interfaces of the namespace ns (nil: the calling
// thread's) with their XDP state (what "ip link show" prints as
// "prog/xdp id N"). Each XDPState's Interface has its name, index and ns.
func Interfaces(ns *netns.NetNS) ([]XDPState, error) {
	h := handle{ns: ns}
	defer h.put()
	all := Interface{Name: "interfaces", Netns: ns}
	links, err := h.links()
	if err != nil {
		return nil, h.newError("list", all, "RTM_GETLINK", nil, err)
	}
	out := make([]XDPState, 0, len(links))
	for _, l := range links {
		out = append(out, linkFrom(l, ns).xdp)
	}
	return out, nil
}
