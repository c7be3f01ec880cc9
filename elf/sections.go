package elf

import (
	"strings"

	"github.com/purebpf/bpf"
)

// match says how a section name is compared with a convention.
type match uint8

const (
	exact  match = iota // the name itself
	plus                // the name, or name/anything
	prefix              // name/anything (the entry ends in '/')
)

// flagXDPFrags is BPF_F_XDP_HAS_FRAGS.
const flagXDPFrags = 1 << 5

// BPF_F_SLEEPABLE.
const flagSleepable = 1 << 4

type secDef struct {
	name   string
	how    match
	typ    bpf.ProgramType
	attach bpf.AttachType
	flags  uint32
}

// secDefs are libbpf's section name conventions (libbpf 1.x
// section_defs), in its order: the first match wins.
var secDefs = []secDef{
	{"socket", exact, bpf.SocketFilter, 0, 0},
	{"sk_reuseport/migrate", exact, bpf.SkReuseport, bpf.AttachSkReuseportSelectOrMigrate, 0},
	{"sk_reuseport", exact, bpf.SkReuseport, bpf.AttachSkReuseportSelect, 0},
	{"kprobe", plus, bpf.Kprobe, 0, 0},
	{"uprobe", plus, bpf.Kprobe, 0, 0},
	{"uprobe.s", plus, bpf.Kprobe, 0, flagSleepable},
	{"kretprobe", plus, bpf.Kprobe, 0, 0},
	{"uretprobe", plus, bpf.Kprobe, 0, 0},
	{"uretprobe.s", plus, bpf.Kprobe, 0, flagSleepable},
	{"kprobe.multi", plus, bpf.Kprobe, bpf.AttachTraceKprobeMulti, 0},
	{"kretprobe.multi", plus, bpf.Kprobe, bpf.AttachTraceKprobeMulti, 0},
	{"kprobe.session", plus, bpf.Kprobe, bpf.AttachTraceKprobeSession, 0},
	{"uprobe.multi", plus, bpf.Kprobe, bpf.AttachTraceUprobeMulti, 0},
	{"uretprobe.multi", plus, bpf.Kprobe, bpf.AttachTraceUprobeMulti, 0},
	{"uprobe.multi.s", plus, bpf.Kprobe, bpf.AttachTraceUprobeMulti, flagSleepable},
	{"uretprobe.multi.s", plus, bpf.Kprobe, bpf.AttachTraceUprobeMulti, flagSleepable},
	{"ksyscall", plus, bpf.Kprobe, 0, 0},
	{"kretsyscall", plus, bpf.Kprobe, 0, 0},
	{"usdt", plus, bpf.Kprobe, 0, 0},
	{"usdt.s", plus, bpf.Kprobe, 0, flagSleepable},
	{"tc/ingress", exact, bpf.SchedCLS, bpf.AttachTCXIngress, 0},
	{"tc/egress", exact, bpf.SchedCLS, bpf.AttachTCXEgress, 0},
	{"tcx/ingress", exact, bpf.SchedCLS, bpf.AttachTCXIngress, 0},
	{"tcx/egress", exact, bpf.SchedCLS, bpf.AttachTCXEgress, 0},
	{"tc", plus, bpf.SchedCLS, 0, 0},
	{"classifier", plus, bpf.SchedCLS, 0, 0},
	{"action", plus, bpf.SchedACT, 0, 0},
	{"netkit/primary", exact, bpf.SchedCLS, bpf.AttachNetkitPrimary, 0},
	{"netkit/peer", exact, bpf.SchedCLS, bpf.AttachNetkitPeer, 0},
	{"tracepoint", plus, bpf.TracePoint, 0, 0},
	{"tp", plus, bpf.TracePoint, 0, 0},
	{"raw_tracepoint", plus, bpf.RawTracepoint, 0, 0},
	{"raw_tp", plus, bpf.RawTracepoint, 0, 0},
	{"raw_tracepoint.w", plus, bpf.RawTracepointWritable, 0, 0},
	{"raw_tp.w", plus, bpf.RawTracepointWritable, 0, 0},
	{"tp_btf", plus, bpf.Tracing, bpf.AttachTraceRawTP, 0},
	{"fentry", plus, bpf.Tracing, bpf.AttachTraceFentry, 0},
	{"fmod_ret", plus, bpf.Tracing, bpf.AttachModifyReturn, 0},
	{"fexit", plus, bpf.Tracing, bpf.AttachTraceFexit, 0},
	{"fentry.s", plus, bpf.Tracing, bpf.AttachTraceFentry, flagSleepable},
	{"fmod_ret.s", plus, bpf.Tracing, bpf.AttachModifyReturn, flagSleepable},
	{"fexit.s", plus, bpf.Tracing, bpf.AttachTraceFexit, flagSleepable},
	{"freplace", plus, bpf.Extension, 0, 0},
	{"lsm", plus, bpf.LSM, bpf.AttachLSMMac, 0},
	{"lsm.s", plus, bpf.LSM, bpf.AttachLSMMac, flagSleepable},
	{"lsm_cgroup", plus, bpf.LSM, bpf.AttachLSMCgroup, 0},
	{"iter", plus, bpf.Tracing, bpf.AttachTraceIter, 0},
	{"iter.s", plus, bpf.Tracing, bpf.AttachTraceIter, flagSleepable},
	{"syscall", exact, bpf.Syscall, 0, flagSleepable},
	{"xdp.frags/devmap", exact, bpf.XDP, bpf.AttachXDPDevMap, flagXDPFrags},
	{"xdp/devmap", exact, bpf.XDP, bpf.AttachXDPDevMap, 0},
	{"xdp.frags/cpumap", exact, bpf.XDP, bpf.AttachXDPCPUMap, flagXDPFrags},
	{"xdp/cpumap", exact, bpf.XDP, bpf.AttachXDPCPUMap, 0},
	{"xdp.frags", exact, bpf.XDP, bpf.AttachXDP, flagXDPFrags},
	{"xdp", plus, bpf.XDP, bpf.AttachXDP, 0},
	{"perf_event", exact, bpf.PerfEvent, 0, 0},
	{"lwt_in", exact, bpf.LWTIn, 0, 0},
	{"lwt_out", exact, bpf.LWTOut, 0, 0},
	{"lwt_xmit", exact, bpf.LWTXmit, 0, 0},
	{"lwt_seg6local", exact, bpf.LWTSeg6Local, 0, 0},
	{"sockops", exact, bpf.SockOps, bpf.AttachCGroupSockOps, 0},
	{"sk_skb/stream_parser", exact, bpf.SkSKB, bpf.AttachSkSKBStreamParser, 0},
	{"sk_skb/stream_verdict", exact, bpf.SkSKB, bpf.AttachSkSKBStreamVerdict, 0},
	{"sk_skb/verdict", exact, bpf.SkSKB, bpf.AttachSkSKBVerdict, 0},
	{"sk_skb", exact, bpf.SkSKB, 0, 0},
	{"sk_msg", exact, bpf.SkMsg, bpf.AttachSkMsgVerdict, 0},
	{"lirc_mode2", exact, bpf.LircMode2, bpf.AttachLIRCMode2, 0},
	{"flow_dissector", exact, bpf.FlowDissector, bpf.AttachFlowDissector, 0},
	{"cgroup_skb/ingress", exact, bpf.CGroupSKB, bpf.AttachCGroupInetIngress, 0},
	{"cgroup_skb/egress", exact, bpf.CGroupSKB, bpf.AttachCGroupInetEgress, 0},
	{"cgroup/skb", exact, bpf.CGroupSKB, 0, 0},
	{"cgroup/sock_create", exact, bpf.CGroupSock, bpf.AttachCGroupInetSockCreate, 0},
	{"cgroup/sock_release", exact, bpf.CGroupSock, bpf.AttachCGroupInetSockRelease, 0},
	{"cgroup/sock", exact, bpf.CGroupSock, bpf.AttachCGroupInetSockCreate, 0},
	{"cgroup/post_bind4", exact, bpf.CGroupSock, bpf.AttachCGroupInet4PostBind, 0},
	{"cgroup/post_bind6", exact, bpf.CGroupSock, bpf.AttachCGroupInet6PostBind, 0},
	{"cgroup/bind4", exact, bpf.CGroupSockAddr, bpf.AttachCGroupInet4Bind, 0},
	{"cgroup/bind6", exact, bpf.CGroupSockAddr, bpf.AttachCGroupInet6Bind, 0},
	{"cgroup/connect4", exact, bpf.CGroupSockAddr, bpf.AttachCGroupInet4Connect, 0},
	{"cgroup/connect6", exact, bpf.CGroupSockAddr, bpf.AttachCGroupInet6Connect, 0},
	{"cgroup/connect_unix", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUnixConnect, 0},
	{"cgroup/sendmsg4", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUDP4Sendmsg, 0},
	{"cgroup/sendmsg6", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUDP6Sendmsg, 0},
	{"cgroup/sendmsg_unix", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUnixSendmsg, 0},
	{"cgroup/recvmsg4", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUDP4Recvmsg, 0},
	{"cgroup/recvmsg6", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUDP6Recvmsg, 0},
	{"cgroup/recvmsg_unix", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUnixRecvmsg, 0},
	{"cgroup/getpeername4", exact, bpf.CGroupSockAddr, bpf.AttachCGroupInet4Getpeername, 0},
	{"cgroup/getpeername6", exact, bpf.CGroupSockAddr, bpf.AttachCGroupInet6Getpeername, 0},
	{"cgroup/getpeername_unix", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUnixGetpeername, 0},
	{"cgroup/getsockname4", exact, bpf.CGroupSockAddr, bpf.AttachCGroupInet4Getsockname, 0},
	{"cgroup/getsockname6", exact, bpf.CGroupSockAddr, bpf.AttachCGroupInet6Getsockname, 0},
	{"cgroup/getsockname_unix", exact, bpf.CGroupSockAddr, bpf.AttachCGroupUnixGetsockname, 0},
	{"cgroup/sysctl", exact, bpf.CGroupSysctl, bpf.AttachCGroupSysctl, 0},
	{"cgroup/getsockopt", exact, bpf.CGroupSockopt, bpf.AttachCGroupGetsockopt, 0},
	{"cgroup/setsockopt", exact, bpf.CGroupSockopt, bpf.AttachCGroupSetsockopt, 0},
	{"cgroup/dev", exact, bpf.CGroupDevice, bpf.AttachCGroupDevice, 0},
	{"struct_ops", plus, bpf.StructOps, 0, 0},
	{"struct_ops.s", plus, bpf.StructOps, 0, flagSleepable},
	{"sk_lookup", exact, bpf.SkLookup, bpf.AttachSkLookup, 0},
	{"netfilter", exact, bpf.Netfilter, bpf.AttachNetfilter, 0},
}

