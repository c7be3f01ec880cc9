// Code generated from the kernel UAPI (enum bpf_prog_type, bpf_attach_type, bpf_map_type, bpf_link_type of Linux 6.18); DO NOT EDIT.

package kernel

// ProgramType is a BPF program type (enum bpf_prog_type). String returns the kernel name without its prefix in lower case, as bpftool prints it (for example "xdp", "sched_cls").
type ProgramType uint32

// Values of ProgramType, in kernel order.
const (
	UnspecifiedProgram    ProgramType = 0
	SocketFilter          ProgramType = 1
	Kprobe                ProgramType = 2
	SchedCLS              ProgramType = 3
	SchedACT              ProgramType = 4
	TracePoint            ProgramType = 5
	XDP                   ProgramType = 6
	PerfEvent             ProgramType = 7
	CGroupSKB             ProgramType = 8
	CGroupSock            ProgramType = 9
	LWTIn                 ProgramType = 10
	LWTOut                ProgramType = 11
	LWTXmit               ProgramType = 12
	SockOps               ProgramType = 13
	SkSKB                 ProgramType = 14
	CGroupDevice          ProgramType = 15
	SkMsg                 ProgramType = 16
	RawTracepoint         ProgramType = 17
	CGroupSockAddr        ProgramType = 18
	LWTSeg6Local          ProgramType = 19
	LircMode2             ProgramType = 20
	SkReuseport           ProgramType = 21
	FlowDissector         ProgramType = 22
	CGroupSysctl          ProgramType = 23
	RawTracepointWritable ProgramType = 24
	CGroupSockopt         ProgramType = 25
	Tracing               ProgramType = 26
	StructOps             ProgramType = 27
	Extension             ProgramType = 28
	LSM                   ProgramType = 29
	SkLookup              ProgramType = 30
	Syscall               ProgramType = 31
	Netfilter             ProgramType = 32
)

var programTypeNames = [...]string{
	0:  "unspec",
	1:  "socket_filter",
	2:  "kprobe",
	3:  "sched_cls",
	4:  "sched_act",
	5:  "tracepoint",
	6:  "xdp",
	7:  "perf_event",
	8:  "cgroup_skb",
	9:  "cgroup_sock",
	10: "lwt_in",
	11: "lwt_out",
	12: "lwt_xmit",
	13: "sock_ops",
	14: "sk_skb",
	15: "cgroup_device",
	16: "sk_msg",
	17: "raw_tracepoint",
	18: "cgroup_sock_addr",
	19: "lwt_seg6local",
	20: "lirc_mode2",
	21: "sk_reuseport",
	22: "flow_dissector",
	23: "cgroup_sysctl",
	24: "raw_tracepoint_writable",
	25: "cgroup_sockopt",
	26: "tracing",
	27: "struct_ops",
	28: "ext",
	29: "lsm",
	30: "sk_lookup",
	31: "syscall",
	32: "netfilter",
}

// AttachType is a BPF attach type (enum bpf_attach_type); it tells the verifier and the kernel which hook a program is loaded for. String returns the kernel name without BPF_, in lower case.
type AttachType uint32

