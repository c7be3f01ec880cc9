package attach

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unsafe"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/rtnl"
	"github.com/purebpf/bpf/internal/sys"
)

// tc constants (linux/pkt_sched.h, linux/rtnetlink.h, linux/pkt_cls.h).
const (
	tcHClsact       = 0xFFFFFFF1 // TC_H_CLSACT, also TC_H_INGRESS
	tcClsactHandle  = 0xFFFF0000 // TC_H_MAKE(TC_H_CLSACT, 0)
	tcParentIngress = 0xFFFFFFF2 // TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
	tcParentEgress  = 0xFFFFFFF3 // TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)

	tcaKind    = 1
	tcaOptions = 2
	tcaChain   = 11

	tcaBPFFD    = 6
	tcaBPFName  = 7
	tcaBPFFlags = 8
	tcaBPFTag   = 10
	tcaBPFID    = 11

	tcaBPFFlagActDirect = 1

	ethPAll = 3 // ETH_P_ALL

	sizeofTcmsg = rtnl.SizeofTcmsg
)

// bpf_attr flags for tcx ordering (linux/bpf.h, 6.6+).
const (
	bpfFBefore = 1 << 3
	bpfFAfter  = 1 << 4
	bpfFID     = 1 << 5
)

// Hook is a tc attachment point of an interface.
type Hook uint8

const (
	// Ingress sees packets the interface receives.
	Ingress Hook = iota + 1
	// Egress sees packets the interface sends.
	Egress
)

// String returns "ingress" or "egress".
func (h Hook) String() string {
	switch h {
	case Ingress:
		return "ingress"
	case Egress:
		return "egress"
	}
	return fmt.Sprintf("Hook(%d)", uint8(h))
}

func (h Hook) parent() (uint32, error) {
	switch h {
	case Ingress:
		return tcParentIngress, nil
	case Egress:
		return tcParentEgress, nil
	}
	return 0, fmt.Errorf("invalid tc hook %d: want attach.Ingress or attach.Egress", uint8(h))
}

func (h Hook) tcxType() kernel.AttachType {
	if h == Ingress {
		return kernel.AttachTCXIngress
	}
	return kernel.AttachTCXEgress
}

// EnsureClsact adds the clsact qdisc to iface (in iface.Netns) unless it
// is there ("tc qdisc add dev X clsact"; 4.5+). It is what tc filters hang
// on.
func EnsureClsact(iface Interface) error {
	h := handle{ns: iface.Netns}
	defer h.put()
	_, err := h.ensureClsact(iface)
	return err
}

// ensureClsact adds the clsact qdisc unless it exists, and tells whether
// it added it.
func (h *handle) ensureClsact(iface Interface) (added bool, err error) {
	err = h.clsact(iface, unix.RTM_NEWQDISC, netlink.Create|netlink.Excl)
	if errors.Is(err, unix.EEXIST) {
		return false, nil
	}
	return err == nil, err
}

// undoClsact deletes the clsact qdisc an attach added before it failed,
// unless filters came onto it in the meantime (or they cannot be listed).
func (h *handle) undoClsact(iface Interface) {
	for _, hook := range []Hook{Ingress, Egress} {
		if f, err := h.tcFilters(iface, hook); err != nil || len(f) > 0 {
			return
		}
	}
	h.clsact(iface, unix.RTM_DELQDISC, 0)
}

// DeleteClsact deletes the clsact qdisc of iface (in iface.Netns), and
// with it every tc filter on its ingress and egress hooks ("tc qdisc del
// dev X clsact"). tcx programs are not affected.
func DeleteClsact(iface Interface) error {
	h := handle{ns: iface.Netns}
	defer h.put()
	return h.clsact(iface, unix.RTM_DELQDISC, 0)
}

func (h *handle) clsact(iface Interface, typ netlink.HeaderType, flags netlink.HeaderFlags) error {
	op, req := "add clsact qdisc to", "RTM_NEWQDISC"
	if typ == unix.RTM_DELQDISC {
		op, req = "delete clsact qdisc of", "RTM_DELQDISC"
	}
	iface, err := h.resolve(op, iface)
	if err != nil {
		return err
	}
	var buf [sizeofTcmsg + 12]byte
	b := rtnl.AppendTcmsg(buf[:0], int32(iface.Index), tcClsactHandle, tcHClsact, 0)
	b = rtnl.AppendString(b, tcaKind, "clsact")
	if err := h.ack(req, typ, flags, b); err != nil {
		return h.newError(op, iface, req, nil, err)
	}
	return nil
}

