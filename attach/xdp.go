package attach

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/rtnl"
	"github.com/purebpf/bpf/internal/sys"
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
	// XDPDefault lets the kernel choose: native when the driver supports
	// XDP, generic otherwise. The attachment's Mode reports the choice.
	XDPDefault XDPMode = iota
	// XDPGeneric runs the program on socket buffers after the driver
	// (XDP_FLAGS_SKB_MODE, "xdpgeneric" in ip link; 4.12+). Works on every
	// device, slower than native.
	XDPGeneric
	// XDPNative runs the program in the driver (XDP_FLAGS_DRV_MODE, "xdp"
	// or "xdpdrv" in ip link). Needs driver support (veth has it since
	// 4.19).
	XDPNative
	// XDPOffload runs the program on the NIC (XDP_FLAGS_HW_MODE,
	// "xdpoffload"); the program must have been loaded for that device
	// (bpf.ProgramOptions.Ifindex, without bpf.XDPDevBoundOnly), which
	// only NICs with BPF offload accept.
	XDPOffload
)

// String returns "default", "generic", "native" or "offload".
func (m XDPMode) String() string {
	switch m {
	case XDPDefault:
		return "default"
	case XDPGeneric:
		return "generic"
	case XDPNative:
		return "native"
	case XDPOffload:
		return "offload"
	}
	return fmt.Sprintf("XDPMode(%d)", uint8(m))
}

// IPName returns the keyword ip link uses for the mode: "xdp" (native),
// "xdpgeneric" or "xdpoffload" ("xdp" for XDPDefault).
func (m XDPMode) IPName() string {
	switch m {
	case XDPGeneric:
		return "xdpgeneric"
	case XDPOffload:
		return "xdpoffload"
	}
	return "xdp"
}

func (m XDPMode) flag() (uint32, error) {
	switch m {
	case XDPDefault:
		return 0, nil
	case XDPGeneric:
		return xdpFlagsSKBMode, nil
	case XDPNative:
		return xdpFlagsDrvMode, nil
	case XDPOffload:
		return xdpFlagsHWMode, nil
	}
	return 0, fmt.Errorf("invalid XDP mode %d", uint8(m))
}

// Method is how a program is attached.
type Method uint8

const (
	// MethodAuto uses a bpf_link when the kernel supports it for the
	// hook, and netlink otherwise (and always netlink when replacing someone
	// else's program, which links cannot do).
	MethodAuto Method = iota
	// MethodNetlink attaches like ip and tc do (RTM_SETLINK /
	// RTM_NEWTFILTER): the program stays attached until someone detaches
	// it, also after the process exits.
	MethodNetlink
	// MethodLink attaches through BPF_LINK_CREATE: XDP links (5.9+) or tcx
	// links (6.6+), which end with their last descriptor and pin. On
	// kernels without them the error matches bpf.ErrNotSupported and names the feature (features.HaveXDPLink,
	// features.HaveTCX).
	MethodLink
)

// String returns "auto", "netlink" or "link".
func (m Method) String() string {
	switch m {
	case MethodAuto:
		return "auto"
	case MethodNetlink:
		return "netlink"
	case MethodLink:
		return "link"
	}
	return fmt.Sprintf("Method(%d)", uint8(m))
}

// XDPProgram is one XDP program attached to an interface.
type XDPProgram struct {
	// Mode is the mode the program runs in.
	Mode XDPMode
	// ProgramID is the program's kernel id.
	ProgramID bpf.ProgramID
}

// XDPState is what is attached at an interface's XDP hook: what "ip link
// show" prints as "prog/xdp id N" or "prog/xdpgeneric id N".
type XDPState struct {
	// Interface is the interface, with its name, index and namespace.
	Interface Interface
	// Programs has one entry per mode that has a program (a device can
	// have a native and an offloaded one at once), empty when nothing is
	// attached.
	Programs []XDPProgram
}

// Attached reports whether any XDP program is attached.
func (s XDPState) Attached() bool { return len(s.Programs) > 0 }

