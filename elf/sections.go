package elf

import (
	"strings"

	"github.com/purebpf/bpf"
)

// match says how a section name is compared with a convention.
type match uint8

const (
	exact  match = iota // the name itself ("xdp", "sk_lookup")
	plus                // the name, or name/anything (libbpf's "kprobe+")
	prefix              // any name starting with it (libbpf 0.x "sloppy" rules)
)

// Attach types newer than the kernel enum internal/kernel is generated
// from (6.18): numbers of the kernel UAPI as libbpf's copy of it has them.
const (
	attachTraceFsession      bpf.AttachType = 58 // BPF_TRACE_FSESSION
	attachTraceFentryMulti   bpf.AttachType = 59 // BPF_TRACE_FENTRY_MULTI
	attachTraceFexitMulti    bpf.AttachType = 60 // BPF_TRACE_FEXIT_MULTI
	attachTraceFsessionMulti bpf.AttachType = 61 // BPF_TRACE_FSESSION_MULTI
)

type secDef struct {
	name   string
	how    match
	typ    bpf.ProgramType
	attach bpf.AttachType
	flags  bpf.ProgramFlags
	// btf: what follows the first '/' of the section name is the kernel
	// object the program attaches to (libbpf's SEC_ATTACH_BTF).
	btf bool
}

