package elf

import (
	"debug/elf"
	"fmt"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/elf/internal/elftest"
)

// sectionCases are libbpf's section names (one or more per rule of its
// table and of the legacy prefixes) with what they must imply, written
// down from libbpf's section_defs and the kernel UAPI rather than from
// secDefs.
var sectionCases = []struct {
	name string
	want Convention
	ok   bool
}{
	{"socket", Convention{Type: bpf.SocketFilter}, true},
	{"sk_reuseport/migrate", Convention{Type: bpf.SkReuseport, AttachType: bpf.AttachSkReuseportSelectOrMigrate}, true},
	{"sk_reuseport", Convention{Type: bpf.SkReuseport, AttachType: bpf.AttachSkReuseportSelect}, true},
	{"kprobe", Convention{Type: bpf.Kprobe}, true},
	{"kprobe/do_sys_open", Convention{Type: bpf.Kprobe}, true},
	{"uprobe/bin:func", Convention{Type: bpf.Kprobe}, true},
	{"uprobe.s/bin:func", Convention{Type: bpf.Kprobe, Flags: bpf.Sleepable}, true},
	{"kretprobe/do_sys_open", Convention{Type: bpf.Kprobe}, true},
	{"uretprobe", Convention{Type: bpf.Kprobe}, true},
	{"uretprobe.s", Convention{Type: bpf.Kprobe, Flags: bpf.Sleepable}, true},
	{"kprobe.multi/tcp_*", Convention{Type: bpf.Kprobe, AttachType: bpf.AttachTraceKprobeMulti}, true},
	{"kretprobe.multi", Convention{Type: bpf.Kprobe, AttachType: bpf.AttachTraceKprobeMulti}, true},
	{"kprobe.session/x", Convention{Type: bpf.Kprobe, AttachType: bpf.AttachTraceKprobeSession}, true},
	{"uprobe.multi/bin:f*", Convention{Type: bpf.Kprobe, AttachType: bpf.AttachTraceUprobeMulti}, true},
	{"uretprobe.multi", Convention{Type: bpf.Kprobe, AttachType: bpf.AttachTraceUprobeMulti}, true},
	{"uprobe.session", Convention{Type: bpf.Kprobe, AttachType: bpf.AttachTraceUprobeSession}, true},
	{"uprobe.multi.s/bin:f", Convention{Type: bpf.Kprobe, AttachType: bpf.AttachTraceUprobeMulti, Flags: bpf.Sleepable}, true},
	{"uretprobe.multi.s", Convention{Type: bpf.Kprobe, AttachType: bpf.AttachTraceUprobeMulti, Flags: bpf.Sleepable}, true},
	{"uprobe.session.s/bin:f", Convention{Type: bpf.Kprobe, AttachType: bpf.AttachTraceUprobeSession, Flags: bpf.Sleepable}, true},
	{"ksyscall/openat", Convention{Type: bpf.Kprobe}, true},
	{"kretsyscall/openat", Convention{Type: bpf.Kprobe}, true},
	{"usdt/lib:prov:probe", Convention{Type: bpf.Kprobe}, true},
	{"usdt.s", Convention{Type: bpf.Kprobe, Flags: bpf.Sleepable}, true},
	{"tc/ingress", Convention{Type: bpf.SchedCLS, AttachType: bpf.AttachTCXIngress}, true},
	{"tc/egress", Convention{Type: bpf.SchedCLS, AttachType: bpf.AttachTCXEgress}, true},
	{"tcx/ingress", Convention{Type: bpf.SchedCLS, AttachType: bpf.AttachTCXIngress}, true},
	{"tcx/egress", Convention{Type: bpf.SchedCLS, AttachType: bpf.AttachTCXEgress}, true},
	{"tc", Convention{Type: bpf.SchedCLS}, true},
	{"classifier", Convention{Type: bpf.SchedCLS}, true},
	{"action", Convention{Type: bpf.SchedACT}, true},
	{"netkit/primary", Convention{Type: bpf.SchedCLS, AttachType: bpf.AttachNetkitPrimary}, true},
	{"netkit/peer", Convention{Type: bpf.SchedCLS, AttachType: bpf.AttachNetkitPeer}, true},
	{"tracepoint/syscalls/sys_enter_open", Convention{Type: bpf.TracePoint}, true},
	{"tp/sched/sched_switch", Convention{Type: bpf.TracePoint}, true},
	{"tracepoint.s/syscalls/sys_enter_open", Convention{Type: bpf.TracePoint, Flags: bpf.Sleepable}, true},
	{"tp.s/syscalls/sys_enter_open", Convention{Type: bpf.TracePoint, Flags: bpf.Sleepable}, true},
	{"raw_tracepoint/sched_switch", Convention{Type: bpf.RawTracepoint}, true},
	{"raw_tp/sched_switch", Convention{Type: bpf.RawTracepoint}, true},
	{"raw_tracepoint.s/x", Convention{Type: bpf.RawTracepoint, Flags: bpf.Sleepable}, true},
	{"raw_tp.s", Convention{Type: bpf.RawTracepoint, Flags: bpf.Sleepable}, true},
	{"raw_tracepoint.w/bpf_test_finish", Convention{Type: bpf.RawTracepointWritable}, true},
	{"raw_tp.w/bpf_test_finish", Convention{Type: bpf.RawTracepointWritable}, true},
	{"tp_btf/sched_switch", Convention{Type: bpf.Tracing, AttachType: bpf.AttachTraceRawTP, AttachTo: "sched_switch"}, true},
	{"tp_btf.s/sys_enter", Convention{Type: bpf.Tracing, AttachType: bpf.AttachTraceRawTP, Flags: bpf.Sleepable, AttachTo: "sys_enter"}, true},
	{"fentry/tcp_connect", Convention{Type: bpf.Tracing, AttachType: bpf.AttachTraceFentry, AttachTo: "tcp_connect"}, true},
	{"fentry/bpf_testmod:bpf_testmod_test_read", Convention{Type: bpf.Tracing, AttachType: bpf.AttachTraceFentry, AttachTo: "bpf_testmod:bpf_testmod_test_read"}, true},
	{"fentry", Convention{Type: bpf.Tracing, AttachType: bpf.AttachTraceFentry}, true},
	{"fmod_ret/security_file_open", Convention{Type: bpf.Tracing, AttachType: bpf.AttachModifyReturn, AttachTo: "security_file_open"}, true},
	{"fexit/tcp_connect", Convention{Type: bpf.Tracing, AttachType: bpf.AttachTraceFexit, AttachTo: "tcp_connect"}, true},
	{"fentry.s/__x64_sys_openat", Convention{Type: bpf.Tracing, AttachType: bpf.AttachTraceFentry, Flags: bpf.Sleepable, AttachTo: "__x64_sys_openat"}, true},
	{"fmod_ret.s/f", Convention{Type: bpf.Tracing, AttachType: bpf.AttachModifyReturn, Flags: bpf.Sleepable, AttachTo: "f"}, true},
	{"fexit.s/f", Convention{Type: bpf.Tracing, AttachType: bpf.AttachTraceFexit, Flags: bpf.Sleepable, AttachTo: "f"}, true},
	{"fsession/f", Convention{Type: bpf.Tracing, AttachType: 58, AttachTo: "f"}, true},
	{"fsession.s/f", Convention{Type: bpf.Tracing, AttachType: 58, Flags: bpf.Sleepable, AttachTo: "f"}, true},
	{"fsession.multi/tcp_*", Convention{Type: bpf.Tracing, AttachType: 61}, true},
	{"fsession.multi.s/tcp_*", Convention{Type: bpf.Tracing, AttachType: 61, Flags: bpf.Sleepable}, true},
	{"fentry.multi/tcp_*", Convention{Type: bpf.Tracing, AttachType: 59}, true},
	{"fexit.multi/tcp_*", Convention{Type: bpf.Tracing, AttachType: 60}, true},
	{"fentry.multi.s/tcp_*", Convention{Type: bpf.Tracing, AttachType: 59, Flags: bpf.Sleepable}, true},
	{"fexit.multi.s/tcp_*", Convention{Type: bpf.Tracing, AttachType: 60, Flags: bpf.Sleepable}, true},
	{"freplace/handle_packet", Convention{Type: bpf.Extension, AttachTo: "handle_packet"}, true},
	{"lsm/file_open", Convention{Type: bpf.LSM, AttachType: bpf.AttachLSMMac, AttachTo: "file_open"}, true},
	{"lsm.s/bprm_committed_creds", Convention{Type: bpf.LSM, AttachType: bpf.AttachLSMMac, Flags: bpf.Sleepable, AttachTo: "bprm_committed_creds"}, true},
	{"lsm_cgroup/socket_bind", Convention{Type: bpf.LSM, AttachType: bpf.AttachLSMCgroup, AttachTo: "socket_bind"}, true},
	{"iter/bpf_map", Convention{Type: bpf.Tracing, AttachType: bpf.AttachTraceIter, AttachTo: "bpf_map"}, true},
	{"iter/task", Convention{Type: bpf.Tracing, AttachType: bpf.AttachTraceIter, AttachTo: "task"}, true},
	{"iter.s/task_file", Convention{Type: bpf.Tracing, AttachType: bpf.AttachTraceIter, Flags: bpf.Sleepable, AttachTo: "task_file"}, true},
	{"syscall", Convention{Type: bpf.Syscall, Flags: bpf.Sleepable}, true},
	{"xdp.frags/devmap", Convention{Type: bpf.XDP, AttachType: bpf.AttachXDPDevMap, Flags: bpf.XDPHasFrags}, true},
	{"xdp/devmap", Convention{Type: bpf.XDP, AttachType: bpf.AttachXDPDevMap}, true},
	{"xdp.frags/cpumap", Convention{Type: bpf.XDP, AttachType: bpf.AttachXDPCPUMap, Flags: bpf.XDPHasFrags}, true},
	{"xdp/cpumap", Convention{Type: bpf.XDP, AttachType: bpf.AttachXDPCPUMap}, true},
	{"xdp.frags", Convention{Type: bpf.XDP, AttachType: bpf.AttachXDP, Flags: bpf.XDPHasFrags}, true},
	{"xdp", Convention{Type: bpf.XDP, AttachType: bpf.AttachXDP}, true},
	{"perf_event", Convention{Type: bpf.PerfEvent}, true},
	{"lwt_in", Convention{Type: bpf.LWTIn}, true},
	{"lwt_out", Convention{Type: bpf.LWTOut}, true},
	{"lwt_xmit", Convention{Type: bpf.LWTXmit}, true},
	{"lwt_seg6local", Convention{Type: bpf.LWTSeg6Local}, true},
	{"sockops", Convention{Type: bpf.SockOps, AttachType: bpf.AttachCGroupSockOps}, true},
	{"sk_skb/stream_parser", Convention{Type: bpf.SkSKB, AttachType: bpf.AttachSkSKBStreamParser}, true},
	{"sk_skb/stream_verdict", Convention{Type: bpf.SkSKB, AttachType: bpf.AttachSkSKBStreamVerdict}, true},
	{"sk_skb/verdict", Convention{Type: bpf.SkSKB, AttachType: bpf.AttachSkSKBVerdict}, true},
	{"sk_skb", Convention{Type: bpf.SkSKB}, true},
	{"sk_msg", Convention{Type: bpf.SkMsg, AttachType: bpf.AttachSkMsgVerdict}, true},
	{"lirc_mode2", Convention{Type: bpf.LircMode2, AttachType: bpf.AttachLIRCMode2}, true},
	{"flow_dissector", Convention{Type: bpf.FlowDissector, AttachType: bpf.AttachFlowDissector}, true},
	{"cgroup_skb/ingress", Convention{Type: bpf.CGroupSKB, AttachType: bpf.AttachCGroupInetIngress}, true},
	{"cgroup_skb/egress", Convention{Type: bpf.CGroupSKB, AttachType: bpf.AttachCGroupInetEgress}, true},
	{"cgroup/skb", Convention{Type: bpf.CGroupSKB}, true},
	{"cgroup/sock_create", Convention{Type: bpf.CGroupSock, AttachType: bpf.AttachCGroupInetSockCreate}, true},
	{"cgroup/sock_release", Convention{Type: bpf.CGroupSock, AttachType: bpf.AttachCGroupInetSockRelease}, true},
	{"cgroup/sock", Convention{Type: bpf.CGroupSock, AttachType: bpf.AttachCGroupInetSockCreate}, true},
	{"cgroup/post_bind4", Convention{Type: bpf.CGroupSock, AttachType: bpf.AttachCGroupInet4PostBind}, true},
	{"cgroup/post_bind6", Convention{Type: bpf.CGroupSock, AttachType: bpf.AttachCGroupInet6PostBind}, true},
	{"cgroup/bind4", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet4Bind}, true},
	{"cgroup/bind6", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet6Bind}, true},
	{"cgroup/connect4", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet4Connect}, true},
	{"cgroup/connect6", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet6Connect}, true},
	{"cgroup/connect_unix", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupUnixConnect}, true},
	{"cgroup/sendmsg4", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupUDP4Sendmsg}, true},
	{"cgroup/sendmsg6", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupUDP6Sendmsg}, true},
	{"cgroup/sendmsg_unix", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupUnixSendmsg}, true},
	{"cgroup/recvmsg4", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupUDP4Recvmsg}, true},
	{"cgroup/recvmsg6", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupUDP6Recvmsg}, true},
	{"cgroup/recvmsg_unix", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupUnixRecvmsg}, true},
	{"cgroup/getpeername4", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet4Getpeername}, true},
	{"cgroup/getpeername6", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet6Getpeername}, true},
	{"cgroup/getpeername_unix", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupUnixGetpeername}, true},
	{"cgroup/getsockname4", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet4Getsockname}, true},
	{"cgroup/getsockname6", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet6Getsockname}, true},
	{"cgroup/getsockname_unix", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupUnixGetsockname}, true},
	{"cgroup/sysctl", Convention{Type: bpf.CGroupSysctl, AttachType: bpf.AttachCGroupSysctl}, true},
	{"cgroup/getsockopt", Convention{Type: bpf.CGroupSockopt, AttachType: bpf.AttachCGroupGetsockopt}, true},
	{"cgroup/setsockopt", Convention{Type: bpf.CGroupSockopt, AttachType: bpf.AttachCGroupSetsockopt}, true},
	{"cgroup/dev", Convention{Type: bpf.CGroupDevice, AttachType: bpf.AttachCGroupDevice}, true},
	{"struct_ops/tcp_init", Convention{Type: bpf.StructOps}, true},
	{"struct_ops", Convention{Type: bpf.StructOps}, true},
	{"struct_ops.s/dequeue", Convention{Type: bpf.StructOps, Flags: bpf.Sleepable}, true},
	{"sk_lookup", Convention{Type: bpf.SkLookup, AttachType: bpf.AttachSkLookup}, true},
	{"netfilter", Convention{Type: bpf.Netfilter, AttachType: bpf.AttachNetfilter}, true},

	// '?' marks programs libbpf does not load by default: same typing.
	{"?xdp", Convention{Type: bpf.XDP, AttachType: bpf.AttachXDP}, true},
	{"?fentry/tcp_connect", Convention{Type: bpf.Tracing, AttachType: bpf.AttachTraceFentry, AttachTo: "tcp_connect"}, true},
	// The target is everything after the first '/'.
	{"iter/a/b", Convention{Type: bpf.Tracing, AttachType: bpf.AttachTraceIter, AttachTo: "a/b"}, true},

	// Legacy prefixes: libbpf 0.x sloppy rules, iproute2, cilium/ebpf.
	{"socket1", Convention{Type: bpf.SocketFilter}, true},
	{"sk_reuseport/migrate_x", Convention{Type: bpf.SkReuseport, AttachType: bpf.AttachSkReuseportSelectOrMigrate}, true},
	{"sk_reuseport_x", Convention{Type: bpf.SkReuseport, AttachType: bpf.AttachSkReuseportSelect}, true},
	{"kprobe_sys_open", Convention{Type: bpf.Kprobe}, true},
	{"kretprobe_sys_open", Convention{Type: bpf.Kprobe}, true},
	{"tc_mark", Convention{Type: bpf.SchedCLS}, true},
	{"classifier_x", Convention{Type: bpf.SchedCLS}, true},
	{"action/police", Convention{Type: bpf.SchedACT}, true},
	{"tracepoint_x", Convention{Type: bpf.TracePoint}, true},
	{"raw_tracepoint_x", Convention{Type: bpf.RawTracepoint}, true},
	{"xdp_devmap/redirect", Convention{Type: bpf.XDP, AttachType: bpf.AttachXDPDevMap}, true},
	{"xdp_cpumap/redirect", Convention{Type: bpf.XDP, AttachType: bpf.AttachXDPCPUMap}, true},
	{"xdp1", Convention{Type: bpf.XDP}, true},
	{"xdp/prog", Convention{Type: bpf.XDP}, true}, // libbpf 1.x: "xdp" is exact
	{"tc/prog", Convention{Type: bpf.SchedCLS}, true},
	{"xdp_mark", Convention{Type: bpf.XDP}, true},
	{"xdp.frags_x", Convention{Type: bpf.XDP}, true},
	{"perf_event_x", Convention{Type: bpf.PerfEvent}, true},
	{"lwt_in_x", Convention{Type: bpf.LWTIn}, true},
	{"lwt_out_x", Convention{Type: bpf.LWTOut}, true},
	{"lwt_xmit_x", Convention{Type: bpf.LWTXmit}, true},
	{"lwt_seg6local_x", Convention{Type: bpf.LWTSeg6Local}, true},
	{"cgroup_skb/ingress_x", Convention{Type: bpf.CGroupSKB}, true},
	{"cgroup/skb_x", Convention{Type: bpf.CGroupSKB}, true},
	{"cgroup/sock_create_x", Convention{Type: bpf.CGroupSock, AttachType: bpf.AttachCGroupInetSockCreate}, true},
	{"cgroup/sock_release_x", Convention{Type: bpf.CGroupSock, AttachType: bpf.AttachCGroupInetSockRelease}, true},
	{"cgroup/sock_ops", Convention{Type: bpf.CGroupSock, AttachType: bpf.AttachCGroupInetSockCreate}, true},
	// Numbered variants of the kernel's samples/bpf and selftests.
	{"cgroup/sock1", Convention{Type: bpf.CGroupSock, AttachType: bpf.AttachCGroupInetSockCreate}, true},
	{"cgroup/sock2", Convention{Type: bpf.CGroupSock, AttachType: bpf.AttachCGroupInetSockCreate}, true},
	{"?cgroup/sock1", Convention{Type: bpf.CGroupSock, AttachType: bpf.AttachCGroupInetSockCreate}, true},
	{"cgroup/skb1", Convention{Type: bpf.CGroupSKB}, true},
	{"cgroup_skb1", Convention{Type: bpf.CGroupSKB}, true},
	{"sockops1", Convention{Type: bpf.SockOps}, true},
	{"socket2", Convention{Type: bpf.SocketFilter}, true},
	{"sk_skb1", Convention{Type: bpf.SkSKB}, true},
	{"cgroup/dev1", Convention{Type: bpf.CGroupDevice}, true},
	{"cgroup/connect4_1", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet4Connect}, true},
	{"xdp_prog1", Convention{Type: bpf.XDP}, true},
	{"kprobe1", Convention{Type: bpf.Kprobe}, true},
	{"cgroup/post_bind4_x", Convention{Type: bpf.CGroupSock, AttachType: bpf.AttachCGroupInet4PostBind}, true},
	{"cgroup/post_bind6_x", Convention{Type: bpf.CGroupSock, AttachType: bpf.AttachCGroupInet6PostBind}, true},
	{"cgroup/dev_x", Convention{Type: bpf.CGroupDevice}, true},
	{"sockops_x", Convention{Type: bpf.SockOps}, true},
	{"sk_skb/parser", Convention{Type: bpf.SkSKB}, true},
	{"sk_msg1", Convention{Type: bpf.SkMsg}, true},
	{"lirc_mode2_x", Convention{Type: bpf.LircMode2}, true},
	{"flow_dissector_x", Convention{Type: bpf.FlowDissector}, true},
	{"cgroup/bind4_x", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet4Bind}, true},
	{"cgroup/bind6_x", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet6Bind}, true},
	{"cgroup/connect4_x", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet4Connect}, true},
	{"cgroup/connect6_x", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet6Connect}, true},
	{"cgroup/sendmsg4_x", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupUDP4Sendmsg}, true},
	{"cgroup/sendmsg6_x", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupUDP6Sendmsg}, true},
	{"cgroup/recvmsg4_x", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupUDP4Recvmsg}, true},
	{"cgroup/recvmsg6_x", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupUDP6Recvmsg}, true},
	{"cgroup/getpeername4_x", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet4Getpeername}, true},
	{"cgroup/getpeername6_x", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet6Getpeername}, true},
	{"cgroup/getsockname4_x", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet4Getsockname}, true},
	{"cgroup/getsockname6_x", Convention{Type: bpf.CGroupSockAddr, AttachType: bpf.AttachCGroupInet6Getsockname}, true},
	{"cgroup/sysctl_x", Convention{Type: bpf.CGroupSysctl, AttachType: bpf.AttachCGroupSysctl}, true},
	{"cgroup/getsockopt_x", Convention{Type: bpf.CGroupSockopt, AttachType: bpf.AttachCGroupGetsockopt}, true},
	{"cgroup/setsockopt_x", Convention{Type: bpf.CGroupSockopt, AttachType: bpf.AttachCGroupSetsockopt}, true},
	{"sk_lookup/dispatch", Convention{Type: bpf.SkLookup, AttachType: bpf.AttachSkLookup}, true},

	// No convention: libbpf 1.x "name+" rules need the '/', the legacy
	// prefixes do not cover attach-by-BTF types.
	{"fentryx", Convention{}, false},
	{"fentry_tcp_connect", Convention{}, false},
	{"iter_task", Convention{}, false},
	{"tp_btf_x", Convention{}, false},
	{"lsmx", Convention{}, false},
	{"uprobe_x", Convention{}, false},
	{"struct_opsx", Convention{}, false},
	{"netfilter/x", Convention{}, false},
	{"syscall/x", Convention{}, false},
	{".text", Convention{}, false},
	{"rx", Convention{}, false},
	{"filter", Convention{}, false},
	{"prog", Convention{}, false},
	{"from-netdev", Convention{}, false},
	{"", Convention{}, false},
}