// ProgramID returns the id of the program attached in mode, or 0. For
// XDPDefault it returns the id of the only program attached (0 if none
// or several).
func (s XDPState) ProgramID(mode XDPMode) bpf.ProgramID {
	if mode == XDPDefault {
		if len(s.Programs) == 1 {
			return s.Programs[0].ProgramID
		}
		return 0
	}
	for _, p := range s.Programs {
		if p.Mode == mode {
			return p.ProgramID
		}
	}
	return 0
}

// Mode returns the mode of the only program attached (XDPDefault when
// none or several are).
func (s XDPState) Mode() XDPMode {
	if len(s.Programs) == 1 {
		return s.Programs[0].Mode
	}
	return XDPDefault
}

// modeOf returns the mode holding program id.
func (s XDPState) modeOf(id bpf.ProgramID) (XDPMode, bool) {
	for _, p := range s.Programs {
		if p.ProgramID == id {
			return p.Mode, true
		}
	}
	return XDPDefault, false
}

// xdpState turns what IFLA_XDP says into an XDPState.
func xdpState(iface Interface, x rtnl.XDP) XDPState {
	s := XDPState{Interface: iface}
	for _, p := range []XDPProgram{{XDPNative, bpf.ProgramID(x.DrvProgID)}, {XDPGeneric, bpf.ProgramID(x.SkbProgID)}, {XDPOffload, bpf.ProgramID(x.HwProgID)}} {
		if p.ProgramID != 0 {
			s.Programs = append(s.Programs, p)
		}
	}
	if len(s.Programs) == 0 && x.ProgID != 0 {
		// Kernels before 4.19 report only the attached mode and id.
		m := XDPDefault
		switch x.Attached {
		case xdpAttachedDrv:
			m = XDPNative
		case xdpAttachedSKB:
			m = XDPGeneric
		case xdpAttachedHW:
			m = XDPOffload
		}
		s.Programs = append(s.Programs, XDPProgram{m, bpf.ProgramID(x.ProgID)})
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
	// Method chooses bpf_link or netlink; MethodAuto tries the link
	// first.
	Method Method
	// Replace replaces whatever program is attached in the mode (ip's
	// -force); without it an attach fails with EBUSY when a program is
	// already there. Netlink only.
	Replace bool
	// ExpectedProgram, when not 0, makes the attach an atomic replace: it
	// succeeds only if the program with this id is the one attached in
	// the mode, and fails with EEXIST otherwise (IFLA_XDP_EXPECTED_FD,
	// 5.7+); an id no loaded program has fails with ErrVanished. Netlink
	// only; to replace the program of a link use XDPAttachment.Update.
	ExpectedProgram bpf.ProgramID
}

// XDPAttachment is an XDP program attached to an interface, through
// netlink or a bpf_link (see Attachment for Close, Detach and Release).
type XDPAttachment struct {
	attachment
	mode XDPMode
}

func checkProgram(prog *bpf.Program, want ...bpf.ProgramType) error {
	if prog == nil {
		return errors.New("nil program")
	}
	if prog.FD() < 0 {
		return fmt.Errorf("program %s: %w", prog.Name(), bpf.ErrClosed)
	}
	for _, t := range want {
		if prog.Type() == t {
			return nil
		}
	}
	return fmt.Errorf("program %q has type %v, want %v", prog.Name(), prog.Type(), want[0])
}

// programID returns the id of prog, which the bpf package read when the
// program was loaded or opened (no system call).
func programID(prog *bpf.Program) (bpf.ProgramID, error) {
	if id := prog.ID(); id != 0 {
		return id, nil
	}
	return 0, fmt.Errorf("program %q has no id", prog.Name())
}

// programFD returns a descriptor of our program for a request naming it:
// the program's own while the caller has not closed it (keep prog alive
// until the request is made), otherwise one opened by id, returned as own
// for the caller to close. A program that is gone (ENOENT) gives an error
// matching ErrVanished; reopening a program by id needs CAP_SYS_ADMIN, and
// without it the error says so (the program may well still be attached).
func programFD(prog *bpf.Program, id bpf.ProgramID) (fd int, own *sys.FD, err error) {
	if fd := prog.FD(); fd >= 0 {
		return fd, nil, nil
	}
	own, err = sys.GetFDByID(sys.ProgGetFDByIDCmd, uint32(id))
	switch {
	case errors.Is(err, unix.ENOENT):
		return -1, nil, fmt.Errorf("program %d: %w: %w", id, ErrVanished, err)
	case errors.Is(err, unix.EPERM):
		return -1, nil, fmt.Errorf("program %d was closed by the caller, and opening it again by id needs CAP_SYS_ADMIN (keep the *bpf.Program open until the attachment ends): %w", id, err)
	case err != nil:
		return -1, nil, fmt.Errorf("program %d: %w", id, err)
	}
	return own.Int(), own, nil
}

// vanishedKind is ErrVanished for errors that match it, else nil (the
// error is something else: a missing privilege, a failed request).
func vanishedKind(err error) error {
	if errors.Is(err, ErrVanished) {
		return ErrVanished
	}
	return nil
}

// noProgramKind classifies a failed BPF_PROG_GET_FD_BY_ID: ErrVanished
// when no program has the id (ENOENT); nil otherwise (EPERM: opening a
// program by id needs CAP_SYS_ADMIN).
func noProgramKind(err error) error {
	if errors.Is(err, unix.ENOENT) {
		return ErrVanished
	}
	return nil
}

// linkUnsupported reports errors from BPF_LINK_CREATE that mean the kernel
// has no link for the hook (so netlink is the way).
func linkUnsupported(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.E2BIG) || errors.Is(err, unix.ENOSYS)
}

