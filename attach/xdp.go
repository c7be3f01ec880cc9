package attach

import (
	"errors"
	"fmt"
	"os"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/netns"
)

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

// XDP_FLAGS_* (linux/if_link.h).
const (
	xdpFlagsUpdateIfNoExist = 1 << 0
	xdpFlagsSKBMode         = 1 << 1
	xdpFlagsDrvMode         = 1 << 2
	xdpFlagsHWMode          = 1 << 3
	xdpFlagsReplace         = 1 << 4
)

// XDP_ATTACHED_* (linux/if_link.h).
const (
	xdpAttachedNone  = 0
	xdpAttachedDrv   = 1
	xdpAttachedSKB   = 2
	xdpAttachedHW    = 3
	xdpAttachedMulti = 4
)

// XDPMode is where an XDP program runs.
type XDPMode uint8

const (
	// DefaultMode lets the kernel choose: native when the driver supports
	// XDP, generic otherwise. The attachment's Mode reports the choice.
	DefaultMode XDPMode = iota
	// Generic runs the program on socket buffers after the driver
	// (XDP_FLAGS_SKB_MODE, "xdpgeneric" in ip link; 4.12+). Works on every
	// device, slower than native.
	Generic
	// Native runs the program in the driver (XDP_FLAGS_DRV_MODE, "xdp"
	// or "xdpdrv" in ip link). Needs driver support (veth has it since
	// 4.19).
	Native
	// Offload runs the program on the NIC (XDP_FLAGS_HW_MODE,
	// "xdpoffload"); the program must have been loaded for that device.
	Offload
)

// String returns "default", "generic", "native" or "offload".
func (m XDPMode) String() string {
	switch m {
	case DefaultMode:
		return "default"
	case Generic:
		return "generic"
	case Native:
		return "native"
	case Offload:
		return "offload"
	}
	return fmt.Sprintf("XDPMode(%d)", uint8(m))
}

// IPName returns the keyword ip link uses for the mode: "xdp" (native),
// "xdpgeneric" or "xdpoffload" ("xdp" for DefaultMode).
func (m XDPMode) IPName() string {
	switch m {
	case Generic:
		return "xdpgeneric"
	case Offload:
		return "xdpoffload"
	}
	return "xdp"
}

func (m XDPMode) flag() (uint32, error) {
	switch m {
	case DefaultMode:
		return 0, nil
	case Generic:
		return xdpFlagsSKBMode, nil
	case Native:
		return xdpFlagsDrvMode, nil
	case Offload:
		return xdpFlagsHWMode, nil
	}
	return 0, fmt.Errorf("invalid XDP mode %d", uint8(m))
}

// Method is how a program is attached.
type Method uint8

const (
	// Auto uses a bpf_link when the kernel supports it for the hook, and
	// netlink otherwise (and always netlink when replacing someone
	// else's program, which links cannot do).
	Auto Method = iota
	// Netlink attaches like ip and tc do (RTM_SETLINK / RTM_NEWTFILTER).
	Netlink
	// Link attaches through BPF_LINK_CREATE: XDP links (5.9+) or tcx
	// links (6.6+). On kernels without them the error matches
	// bpf.ErrNotSupported and names the feature (features.HaveXDPLink,
	// features.HaveTCX).
	Link
)

// String returns "auto", "netlink" or "link".
func (m Method) String() string {
	switch m {
	case Auto:
		return "auto"
	case Netlink:
		return "netlink"
	case Link:
		return "link"
	}
	return fmt.Sprintf("Method(%d)", uint8(m))
}

// XDPProgram is one XDP program attached to an interface.
type XDPProgram struct {
	Mode XDPMode
	ID   uint32 // the program's kernel id
}

// XDPState is what is attached at an interface's XDP hook: what "ip link
// show" prints as "prog/xdp id N" or "prog/xdpgeneric id N".
type XDPState struct {
	Interface Interface
	// Programs has one entry per mode that has a program (a device can
	// have a native and an offloaded one at once), empty when nothing is
	// attached.
	Programs []XDPProgram
}