// secDefs are libbpf's section name conventions as of libbpf 1.7 and
// its development branch (section_defs of src/libbpf.c), in its order:
// the first match wins.
var secDefs = []secDef{
	{"socket", exact, bpf.SocketFilter, 0, 0, false},
	{"sk_reuseport/migrate", exact, bpf.SkReuseport, bpf.AttachSkReuseportSelectOrMigrate, 0, false},
	{"sk_reuseport", exact, bpf.SkReuseport, bpf.AttachSkReuseportSelect, 0, false},
	{"kprobe", plus, bpf.Kprobe, 0, 0, false},
	{"uprobe", plus, bpf.Kprobe, 0, 0, false},
	{"uprobe.s", plus, bpf.Kprobe, 0, bpf.Sleepable, false},
	{"kretprobe", plus, bpf.Kprobe, 0, 0, false},
	{"uretprobe", plus, bpf.Kprobe, 0, 0, false},
	{"uretprobe.s", plus, bpf.Kprobe, 0, bpf.Sleepable, false},
	{"kprobe.multi", plus, bpf.Kprobe, bpf.AttachTraceKprobeMulti, 0, false},
	{"kretprobe.multi", plus, bpf.Kprobe, bpf.AttachTraceKprobeMulti, 0, false},
	{"kprobe.session", plus, bpf.Kprobe, bpf.AttachTraceKprobeSession, 0, false},
	{"uprobe.multi", plus, bpf.Kprobe, bpf.AttachTraceUprobeMulti, 0, false},
	{"uretprobe.multi", plus, bpf.Kprobe, bpf.AttachTraceUprobeMulti, 0, false},
	{"uprobe.session", plus, bpf.Kprobe, bpf.AttachTraceUprobeSession, 0, false},
	{"uprobe.multi.s", plus, bpf.Kprobe, bpf.AttachTraceUprobeMulti, bpf.Sleepable, false},
	{"uretprobe.multi.s", plus, bpf.Kprobe, bpf.AttachTraceUprobeMulti, bpf.Sleepable, false},
	{"uprobe.session.s", plus, bpf.Kprobe, bpf.AttachTraceUprobeSession, bpf.Sleepable, false},
	{"ksyscall", plus, bpf.Kprobe, 0, 0, false},
	{"kretsyscall", plus, bpf.Kprobe, 0, 0, false},
	{"usdt", plus, bpf.Kprobe, 0, 0, false},
	{"usdt.s", plus, bpf.Kprobe, 0, bpf.Sleepable, false},
	{"tc/ingress", exact, bpf.SchedCLS, bpf.AttachTCXIngress, 0, false},
	{"tc/egress", exact, bpf.SchedCLS, bpf.AttachTCXEgress, 0, false},
	{"tcx/ingress", exact, bpf.SchedCLS, bpf.AttachTCXIngress, 0, false},
	{"tcx/egress", exact, bpf.SchedCLS, bpf.AttachTCXEgress, 0, false},
	{"tc", exact, bpf.SchedCLS, 0, 0, false},
	{"classifier", exact, bpf.SchedCLS, 0, 0, false},
	{"action", exact, bpf.SchedACT, 0, 0, false},
	{"netkit/primary", exact, bpf.SchedCLS, bpf.AttachNetkitPrimary, 0, false},
	{"netkit/peer", exact, bpf.SchedCLS, bpf.AttachNetkitPeer, 0, false},
	{"tracepoint", plus, bpf.TracePoint, 0, 0, false},
	{"tp", plus, bpf.TracePoint, 0, 0, false},
	{"tracepoint.s", plus, bpf.TracePoint, 0, bpf.Sleepable, false},
	{"tp.s", plus, bpf.TracePoint, 0, bpf.Sleepable, false},
	{"raw_tracepoint", plus, bpf.RawTracepoint, 0, 0, false},
	{"raw_tp", plus, bpf.RawTracepoint, 0, 0, false},
	{"raw_tracepoint.s", plus, bpf.RawTracepoint, 0, bpf.Sleepable, false},
	{"raw_tp.s", plus, bpf.RawTracepoint, 0, bpf.Sleepable, false},
	{"raw_tracepoint.w", plus, bpf.RawTracepointWritable, 0, 0, false},
	{"raw_tp.w", plus, bpf.RawTracepointWritable, 0, 0, false},
	{"tp_btf", plus, bpf.Tracing, bpf.AttachTraceRawTP, 0, true},
	{"tp_btf.s", plus, bpf.Tracing, bpf.AttachTraceRawTP, bpf.Sleepable, true},
	{"fentry", plus, bpf.Tracing, bpf.AttachTraceFentry, 0, true},
	{"fmod_ret", plus, bpf.Tracing, bpf.AttachModifyReturn, 0, true},
	{"fexit", plus, bpf.Tracing, bpf.AttachTraceFexit, 0, true},
	{"fentry.s", plus, bpf.Tracing, bpf.AttachTraceFentry, bpf.Sleepable, true},
	{"fmod_ret.s", plus, bpf.Tracing, bpf.AttachModifyReturn, bpf.Sleepable, true},
	{"fexit.s", plus, bpf.Tracing, bpf.AttachTraceFexit, bpf.Sleepable, true},
	{"fsession", plus, bpf.Tracing, attachTraceFsession, 0, true},
	{"fsession.s", plus, bpf.Tracing, attachTraceFsession, bpf.Sleepable, true},
	// The multi forms name a pattern of functions, resolved when the
	// link is made: no single attach target.
	{"fsession.multi", plus, bpf.Tracing, attachTraceFsessionMulti, 0, false},
	{"fsession.multi.s", plus, bpf.Tracing, attachTraceFsessionMulti, bpf.Sleepable, false},
	{"fentry.multi", plus, bpf.Tracing, attachTraceFentryMulti, 0, false},
	{"fexit.multi", plus, bpf.Tracing, attachTraceFexitMulti, 0, false},
	{"fentry.multi.s", plus, bpf.Tracing, attachTraceFentryMulti, bpf.Sleepable, false},
	{"fexit.multi.s", plus, bpf.Tracing, attachTraceFexitMulti, bpf.Sleepable, false},
	{"freplace", plus, bpf.Extension, 0, 0, true},
	{"lsm", plus, bpf.LSM, bpf.AttachLSMMac, 0, true},
	{"lsm.s", plus, bpf.LSM, bpf.AttachLSMMac, bpf.Sleepable, true},
	{"lsm_cgroup", plus, bpf.LSM, bpf.AttachLSMCgroup, 0, true},
	{"iter", plus, bpf.Tracing, bpf.AttachTraceIter, 0, true},
	{"iter.s", plus, bpf.Tracing, bpf.AttachTraceIter, bpf.Sleepable, true},
	{"syscall", exact, bpf.Syscall, 0, bpf.Sleepable, false},
	{"xdp.frags/devmap", exact, bpf.XDP, bpf.AttachXDPDevMap, bpf.XDPHasFrags, false},
	{"xdp/devmap", exact, bpf.XDP, bpf.AttachXDPDevMap, 0, false},
	{"xdp.frags/cpumap", exact, bpf.XDP, bpf.AttachXDPCPUMap, bpf.XDPHasFrags, false},
	{"xdp/cpumap", exact, bpf.XDP, bpf.AttachXDPCPUMap, 0, false},
	{"xdp.frags", exact, bpf.XDP, bpf.AttachXDP, bpf.XDPHasFrags, false},
	{"xdp", exact, bpf.XDP, bpf.AttachXDP, 0, false},
	{"perf_event", exact, bpf.PerfEvent, 0, 0, false},
	{"lwt_in", exact, bpf.LWTIn, 0, 0, false},
	{"lwt_out", exact, bpf.LWTOut, 0, 0, false},
	{"lwt_xmit", exact, bpf.LWTXmit, 0, 0, false},
	{"lwt_seg6local", exact, bpf.LWTSeg6Local, 0, 0, false},
	{"sockops", exact, bpf.SockOps, bpf.AttachCGroupSockOps, 0, false},
	{"sk_skb/stream_parser", exact, bpf.SkSKB, bpf.AttachSkSKBStreamParser, 0, false},
	{"sk_skb/stream_verdict", exact, bpf.SkSKB, bpf.AttachSkSKBStreamVerdict, 0, false},
	{"sk_skb/verdict", exact, bpf.SkSKB, bpf.AttachSkSKBVerdict, 0, false},
	{"sk_skb", exact, bpf.SkSKB, 0, 0, false},
	{"sk_msg", exact, bpf.SkMsg, bpf.AttachSkMsgVerdict, 0, false},
	{"lirc_mode2", exact, bpf.LircMode2, bpf.AttachLIRCMode2, 0, false},
	{"flow_dissector", exact, bpf.FlowDissector, bpf.AttachFlowDissector, 0, false},
	{"cgroup_skb/ingress", exact, bpf.CGroupSKB, bpf.AttachCGroupInetIngress, 0, false},
	{"cgroup_skb/egress", exact, bpf.CGroupSKB, bpf.AttachCGroupInetEgress, 0, false},
	{"cgroup/skb", exact, bpf.CGroupSKB, 0, 0, false},
	{"cgroup/sock_create", exact, bpf.CGroupSock, bpf.AttachCGroupInetSockCreate, 0, false},
	{"cgroup/sock_release", exact, bpf.CGroupSock, bpf.AttachCGroupInetSockRelease, 0, false},
	{"cgroup/sock", exact, bpf.CGroupSock, bpf.AttachCGroupInetSockCreate, 0, false},
	{"cgroup/post_bind4", exact, bpf.CGroupSock, bpf.AttachCGroupInet4PostBind, 0, false},
	{"cgroup/post_bind6", exact, bpf.CGroupSock, bpf.AttachCGroupInet6PostBind, 0, false},
	{"cgroup/bind4", exact, bpf.CGroupSockAddr, bpf.AttachCGroupInet4Bind, 0, false},
	{"cgroup/bind6", exact, bpf.CGroupSockAddr, bpf.AttachCGroupInet6Bind, 0, false},
	{"cgroup/connect4", exact, bpf.CGroupSockAddr, bpf.AttachCGroupInet4Connect, 0, false},
	{"cgroup/connect6", exact, bpf.CGroupSockAddr, bpf.AttachCGroupInet6Connect, 0, false},
	{"cgroup/connect_unix", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUnixConnect, 0, false},
	{"cgroup/sendmsg4", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUDP4Sendmsg, 0, false},
	{"cgroup/sendmsg6", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUDP6Sendmsg, 0, false},
	{"cgroup/sendmsg_unix", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUnixSendmsg, 0, false},
	{"cgroup/recvmsg4", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUDP4Recvmsg, 0, false},
	{"cgroup/recvmsg6", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUDP6Recvmsg, 0, false},
	{"cgroup/recvmsg_unix", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUnixRecvmsg, 0, false},
	{"cgroup/getpeername4", exact, bpf.CGroupSockAddr, bpf.AttachCGroupInet4Getpeername, 0, false},
	{"cgroup/getpeername6", exact, bpf.CGroupSockAddr, bpf.AttachCGroupInet6Getpeername, 0, false},
	{"cgroup/getpeername_unix", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUnixGetpeername, 0, false},
	{"cgroup/getsockname4", exact, bpf.CGroupSockAddr, bpf.AttachCGroupInet4Getsockname, 0, false},
	{"cgroup/getsockname6", exact, bpf.CGroupSockAddr, bpf.AttachCGroupInet6Getsockname, 0, false},
	{"cgroup/getsockname_unix", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUnixGetsockname, 0, false},
	{"cgroup/sysctl", exact, bpf.CGroupSysctl, bpf.AttachCGroupSysctl, 0, false},
	{"cgroup/getsockopt", exact, bpf.CGroupSockopt, bpf.AttachCGroupGetsockopt, 0, false},
	{"cgroup/setsockopt", exact, bpf.CGroupSockopt, bpf.AttachCGroupSetsockopt, 0, false},
	{"cgroup/dev", exact, bpf.CGroupDevice, bpf.AttachCGroupDevice, 0, false},
	// The part after "struct_ops/" is a label, not an attach target: the
	// kernel type and member come from the .struct_ops map that refers
	// to the program.
	{"struct_ops", plus, bpf.StructOps, 0, 0, false},
	{"struct_ops.s", plus, bpf.StructOps, 0, bpf.Sleepable, false},
	{"sk_lookup", exact, bpf.SkLookup, bpf.AttachSkLookup, 0, false},
	{"netfilter", exact, bpf.Netfilter, bpf.AttachNetfilter, 0, false},
}