// XDP attaches prog (of type bpf.XDP) to the XDP hook of iface, in
// iface.Netns. See XDPOptions for the modes, methods and replace
// semantics, and Attachment for the attachment's life.
func XDP(iface Interface, prog *bpf.Program, opts XDPOptions) (*XDPAttachment, error) {
	h := handle{ns: iface.Netns}
	defer h.put()
	att, err := h.attachXDP(iface, prog, opts)
	if err != nil {
		return nil, err
	}
	att.adoptHandle(&h)
	return att, nil
}

func (h *handle) attachXDP(iface Interface, prog *bpf.Program, opts XDPOptions) (*XDPAttachment, error) {
	const op = "attach XDP to"
	if err := checkProgram(prog, bpf.XDP); err != nil {
		return nil, h.newError(op, iface, "", ErrProgramType, err)
	}
	modeFlag, err := opts.Mode.flag()
	if err != nil {
		return nil, h.newError(op, iface, "", nil, err)
	}
	replacing := opts.Replace || opts.ExpectedProgram != 0
	method := opts.Method
	switch {
	case method == MethodLink && replacing:
		return nil, h.newError(op, iface, "", nil, errors.New("Replace and ExpectedProgram need MethodNetlink: a bpf_link cannot take over another program"))
	case method > MethodLink:
		return nil, h.newError(op, iface, "", nil, fmt.Errorf("invalid method %d", method))
	}
	iface, err = h.resolve(op, iface)
	if err != nil {
		return nil, err
	}
	id, err := programID(prog)
	if err != nil {
		return nil, h.newError(op, iface, "", nil, err)
	}
	att := &XDPAttachment{attachment: attachment{iface: iface, prog: prog, progID: id}, mode: opts.Mode}

	if method == MethodLink || (method == MethodAuto && !replacing) {
		var lfd *sys.FD
		err := h.do(func() error {
			var err error
			lfd, err = sys.LinkCreate(&sys.LinkCreateAttr{
				ProgFD:            uint32(prog.FD()),
				TargetFDOrIfindex: uint32(iface.Index),
				AttachType:        uint32(kernel.AttachXDP),
				Flags:             modeFlag,
			})
			return err
		})
		switch {
		case err == nil:
			att.method, att.link = MethodLink, lfd
		case method == MethodAuto && linkUnsupported(err):
			// fall back to netlink
		default:
			return nil, h.xdpHolder(h.newError(op, iface, "BPF_LINK_CREATE", h.xdpKind(err, iface, method == MethodLink, opts.Mode), err), iface, opts.Mode)
		}
	}
	if att.link == nil {
		flags := modeFlag
		expected := -1
		switch {
		case opts.ExpectedProgram != 0:
			flags |= xdpFlagsReplace
			fd, err := sys.GetFDByID(sys.ProgGetFDByIDCmd, uint32(opts.ExpectedProgram))
			if err != nil {
				return nil, h.newError(op, iface, "BPF_PROG_GET_FD_BY_ID", noProgramKind(err), fmt.Errorf("expected program %d: %w", opts.ExpectedProgram, err))
			}
			defer fd.Close()
			expected = fd.Int()
		case !opts.Replace:
			flags |= xdpFlagsUpdateIfNoExist
		}
		if err := h.setXDP("RTM_SETLINK", iface.Index, prog.FD(), flags, expected); err != nil {
			return nil, h.xdpHolder(h.newError(op, iface, "RTM_SETLINK", h.xdpKind(err, iface, false, opts.Mode), err), iface, opts.Mode)
		}
		att.method = MethodNetlink
	}
	if att.mode == XDPDefault {
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
func (h *handle) xdpKind(err error, iface Interface, link bool, mode XDPMode) error {
	switch {
	case iface.Name == "" && (errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENODEV)) && h.missing(iface):
		// An index that was not looked up before the request.
		return ErrNoInterface
	case link && linkUnsupported(err):
		if ferr := features.HaveXDPLink(); errors.Is(ferr, bpf.ErrNotSupported) {
			return ferr
		}
		if mode == XDPOffload && errors.Is(err, unix.EINVAL) {
			return ErrModeNotSupported
		}
	case errors.Is(err, unix.EOPNOTSUPP), mode == XDPOffload && errors.Is(err, unix.EINVAL):
		return ErrModeNotSupported
	case errors.Is(err, unix.ENODEV):
		return ErrNoInterface
	}
	return nil
}

// xdpHolder makes e, a refused XDP attach, an ErrExists naming the
// program on the hook when the kernel said the hook is taken (EBUSY: a
// program or link is there; EEXIST: a program in another mode, or not the
// expected one) and a query finds a program there: the one in mode, else
// any.
func (h *handle) xdpHolder(e *Error, iface Interface, mode XDPMode) *Error {
	if e.Kind != nil || !(errors.Is(e.Err, unix.EBUSY) || errors.Is(e.Err, unix.EEXIST)) {
		return e
	}
	l, err := h.getLink("", iface)
	if err != nil {
		return e
	}
	id := l.xdp.ProgramID(mode)
	if id == 0 && len(l.xdp.Programs) > 0 {
		id = l.xdp.Programs[0].ProgramID
	}
	if id != 0 {
		e.Kind, e.Holder = ErrExists, id
	}
	return e
}

// Mode returns the mode the program runs in (for XDPDefault attachments,
// the one the kernel chose; XDPDefault if it could not be determined).
func (a *XDPAttachment) Mode() XDPMode {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.mode
}

// Method returns how the program was attached: MethodNetlink or
// MethodLink.
func (a *XDPAttachment) Method() Method { return a.method }

// Interface returns the interface with its index and namespace, and its
// name when it was given or looked up (an interface given by index only is
// not looked up).
func (a *XDPAttachment) Interface() Interface { return a.iface }

// ProgramID returns the kernel id of the attached program.
func (a *XDPAttachment) ProgramID() bpf.ProgramID {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.progID
}

// Pin pins the bpf_link at path on a bpffs mount, so that the attachment
// outlives the descriptor and the process (and Release is allowed).
// Remove the pin with Unpin (which detaches once no descriptor is left).
// Netlink attachments cannot be pinned: they persist anyway until
// detached.
func (a *XDPAttachment) Pin(path string) error {
	return a.pin(path, "XDP link", "only bpf_link attachments can be pinned (this one uses netlink)")
}

// Unpin removes the pin Pin made; the link ends once no descriptor is
// left either. Without a pin (always for netlink) the error matches
// bpf.ErrNotPinned; when someone else removed the file already it matches
// os.ErrNotExist and the attachment forgets the path. It works after
// Close and Release too.
func (a *XDPAttachment) Unpin() error { return a.unpin("XDP link") }

// PinnedPath returns the path of the pin Unpin would remove, or "".
func (a *XDPAttachment) PinnedPath() string { return a.pinnedPath() }

// Info reports the attachment as the kernel sees it now: for netlink, the
// interface's XDP state must still show our program; for a link, the
// link must still be attached. Otherwise the error matches ErrVanished.
func (a *XDPAttachment) Info() (*Info, error) {
	const op = "info of XDP attachment on"
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, a.errorf(op, "", bpf.ErrClosed, errClosedAttachment)
	}
	info := &Info{Method: a.method, ProgramID: a.progID, Interface: a.iface, Mode: a.mode}
	if a.link != nil {
		if err := a.linkInfo(op, info); err != nil {
			return nil, err
		}
		return info, nil
	}
	l, err := a.h.getLink(op, a.iface)
	if err != nil {
		if errors.Is(err, ErrNoInterface) {
			return nil, a.errorf(op, "", ErrVanished, err)
		}
		return nil, err
	}
	if m, ok := l.xdp.modeOf(a.progID); !ok || (a.mode != XDPDefault && m != a.mode) {
		return nil, a.errorf(op, "", ErrVanished, fmt.Errorf("program %d is no longer attached", a.progID))
	}
	return info, nil
}

