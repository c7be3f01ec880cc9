package attach

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/sys"
)

// LinkID is the kernel's id of a bpf_link (bpf_link_info.id). Ids are
// unique while the link exists and may be reused afterwards.
type LinkID uint32

// Link is an open bpf_link (XDP, tcx, or any other type), found by id or
// pin. Holding it keeps the link alive; the link ends (detaching its
// program) when its last descriptor and pin are gone, or on Detach.
type Link struct {
	mu     sync.Mutex
	fd     *sys.FD
	id     LinkID
	pinned string // the pin this Link made or was opened from
	closed bool   // Close, Release or Detach happened
}

// spent returns the error of a method called after Close, Release or
// Detach; l.mu is held.
func (l *Link) spent(op string) error {
	if !l.closed {
		return nil
	}
	return fmt.Errorf("%s link %d: %w: %w", op, l.id, bpf.ErrClosed, errClosedAttachment)
}

// LinkType is a bpf_link type (enum bpf_link_type), such as LinkTypeXDP.
type LinkType = kernel.LinkType

// The bpf_link types (enum bpf_link_type, with the release that
// introduced each kind of link; link info reports the type since 5.8).
// This package creates XDP and tcx links; a Link's Info may show any of
// them.
const (
	LinkTypeUnspec        = kernel.LinkUnspec        // no link (0)
	LinkTypeRawTracepoint = kernel.LinkRawTracepoint // raw tracepoint (5.7)
	LinkTypeTracing       = kernel.LinkTracing       // fentry/fexit/fmod_ret/LSM (5.7)
	LinkTypeCgroup        = kernel.LinkCgroup        // cgroup hooks (5.7)
	LinkTypeIter          = kernel.LinkIter          // BPF iterators (5.8)
	LinkTypeNetns         = kernel.LinkNetns         // flow dissector and sk_lookup in a netns (5.8)
	LinkTypeXDP           = kernel.LinkXDP           // XDP (5.9)
	LinkTypePerfEvent     = kernel.LinkPerfEvent     // kprobes, uprobes, tracepoints through perf events (5.15)
	LinkTypeKprobeMulti   = kernel.LinkKprobeMulti   // multi-kprobes (5.18)
	LinkTypeStructOps     = kernel.LinkStructOps     // struct_ops maps (6.4)
	LinkTypeNetfilter     = kernel.LinkNetfilter     // netfilter hooks (6.4)
	LinkTypeTCX           = kernel.LinkTCX           // tcx (6.6)
	LinkTypeUprobeMulti   = kernel.LinkUprobeMulti   // multi-uprobes (6.6)
	LinkTypeNetkit        = kernel.LinkNetkit        // netkit devices (6.7)
	LinkTypeSockmap       = kernel.LinkSockmap       // sockmap/sockhash programs (6.10)
)

// LinkIDs lists the ids of all links on the system, in increasing order
// (5.8+; needs CAP_SYS_ADMIN).
func LinkIDs() ([]LinkID, error) {
	raw, err := sys.IDs(sys.LinkGetNextIDCmd)
	ids := make([]LinkID, len(raw))
	for i, id := range raw {
		ids[i] = LinkID(id)
	}
	if err != nil {
		return ids, fmt.Errorf("list link ids: %w", err)
	}
	return ids, nil
}

// LinkFromID opens the link with the given id (5.8+). An id no link has
// gives an error matching os.ErrNotExist.
func LinkFromID(id LinkID) (*Link, error) {
	fd, err := sys.GetFDByID(sys.LinkGetFDByIDCmd, uint32(id))
	if err != nil {
		return nil, fmt.Errorf("open link id %d: %w", id, err)
	}
	return &Link{fd: fd, id: id}, nil
}

// LoadPinnedLink opens the link pinned at path (XDPAttachment.Pin,
// TCAttachment.Pin, Link.Pin, bpftool link pin). The Link remembers the
// path: Unpin removes it, and Release is allowed.
func LoadPinnedLink(path string) (*Link, error) {
	fd, err := sys.ObjGet(path, 0)
	if err != nil {
		return nil, fmt.Errorf("open pinned link %s: %w", path, err)
	}
	var li sys.LinkInfo
	if err := sys.LinkInfoByFD(fd, &li); err != nil {
		fd.Close()
		return nil, fmt.Errorf("open pinned link %s: %w", path, err)
	}
	return &Link{fd: fd, id: LinkID(li.ID), pinned: path}, nil
}

// FD returns the link's descriptor (-1 after Close or Release). It stays
// owned by the Link.
func (l *Link) FD() int { return l.fd.Int() }

// ID returns the link's id.
func (l *Link) ID() LinkID { return l.id }

func linkInfoFrom(li *sys.LinkInfo) *Info {
	info := &Info{Method: MethodLink, LinkID: LinkID(li.ID), LinkType: kernel.LinkType(li.Type), ProgramID: bpf.ProgramID(li.ProgID)}
	switch info.LinkType {
	case kernel.LinkXDP:
		info.Interface.Index = int(li.XDPIfindex())
	case kernel.LinkTCX:
		info.Interface.Index, info.AttachType = int(li.TCXIfindex()), bpf.AttachType(li.TCXAttachType())
	}
	return info
}