// Attached reports whether any XDP program is attached.
func (s XDPState) Attached() bool { return len(s.Programs) > 0 }

// ID returns the id of the program attached in mode, or 0. For
// DefaultMode it returns the id of the only program attached (0 if none
// or several).
func (s XDPState) ID(mode XDPMode) uint32 {
	if mode == DefaultMode {
		if len(s.Programs) == 1 {
			return s.Programs[0].ID
		}
		return 0
	}
	for _, p := range s.Programs {
		if p.Mode == mode {
			return p.ID
		}
	}
	return 0
}

// Mode returns the mode of the only program attached (DefaultMode when
// none or several are).
func (s XDPState) Mode() XDPMode {
	if len(s.Programs) == 1 {
		return s.Programs[0].Mode
	}
	return DefaultMode
}

// modeOf returns the mode holding program id.
func (s XDPState) modeOf(id uint32) (XDPMode, bool) {
	for _, p := range s.Programs {
		if p.ID == id {
			return p.Mode, true
		}
	}
	return DefaultMode, false
}

func parseXDP(ad *netlink.AttributeDecoder) XDPState {
	var s XDPState
	var attached uint8
	var progID uint32
	for ad.Next() {
		switch ad.Type() {
		case iflaXDPAttached:
			attached = ad.Uint8()
		case iflaXDPProgID:
			progID = ad.Uint32()
		case iflaXDPDrvProgID:
			s.Programs = append(s.Programs, XDPProgram{Native, ad.Uint32()})
		case iflaXDPSkbProgID:
			s.Programs = append(s.Programs, XDPProgram{Generic, ad.Uint32()})
		case iflaXDPHwProgID:
			s.Programs = append(s.Programs, XDPProgram{Offload, ad.Uint32()})
		}
	}
	if len(s.Programs) == 0 && progID != 0 {
		// Kernels before 4.19 report only the attached mode and id.
		m := DefaultMode
		switch attached {
		case xdpAttachedDrv:
			m = Native
		case xdpAttachedSKB:
			m = Generic
		case xdpAttachedHW:
			m = Offload
		}
		s.Programs = append(s.Programs, XDPProgram{m, progID})
	}
	return s
}

// XDPOptions configure an XDP attachment. The zero value attaches in the
// default mode, through a bpf_link when the kernel has XDP links and
// through netlink otherwise, refusing to replace a program already
// attached.
type XDPOptions struct {
	// Mode is where the program runs.
	Mode XDPMode
	// Method chooses bpf_link or netlink; Auto tries the link first.
	Method Method
	// Replace replaces whatever program is attached in the mode (ip's
	// -force); without it an attach fails with EBUSY when a program is
	// already there. Netlink only.
	Replace bool
	// ExpectedProgram makes the attach an atomic replace: it succeeds
	// only if this program is the one attached in the mode, and fails
	// with EEXIST otherwise (IFLA_XDP_EXPECTED_FD, 5.7+). Netlink only;
	// to replace the program of a link use XDPAttachment.Update.
	ExpectedProgram *bpf.Program
	// Netns is the namespace of the interface; nil is the caller's.
	// Ignored by Handle methods, which use the Handle's namespace (a
	// different non-nil value is an error).
	Netns *netns.NetNS
}

// XDPAttachment is an XDP program attached to an interface. Close it to
// detach (netlink: only while our program is still the one attached; link:
// when the last descriptor and pin are gone).
type XDPAttachment struct {
	attachment
	mode XDPMode
}

func checkProgram(prog *bpf.Program, want ...bpf.ProgramType) error {
	if prog == nil {
		return errors.New("nil program")
	}
	if prog.FD() < 0 {
		return fmt.Errorf("program %s is closed", prog.Name())
	}
	for _, t := range want {
		if prog.Type() == t {
			return nil
		}
	}
	return fmt.Errorf("program %q has type %v, want %v", prog.Name(), prog.Type(), want[0])
}