// legacyPrefixes are the name prefixes older loaders (libbpf before 1.0,
// iproute2's own loader, cilium/ebpf) typed sections by, for names the
// exact conventions do not know: "xdp1", "xdp_mark", "tc_mark",
// "kprobe_foo", "socket1", "classifier_x".
var legacyPrefixes = []secDef{
	{"xdp", 0, bpf.XDP, 0, 0},
	{"tc", 0, bpf.SchedCLS, 0, 0},
	{"classifier", 0, bpf.SchedCLS, 0, 0},
	{"action", 0, bpf.SchedACT, 0, 0},
	{"socket", 0, bpf.SocketFilter, 0, 0},
	{"kprobe", 0, bpf.Kprobe, 0, 0},
	{"kretprobe", 0, bpf.Kprobe, 0, 0},
	{"tracepoint", 0, bpf.TracePoint, 0, 0},
	{"raw_tracepoint", 0, bpf.RawTracepoint, 0, 0},
	{"perf_event", 0, bpf.PerfEvent, 0, 0},
	{"cgroup_skb", 0, bpf.CGroupSKB, 0, 0},
	{"sockops", 0, bpf.SockOps, 0, 0},
	{"sk_skb", 0, bpf.SkSKB, 0, 0},
	{"sk_msg", 0, bpf.SkMsg, 0, 0},
	{"lwt_in", 0, bpf.LWTIn, 0, 0},
	{"lwt_out", 0, bpf.LWTOut, 0, 0},
	{"lwt_xmit", 0, bpf.LWTXmit, 0, 0},
}

// SectionType returns the program type, expected attach type and program
// flags a section name conventionally implies: libbpf's conventions
// first (exact names such as "xdp", "tc/ingress", "xdp.frags"; "name+"
// entries such as "kprobe/do_sys_open"; a leading '?' is ignored), then
// the prefixes older loaders accepted ("xdp1", "xdp_mark" are XDP,
// "tc_mark" is SchedCLS). ok is false for names with no conventional
// type, such as ".text", "rx", "filter" or "prog".
func SectionType(name string) (typ bpf.ProgramType, attach bpf.AttachType, flags uint32, ok bool) {
	name = strings.TrimPrefix(name, "?")
	for _, d := range secDefs {
		switch d.how {
		case exact:
			if name != d.name {
				continue
			}
		case plus:
			if name != d.name && !(strings.HasPrefix(name, d.name) && name[len(d.name)] == '/') {
				continue
			}
		}
		return d.typ, d.attach, d.flags, true
	}
	for _, d := range legacyPrefixes {
		if strings.HasPrefix(name, d.name) {
			return d.typ, d.attach, d.flags, true
		}
	}
	return bpf.UnspecifiedProgram, 0, 0, false
}