// Info asks the kernel about the link. Interface carries only the index
// (links do not record the namespace), 0 once an XDP or tcx link was
// detached.
func (l *Link) Info() (*Info, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.spent("info of"); err != nil {
		return nil, err
	}
	var li sys.LinkInfo
	if err := sys.LinkInfoByFD(l.fd, &li); err != nil {
		return nil, fmt.Errorf("info of link %d: %w", l.id, err)
	}
	return linkInfoFrom(&li), nil
}

// Pin pins the link at path on a bpffs mount, so that it outlives this
// descriptor and the process.
func (l *Link) Pin(path string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.spent("pin"); err != nil {
		return err
	}
	if err := sys.ObjPin(l.fd, path); err != nil {
		return fmt.Errorf("pin link %d: %w", l.id, err)
	}
	l.pinned = path
	return nil
}

// Unpin removes the pin this Link made (Pin) or was opened from
// (LoadPinnedLink); the link ends when no descriptor is left either.
// Without such a pin it returns an error matching bpf.ErrNotPinned (which
// also matches os.ErrNotExist); when someone else removed the file already
// the error matches os.ErrNotExist and the Link forgets the path. It works
// after Close too, as Program.Unpin and Map.Unpin do.
func (l *Link) Unpin() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return unpinPath(&l.pinned, func(err error) error { return fmt.Errorf("unpin link %d: %w", l.id, err) })
}

// PinnedPath returns the path of the pin Unpin would remove, or "".
func (l *Link) PinnedPath() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pinned
}

// Update atomically replaces the link's program with prog
// (BPF_LINK_UPDATE, 5.7+), which must have the type and attach type the
// link's hook takes (the kernel refuses others with EINVAL). A link that
// was detached gives an error matching ErrVanished (ENOLINK).
func (l *Link) Update(prog *bpf.Program) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.spent("update program of"); err != nil {
		return err
	}
	if prog == nil || prog.FD() < 0 {
		return fmt.Errorf("update program of link %d: the program is nil or closed", l.id)
	}
	if err := updateLink(l.fd, prog); err != nil {
		if errors.Is(err, unix.ENOLINK) {
			return fmt.Errorf("update program of link %d: %w: %w", l.id, ErrVanished, err)
		}
		return fmt.Errorf("update program of link %d: %w", l.id, err)
	}
	return nil
}

// updateLink gives the link of fd the program prog (BPF_LINK_UPDATE).
func updateLink(fd *sys.FD, prog *bpf.Program) error {
	err := sys.LinkUpdate(&sys.LinkUpdateAttr{LinkFD: fd.Uint(), NewProgFD: uint32(prog.FD())})
	runtime.KeepAlive(prog)
	runtime.KeepAlive(fd)
	return err
}

// Detach ends the attachment (BPF_LINK_DETACH, 5.9+): the program leaves
// its hook although the link's descriptors and pins remain (as
// `bpftool link detach` does); this Link is closed. On older kernels the
// error matches bpf.ErrNotSupported and names the command.
func (l *Link) Detach() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.spent("detach"); err != nil {
		return err
	}
	if err := sys.LinkDetach(l.fd); err != nil {
		if errors.Is(err, unix.EINVAL) {
			if ferr := features.HaveLinkDetach(); errors.Is(ferr, bpf.ErrNotSupported) {
				return fmt.Errorf("detach link %d: %w (%w)", l.id, ferr, err)
			}
		}
		return fmt.Errorf("detach link %d: %w", l.id, err)
	}
	l.closed = true
	return l.fd.Close()
}

// Release closes this descriptor and leaves the program attached, which
// only a pin guarantees: it fails, changing nothing, for a Link that has
// no pin it knows of (Pin, LoadPinnedLink) that still holds the link (a
// pin file someone else removed or replaced is forgotten). Other
// holders' descriptors are not considered.
func (l *Link) Release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.spent("release"); err != nil {
		return err
	}
	if !pinHolds(&l.pinned, l.fd) {
		return fmt.Errorf("release link %d: the link is not pinned: closing a last descriptor would detach it (Pin it first, or Close it)", l.id)
	}
	l.closed = true
	return l.fd.Close()
}

// Close releases this descriptor of the link. When it was the last
// descriptor and the link is not pinned, the kernel detaches the program.
// Closing twice, or after Release or Detach, is safe; every other method
// but Unpin and PinnedPath then fails with an error matching
// bpf.ErrClosed.
func (l *Link) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	return l.fd.Close()
}

// findLink opens the link of type typ that attaches program progID to
// ifindex, or fails with os.ErrNotExist. Links are global but interface
// indexes are per namespace: when links in several namespaces match, it
// refuses rather than guess.
func findLink(typ LinkType, ifindex int, progID bpf.ProgramID) (*Link, error) {
	ids, err := LinkIDs()
	if err != nil {
		return nil, err
	}
	var found *Link
	var matches []LinkID
	for _, id := range ids {
		l, err := LinkFromID(id)
		if err != nil {
			continue // gone meanwhile
		}
		info, err := l.Info()
		if err != nil || info.LinkType != typ || info.Interface.Index != ifindex || info.ProgramID != progID {
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