func dupProgram(prog *bpf.Program) (*sys.FD, uint32, error) {
	raw, err := unix.FcntlInt(uintptr(prog.FD()), unix.F_DUPFD_CLOEXEC, 1)
	if err != nil {
		return nil, 0, fmt.Errorf("dup program fd: %w", err)
	}
	fd, err := sys.NewFD(raw)
	if err != nil {
		unix.Close(raw)
		return nil, 0, err
	}
	var info sys.ProgInfo
	if err := sys.ProgInfoByFD(fd, &info); err != nil {
		fd.Close()
		return nil, 0, fmt.Errorf("program info: %w", err)
	}
	return fd, info.ID, nil
}

func (h *Handle) checkNS(ns *netns.NetNS) error {
	if ns != nil && ns != h.ns {
		return fmt.Errorf("options name netns %s but the handle is in %s", ns, nsString(h.ns))
	}
	return nil
}

func nsString(ns *netns.NetNS) string {
	if ns == nil {
		return "the caller's namespace"
	}
	return ns.String()
}

// linkUnsupported reports errors from BPF_LINK_CREATE that mean the kernel
// has no link for the hook (so netlink is the way).
func linkUnsupported(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.E2BIG) || errors.Is(err, unix.ENOSYS)
}

// XDP attaches prog (of type bpf.XDP) to the XDP hook of iface (a name, an
// index or an Interface) in opts.Netns. See XDPOptions for the modes,
// methods and replace semantics. A netlink attachment keeps a netlink
// socket open until Close.
func XDP[I Iface](iface I, prog *bpf.Program, opts XDPOptions) (*XDPAttachment, error) {
	h, err := NewHandle(opts.Netns)
	if err != nil {
		return nil, err
	}
	att, err := h.AttachXDP(toInterface(iface), prog, opts)
	if err != nil {
		h.Close()
		return nil, err
	}
	att.adoptHandle(h)
	return att, nil
}

// AttachXDP is XDP through the handle's socket, in the handle's namespace.
// A netlink attachment uses the handle to detach: keep it open until the
// attachment is closed.
func (h *Handle) AttachXDP(iface Interface, prog *bpf.Program, opts XDPOptions) (*XDPAttachment, error) {
	const op = "attach XDP to"
	if err := h.checkNS(opts.Netns); err != nil {
		return nil, h.newError(op, iface, "", nil, err)
	}
	if err := checkProgram(prog, bpf.XDP); err != nil {
		return nil, h.newError(op, iface, "", ErrProgramType, err)
	}
	modeFlag, err := opts.Mode.flag()
	if err != nil {
		return nil, h.newError(op, iface, "", nil, err)
	}
	if opts.ExpectedProgram != nil {
		if err := checkProgram(opts.ExpectedProgram, bpf.XDP); err != nil {
			return nil, h.newError(op, iface, "", nil, fmt.Errorf("expected program: %w", err))
		}
	}
	replacing := opts.Replace || opts.ExpectedProgram != nil
	method := opts.Method
	switch {
	case method == Link && replacing:
		return nil, h.newError(op, iface, "", nil, errors.New("Replace and ExpectedProgram need Method Netlink: a bpf_link cannot take over another program"))
	case method > Link:
		return nil, h.newError(op, iface, "", nil, fmt.Errorf("invalid method %d", method))
	}
	iface, err = h.resolve(op, iface)
	if err != nil {
		return nil, err
	}
	fd, id, err := dupProgram(prog)
	if err != nil {
		return nil, h.newError(op, iface, "", nil, err)
	}
	att := &XDPAttachment{attachment: attachment{h: h, ns: h.ns, iface: iface, prog: fd, progID: id}, mode: opts.Mode}

	if method == Link || (method == Auto && !replacing) {
		var lfd *sys.FD
		err := h.do(func() error {
			var err error
			lfd, err = sys.LinkCreate(&sys.LinkCreateAttr{
				ProgFD:            fd.Uint(),
				TargetFDOrIfindex: uint32(iface.Index),
				AttachType:        uint32(kernel.AttachXDP),
				Flags:             modeFlag,
			})
			return err
		})
		switch {
		case err == nil:
			att.method, att.link = Link, lfd
		case method == Auto && linkUnsupported(err):
			// fall back to netlink
		default:
			fd.Close()
			return nil, h.newError(op, iface, "BPF_LINK_CREATE", xdpKind(err, method == Link, opts.Mode), err)
		}
	}
	if att.link == nil {
		flags := modeFlag
		var expected *bpf.Program
		switch {
		case opts.ExpectedProgram != nil:
			flags |= xdpFlagsReplace
			expected = opts.ExpectedProgram
		case !opts.Replace:
			flags |= xdpFlagsUpdateIfNoExist
		}
		if err := h.setXDP(iface.Index, fd.Int(), flags, fdOrNeg(expected)); err != nil {
			fd.Close()
			return nil, h.newError(op, iface, "RTM_SETLINK", xdpKind(err, false, opts.Mode), err)
		}
		att.method = Netlink
	}
	if att.mode == DefaultMode {
		l, err := h.getLink(op, iface)
		if err == nil {
			att.mode, _ = l.xdp.modeOf(id)
		}
	}
	return att, nil
}

