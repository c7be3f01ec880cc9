package attach

import (
	"errors"
	"os"
	"sync"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/internal/sys"
)

// Attachment is what XDP, TC and the links this package opens have in
// common: a program held at a hook, which can be detached, left in place,
// pinned and inspected.
//
//   - Close ends our part: XDP and tc attachments detach their program
//     (netlink: only while it is still ours; a pinned link stays attached);
//     a Link releases its descriptor (which detaches an unpinned link when
//     it was the last one). Closing twice is safe.
//   - Detach removes the program from its hook now, pinned or not, and
//     reports an attachment that vanished as an error matching ErrVanished.
//     When its request fails otherwise, nothing changes: Detach (or Close)
//     can be retried.
//   - Release leaves the program attached and drops only what this process
//     holds (a link's descriptor, its reference to the namespace's
//     netlink socket). Netlink attachments always allow it; a link only when it
//     is pinned (by Pin, or opened with LoadPinnedLink), because closing
//     the last descriptor of an unpinned link detaches it: Release then
//     fails and changes nothing.
//   - Pin pins a bpf_link on bpffs; netlink attachments cannot be pinned
//     (they stay attached anyway until detached). Unpin removes that pin
//     (or the one a Link was opened from), failing with an error matching
//     bpf.ErrNotPinned without one (always for netlink attachments);
//     PinnedPath returns it, or "". As for bpf.Program and maps.Map, both
//     work after Close, Release and Detach: the pin is a file.
//   - Info asks the kernel about the attachment now, failing with an error
//     matching ErrVanished when its program is no longer there.
//   - Update replaces the attached program with another of the same type,
//     keeping the attachment (atomically for links: BPF_LINK_UPDATE).
//
// After Close, Detach or Release every other method but Close (which may
// be called again) fails with an error matching bpf.ErrClosed. ErrVanished
// means that someone else removed the program.
type Attachment interface {
	Close() error
	Detach() error
	Release() error
	Pin(path string) error
	Unpin() error
	PinnedPath() string
	Info() (*Info, error)
	Update(prog *bpf.Program) error
}

var (
	_ Attachment = (*XDPAttachment)(nil)
	_ Attachment = (*TCAttachment)(nil)
	_ Attachment = (*Link)(nil)
)

// Info describes an attachment or a link as the kernel reports it.
type Info struct {
	// Method is MethodNetlink or MethodLink.
	Method Method
	// ProgramID is the attached program.
	ProgramID bpf.ProgramID
	// Interface is where the program is attached: for attachments the
	// interface with its name, index and namespace; for a Link only the
	// index of an XDP or tcx link (0 for other links, or once detached).
	Interface Interface
	// LinkID and LinkType describe the bpf_link of MethodLink (0
	// otherwise).
	LinkID   LinkID
	LinkType LinkType
	// AttachType is the hook of tcx links (AttachTCXIngress/Egress).
	AttachType bpf.AttachType
	// Mode is the XDP mode of XDP attachments.
	Mode XDPMode
	// Hook is the tc hook of TC attachments.
	Hook Hook
	// Filter is the cls_bpf filter of a TC attachment through netlink.
	Filter TCFilter
}

// attachment is what XDP and tc attachments share: the lock, the
// interface, our program and its id, and either the bpf_link or the
// namespace's netlink connection the program was attached through. No
// descriptor of the program is duplicated: the kernel holds the program
// while it is attached, and a detach request names it by the caller's
// descriptor or, once the caller closed the program, by one opened from
// its id (programFD).
type attachment struct {
	mu     sync.Mutex
	h      handle // netlink attachments: the namespace's connection
	iface  Interface
	method Method
	prog   *bpf.Program // our program, named in detach requests
	progID bpf.ProgramID
	link   *sys.FD // the bpf_link, for MethodLink
	pinned string  // where Pin pinned the link
	closed bool
}

// adoptHandle settles who keeps the connection of h, the handle XDP or
// TC used: a netlink attachment takes it over to detach later (h is left
// without one); for a link attachment the caller's put gives it back.
func (a *attachment) adoptHandle(h *handle) {
	a.h.ns = h.ns
	if a.method == MethodNetlink {
		if _, err := h.conn(); err == nil {
			a.h.c, h.c = h.c, nil
		}
	}
}

func (a *attachment) errorf(op, request string, kind, cause error) error {
	return mkError(op, a.iface, request, kind, cause)
}

var errClosedAttachment = errors.New("the attachment was closed, released or detached")