// Values of AttachType, in kernel order.
const (
	AttachCGroupInetIngress          AttachType = 0
	AttachCGroupInetEgress           AttachType = 1
	AttachCGroupInetSockCreate       AttachType = 2
	AttachCGroupSockOps              AttachType = 3
	AttachSkSKBStreamParser          AttachType = 4
	AttachSkSKBStreamVerdict         AttachType = 5
	AttachCGroupDevice               AttachType = 6
	AttachSkMsgVerdict               AttachType = 7
	AttachCGroupInet4Bind            AttachType = 8
	AttachCGroupInet6Bind            AttachType = 9
	AttachCGroupInet4Connect         AttachType = 10
	AttachCGroupInet6Connect         AttachType = 11
	AttachCGroupInet4PostBind        AttachType = 12
	AttachCGroupInet6PostBind        AttachType = 13
	AttachCGroupUDP4Sendmsg          AttachType = 14
	AttachCGroupUDP6Sendmsg          AttachType = 15
	AttachLIRCMode2                  AttachType = 16
	AttachFlowDissector              AttachType = 17
	AttachCGroupSysctl               AttachType = 18
	AttachCGroupUDP4Recvmsg          AttachType = 19
	AttachCGroupUDP6Recvmsg          AttachType = 20
	AttachCGroupGetsockopt           AttachType = 21
	AttachCGroupSetsockopt           AttachType = 22
	AttachTraceRawTP                 AttachType = 23
	AttachTraceFentry                AttachType = 24
	AttachTraceFexit                 AttachType = 25
	AttachModifyReturn               AttachType = 26
	AttachLSMMac                     AttachType = 27
	AttachTraceIter                  AttachType = 28
	AttachCGroupInet4Getpeername     AttachType = 29
	AttachCGroupInet6Getpeername     AttachType = 30
	AttachCGroupInet4Getsockname     AttachType = 31
	AttachCGroupInet6Getsockname     AttachType = 32
	AttachXDPDevMap                  AttachType = 33
	AttachCGroupInetSockRelease      AttachType = 34
	AttachXDPCPUMap                  AttachType = 35
	AttachSkLookup                   AttachType = 36
	AttachXDP                        AttachType = 37
	AttachSkSKBVerdict               AttachType = 38
	AttachSkReuseportSelect          AttachType = 39
	AttachSkReuseportSelectOrMigrate AttachType = 40
	AttachPerfEvent                  AttachType = 41
	AttachTraceKprobeMulti           AttachType = 42
	AttachLSMCgroup                  AttachType = 43
	AttachStructOps                  AttachType = 44
	AttachNetfilter                  AttachType = 45
	AttachTCXIngress                 AttachType = 46
	AttachTCXEgress                  AttachType = 47
	AttachTraceUprobeMulti           AttachType = 48
	AttachCGroupUnixConnect          AttachType = 49
	AttachCGroupUnixSendmsg          AttachType = 50
	AttachCGroupUnixRecvmsg          AttachType = 51
	AttachCGroupUnixGetpeername      AttachType = 52
	AttachCGroupUnixGetsockname      AttachType = 53
	AttachNetkitPrimary              AttachType = 54
	AttachNetkitPeer                 AttachType = 55
	AttachTraceKprobeSession         AttachType = 56
	AttachTraceUprobeSession         AttachType = 57
)

var attachTypeNames = [...]string{
	0:  "cgroup_inet_ingress",
	1:  "cgroup_inet_egress",
	2:  "cgroup_inet_sock_create",
	3:  "cgroup_sock_ops",
	4:  "sk_skb_stream_parser",
	5:  "sk_skb_stream_verdict",
	6:  "cgroup_device",
	7:  "sk_msg_verdict",
	8:  "cgroup_inet4_bind",
	9:  "cgroup_inet6_bind",
	10: "cgroup_inet4_connect",
	11: "cgroup_inet6_connect",
	12: "cgroup_inet4_post_bind",
	13: "cgroup_inet6_post_bind",
	14: "cgroup_udp4_sendmsg",
	15: "cgroup_udp6_sendmsg",
	16: "lirc_mode2",
	17: "flow_dissector",
	18: "cgroup_sysctl",
	19: "cgroup_udp4_recvmsg",
	20: "cgroup_udp6_recvmsg",
	21: "cgroup_getsockopt",
	22: "cgroup_setsockopt",
	23: "trace_raw_tp",
	24: "trace_fentry",
	25: "trace_fexit",
	26: "modify_return",
	27: "lsm_mac",
	28: "trace_iter",
	29: "cgroup_inet4_getpeername",
	30: "cgroup_inet6_getpeername",
	31: "cgroup_inet4_getsockname",
	32: "cgroup_inet6_getsockname",
	33: "xdp_devmap",
	34: "cgroup_inet_sock_release",
	35: "xdp_cpumap",
	36: "sk_lookup",
	37: "xdp",
	38: "sk_skb_verdict",
	39: "sk_reuseport_select",
	40: "sk_reuseport_select_or_migrate",
	41: "perf_event",
	42: "trace_kprobe_multi",
	43: "lsm_cgroup",
	44: "struct_ops",
	45: "netfilter",
	46: "tcx_ingress",
	47: "tcx_egress",
	48: "trace_uprobe_multi",
	49: "cgroup_unix_connect",
	50: "cgroup_unix_sendmsg",
	51: "cgroup_unix_recvmsg",
	52: "cgroup_unix_getpeername",
	53: "cgroup_unix_getsockname",
	54: "netkit_primary",
	55: "netkit_peer",
	56: "trace_kprobe_session",
	57: "trace_uprobe_session",
}