// xdpKind maps errnos of XDP attach requests to sentinels. A link request
// the kernel refuses as it would an unknown attach type is asked of
// features.HaveXDPLink (off the success path, cached), whose *Error names
// the feature and its release when the kernel lacks XDP links.
func xdpKind(err error, link bool, mode XDPMode) error {
	switch {
	case link && linkUnsupported(err):
		if ferr := features.HaveXDPLink(); errors.Is(ferr, bpf.ErrNotSupported) {
			return ferr
		}
		if mode == Offload && errors.Is(err, unix.EINVAL) {
			return ErrModeNotSupported
		}
	case errors.Is(err, unix.EOPNOTSUPP), mode == Offload && errors.Is(err, unix.EINVAL):
		return ErrModeNotSupported
	case errors.Is(err, unix.ENODEV):
		return ErrNoInterface
	}
	return nil
}

// setXDP sends RTM_SETLINK with IFLA_XDP{FD, FLAGS, EXPECTED_FD}; an
// expectedFD < 0 is left out.
func (h *Handle) setXDP(index, fd int, flags uint32, expectedFD int) error {
	// ifinfomsg (16) + IFLA_XDP (4) + FD (8) + FLAGS (8) + EXPECTED_FD (8)
	var buf [44]byte
	b := ifinfomsg(buf[:0], index)
	n := 4 + 8 + 8
	if expectedFD >= 0 {
		n += 8
	}
	b = appendAttrHdr(b, n, iflaXDP|netlink.Nested)
	b = appendU32Attr(b, iflaXDPFD, uint32(int32(fd)))
	b = appendU32Attr(b, iflaXDPFlags, flags)
	if expectedFD >= 0 {
		b = appendU32Attr(b, iflaXDPExpectedFD, uint32(expectedFD))
	}
	_, err := h.execute(unix.RTM_SETLINK, flagsAck, b)
	return err
}

func appendAttrHdr(b []byte, length int, typ uint16) []byte {
	return append(b, byte(length), byte(length>>8), byte(typ), byte(typ>>8))
}

func appendU32Attr(b []byte, typ uint16, v uint32) []byte {
	b = appendAttrHdr(b, 8, typ)
	var w [4]byte
	putU32(w[:], v)
	return append(b, w[:]...)
}

// Mode returns the mode the program runs in (for DefaultMode attachments,
// the one the kernel chose; DefaultMode if it could not be determined).
func (a *XDPAttachment) Mode() XDPMode { return a.mode }

// Method returns how the program was attached: Netlink or Link.
func (a *XDPAttachment) Method() Method { return a.method }

// Interface returns the interface, with its name and index.
func (a *XDPAttachment) Interface() Interface { return a.iface }

// ProgramID returns the kernel id of the attached program.
func (a *XDPAttachment) ProgramID() uint32 { return a.progID }

