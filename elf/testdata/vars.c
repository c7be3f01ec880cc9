// SPDX-License-Identifier: GPL-2.0
/* vars.c has global variables of every section kind: .rodata constants
 * (one of them guards a branch the verifier must prune), a .bss counter,
 * .data values, a struct, and variables of custom .data.* and .rodata.*
 * sections. xdp_other uses a map nobody else does, and xdp_broken never
 * verifies, so a loader that loads only the programs a caller names can
 * be told apart from one that loads them all. Built by the Makefile. */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

struct config {
	__u32 mark;
	__u16 port;
	__u8 proto;
	__u8 pad;
};

volatile const __u32 limit = 3;          /* .rodata */
volatile const __u32 bad_mode;           /* .rodata, 0: the branch below is pruned */
volatile const struct config cfg = {.mark = 0x1234, .port = 80, .proto = 6};
__u64 counter;                           /* .bss */
__u32 last_len = 0xdeadbeef;             /* .data */
__s64 delta = -2;                        /* .data */
__u64 custom SEC(".data.custom") = 5;    /* .data.custom */
volatile const __u32 tuned SEC(".rodata.tuned") = 7; /* .rodata.tuned */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} other_map SEC(".maps");

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;

SEC("xdp")
int xdp_vars(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	counter++;
	last_len = data_end - data;
	custom += delta;
	if (bad_mode)
		/* No bounds check: the verifier accepts this only when it
		 * knows bad_mode is 0 (a frozen .rodata). */
		return *(volatile __u8 *)data;
	if (cfg.proto != 6)
		return XDP_ABORTED;
	return counter > limit + tuned - 7 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_other(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&other_map, &key);

	if (v)
		*v += 1;
	return XDP_PASS;
}

SEC("xdp")
int xdp_broken(struct xdp_md *ctx)
{
	/* Never verifies: a packet read without a bounds check. */
	return *(volatile __u8 *)(long)ctx->data;
}

char _license[] SEC("license") = "GPL";