func TestSectionConvention(t *testing.T) {
	for _, tc := range sectionCases {
		got, ok := SectionType(tc.name)
		if got != tc.want || ok != tc.ok {
			t.Errorf("SectionType(%q) = %+v, %v; want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// TestSectionRulesCovered checks that every rule of the tables decides
// at least one case of sectionCases, so none is untested or shadowed by
// an earlier one.
func TestSectionRulesCovered(t *testing.T) {
	used := map[*secDef]bool{}
	for _, tc := range sectionCases {
		if len(tc.name) > 0 && tc.name[0] == '?' {
			continue
		}
		if d := findDef(tc.name); d != nil {
			used[d] = true
		}
	}
	for _, table := range [][]secDef{secDefs, legacyPrefixes} {
		for i := range table {
			if !used[&table[i]] {
				t.Errorf("rule %q (%s) decides no test case", table[i].name, table[i].typ)
			}
		}
	}
}

// TestSectionAttachTo parses an object whose sections name attach
// targets and checks the program specs, with and without type overrides.
func TestSectionAttachTo(t *testing.T) {
	sections := []string{"iter/bpf_map", "tp_btf/sched_switch", "fentry.s/do_unlinkat", "lsm/file_open", "freplace/handle", "xdp.frags/devmap", "struct_ops/init"}
	obj := sectionsObject(t, sections)
	for _, tc := range []struct {
		name string
		opts Options
		want map[string]bpf.ProgramSpec // by section: Type, AttachType, Flags, AttachTo
	}{
		{"conventions", Options{}, map[string]bpf.ProgramSpec{
			"iter/bpf_map":         {Type: bpf.Tracing, AttachType: bpf.AttachTraceIter, AttachTo: "bpf_map"},
			"tp_btf/sched_switch":  {Type: bpf.Tracing, AttachType: bpf.AttachTraceRawTP, AttachTo: "sched_switch"},
			"fentry.s/do_unlinkat": {Type: bpf.Tracing, AttachType: bpf.AttachTraceFentry, Flags: bpf.Sleepable, AttachTo: "do_unlinkat"},
			"lsm/file_open":        {Type: bpf.LSM, AttachType: bpf.AttachLSMMac, AttachTo: "file_open"},
			"freplace/handle":      {Type: bpf.Extension, AttachTo: "handle"},
			"xdp.frags/devmap":     {Type: bpf.XDP, AttachType: bpf.AttachXDPDevMap, Flags: bpf.XDPHasFrags},
			"struct_ops/init":      {Type: bpf.StructOps},
		}},
		{"same type forced", Options{Programs: map[string]Convention{"prog0": {Type: bpf.Tracing}, "prog5": {Type: bpf.XDP}}}, map[string]bpf.ProgramSpec{
			"iter/bpf_map":     {Type: bpf.Tracing, AttachType: bpf.AttachTraceIter, AttachTo: "bpf_map"},
			"xdp.frags/devmap": {Type: bpf.XDP, AttachType: bpf.AttachXDPDevMap, Flags: bpf.XDPHasFrags},
		}},
		{"other type forced", Options{Programs: map[string]Convention{"prog0": {Type: bpf.Kprobe}, "prog5": {Type: bpf.SchedCLS}}}, map[string]bpf.ProgramSpec{
			"iter/bpf_map":     {Type: bpf.Kprobe},
			"xdp.frags/devmap": {Type: bpf.SchedCLS},
		}},
		{"overrides giving attach type, flags and target", Options{Programs: map[string]Convention{
			"prog0": {Type: bpf.Tracing, AttachType: bpf.AttachTraceFentry, AttachTo: "do_unlinkat"},
			"prog5": {Type: bpf.SchedCLS, AttachType: bpf.AttachTCXIngress, Flags: bpf.XDPHasFrags},
		}}, map[string]bpf.ProgramSpec{
			"iter/bpf_map":     {Type: bpf.Tracing, AttachType: bpf.AttachTraceFentry, AttachTo: "do_unlinkat"},
			"xdp.frags/devmap": {Type: bpf.SchedCLS, AttachType: bpf.AttachTCXIngress, Flags: bpf.XDPHasFrags},
		}},
		{"section override with attach type", Options{Sections: []SectionOverride{
			{Pattern: "fentry.s/*", Convention: Convention{Type: bpf.Tracing, AttachType: bpf.AttachTraceFexit}},
			{Pattern: "lsm/*", Convention: Convention{Type: bpf.Tracing, AttachType: bpf.AttachTraceFentry}},
		}}, map[string]bpf.ProgramSpec{
			"fentry.s/do_unlinkat": {Type: bpf.Tracing, AttachType: bpf.AttachTraceFexit, Flags: bpf.Sleepable, AttachTo: "do_unlinkat"},
			"lsm/file_open":        {Type: bpf.Tracing, AttachType: bpf.AttachTraceFentry},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := ParseWithOptions(obj, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(spec.Programs) != len(sections) {
				t.Fatalf("%d programs, want %d", len(spec.Programs), len(sections))
			}
			for _, p := range spec.Programs {
				want, ok := tc.want[p.Section]
				if !ok {
					continue
				}
				if p.Type != want.Type || p.AttachType != want.AttachType || p.Flags != want.Flags || p.AttachTo != want.AttachTo {
					t.Errorf("section %s: type %s, attach type %d, flags %#x, attach to %q; want %s, %d, %#x, %q",
						p.Section, p.Type, p.AttachType, p.Flags, p.AttachTo, want.Type, want.AttachType, want.Flags, want.AttachTo)
				}
			}
		})
	}
}

// sectionsObject is an object with one program "progN" (return 0) in
// each of the sections.
func sectionsObject(t testing.TB, sections []string) []byte {
	f := &elftest.File{}
	for i, name := range sections {
		f.Sections = append(f.Sections, elftest.Section{Name: name, Flags: elf.SHF_ALLOC | elf.SHF_EXECINSTR, Data: code(t, ret0, exitIns)})
		f.Symbols = append(f.Symbols, elftest.Symbol{Name: fmt.Sprintf("prog%d", i), Section: name, Size: 16, Bind: elf.STB_GLOBAL, Type: elf.STT_FUNC})
	}
	return f.Bytes()
}