// Pin pins the bpf_link at path on a bpffs mount, so that the attachment
// outlives the descriptor and the process. Remove the pin with os.Remove
// (which detaches once no descriptor is left). Netlink attachments cannot
// be pinned: they persist anyway until detached.
func (a *XDPAttachment) Pin(path string) error {
	return a.pin(path, "XDP link", "only bpf_link attachments can be pinned (this one uses netlink)")
}

// Update atomically replaces our program with prog: BPF_LINK_UPDATE for
// links, IFLA_XDP_EXPECTED_FD (5.7+) for netlink. It fails with an error
// matching ErrVanished when our program is no longer the one attached.
func (a *XDPAttachment) Update(prog *bpf.Program) error {
	const op = "update XDP program of"
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return a.errorf(op, "", ErrVanished, errors.New("attachment is closed"))
	}
	if err := checkProgram(prog, bpf.XDP); err != nil {
		return a.errorf(op, "", ErrProgramType, err)
	}
	fd, id, err := dupProgram(prog)
	if err != nil {
		return a.errorf(op, "", nil, err)
	}
	if a.link != nil {
		err = sys.LinkUpdate(&sys.LinkUpdateAttr{LinkFD: a.link.Uint(), NewProgFD: fd.Uint()})
		if err != nil {
			fd.Close()
			var kind error
			if errors.Is(err, unix.ENOLINK) || errors.Is(err, unix.EPERM) {
				kind = ErrVanished
			}
			return a.errorf(op, "BPF_LINK_UPDATE", kind, err)
		}
	} else {
		flag, _ := a.mode.flag()
		err = a.h.setXDP(a.iface.Index, fd.Int(), flag|xdpFlagsReplace, a.prog.Int())
		if err != nil {
			fd.Close()
			var kind error
			if errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENODEV) {
				kind = ErrVanished
			}
			return a.errorf(op, "RTM_SETLINK", kind, err)
		}
	}
	a.prog.Close()
	a.prog, a.progID = fd, id
	return nil
}

// Detach detaches the program and releases the attachment. For netlink it
// removes the program only if ours is still the one attached, and
// otherwise returns an error matching ErrVanished (the other program stays).
// For links it detaches the link even if it is pinned (BPF_LINK_DETACH,
// 5.9+); the pin then refers to a defunct link.
func (a *XDPAttachment) Detach() error { return a.release(true) }

// Close detaches the program like Detach, but treats an attachment that
// vanished (someone replaced or detached our program, or the interface is
// gone) as success. A pinned link stays attached: Close only releases this
// descriptor. Closing twice is safe.
func (a *XDPAttachment) Close() error { return closeVanished(a.release(false)) }

func (a *XDPAttachment) release(detachLink bool) error {
	return a.attachment.release(detachLink, "XDP link", func() error {
		flag, _ := a.mode.flag()
		serr := a.h.setXDP(a.iface.Index, -1, flag|xdpFlagsReplace, a.prog.Int())
		if serr == nil {
			return nil
		}
		var kind error
		if errors.Is(serr, unix.EEXIST) || errors.Is(serr, unix.ENODEV) {
			kind = ErrVanished // another program is attached, or the interface is gone
		}
		return a.errorf("detach XDP from", "RTM_SETLINK", kind, serr)
	})
}

// QueryXDP reports the XDP programs attached to iface in ns (nil: the
// caller's namespace).
func QueryXDP[I Iface](iface I, ns *netns.NetNS) (XDPState, error) {
	h, err := NewHandle(ns)
	if err != nil {
		return XDPState{}, err
	}
	defer h.Close()
	return h.QueryXDP(toInterface(iface))
}

// QueryXDP reports the XDP programs attached to iface.
func (h *Handle) QueryXDP(iface Interface) (XDPState, error) {
	l, err := h.getLink("query XDP of", iface)
	if err != nil {
		return XDPState{}, err
	}
	return l.xdp, nil
}

