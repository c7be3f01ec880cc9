// SPDX-License-Identifier: GPL-2.0
/* features.c exercises what the tutorial programs do not: global data in
 * .data, .rodata and .bss, static subprograms shared by two programs,
 * a bpf_loop callback (function pointer), two programs in one section, a
 * .text entry point nobody calls, a prog array and an array of maps
 * initialised through "values". Built by the Makefile next to it. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#define noinline __attribute__((noinline))

static long (*bpf_loop)(__u32 nr_loops, void *callback_fn, void *callback_ctx, __u64 flags) = (void *)BPF_FUNC_loop;
static long (*bpf_tail_call)(void *ctx, void *map, __u32 index) = (void *)BPF_FUNC_tail_call;
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;

volatile const __u32 verdict = XDP_DROP; /* .rodata */
__u64 calls = 7;                         /* .data */
__u64 loops;                             /* .bss */

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, 2);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [0] = &inner_a, [1] = &inner_b },
};

int tail_target(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 2);
	__array(values, int(void *));
} jumps SEC(".maps") = {
	.values = { [1] = (void *)&tail_target },
};

static noinline int add(int a, int b)
{
	return a + b;
}

static int count_loop(__u32 index, void *ctx)
{
	loops += index;
	return 0;
}

SEC("xdp")
int xdp_features(struct xdp_md *ctx)
{
	__u32 key = 1;
	void *inner;
	__u64 *v;

	calls = add(calls, 1);
	bpf_loop(4, count_loop, 0, 0);
	inner = bpf_map_lookup_elem(&outer, &key);
	if (inner) {
		key = 0;
		v = bpf_map_lookup_elem(inner, &key);
		if (v)
			*v += 1;
	}
	return verdict;
}

SEC("xdp")
int xdp_tail(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jumps, 1);
	return XDP_PASS;
}

SEC("xdp")
int tail_target(struct xdp_md *ctx)
{
	return add(XDP_TX, 0);
}

SEC("tc")
int tc_features(struct __sk_buff *skb)
{
	return add(TC_ACT_OK, verdict - XDP_DROP);
}

/* No SEC and nobody calls it: an entry point in .text. */
int text_entry(struct xdp_md *ctx)
{
	return add(XDP_PASS, 0);
}

char _license[] SEC("license") = "GPL";