// pin pins the bpf_link at path; what names the link in messages ("XDP
// link", "tcx link"), why explains why a netlink attachment cannot be.
func (a *attachment) pin(path, what, why string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	op := "pin " + what + " of"
	if a.closed {
		return a.errorf(op, "", bpf.ErrClosed, errClosedAttachment)
	}
	if a.link == nil {
		return a.errorf(op, "", nil, errors.New(why))
	}
	if err := sys.ObjPin(a.link, path); err != nil {
		return a.errorf(op, "BPF_OBJ_PIN "+path, nil, err)
	}
	a.pinned = path
	return nil
}

// end ends the attachment once: a link is detached (with detachLink)
// and closed, a netlink attachment is removed by detachNetlink; then the
// handle is given back.
func (a *attachment) end(detachLink bool, what string, detachNetlink func() error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		// Close (which ignores ErrClosed) after anything is a no-op;
		// Detach says there is nothing left to detach.
		return a.errorf("detach "+what+" from", "", bpf.ErrClosed, errClosedAttachment)
	}
	var err error
	if a.link != nil {
		if detachLink {
			if derr := sys.LinkDetach(a.link); derr != nil {
				// The program is still attached: the attachment stays
				// as it was (its descriptor open), so Detach can be
				// retried and Close still releases the link.
				return a.errorf("detach "+what+" from", "BPF_LINK_DETACH", nil, derr)
			}
		}
		a.link.Close()
	} else if err = detachNetlink(); err != nil && !errors.Is(err, ErrVanished) {
		// The program is still attached (a refused or failed request):
		// the attachment stays as it was, so Close or Detach can be
		// retried.
		return err
	}
	a.closed = true
	a.drop()
	return err
}

// drop gives the connection back and forgets the program.
func (a *attachment) drop() {
	a.h.put()
	a.prog = nil
}

// release is Release: see Attachment.
func (a *attachment) release(what string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	op := "release " + what + " of"
	if a.closed {
		return a.errorf(op, "", bpf.ErrClosed, errClosedAttachment)
	}
	if a.link != nil {
		if !pinHolds(&a.pinned, a.link) {
			return a.errorf(op, "", nil, errors.New("the link is not pinned: closing its last descriptor would detach it (Pin it first, or keep it open)"))
		}
		a.link.Close()
	}
	a.closed = true
	a.drop()
	return nil
}

// unpin is Unpin: see Attachment. It works after Close too.
func (a *attachment) unpin(what string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return unpinPath(&a.pinned, func(err error) error { return a.errorf("unpin "+what+" of", "", nil, err) })
}

// pinnedPath is PinnedPath: see Attachment.
func (a *attachment) pinnedPath() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pinned
}

// unpinPath removes the pin at *pinned and forgets it, also when someone
// else removed it already (the error then matches os.ErrNotExist); without
// a pin the error matches bpf.ErrNotPinned. wrap names the object.
func unpinPath(pinned *string, wrap func(error) error) error {
	if *pinned == "" {
		return wrap(bpf.ErrNotPinned)
	}
	err := os.Remove(*pinned)
	if err == nil || errors.Is(err, os.ErrNotExist) {
		*pinned = ""
	}
	if err != nil {
		return wrap(err)
	}
	return nil
}

// pinHolds reports whether the pin at *pinned still holds the link of fd
// (someone may have removed or replaced the file); a pin that does not is
// forgotten.
func pinHolds(pinned *string, fd *sys.FD) bool {
	if *pinned == "" {
		return false
	}
	pfd, err := sys.ObjGet(*pinned, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			*pinned = ""
		}
		return false
	}
	defer pfd.Close()
	var pin, own sys.LinkInfo
	if sys.LinkInfoByFD(pfd, &pin) != nil || sys.LinkInfoByFD(fd, &own) != nil {
		return false
	}
	if pin.ID != own.ID {
		*pinned = ""
		return false
	}
	return true
}

// linkInfo fills info from the kernel's view of the attachment's link,
// with ErrVanished when the link no longer attaches anything.
func (a *attachment) linkInfo(op string, info *Info) error {
	var li sys.LinkInfo
	if err := sys.LinkInfoByFD(a.link, &li); err != nil {
		return a.errorf(op, "BPF_OBJ_GET_INFO_BY_FD", nil, err)
	}
	l := linkInfoFrom(&li)
	info.LinkID, info.LinkType, info.AttachType = l.LinkID, l.LinkType, l.AttachType
	info.ProgramID = l.ProgramID
	if l.Interface.Index == 0 {
		return a.errorf(op, "", ErrVanished, errors.New("the link was detached"))
	}
	return nil
}

// closeVanished is Close: end without detaching a pinned link, where an
// attachment that vanished, or was closed already, is not an error.
func closeVanished(err error) error {
	if errors.Is(err, ErrVanished) || errors.Is(err, bpf.ErrClosed) {
		return nil
	}
	return err
}
