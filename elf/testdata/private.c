// SPDX-License-Identifier: GPL-2.0
/* private.c keeps a bpf_spin_lock beside a counter in a custom global
 * data section, as the kernel selftests' and sched_ext's private(name)
 * macro does. The kernel creates the section's map mmapable but refuses
 * to map a value holding a field it manages (ENOTSUPP), so the loader
 * reads and writes such variables with map system calls. The XDP program
 * adds one to the counter and passes. Built by the Makefile next to it. */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))
#define private(name) SEC(".data." #name) __attribute__((aligned(8)))

private(A) struct bpf_spin_lock lock;
private(A) __u64 counter = 7;

SEC("xdp")
int count_private(struct xdp_md *ctx)
{
	counter++;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
