// SPDX-License-Identifier: GPL-2.0
/* sections.c has one trivial program in each kind of section libbpf names
 * (and a few older loaders' names), so that the golden description shows
 * what package elf makes of real clang output: program type, expected
 * attach type, flags (sleepable, XDP frags) and attach target. The
 * programs are not meant to load: their context types are not the ones
 * the kernel expects. Built by the Makefile next to it. */
#define SEC(name) __attribute__((section(name), used))

#define PROG(sec, name) \
	SEC(sec) int name(void *ctx) { return 0; }

PROG("iter/bpf_map", iter_bpf_map)
PROG("iter.s/task_file", iter_s_task_file)
PROG("tp_btf/sched_switch", tp_btf_sched_switch)
PROG("tp_btf.s/sys_enter", tp_btf_s_sys_enter)
PROG("fentry/tcp_connect", fentry_tcp_connect)
PROG("fentry.s/__x64_sys_openat", fentry_s_openat)
PROG("fexit/tcp_connect", fexit_tcp_connect)
PROG("fmod_ret/security_file_open", fmod_ret_file_open)
PROG("fsession/tcp_connect", fsession_tcp_connect)
PROG("fentry.multi/tcp_*", fentry_multi_tcp)
PROG("?fentry/do_unlinkat", fentry_not_autoloaded)
PROG("fentry", fentry_no_target)
PROG("freplace/handle_packet", freplace_handle_packet)
PROG("lsm/file_open", lsm_file_open)
PROG("lsm.s/bprm_committed_creds", lsm_s_bprm)
PROG("lsm_cgroup/socket_bind", lsm_cgroup_socket_bind)
PROG("struct_ops/tcp_init", struct_ops_init)
PROG("struct_ops.s/dequeue", struct_ops_s_dequeue)
PROG("sk_lookup", sk_lookup_prog)
PROG("sk_lookup/dispatch", sk_lookup_legacy)
PROG("tracepoint.s/syscalls/sys_enter_openat", tracepoint_s_openat)
PROG("raw_tp.s/sys_enter", raw_tp_s_sys_enter)
PROG("uprobe.session/bin:func", uprobe_session)
PROG("syscall", syscall_prog)
PROG("xdp.frags", xdp_frags)
PROG("xdp.frags/devmap", xdp_frags_devmap)
PROG("xdp_devmap/redirect", xdp_devmap_legacy)
PROG("netfilter", netfilter_prog)

char _license[] SEC("license") = "GPL";
