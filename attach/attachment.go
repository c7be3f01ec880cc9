package attach

import (
	"errors"
	"sync"

	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/netns"
)

// attachment is what XDP and tc attachments share: the lock, the
// interface, our program's descriptor, and either the bpf_link or the
// netlink handle the program was attached through.
type attachment struct {
	mu        sync.Mutex
	h         *Handle
	ownHandle bool // the attachment closes h
	ns        *netns.NetNS
	iface     Interface
	method    Method
	prog      *sys.FD // our program (a duplicate), for detach checks
	progID    uint32
	link      *sys.FD // the bpf_link, for Method Link
	closed    bool
}

// adoptHandle settles who owns h, the handle a package-level XDP or TC
// call opened for the attachment: a netlink attachment keeps it to detach
// later, a link attachment needs no socket and it is closed now.
func (a *attachment) adoptHandle(h *Handle) {
	if a.method == Netlink {
		a.ownHandle = true
		return
	}
	a.h = nil
	h.Close()
}

func (a *attachment) errorf(op, request string, kind, cause error) error {
	ns := ""
	if a.ns != nil {
		ns = a.ns.String()
	}
	return mkError(op, a.iface, ns, request, kind, cause)
}

// pin pins the bpf_link at path; what names the link in messages ("XDP
// link", "tcx link"), why explains why a netlink attachment cannot be.
func (a *attachment) pin(path, what, why string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	op := "pin " + what + " of"
	if a.closed {
		return a.errorf(op, "", ErrVanished, errors.New("attachment is closed"))
	}
	if a.link == nil {
		return a.errorf(op, "", nil, errors.New(why))
	}
	if err := sys.ObjPin(a.link, path); err != nil {
		return a.errorf(op, "BPF_OBJ_PIN "+path, nil, err)
	}
	return nil
}

// release ends the attachment once: a link is detached (with detachLink)
// and closed, a netlink attachment is removed by detachNetlink; then our
// program's descriptor and an owned handle are closed.
func (a *attachment) release(detachLink bool, what string, detachNetlink func() error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	var err error
	if a.link != nil {
		if detachLink {
			if derr := sys.LinkDetach(a.link); derr != nil {
				err = a.errorf("detach "+what+" from", "BPF_LINK_DETACH", nil, derr)
			}
		}
		a.link.Close()
	} else if a.h != nil {
		err = detachNetlink()
	}
	a.prog.Close()
	if a.ownHandle {
		a.h.Close()
	}
	return err
}

// closeVanished is Close: release without detaching a pinned link, where
// an attachment that vanished is not an error.
func closeVanished(err error) error {
	if errors.Is(err, ErrVanished) {
		return nil
	}
	return err
}