// TCFilter is a tc filter on a clsact hook, as "tc filter show dev X
// egress" prints it.
type TCFilter struct {
	// Hook is the clsact hook the filter is on (Ingress or Egress).
	Hook Hook
	// Priority is the filter's priority ("pref"); lower runs first.
	Priority uint16
	// Handle tells filters of the same priority apart ("handle").
	Handle uint32
	// Protocol is the ETH_P_* the filter matches, in host order;
	// ETH_P_ALL (3) for "all".
	Protocol uint16
	// Chain is the filter chain (0 unless tc's "chain" was used).
	Chain uint32
	// Kind is the classifier: "bpf" for cls_bpf.
	Kind string

	// The remaining fields describe cls_bpf filters (zero otherwise).

	// ProgramID is the id of the filter's program.
	ProgramID bpf.ProgramID
	// Name is the filter's name (TCA_BPF_NAME), such as "prog.o:[tc]".
	Name string
	// Tag is the program's tag, in hex.
	Tag string
	// DirectAction reports direct-action mode ("da"): the program's
	// return value is the TC_ACT_* verdict.
	DirectAction bool
}

// String formats the filter like tc filter show does.
func (f TCFilter) String() string {
	proto := "all"
	if f.Protocol != ethPAll {
		proto = fmt.Sprintf("0x%04x", f.Protocol)
	}
	s := fmt.Sprintf("filter protocol %s pref %d %s chain %d handle 0x%x", proto, f.Priority, f.Kind, f.Chain, f.Handle)
	if f.Name != "" {
		s += " " + f.Name
	}
	if f.DirectAction {
		s += " direct-action"
	}
	if f.ProgramID != 0 {
		s += fmt.Sprintf(" id %d", f.ProgramID)
	}
	if f.Tag != "" {
		s += " tag " + f.Tag
	}
	return s
}

// TCFilters lists the filters on hook of iface (in iface.Netns), as "tc
// filter show dev X ingress" does (RTM_GETTFILTER dump). Without a clsact
// qdisc the list is empty.
func TCFilters(iface Interface, hook Hook) ([]TCFilter, error) {
	h := handle{ns: iface.Netns}
	defer h.put()
	return h.tcFilters(iface, hook)
}

func (h *handle) tcFilters(iface Interface, hook Hook) ([]TCFilter, error) {
	op := "list tc " + hook.String() + " filters of"
	parent, err := hook.parent()
	if err != nil {
		return nil, h.newError(op, iface, "", nil, err)
	}
	iface, err = h.resolve(op, iface)
	if err != nil {
		return nil, err
	}
	msgs, err := h.request("RTM_GETTFILTER", unix.RTM_GETTFILTER, netlink.Request|netlink.Dump, rtnl.AppendTcmsg(nil, int32(iface.Index), 0, parent, 0))
	if err != nil {
		return nil, h.newError(op, iface, "RTM_GETTFILTER", nil, err)
	}
	var out []TCFilter
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWTFILTER || len(m.Data) < sizeofTcmsg {
			continue
		}
		f, ok, err := parseFilter(m.Data)
		if err != nil {
			return nil, h.newError(op, iface, "RTM_GETTFILTER", nil, err)
		}
		if ok {
			f.Hook = hook
			out = append(out, f)
		}
	}
	return out, nil
}

