// Package attach hooks loaded BPF programs to network interfaces: XDP and
// tc (cls_bpf) through rtnetlink messages, and XDP and tcx through bpf_link
// (BPF_LINK_CREATE). It replaces the tutorial's
//
//	ip link set dev X xdp obj prog.o        -> attach.XDP
//	tc qdisc add dev X clsact               -> attach.EnsureClsact
//	tc filter add dev X egress bpf da obj   -> attach.TC
//	ip link show                            -> attach.XDPPrograms, attach.Interfaces
//	tc filter show / bpftool net            -> attach.TCFilters, attach.TCXPrograms
//
// # One shape
//
// Every operation is one package-level function. The target is an
// Interface value, built by name or by index and placed in a namespace
// once:
//
//	iface := attach.ByName("veth0").In(ns) // or attach.ByIndex(5); no In: the calling thread's namespace
//	att, err := attach.XDP(iface, prog, attach.XDPOptions{Mode: attach.XDPGeneric})
//
// What an operation cannot do without (the interface, the program, the tc
// hook) is an argument; options structs (XDPOptions, TCOptions,
// DetachXDPOptions) hold only what varies per call, and their zero values
// are the documented defaults.
//
// Queries are nouns for what they return: XDPPrograms(iface),
// TCFilters(iface, hook) and TCXPrograms(iface, hook). Interfaces(ns) is
// the one exception to "the namespace is given in the Interface": it lists
// every interface of a namespace, so it takes the namespace itself.
//
// # Methods
//
// Two ways to attach exist and both are supported:
//
//   - MethodNetlink (the way ip and tc do it) works on every kernel with
//     XDP (4.8+) and cls_bpf (4.1+, direct-action 4.4+), coexists with
//     programs that iproute2 manages, and leaves the program attached when
//     the process exits.
//   - MethodLink (XDP since 5.9, tcx since 6.6) ties the attachment to a
//     bpf_link: it ends when the last descriptor and pin go away, and
//     nobody can replace it behind our back. Pin makes it outlive the
//     process.
//
// With MethodAuto (the default), XDP and TC try bpf_link first and fall
// back to netlink when the kernel lacks it; the attachment's Method method
// tells which was used.
//
// # Lifecycle
//
// XDPAttachment, TCAttachment and Link share the Attachment interface:
// Close ends our part, Detach removes the program now (and reports an
// attachment that vanished with ErrVanished), Release keeps the program
// attached and drops only what this process holds, Pin pins a bpf_link on
// bpffs, Unpin removes that pin (PinnedPath tells it), Info asks the
// kernel about the attachment now, and Update replaces the program in
// place (atomically for links and netlink XDP). After Close, Detach or Release the
// value is spent: Close is a no-op, Unpin and PinnedPath still work (the
// pin is a file, as for bpf.Program and maps.Map), and every other method
// fails with an error matching bpf.ErrClosed, the module's one "closed"
// sentinel. ErrVanished is kept for an attachment that someone else
// removed (detached or replaced the program, deleted the interface).
// What each kind does:
//
//   - A netlink XDP program (XDP with MethodNetlink, "ip link set dev X
//     xdp") stays attached until someone removes it, also after the process
//     exits. Close removes it only while it is still ours (a program that
//     replaced it is left alone, silently; Detach reports ErrVanished).
//     Release leaves it attached and drops our reference to the
//     namespace's socket; remove it later with DetachXDP (or ip link).
//     It cannot be pinned (Unpin reports bpf.ErrNotPinned).
//   - A tc filter (TC with MethodNetlink, "tc filter add ... bpf da") is
//     the same: Close deletes it while it still runs our program; after
//     Release, DeleteTCFilter (its Filter tells priority and handle),
//     DeleteTCFilters or DeleteClsact remove it.
//   - An XDP or tcx link (MethodLink) lives as long as a descriptor or a
//     pin refers to it: Close closes our descriptor, which detaches unless
//     the link is pinned. To keep it past the process, Pin it and then
//     Release (or Close); Release of an unpinned link fails and changes
//     nothing, because closing the last descriptor would detach it (also
//     when someone else removed the pin file: the attachment then forgets
//     the path). Remove a pinned link with Unpin, on the attachment (also
//     after Close or Release) or on LoadPinnedLink(path), then Close (or
//     Detach, which ends it for every holder at once).
//   - A Link opened by LinkFromID or LoadPinnedLink is one more reference
//     to an existing link: Close drops it (detaching only if it was the
//     last reference of an unpinned link), Release drops it only when the
//     link is pinned, Detach ends the link for every holder.
//
// What is left when the process ends without Close, Detach or Release
// (it exits, or is killed with SIGKILL), and what removes it afterwards;
// a link's detach happens shortly after the process's end, in the
// kernel's own time (TestProcessDeath checks every row):
//
//	attachment                   after the process ends             removed later by
//	netlink XDP                  stays attached                     DetachXDP (ip link set dev X xdp off)
//	tc filter                    stays, as does the clsact qdisc    DeleteTCFilter(s), DeleteClsact (tc filter del)
//	XDP or tcx link, not pinned  detached, the program freed        -
//	XDP or tcx link, pinned      stays attached while pinned        LoadPinnedLink: Unpin, then Close (or Detach)
//
// Two processes on one hook (TestAttachRace, TestCloseAfterOthersReplaced):
//
//	situation                                   result
//	both attach XDP at once, no Replace         one wins; the other gets ErrExists whose Error.Holder
//	  (netlink or link, any mix)                  (and text) names the winner's program
//	both add a tc filter at one priority and    one wins; the other gets ErrExists naming it
//	  handle, no Replace
//	both attach tcx                             both attached, side by side
//	another process replaced our netlink XDP    our Close leaves its program (Detach reports
//	  program or tc filter (Replace)              ErrVanished)
//	another process updated our link to its     our Close drops our reference; its reference keeps
//	  program and holds the link                  the link, with its program, attached
//
// Attaching does not keep a descriptor of the program: the kernel holds an
// attached program. A later detach or update of a netlink XDP attachment
// names the program by the *bpf.Program's descriptor while it is open, and
// by one opened from its id otherwise, which needs CAP_SYS_ADMIN: keep the
// program open until the attachment ends unless the process has it. A
// detach that fails (for that reason or another) leaves the attachment as
// it was, so Close or Detach can be retried.
//
// # Namespaces
//
// The namespace is given once, in the Interface (Netns; nil: the calling
// thread's), and nowhere else. Requests go over one rtnetlink socket per
// namespace, created inside it on first use without moving the calling
// thread, and reused by every later call and by the netlink attachments'
// detach:
//
//   - for a *netns.NetNS, the socket lives until that handle is closed
//     (Close or Delete) and no netlink attachment made through it is still
//     open, so that a cached socket never keeps a deleted namespace, and
//     its interfaces, alive. Keep the handle open while you use its
//     interfaces; every call after Close fails with netns.ErrClosed. An
//     open netlink attachment (not yet closed or released) keeps the
//     socket, and so the namespace, alive.
//   - for a nil Netns, the process's own socket is reused when the calling
//     thread is in the process's namespace; on a thread that entered
//     another namespace (netns.NetNS.Do) each call opens and closes a socket
//     of its own there.
//
// The bpf(2) commands that take an interface index (link creation, tcx
// queries) run on a thread that enters the namespace for the duration of
// the call only. The calling goroutine's thread never changes namespace.
//
// # Errors
//
// Errors are *Error values naming the operation, the interface (with its
// index) and the namespace, with the kernel's extended-ack text when it
// sent one, for example
//
//	attach XDP to veth0 (ifindex 5) in netns pbt-1-0a1b2c3d: RTM_SETLINK (netlink: Native and generic XDP can't be active at the same time): file exists
//
// errors.Is matches the errno (unix.EEXIST, unix.EBUSY, ...) and the
// sentinels ErrNoInterface, ErrProgramType, ErrModeNotSupported,
// ErrVanished, ErrNotAttached, bpf.ErrClosed, bpf.ErrNotPinned and
// bpf.ErrNotSupported. A kernel without
// XDP links (before 5.9) or tcx (before 6.6) gives an error matching
// bpf.ErrNotSupported whose *features.Error names the feature and the
// release, for example
//
//	attach tc ingress program to veth0 (ifindex 5): tcx links (BPF_TCX_INGRESS, BPF_TCX_EGRESS): not supported by the running kernel (since Linux 6.6): BPF_LINK_CREATE: invalid argument
//
// The features probes behind these errors run only after a request
// failed; with MethodAuto such kernels get netlink attachments instead.
//
// Everything here needs CAP_NET_ADMIN (and CAP_BPF or CAP_SYS_ADMIN for
// bpf(2)); entering a namespace needs CAP_SYS_ADMIN.
package attach
