package attach

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/sys"
)

// BPFLink is an open bpf_link (XDP, tcx, or any other type), found by id or
// pin. It does not own the attachment: Close only releases this handle;
// Detach ends the attachment for every holder.
type BPFLink struct {
	fd *sys.FD
	id uint32
}

// LinkType is a bpf_link type (enum bpf_link_type), such as LinkTypeXDP.
type LinkType = kernel.LinkType

// Link types of the hooks this package attaches to.
const (
	LinkTypeXDP = kernel.LinkXDP
	LinkTypeTCX = kernel.LinkTCX
)

// LinkInfo is what the kernel reports about a link.
type LinkInfo struct {
	ID        uint32
	Type      LinkType
	ProgramID uint32
	// Ifindex is the interface of XDP and tcx links, 0 for others (or
	// after the link was detached).
	Ifindex uint32
	// AttachType is the hook of tcx links (AttachTCXIngress/Egress).
	AttachType bpf.AttachType
}

// LinkIDs lists the ids of all links on the system, in increasing order
// (5.8+; needs CAP_SYS_ADMIN).
func LinkIDs() ([]uint32, error) {
	ids, err := sys.IDs(sys.LinkGetNextIDCmd)
	if err != nil {
		return ids, fmt.Errorf("list link ids: %w", err)
	}
	return ids, nil
}

// LinkFromID opens the link with the given id.
func LinkFromID(id uint32) (*BPFLink, error) {
	fd, err := sys.GetFDByID(sys.LinkGetFDByIDCmd, id)
	if err != nil {
		return nil, fmt.Errorf("open link id %d: %w", id, err)
	}
	return &BPFLink{fd: fd, id: id}, nil
}

// LoadPinnedLink opens the link pinned at path (XDPAttachment.Pin,
// TCAttachment.Pin, bpftool link pin).
func LoadPinnedLink(path string) (*BPFLink, error) {
	fd, err := sys.ObjGet(path, 0)
	if err != nil {
		return nil, fmt.Errorf("open pinned link %s: %w", path, err)
	}
	l := &BPFLink{fd: fd}
	info, err := l.Info()
	if err != nil {
		fd.Close()
		return nil, fmt.Errorf("open pinned link %s: %w", path, err)
	}
	l.id = info.ID
	return l, nil
}

// Info asks the kernel about the link.
func (l *BPFLink) Info() (LinkInfo, error) {
	var li sys.LinkInfo
	if err := sys.LinkInfoByFD(l.fd, &li); err != nil {
		return LinkInfo{}, fmt.Errorf("info of link %d: %w", l.id, err)
	}
	info := LinkInfo{ID: li.ID, Type: kernel.LinkType(li.Type), ProgramID: li.ProgID}
	switch info.Type {
	case kernel.LinkXDP:
		info.Ifindex = li.XDPIfindex()
	case kernel.LinkTCX:
		info.Ifindex, info.AttachType = li.TCXIfindex(), bpf.AttachType(li.TCXAttachType())
	}
	return info, nil
}

// Detach ends the attachment (BPF_LINK_DETACH, 5.9+): the program leaves
// its hook although the link's descriptors and pins remain (as
// `bpftool link detach` does). On older kernels the error matches
// bpf.ErrNotSupported and names the command.
func (l *BPFLink) Detach() error {
	if err := sys.LinkDetach(l.fd); err != nil {
		if errors.Is(err, unix.EINVAL) {
			if ferr := features.HaveLinkDetach(); errors.Is(ferr, bpf.ErrNotSupported) {
				return fmt.Errorf("detach link %d: %w (%w)", l.id, ferr, err)
			}
		}
		return fmt.Errorf("detach link %d: %w", l.id, err)
	}
	return nil
}

// Close releases this handle of the link.
func (l *BPFLink) Close() error { return l.fd.Close() }

// findLink opens the link of type typ that attaches program progID to
// ifindex, or fails with os.ErrNotExist. Links are global but interface
// indexes are per namespace: when links in several namespaces match, it
// refuses rather than guess.
func findLink(typ LinkType, ifindex int, progID uint32) (*BPFLink, error) {
	ids, err := LinkIDs()
	if err != nil {
		return nil, err
	}
	var found *BPFLink
	var matches []uint32
	for _, id := range ids {
		l, err := LinkFromID(id)
		if err != nil {
			continue // gone meanwhile
		}
		info, err := l.Info()
		if err != nil || info.Type != typ || int(info.Ifindex) != ifindex || info.ProgramID != progID {
			l.Close()
			continue
		}
		matches = append(matches, id)
		if found == nil {
			found = l
		} else {
			l.Close()
		}
	}
	switch len(matches) {
	case 0:
		return nil, fmt.Errorf("no %s link of program %d on ifindex %d: %w", typ, progID, ifindex, os.ErrNotExist)
	case 1:
		return found, nil
	}
	found.Close()
	return nil, fmt.Errorf("%s links %v all attach program %d to an interface with ifindex %d (in different namespaces): detach the right one by id (LinkFromID)", typ, matches, progID, ifindex)
}