// parseFilter decodes an RTM_NEWTFILTER message; ok is false for the
// entries without a handle that stand for a priority's classifier.
func parseFilter(b []byte) (f TCFilter, ok bool, err error) {
	f.Handle = binary.NativeEndian.Uint32(b[8:])
	info := binary.NativeEndian.Uint32(b[16:])
	f.Priority = uint16(info >> 16)
	f.Protocol = htons(uint16(info))
	ad, err := netlink.NewAttributeDecoder(b[sizeofTcmsg:])
	if err != nil {
		return f, false, err
	}
	var opts []byte
	for ad.Next() {
		switch ad.Type() {
		case tcaKind:
			f.Kind = ad.String()
		case tcaChain:
			f.Chain = ad.Uint32()
		case tcaOptions:
			opts = ad.Bytes()
		}
	}
	if err := ad.Err(); err != nil {
		return f, false, err
	}
	if f.Handle == 0 {
		return f, false, nil
	}
	if f.Kind == "bpf" && opts != nil {
		od, err := netlink.NewAttributeDecoder(opts)
		if err != nil {
			return f, false, err
		}
		for od.Next() {
			switch od.Type() {
			case tcaBPFID:
				f.ProgramID = bpf.ProgramID(od.Uint32())
			case tcaBPFName:
				f.Name = od.String()
			case tcaBPFTag:
				f.Tag = fmt.Sprintf("%x", od.Bytes())
			case tcaBPFFlags:
				f.DirectAction = od.Uint32()&tcaBPFFlagActDirect != 0
			}
		}
		if err := od.Err(); err != nil {
			return f, false, err
		}
	}
	return f, true, nil
}

// DeleteTCFilter deletes the filter f (by hook, priority, handle and
// protocol) from iface (in iface.Netns): "tc filter del dev X egress pref
// P handle H bpf". A filter that is not there gives an error matching
// ErrVanished (and unix.ENOENT).
func DeleteTCFilter(iface Interface, f TCFilter) error {
	h := handle{ns: iface.Netns}
	defer h.put()
	return h.deleteTCFilter(iface, f)
}

func (h *handle) deleteTCFilter(iface Interface, f TCFilter) error {
	op := "delete tc " + f.Hook.String() + " filter of"
	parent, err := f.Hook.parent()
	if err != nil {
		return h.newError(op, iface, "", nil, err)
	}
	if f.Priority == 0 || f.Handle == 0 {
		return h.newError(op, iface, "", nil, errors.New("the filter needs a priority and a handle (use DeleteTCFilters to flush a hook)"))
	}
	iface, err = h.resolve(op, iface)
	if err != nil {
		return err
	}
	return h.delFilter(op, iface, parent, f)
}

func (h *handle) delFilter(op string, iface Interface, parent uint32, f TCFilter) error {
	proto := f.Protocol
	if proto == 0 {
		proto = ethPAll
	}
	var buf [sizeofTcmsg + 8]byte
	b := rtnl.AppendTcmsg(buf[:0], int32(iface.Index), f.Handle, parent, uint32(f.Priority)<<16|uint32(htons(proto)))
	if f.Kind != "" {
		b = rtnl.AppendString(b, tcaKind, f.Kind)
	}
	if err := h.ack("RTM_DELTFILTER", unix.RTM_DELTFILTER, 0, b); err != nil {
		var kind error
		if errors.Is(err, unix.ENOENT) {
			kind = ErrVanished
		}
		return h.newError(op, iface, "RTM_DELTFILTER", kind, err)
	}
	return nil
}

// DeleteTCFilters deletes every filter on hook of iface (in iface.Netns):
// RTM_DELTFILTER with priority 0. Without a clsact qdisc there is nothing
// to delete and it returns nil.
func DeleteTCFilters(iface Interface, hook Hook) error {
	h := handle{ns: iface.Netns}
	defer h.put()
	return h.deleteTCFilters(iface, hook)
}

func (h *handle) deleteTCFilters(iface Interface, hook Hook) error {
	op := "delete tc " + hook.String() + " filters of"
	parent, err := hook.parent()
	if err != nil {
		return h.newError(op, iface, "", nil, err)
	}
	iface, err = h.resolve(op, iface)
	if err != nil {
		return err
	}
	var buf [sizeofTcmsg]byte
	if err := h.ack("RTM_DELTFILTER", unix.RTM_DELTFILTER, 0, rtnl.AppendTcmsg(buf[:0], int32(iface.Index), 0, parent, 0)); err != nil {
		if noQdisc(err) {
			return nil // no clsact qdisc: no filters to delete
		}
		return h.newError(op, iface, "RTM_DELTFILTER", nil, err)
	}
	return nil
}