// DetachXDPOptions select what DetachXDP removes.
type DetachXDPOptions struct {
	// Mode whose program is removed; DefaultMode removes the only
	// program attached (it is an error when several are).
	Mode XDPMode
	// ProgramID, when not 0, removes the program only if it is the one
	// attached (atomically, 5.7+), failing with ErrVanished otherwise.
	ProgramID uint32
	// Netns is the interface's namespace (package-level DetachXDP only).
	Netns *netns.NetNS
	// Links also detaches a program attached through a bpf_link
	// (BPF_LINK_DETACH, 5.9+), which netlink cannot remove: the link
	// stays open for its holders but no longer attaches anything.
	Links bool
}

// DetachXDP removes an XDP program that was attached through netlink by
// anyone (this or another process, ip link). Programs attached through a
// bpf_link cannot be removed this way (EBUSY): close or unpin the link.
func DetachXDP[I Iface](iface I, opts DetachXDPOptions) error {
	h, err := NewHandle(opts.Netns)
	if err != nil {
		return err
	}
	defer h.Close()
	return h.DetachXDP(toInterface(iface), opts)
}

// DetachXDP is the package-level DetachXDP through the handle.
func (h *Handle) DetachXDP(iface Interface, opts DetachXDPOptions) error {
	const op = "detach XDP from"
	if err := h.checkNS(opts.Netns); err != nil {
		return h.newError(op, iface, "", nil, err)
	}
	l, err := h.getLink(op, iface)
	if err != nil {
		return err
	}
	iface = l.Interface
	mode := opts.Mode
	if mode == DefaultMode {
		switch len(l.xdp.Programs) {
		case 0:
			return h.newError(op, iface, "", ErrNotAttached, errors.New("no XDP program attached"))
		case 1:
			mode = l.xdp.Programs[0].Mode
		default:
			return h.newError(op, iface, "", nil, errors.New("several XDP programs attached: choose a mode"))
		}
	}
	flags, err := mode.flag()
	if err != nil {
		return h.newError(op, iface, "", nil, err)
	}
	cur := l.xdp.ID(mode)
	if cur == 0 {
		return h.newError(op, iface, "", ErrNotAttached, fmt.Errorf("no XDP program attached in %v mode", mode))
	}
	expected := -1
	if opts.ProgramID != 0 {
		if cur != opts.ProgramID {
			return h.newError(op, iface, "", ErrVanished, fmt.Errorf("program %d is attached, not %d", cur, opts.ProgramID))
		}
		fd, err := sys.GetFDByID(sys.ProgGetFDByIDCmd, opts.ProgramID)
		if err != nil {
			return h.newError(op, iface, "BPF_PROG_GET_FD_BY_ID", ErrVanished, err)
		}
		defer fd.Close()
		expected = fd.Int()
		flags |= xdpFlagsReplace
	}
	if err := h.setXDP(iface.Index, -1, flags, expected); err != nil {
		if opts.Links && errors.Is(err, unix.EBUSY) {
			// A bpf_link holds the program: detach the link.
			return h.detachXDPLink(op, iface, cur)
		}
		var kind error
		if opts.ProgramID != 0 && errors.Is(err, unix.EEXIST) {
			kind = ErrVanished
		}
		return h.newError(op, iface, "RTM_SETLINK", kind, err)
	}
	return nil
}

// detachXDPLink detaches the XDP link that attaches program progID to
// iface.
func (h *Handle) detachXDPLink(op string, iface Interface, progID uint32) error {
	// Links are global objects: the lookup needs no namespace.
	l, err := findLink(kernel.LinkXDP, iface.Index, progID)
	if err != nil {
		var kind error
		if errors.Is(err, os.ErrNotExist) {
			kind = ErrVanished
		}
		return h.newError(op, iface, "BPF_LINK_GET_FD_BY_ID", kind, err)
	}
	defer l.Close()
	if err := l.Detach(); err != nil {
		return h.newError(op, iface, "BPF_LINK_DETACH", nil, err)
	}
	return nil
}