// Update atomically replaces our program with prog: BPF_LINK_UPDATE for
// links, IFLA_XDP_EXPECTED_FD (5.7+) for netlink. It fails with an error
// matching ErrVanished when our program is no longer the one attached.
func (a *XDPAttachment) Update(prog *bpf.Program) error {
	const op = "update XDP program of"
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return a.errorf(op, "", bpf.ErrClosed, errClosedAttachment)
	}
	if err := checkProgram(prog, bpf.XDP); err != nil {
		return a.errorf(op, "", ErrProgramType, err)
	}
	id, err := programID(prog)
	if err != nil {
		return a.errorf(op, "", nil, err)
	}
	if a.link != nil {
		if err := updateLink(a.link, prog); err != nil {
			var kind error
			if errors.Is(err, unix.ENOLINK) || errors.Is(err, unix.EPERM) {
				kind = ErrVanished
			}
			return a.errorf(op, "BPF_LINK_UPDATE", kind, err)
		}
	} else {
		flag, _ := a.mode.flag()
		expected, own, err := programFD(a.prog, a.progID)
		if err != nil {
			return a.errorf(op, "", vanishedKind(err), err)
		}
		err = a.h.setXDP("RTM_SETLINK", a.iface.Index, prog.FD(), flag|xdpFlagsReplace, expected)
		own.Close()
		runtime.KeepAlive(a.prog)
		runtime.KeepAlive(prog)
		if err != nil {
			var kind error
			if errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENODEV) {
				kind = ErrVanished
			}
			return a.errorf(op, "RTM_SETLINK", kind, err)
		}
	}
	a.prog, a.progID = prog, id
	return nil
}