// noQdisc reports whether err is the kernel's refusal of a filter request
// on an interface without the (clsact) qdisc.
func noQdisc(err error) bool {
	var re *rtnl.Error
	return errors.Is(err, unix.EINVAL) && errors.As(err, &re) && strings.Contains(re.Message, "Parent Qdisc doesn't exist")
}

// Anchor places a tcx program relative to the others on the hook (6.6+).
// The zero Anchor appends it at the end.
type Anchor struct {
	flags uint32
	prog  *bpf.Program
	id    bpf.ProgramID
}

// First places the program before all others.
func First() Anchor { return Anchor{flags: bpfFBefore} }

// Last places the program after all others (the default).
func Last() Anchor { return Anchor{flags: bpfFAfter} }

// Before places the program right before prog, which must be attached.
func Before(prog *bpf.Program) Anchor { return Anchor{flags: bpfFBefore, prog: prog} }

// After places the program right after prog, which must be attached.
func After(prog *bpf.Program) Anchor { return Anchor{flags: bpfFAfter, prog: prog} }

// BeforeID places the program right before the program with this id.
func BeforeID(id bpf.ProgramID) Anchor { return Anchor{flags: bpfFBefore | bpfFID, id: id} }

// AfterID places the program right after the program with this id.
func AfterID(id bpf.ProgramID) Anchor { return Anchor{flags: bpfFAfter | bpfFID, id: id} }

func (a Anchor) relative() (flags, rel uint32, err error) {
	switch {
	case a.prog != nil:
		if a.prog.FD() < 0 {
			return 0, 0, fmt.Errorf("anchor program %s is closed", a.prog.Name())
		}
		return a.flags, uint32(a.prog.FD()), nil
	case a.flags&bpfFID != 0:
		return a.flags, uint32(a.id), nil
	}
	return a.flags, 0, nil
}

// TCOptions configure a tc attachment; the zero value attaches a tcx link
// when the kernel has tcx and a direct-action cls_bpf filter otherwise.
type TCOptions struct {
	// Method: MethodLink is a tcx link (6.6+), MethodNetlink a cls_bpf
	// filter on the clsact qdisc (created when missing), and MethodAuto a
	// tcx link when the kernel has tcx and none of the filter-only fields
	// below is set, a filter otherwise.
	Method Method

	// Filter-only fields (MethodNetlink):

	// Priority ("pref") of the filter; 0 lets the kernel choose (49152
	// for the first filter, then one below the lowest).
	Priority uint16
	// Handle of the filter; 0 lets the kernel choose.
	Handle uint32
	// Name shown by tc filter show; empty uses the program's name.
	Name string
	// Replace replaces the filter with the same priority and handle
	// instead of failing with EEXIST.
	Replace bool
	// NoDirectAction attaches without direct-action (da): the program's
	// return value is then a classid, not a TC_ACT_* verdict.
	NoDirectAction bool

	// Anchor orders a tcx program among the others (MethodLink).
	Anchor Anchor
}

func (o TCOptions) filterOnly() bool {
	return o.Priority != 0 || o.Handle != 0 || o.Name != "" || o.Replace || o.NoDirectAction
}

// TCAttachment is a program attached to a tc hook: a cls_bpf filter
// (netlink) or a tcx link (see Attachment for Close, Detach and Release).
type TCAttachment struct {
	attachment
	hook   Hook
	filter TCFilter
}

// TC attaches prog (of type bpf.SchedCLS) to the tc hook (Ingress or
// Egress) of iface (in iface.Netns): as a direct-action cls_bpf filter on the clsact qdisc ("tc
// filter add dev X egress bpf da ...") or as a tcx link. See Attachment for
// the attachment's life.
func TC(iface Interface, prog *bpf.Program, hook Hook, opts TCOptions) (*TCAttachment, error) {
	h := handle{ns: iface.Netns}
	defer h.put()
	att, err := h.attachTC(iface, prog, hook, opts)
	if err != nil {
		return nil, err
	}
	att.adoptHandle(&h)
	return att, nil
}