// MapType is a BPF map type (enum bpf_map_type). String returns the kernel name without its prefix, in lower case, as bpftool prints it (for example "percpu_array").
type MapType uint32

// Values of MapType, in kernel order.
const (
	UnspecifiedMap         MapType = 0
	MapHash                MapType = 1
	MapArray               MapType = 2
	MapProgArray           MapType = 3
	MapPerfEventArray      MapType = 4
	MapPerCPUHash          MapType = 5
	MapPerCPUArray         MapType = 6
	MapStackTrace          MapType = 7
	MapCGroupArray         MapType = 8
	MapLRUHash             MapType = 9
	MapLRUPerCPUHash       MapType = 10
	MapLPMTrie             MapType = 11
	MapArrayOfMaps         MapType = 12
	MapHashOfMaps          MapType = 13
	MapDevMap              MapType = 14
	MapSockMap             MapType = 15
	MapCPUMap              MapType = 16
	MapXSKMap              MapType = 17
	MapSockHash            MapType = 18
	MapCGroupStorage       MapType = 19
	MapReuseportSockarray  MapType = 20
	MapPerCPUCGroupStorage MapType = 21
	MapQueue               MapType = 22
	MapStack               MapType = 23
	MapSkStorage           MapType = 24
	MapDevMapHash          MapType = 25
	MapStructOps           MapType = 26
	MapRingBuf             MapType = 27
	MapInodeStorage        MapType = 28
	MapTaskStorage         MapType = 29
	MapBloomFilter         MapType = 30
	MapUserRingBuf         MapType = 31
	MapCGrpStorage         MapType = 32
	MapArena               MapType = 33
)

var mapTypeNames = [...]string{
	0:  "unspec",
	1:  "hash",
	2:  "array",
	3:  "prog_array",
	4:  "perf_event_array",
	5:  "percpu_hash",
	6:  "percpu_array",
	7:  "stack_trace",
	8:  "cgroup_array",
	9:  "lru_hash",
	10: "lru_percpu_hash",
	11: "lpm_trie",
	12: "array_of_maps",
	13: "hash_of_maps",
	14: "devmap",
	15: "sockmap",
	16: "cpumap",
	17: "xskmap",
	18: "sockhash",
	19: "cgroup_storage",
	20: "reuseport_sockarray",
	21: "percpu_cgroup_storage",
	22: "queue",
	23: "stack",
	24: "sk_storage",
	25: "devmap_hash",
	26: "struct_ops",
	27: "ringbuf",
	28: "inode_storage",
	29: "task_storage",
	30: "bloom_filter",
	31: "user_ringbuf",
	32: "cgrp_storage",
	33: "arena",
}

// LinkType is a bpf_link type (enum bpf_link_type). String returns the kernel name without its prefix, in lower case.
type LinkType uint32

// Values of LinkType, in kernel order.
const (
	LinkUnspec        LinkType = 0
	LinkRawTracepoint LinkType = 1
	LinkTracing       LinkType = 2
	LinkCgroup        LinkType = 3
	LinkIter          LinkType = 4
	LinkNetns         LinkType = 5
	LinkXDP           LinkType = 6
	LinkPerfEvent     LinkType = 7
	LinkKprobeMulti   LinkType = 8
	LinkStructOps     LinkType = 9
	LinkNetfilter     LinkType = 10
	LinkTCX           LinkType = 11
	LinkUprobeMulti   LinkType = 12
	LinkNetkit        LinkType = 13
	LinkSockmap       LinkType = 14
)

var linkTypeNames = [...]string{
	0:  "unspec",
	1:  "raw_tracepoint",
	2:  "tracing",
	3:  "cgroup",
	4:  "iter",
	5:  "netns",
	6:  "xdp",
	7:  "perf_event",
	8:  "kprobe_multi",
	9:  "struct_ops",
	10: "netfilter",
	11: "tcx",
	12: "uprobe_multi",
	13: "netkit",
	14: "sockmap",
}
