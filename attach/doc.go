// Package attach hooks loaded BPF programs to network interfaces: XDP and
// tc (cls_bpf) through raw rtnetlink messages, and XDP and tcx through
// bpf_link (BPF_LINK_CREATE). It replaces the tutorial's
//
//	ip link set dev X xdp obj prog.o        -> attach.XDP
//	tc qdisc add dev X clsact               -> attach.EnsureClsact
//	tc filter add dev X egress bpf da obj   -> attach.TC
//	ip link show / tc filter show / bpftool net -> attach.QueryXDP, attach.ListTCFilters, attach.ListTCX
//
// Two ways to attach exist and both are supported:
//
//   - Netlink (the way ip and tc do it) works on every kernel with XDP
//     (4.8+) and cls_bpf (4.1+, direct-action 4.4+), coexists with
//     programs that iproute2 manages, and leaves the program attached when
//     the process exits: the returned attachment's Close detaches it, and
//     only if our program is still the one attached.
//   - bpf_link (XDP since 5.9, tcx since 6.6) ties the attachment to a
//     file descriptor: it ends when the last descriptor or pin goes away,
//     and nobody can replace it behind our back. Pin makes it outlive the
//     process.
//
// With Method Auto (the default), XDP and TC try bpf_link first and fall
// back to netlink when the kernel lacks it; the attachment's Method method
// tells which was used.
//
// # Namespaces
//
// Every operation can target an interface in another network namespace:
// set the Netns field of the options (or open a Handle in it). Netlink
// sockets are created inside the namespace by a short-lived locked thread
// and then used from anywhere; the bpf(2) commands that take an interface
// index (link creation, tcx queries) run on a thread that enters the
// namespace for the duration of the call only. The calling goroutine's
// thread never changes namespace.
//
// # Interfaces
//
// Functions taking an interface accept a name ("veth0"), an index (5) or an
// Interface value. A Handle is one rtnetlink socket in one namespace,
// reused for every request made through it; the package-level functions
// open a Handle for the call (or, for netlink attachments, for the
// attachment's life).
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
// failed; with Method Auto such kernels get netlink attachments instead.
//
// Everything here needs CAP_NET_ADMIN (and CAP_BPF or CAP_SYS_ADMIN for
// bpf(2)); entering a namespace needs CAP_SYS_ADMIN.
package attach
