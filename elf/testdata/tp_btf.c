// SPDX-License-Identifier: GPL-2.0
/* tp_btf.c: a BTF-enabled raw tracepoint (section "tp_btf/sched_switch",
 * attach target the typedef btf_trace_sched_switch in vmlinux BTF) that
 * counts context switches. Built by the Makefile next to it. */
#include "externs.h"

__u64 switches;

SEC("tp_btf/sched_switch")
int on_switch(__u64 *ctx)
{
	/* ctx[1] is the task switched out: a BTF pointer the verifier
	 * knows as struct task_struct *. */
	if (ctx[1])
		__sync_fetch_and_add(&switches, 1);
	return 0;
}

char _license[] SEC("license") = "GPL";