func (h *handle) attachTC(iface Interface, prog *bpf.Program, hook Hook, opts TCOptions) (*TCAttachment, error) {
	op := "attach tc " + hook.String() + " program to"
	parent, err := hook.parent()
	if err != nil {
		return nil, h.newError(op, iface, "", nil, err)
	}
	if err := checkProgram(prog, bpf.SchedCLS); err != nil {
		return nil, h.newError(op, iface, "", ErrProgramType, err)
	}
	method := opts.Method
	switch {
	case method == MethodLink && opts.filterOnly():
		return nil, h.newError(op, iface, "", nil, errors.New("Priority, Handle, Name, Replace and NoDirectAction describe a tc filter: they need MethodNetlink"))
	case method > MethodLink:
		return nil, h.newError(op, iface, "", nil, fmt.Errorf("invalid method %d", method))
	case method == MethodAuto && opts.filterOnly():
		method = MethodNetlink
	}
	relFlags, rel, err := opts.Anchor.relative()
	if err != nil {
		return nil, h.newError(op, iface, "", nil, err)
	}
	if method == MethodNetlink && relFlags != 0 {
		return nil, h.newError(op, iface, "", nil, errors.New("Anchor orders tcx links: use Priority for filters"))
	}
	iface, err = h.resolve(op, iface)
	if err != nil {
		return nil, err
	}
	id, err := programID(prog)
	if err != nil {
		return nil, h.newError(op, iface, "", nil, err)
	}
	att := &TCAttachment{attachment: attachment{iface: iface, prog: prog, progID: id}, hook: hook}

	if method != MethodNetlink {
		var lfd *sys.FD
		err := h.do(func() error {
			var err error
			lfd, err = sys.LinkCreate(&sys.LinkCreateAttr{
				ProgFD:            uint32(prog.FD()),
				TargetFDOrIfindex: uint32(iface.Index),
				AttachType:        uint32(hook.tcxType()),
				Flags:             relFlags,
				RelativeFDOrID:    rel,
			})
			return err
		})
		switch {
		case err == nil:
			att.method, att.link = MethodLink, lfd
			return att, nil
		case method == MethodAuto && linkUnsupported(err) && relFlags == 0:
			// no tcx: fall back to a filter
		default:
			var kind error
			switch {
			case iface.Name == "" && (errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENODEV)) && h.missing(iface):
				kind = ErrNoInterface
			case linkUnsupported(err):
				kind = missingTCX()
			}
			return nil, h.newError(op, iface, "BPF_LINK_CREATE", kind, err)
		}
	}

	addedClsact, err := h.ensureClsact(iface)
	if err != nil {
		return nil, err
	}
	// A failure from here on removes what this call added: the filter
	// and the qdisc.
	fail := func(err error) (*TCAttachment, error) {
		if addedClsact {
			h.undoClsact(iface)
		}
		return nil, err
	}
	name := opts.Name
	if name == "" {
		name = prog.Name()
	}
	if name == "" {
		name = "purebpf"
	}
	var buf [128]byte
	b := rtnl.AppendTcmsg(buf[:0], int32(iface.Index), opts.Handle, parent, uint32(opts.Priority)<<16|uint32(htons(ethPAll)))
	b = rtnl.AppendString(b, tcaKind, "bpf")
	b, optStart := rtnl.BeginNested(b, tcaOptions)
	b = rtnl.AppendU32(b, tcaBPFFD, uint32(prog.FD()))
	b = rtnl.AppendString(b, tcaBPFName, name)
	var bpfFlags uint32
	if !opts.NoDirectAction {
		bpfFlags = tcaBPFFlagActDirect
	}
	b = rtnl.AppendU32(b, tcaBPFFlags, bpfFlags)
	b = rtnl.EndNested(b, optStart)
	flags := netlink.Create
	if opts.Replace {
		flags |= netlink.Replace
	} else {
		flags |= netlink.Excl
	}
	// When the kernel chooses the priority or the handle, the new filter
	// is the one that was not there before (the same program may already
	// be attached on the hook).
	chooses := opts.Priority == 0 || opts.Handle == 0
	var before map[[2]uint32]bool
	if chooses {
		prev, err := h.tcFilters(iface, hook)
		if err != nil {
			return fail(err)
		}
		before = make(map[[2]uint32]bool, len(prev))
		for _, f := range prev {
			before[[2]uint32{uint32(f.Priority), f.Handle}] = true
		}
	}
	err = h.ack("RTM_NEWTFILTER", unix.RTM_NEWTFILTER, flags, b)
	runtime.KeepAlive(prog)
	if err != nil {
		e := h.newError(op, iface, "RTM_NEWTFILTER", nil, err)
		if errors.Is(err, unix.EEXIST) && !opts.Replace {
			// The priority and handle are taken: name the filter's program.
			if filters, ferr := h.tcFilters(iface, hook); ferr == nil {
				for _, f := range filters {
					if f.Priority == opts.Priority && (opts.Handle == 0 || f.Handle == opts.Handle) && f.ProgramID != 0 {
						e.Kind, e.Holder = ErrExists, f.ProgramID
						break
					}
				}
			}
		}
		return fail(e)
	}
	att.method = MethodNetlink
	att.filter = TCFilter{Hook: hook, Priority: opts.Priority, Handle: opts.Handle, Protocol: ethPAll,
		Kind: "bpf", ProgramID: id, Name: name, DirectAction: !opts.NoDirectAction}
	if chooses {
		ours := func(filters []TCFilter) (TCFilter, bool) {
			for _, f := range filters {
				if f.ProgramID == id && !before[[2]uint32{uint32(f.Priority), f.Handle}] &&
					(opts.Priority == 0 || f.Priority == opts.Priority) && (opts.Handle == 0 || f.Handle == opts.Handle) {
					return f, true
				}
			}
			return TCFilter{}, false
		}
		filters, err := h.tcFilters(iface, hook)
		if err != nil {
			// The filter was added but is not known: list once more to
			// delete it, and say so when that fails too.
			if again, lerr := h.tcFilters(iface, hook); lerr == nil {
				if f, ok := ours(again); ok && h.delFilter(op, iface, parent, f) == nil {
					return fail(err)
				}
			}
			return nil, fmt.Errorf("%w (the filter running program %d was added; delete it with DeleteTCFilters or tc filter del)", err, id)
		}
		f, found := ours(filters)
		att.filter = f
		if !found {
			return fail(h.newError(op, iface, "RTM_GETTFILTER", ErrVanished, errors.New("the new filter is not listed")))
		}
	}
	return att, nil
}