// legacyPrefixes type the names the conventions above do not know, by
// prefix, as older loaders did: libbpf before 1.0 (its "sloppy" prefix
// rules of 0.7/0.8, in their order, including the deprecated
// "xdp_devmap/" and "xdp_cpumap/"), and the prefixes iproute2's loader
// and cilium/ebpf accept ("tc_mark", "kprobe_x", "tracepoint_y").
// Examples: "xdp1", "xdp_mark", "socket1", "classifier_x", "sk_lookup/x",
// "cgroup/sock_ops". The expected attach type is the one libbpf 0.8 sent
// unconditionally (its SEC_ATTACHABLE entries: cgroup socket address
// hooks, sk_lookup, sk_reuseport, devmap/cpumap XDP); where libbpf sent
// one only if the kernel took expected attach types at all
// (SEC_ATTACHABLE_OPT: xdp, cgroup_skb, sockops, sk_skb, sk_msg...), it
// stays 0, which every kernel accepts (except cgroup_sock, below).
var legacyPrefixes = []secDef{
	{"socket", prefix, bpf.SocketFilter, 0, 0, false},
	{"sk_reuseport/migrate", prefix, bpf.SkReuseport, bpf.AttachSkReuseportSelectOrMigrate, 0, false},
	{"sk_reuseport", prefix, bpf.SkReuseport, bpf.AttachSkReuseportSelect, 0, false},
	{"kprobe", prefix, bpf.Kprobe, 0, 0, false},
	{"kretprobe", prefix, bpf.Kprobe, 0, 0, false},
	{"tc", prefix, bpf.SchedCLS, 0, 0, false},
	{"classifier", prefix, bpf.SchedCLS, 0, 0, false},
	{"action", prefix, bpf.SchedACT, 0, 0, false},
	{"tracepoint", prefix, bpf.TracePoint, 0, 0, false},
	{"raw_tracepoint", prefix, bpf.RawTracepoint, 0, 0, false},
	{"xdp_devmap/", prefix, bpf.XDP, bpf.AttachXDPDevMap, 0, false},
	{"xdp_cpumap/", prefix, bpf.XDP, bpf.AttachXDPCPUMap, 0, false},
	{"xdp", prefix, bpf.XDP, 0, 0, false},
	{"perf_event", prefix, bpf.PerfEvent, 0, 0, false},
	{"lwt_in", prefix, bpf.LWTIn, 0, 0, false},
	{"lwt_out", prefix, bpf.LWTOut, 0, 0, false},
	{"lwt_xmit", prefix, bpf.LWTXmit, 0, 0, false},
	{"lwt_seg6local", prefix, bpf.LWTSeg6Local, 0, 0, false},
	{"cgroup_skb", prefix, bpf.CGroupSKB, 0, 0, false},
	{"cgroup/skb", prefix, bpf.CGroupSKB, 0, 0, false},
	{"cgroup/sock_create", prefix, bpf.CGroupSock, bpf.AttachCGroupInetSockCreate, 0, false},
	{"cgroup/sock_release", prefix, bpf.CGroupSock, bpf.AttachCGroupInetSockRelease, 0, false},
	// libbpf 0.8 sent BPF_CGROUP_INET_SOCK_CREATE only to kernels that
	// take expected attach types, but the kernel loads a cgroup_sock
	// program given 0 as one given that type, so it is set here: the
	// spec then names the hook ("cgroup/sock1", "cgroup/sock2" of the
	// kernel's samples are socket-creation programs).
	{"cgroup/sock", prefix, bpf.CGroupSock, bpf.AttachCGroupInetSockCreate, 0, false},
	{"cgroup/post_bind4", prefix, bpf.CGroupSock, bpf.AttachCGroupInet4PostBind, 0, false},
	{"cgroup/post_bind6", prefix, bpf.CGroupSock, bpf.AttachCGroupInet6PostBind, 0, false},
	{"cgroup/dev", prefix, bpf.CGroupDevice, 0, 0, false},
	{"sockops", prefix, bpf.SockOps, 0, 0, false},
	{"sk_skb", prefix, bpf.SkSKB, 0, 0, false},
	{"sk_msg", prefix, bpf.SkMsg, 0, 0, false},
	{"lirc_mode2", prefix, bpf.LircMode2, 0, 0, false},
	{"flow_dissector", prefix, bpf.FlowDissector, 0, 0, false},
	{"cgroup/bind4", prefix, bpf.CGroupSockAddr, bpf.AttachCGroupInet4Bind, 0, false},
	{"cgroup/bind6", prefix, bpf.CGroupSockAddr, bpf.AttachCGroupInet6Bind, 0, false},
	{"cgroup/connect4", prefix, bpf.CGroupSockAddr, bpf.AttachCGroupInet4Connect, 0, false},
	{"cgroup/connect6", prefix, bpf.CGroupSockAddr, bpf.AttachCGroupInet6Connect, 0, false},
	{"cgroup/sendmsg4", prefix, bpf.CGroupSockAddr, bpf.AttachCGroupUDP4Sendmsg, 0, false},
	{"cgroup/sendmsg6", prefix, bpf.CGroupSockAddr, bpf.AttachCGroupUDP6Sendmsg, 0, false},
	{"cgroup/recvmsg4", prefix, bpf.CGroupSockAddr, bpf.AttachCGroupUDP4Recvmsg, 0, false},
	{"cgroup/recvmsg6", prefix, bpf.CGroupSockAddr, bpf.AttachCGroupUDP6Recvmsg, 0, false},
	{"cgroup/getpeername4", prefix, bpf.CGroupSockAddr, bpf.AttachCGroupInet4Getpeername, 0, false},
	{"cgroup/getpeername6", prefix, bpf.CGroupSockAddr, bpf.AttachCGroupInet6Getpeername, 0, false},
	{"cgroup/getsockname4", prefix, bpf.CGroupSockAddr, bpf.AttachCGroupInet4Getsockname, 0, false},
	{"cgroup/getsockname6", prefix, bpf.CGroupSockAddr, bpf.AttachCGroupInet6Getsockname, 0, false},
	{"cgroup/sysctl", prefix, bpf.CGroupSysctl, bpf.AttachCGroupSysctl, 0, false},
	{"cgroup/getsockopt", prefix, bpf.CGroupSockopt, bpf.AttachCGroupGetsockopt, 0, false},
	{"cgroup/setsockopt", prefix, bpf.CGroupSockopt, bpf.AttachCGroupSetsockopt, 0, false},
	{"sk_lookup", prefix, bpf.SkLookup, bpf.AttachSkLookup, 0, false},
}

