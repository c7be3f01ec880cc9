// Package attach hooks loaded BPF programs to network interfaces: XDP and
// tc (cls_bpf) through rtnetlink messages, and XDP and tcx through bpf_link
// (BPF_LINK_CREATE). It replaces the tutorial's
//
//	ip link set dev X xdp obj prog.o        -> attach.XDP
//	tc qdisc add dev X clsact               -> attach.EnsureClsact
//	tc filter add dev X egress bpf da obj   -> attach.TC
//	ip link show                            -> attach.QueryXDP, attach.Interfaces
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
// Options structs (XDPOptions, TCOptions, DetachXDPOptions) hold only what
// varies per call; their zero values are the documented defaults.
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
//
//   - Close ends our part. A netlink attachment detaches its program if it
//     is still ours (a replaced program is left alone, silently); a link
//     attachment closes its descriptor, which detaches unless the link is
//     pinned; a Link (opened by id or pin) closes its descriptor, which
//     detaches when it was the last one of an unpinned link.
//   - Detach removes the program now, pinned or not, and says so when the
//     attachment vanished (ErrVanished).
//   - Release leaves the program attached and drops only what this process
//     holds: a link's descriptor and our reference to the namespace's
//     netlink socket. Netlink attachments can always be released (detach them
//     later with DetachXDP or DeleteTCFilter, or ip and tc); links only
//     when pinned, since closing the last descriptor of an unpinned link
//     detaches it (Release then fails and changes nothing).
//   - Pin pins a bpf_link on bpffs; Info asks the kernel about the
//     attachment now.
//
// # Namespaces
//
// An Interface's Netns names the namespace (nil: the calling thread's).
// Netlink sockets are created inside the namespace without moving the
// calling thread and then used from anywhere; the bpf(2) commands that
// take an interface index (link creation, tcx queries) run on a thread that
// enters the namespace for the duration of the call only. The calling
// goroutine's thread never changes namespace. Keep the *netns.NetNS open
// while its interfaces are used and while attachments made on them live.
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
// ErrVanished, ErrNotAttached and bpf.ErrNotSupported. A kernel without
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