// Hook returns the hook the program is attached to.
func (a *TCAttachment) Hook() Hook { return a.hook }

// Method returns how the program was attached: MethodNetlink (a cls_bpf
// filter) or MethodLink (tcx).
func (a *TCAttachment) Method() Method { return a.method }

// Interface returns the interface with its index and namespace, and its
// name when it was given or looked up (an interface given by index only is
// not looked up).
func (a *TCAttachment) Interface() Interface { return a.iface }

// ProgramID returns the kernel id of the attached program.
func (a *TCAttachment) ProgramID() bpf.ProgramID {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.progID
}

// Filter returns the filter of a Netlink attachment, with the priority and
// handle the kernel chose (the zero TCFilter for tcx).
func (a *TCAttachment) Filter() TCFilter {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.filter
}

// Pin pins the tcx link at path on a bpffs mount so that it outlives the
// process (and Release is allowed). Filters cannot be pinned: they persist
// until deleted.
func (a *TCAttachment) Pin(path string) error {
	return a.pin(path, "tcx link", "only tcx attachments can be pinned (this one is a tc filter)")
}

// Unpin removes the pin Pin made; the tcx link ends once no descriptor is
// left either. Without a pin (always for filters) the error matches
// bpf.ErrNotPinned; when someone else removed the file already it matches
// os.ErrNotExist and the attachment forgets the path. It works after
// Close and Release too.
func (a *TCAttachment) Unpin() error { return a.unpin("tcx link") }

// PinnedPath returns the path of the pin Unpin would remove, or "".
func (a *TCAttachment) PinnedPath() string { return a.pinnedPath() }