// Convention is what a section name conventionally says about the
// programs in it.
type Convention struct {
	// Type is the program type.
	Type bpf.ProgramType
	// AttachType is the expected attach type sent with the program.
	AttachType bpf.AttachType
	// Flags are the program load flags: bpf.Sleepable for the ".s"
	// variants and "syscall", bpf.XDPHasFrags for "xdp.frags".
	Flags bpf.ProgramFlags
	// AttachTo is the kernel object a program of an attach-by-BTF type
	// hooks, the text after the first '/' for the sections libbpf reads
	// it from: tp_btf, fentry, fexit, fmod_ret, fsession (and their ".s"
	// forms), freplace, lsm, lsm.s, lsm_cgroup, iter, iter.s
	// ("fentry/tcp_connect": "tcp_connect"; "iter/bpf_map": "bpf_map").
	// Empty for other sections, and for these without a '/' ("fentry"),
	// whose target the caller must set before loading.
	AttachTo string
}

// SectionType returns what the section name conventionally implies (the
// program type, expected attach type, load flags and attach target), and
// false for names with no conventional type, such as
// ".text", "rx", "filter" or "prog". A leading '?' (libbpf's "do not
// load by default") is ignored.
//
// The rules are libbpf's (1.7 and its development branch), tried in its
// order, the first match winning: exact names ("xdp", "tc/ingress",
// "xdp.frags/devmap", "sk_lookup", "syscall"), and "name+" entries that
// match the name itself or name/anything ("kprobe/do_sys_open",
// "fentry.s/do_sys_open", "iter/bpf_map", "tp_btf/sched_switch"); a
// libbpf 1.x "name+" entry never matches without the '/' ("fentryx" is
// not fentry). Names no 1.x rule matches fall back to plain prefix rules
// of the loaders before it (libbpf 0.x, iproute2, cilium/ebpf): "xdp1",
// "xdp_mark", "tc_mark", "sk_lookup/x", "xdp_devmap/x", "cgroup/sock1"
// (cgroup_sock, socket creation), "cgroup/skb1", "sockops1", "socket2";
// those never set AttachTo or flags. Programs whose section follows no
// convention at all are typed with Options (Programs by function name,
// Sections by section glob, DefaultType).
//
// Not reproduced: libbpf drops the expected attach type of some sections
// on kernels without expected attach types (before 4.17), and loads
// "usdt" programs with the uprobe-multi attach type where the kernel has
// uprobe-multi links (6.6); here they are what the table says, the
// loader decides.
func SectionType(name string) (Convention, bool) {
	name = strings.TrimPrefix(name, "?")
	d := findDef(name)
	if d == nil {
		return Convention{}, false
	}
	c := Convention{Type: d.typ, AttachType: d.attach, Flags: d.flags}
	if d.btf {
		if _, target, ok := strings.Cut(name, "/"); ok {
			c.AttachTo = target
		}
	}
	return c, true
}

// findDef returns the rule that types name (without '?'), or nil.
func findDef(name string) *secDef {
	for i := range secDefs {
		if secDefs[i].matches(name) {
			return &secDefs[i]
		}
	}
	for i := range legacyPrefixes {
		if legacyPrefixes[i].matches(name) {
			return &legacyPrefixes[i]
		}
	}
	return nil
}

func (d *secDef) matches(name string) bool {
	switch d.how {
	case exact:
		return name == d.name
	case plus:
		rest, ok := strings.CutPrefix(name, d.name)
		return ok && (rest == "" || rest[0] == '/')
	default:
		return strings.HasPrefix(name, d.name)
	}
}