// Detach detaches the program and ends the attachment. For netlink it
// removes the program only if ours is still the one attached, and
// otherwise returns an error matching ErrVanished (the other program stays).
// For links it detaches the link even if it is pinned (BPF_LINK_DETACH,
// 5.9+); the pin then refers to a defunct link.
func (a *XDPAttachment) Detach() error { return a.end(true) }

// Close detaches the program like Detach, but treats an attachment that
// vanished (someone replaced or detached our program, or the interface is
// gone) as success. A pinned link stays attached: Close only releases this
// descriptor. Closing twice, or after Detach or Release, is safe.
func (a *XDPAttachment) Close() error { return closeVanished(a.end(false)) }

// Release leaves the program attached and drops what this process holds:
// its reference to the namespace's netlink socket (netlink), or the link's
// descriptor (a pinned link). An
// unpinned link cannot be released: closing its descriptor would detach
// it, so Release fails and changes nothing. Remove a released program with
// DetachXDP (netlink) or through the pin (LoadPinnedLink).
func (a *XDPAttachment) Release() error { return a.release("XDP attachment") }

func (a *XDPAttachment) end(detachLink bool) error {
	return a.attachment.end(detachLink, "XDP link", func() error {
		flag, _ := a.mode.flag()
		expected, own, err := programFD(a.prog, a.progID)
		if err != nil {
			return a.errorf("detach XDP from", "", vanishedKind(err), err)
		}
		serr := a.h.setXDP("RTM_SETLINK", a.iface.Index, -1, flag|xdpFlagsReplace, expected)
		own.Close()
		runtime.KeepAlive(a.prog)
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

// XDPPrograms reports the XDP programs attached to iface (in iface.Netns),
// as TCFilters and TCXPrograms report those of the tc hooks.
func XDPPrograms(iface Interface) (XDPState, error) {
	h := handle{ns: iface.Netns}
	defer h.put()
	l, err := h.getLink("query XDP of", iface)
	if err != nil {
		return XDPState{}, err
	}
	return l.xdp, nil
}

// DetachXDPOptions select what DetachXDP removes. The zero value removes
// the only program attached, if it was attached through netlink.
type DetachXDPOptions struct {
	// Mode whose program is removed; XDPDefault removes the only
	// program attached (it is an error when several are).
	Mode XDPMode
	// ExpectedProgram, when not 0, removes the program only if the
	// program with this id is the one attached (atomically, 5.7+),
	// failing with ErrVanished otherwise (as XDPOptions.ExpectedProgram
	// does for an attach).
	ExpectedProgram bpf.ProgramID
	// Links also detaches a program attached through a bpf_link
	// (BPF_LINK_DETACH, 5.9+), which netlink cannot remove: the link
	// stays open for its holders but no longer attaches anything.
	Links bool
}

// DetachXDP removes an XDP program of iface (in iface.Netns) that was
// attached through netlink by anyone (this or another process, ip link).
// Programs attached through a bpf_link cannot be removed this way (EBUSY)
// unless opts.Links is set: close or unpin the link.
func DetachXDP(iface Interface, opts DetachXDPOptions) error {
	h := handle{ns: iface.Netns}
	defer h.put()
	return h.detachXDP(iface, opts)
}

func (h *handle) detachXDP(iface Interface, opts DetachXDPOptions) error {
	const op = "detach XDP from"
	l, err := h.getLink(op, iface)
	if err != nil {
		return err
	}
	iface = l.Interface
	mode := opts.Mode
	if mode == XDPDefault {
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
	cur := l.xdp.ProgramID(mode)
	if cur == 0 {
		return h.newError(op, iface, "", ErrNotAttached, fmt.Errorf("no XDP program attached in %v mode", mode))
	}
	expected := -1
	if opts.ExpectedProgram != 0 {
		if cur != opts.ExpectedProgram {
			return h.newError(op, iface, "", ErrVanished, fmt.Errorf("program %d is attached, not %d", cur, opts.ExpectedProgram))
		}
		fd, err := sys.GetFDByID(sys.ProgGetFDByIDCmd, uint32(opts.ExpectedProgram))
		if err != nil {
			return h.newError(op, iface, "BPF_PROG_GET_FD_BY_ID", noProgramKind(err), err)
		}
		defer fd.Close()
		expected = fd.Int()
		flags |= xdpFlagsReplace
	}
	if err := h.setXDP("RTM_SETLINK", iface.Index, -1, flags, expected); err != nil {
		if opts.Links && errors.Is(err, unix.EBUSY) {
			// A bpf_link holds the program: detach the link.
			return h.detachXDPLink(op, iface, cur)
		}
		var kind error
		if opts.ExpectedProgram != 0 && errors.Is(err, unix.EEXIST) {
			kind = ErrVanished
		}
		return h.newError(op, iface, "RTM_SETLINK", kind, err)
	}
	return nil
}

// detachXDPLink detaches the XDP link that attaches program progID to
// iface.
func (h *handle) detachXDPLink(op string, iface Interface, progID bpf.ProgramID) error {
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