// Detach removes the program and ends the attachment. A filter is
// deleted only while it still runs our program; otherwise Detach returns an
// error matching ErrVanished and leaves the filter alone. A tcx link is
// detached even when pinned.
func (a *TCAttachment) Detach() error { return a.end(true) }

// Close is Detach, except that an attachment that vanished is not an error
// and a pinned tcx link stays attached. Closing twice, or after Detach or
// Release, is safe.
func (a *TCAttachment) Close() error { return closeVanished(a.end(false)) }

// Release leaves the program attached and drops what this process holds:
// its reference to the namespace's netlink socket (a filter), or the
// link's descriptor (a pinned tcx link). An
// unpinned tcx link cannot be released: closing its descriptor would
// detach it, so Release fails and changes nothing. Remove a released
// filter with DeleteTCFilter (Filter tells which).
func (a *TCAttachment) Release() error { return a.release("tc attachment") }

// Info reports the attachment as the kernel sees it now: a filter must
// still be listed with our program, a tcx link must still be attached.
// Otherwise the error matches ErrVanished.
func (a *TCAttachment) Info() (*Info, error) {
	op := "info of tc " + a.hook.String() + " attachment on"
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, a.errorf(op, "", bpf.ErrClosed, errClosedAttachment)
	}
	info := &Info{Method: a.method, ProgramID: a.progID, Interface: a.iface, Hook: a.hook, Filter: a.filter}
	if a.link != nil {
		if err := a.linkInfo(op, info); err != nil {
			return nil, err
		}
		return info, nil
	}
	f, err := a.ownFilter(op)
	if err != nil {
		return nil, err
	}
	info.Filter = f
	return info, nil
}

// Update replaces our program with prog (of type bpf.SchedCLS), keeping
// the attachment: BPF_LINK_UPDATE for a tcx link (atomic), and for a
// filter a replace of the same priority and handle (RTM_NEWTFILTER with
// NLM_F_REPLACE) after checking that the filter still runs our program
// (cls_bpf has no compare-and-swap: a replace by someone else between the
// check and the request is overwritten). It fails with an error matching
// ErrVanished when our program is no longer attached.
func (a *TCAttachment) Update(prog *bpf.Program) error {
	op := "update tc " + a.hook.String() + " program of"
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return a.errorf(op, "", bpf.ErrClosed, errClosedAttachment)
	}
	if err := checkProgram(prog, bpf.SchedCLS); err != nil {
		return a.errorf(op, "", ErrProgramType, err)
	}
	id, err := programID(prog)
	if err != nil {
		return a.errorf(op, "", nil, err)
	}
	if a.link != nil {
		if err := updateLink(a.link, prog); err != nil {
			var kind error
			if errors.Is(err, unix.ENOLINK) {
				kind = ErrVanished
			}
			return a.errorf(op, "BPF_LINK_UPDATE", kind, err)
		}
		a.prog, a.progID = prog, id
		return nil
	}
	f, err := a.ownFilter(op)
	if err != nil {
		return err
	}
	parent, _ := a.hook.parent()
	var buf [128]byte
	b := rtnl.AppendTcmsg(buf[:0], int32(a.iface.Index), f.Handle, parent, uint32(f.Priority)<<16|uint32(htons(f.Protocol)))
	b = rtnl.AppendString(b, tcaKind, "bpf")
	b, optStart := rtnl.BeginNested(b, tcaOptions)
	b = rtnl.AppendU32(b, tcaBPFFD, uint32(prog.FD()))
	b = rtnl.AppendString(b, tcaBPFName, a.filter.Name)
	var bpfFlags uint32
	if a.filter.DirectAction {
		bpfFlags = tcaBPFFlagActDirect
	}
	b = rtnl.AppendU32(b, tcaBPFFlags, bpfFlags)
	b = rtnl.EndNested(b, optStart)
	err = a.h.ack("RTM_NEWTFILTER", unix.RTM_NEWTFILTER, netlink.Replace, b)
	runtime.KeepAlive(prog)
	if err != nil {
		var kind error
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) {
			kind = ErrVanished
		}
		return a.errorf(op, "RTM_NEWTFILTER", kind, err)
	}
	a.prog, a.progID = prog, id
	a.filter.ProgramID = id
	return nil
}

func (a *TCAttachment) end(detachLink bool) error {
	return a.attachment.end(detachLink, "tcx link", a.deleteOwnFilter)
}

// ownFilter finds our filter on the hook, failing with ErrVanished when it
// is gone or runs another program.
func (a *TCAttachment) ownFilter(op string) (TCFilter, error) {
	filters, err := a.h.tcFilters(a.iface, a.hook)
	if err != nil {
		if errors.Is(err, ErrNoInterface) {
			return TCFilter{}, a.errorf(op, "", ErrVanished, err)
		}
		return TCFilter{}, err
	}
	for _, f := range filters {
		if f.Priority != a.filter.Priority || f.Handle != a.filter.Handle {
			continue
		}
		if f.ProgramID != a.progID {
			return TCFilter{}, a.errorf(op, "", ErrVanished, fmt.Errorf("filter pref %d handle %#x now runs program %d, not ours (%d)", f.Priority, f.Handle, f.ProgramID, a.progID))
		}
		return f, nil
	}
	return TCFilter{}, a.errorf(op, "", ErrVanished, fmt.Errorf("filter pref %d handle %#x is gone", a.filter.Priority, a.filter.Handle))
}

func (a *TCAttachment) deleteOwnFilter() error {
	op := "detach tc " + a.hook.String() + " filter from"
	f, err := a.ownFilter(op)
	if err != nil {
		return err
	}
	parent, _ := a.hook.parent()
	return a.h.delFilter(op, a.iface, parent, f)
}

// TCXProgram is a program attached through tcx.
type TCXProgram struct {
	// ProgramID is the program's id.
	ProgramID bpf.ProgramID
	// LinkID is the tcx link that attaches it, 0 for programs attached
	// with BPF_PROG_ATTACH.
	LinkID LinkID
}

// TCXPrograms lists the tcx programs on hook of iface (in iface.Netns), in
// the order they run (BPF_PROG_QUERY, 6.6+).
func TCXPrograms(iface Interface, hook Hook) ([]TCXProgram, error) {
	h := handle{ns: iface.Netns}
	defer h.put()
	return h.tcxPrograms(iface, hook)
}

func (h *handle) tcxPrograms(iface Interface, hook Hook) ([]TCXProgram, error) {
	op := "list tcx " + hook.String() + " programs of"
	if _, err := hook.parent(); err != nil {
		return nil, h.newError(op, iface, "", nil, err)
	}
	iface, err := h.resolve(op, iface)
	if err != nil {
		return nil, err
	}
	// The kernel reports the real count with ENOSPC when the buffers are
	// too small: grow them and ask again.
	progs, links := make([]uint32, 64), make([]uint32, 64)
	for {
		attr := sys.ProgQueryAttr{
			TargetFDOrIfindex: uint32(iface.Index),
			AttachType:        uint32(hook.tcxType()),
			ProgIDs:           sys.NewPointer(unsafe.Pointer(&progs[0])),
			Count:             uint32(len(progs)),
			LinkIDs:           sys.NewPointer(unsafe.Pointer(&links[0])),
		}
		err := h.do(func() error { return sys.ProgQuery(&attr) })
		if errors.Is(err, unix.ENOSPC) && int(attr.Count) > len(progs) {
			progs, links = make([]uint32, attr.Count), make([]uint32, attr.Count)
			continue
		}
		if err != nil {
			var kind error
			if linkUnsupported(err) {
				kind = missingTCX()
			}
			return nil, h.newError(op, iface, "BPF_PROG_QUERY", kind, err)
		}
		out := make([]TCXProgram, min(int(attr.Count), len(progs)))
		for i := range out {
			out[i] = TCXProgram{ProgramID: bpf.ProgramID(progs[i]), LinkID: LinkID(links[i])}
		}
		return out, nil
	}
}

// missingTCX returns the features answer when the kernel lacks tcx (an
// *Error matching bpf.ErrNotSupported that names tcx and Linux 6.6), or
// nil. It runs only after a tcx request failed (the probe is cached).
func missingTCX() error {
	if ferr := features.HaveTCX(); errors.Is(ferr, bpf.ErrNotSupported) {
		return ferr
	}
	return nil
}
