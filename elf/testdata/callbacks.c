// SPDX-License-Identifier: GPL-2.0
/* callbacks.c passes functions to helpers: bpf_loop (which the kernel
 * inlines into a loop calling the callback), bpf_for_each_map_elem and
 * bpf_timer_set_callback, so that the program the kernel runs holds
 * LD_IMM64 of BPF_PSEUDO_FUNC and bpf-to-bpf calls of callbacks. The XDP
 * program stores what the callbacks computed in results[0]:
 * (0+1+2+3+4) from bpf_loop, + (values[i]+1) over the 4 elements of
 * values, + 100 once the timer has its callback. Built by the Makefile
 * next to it. */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

#define CLOCK_MONOTONIC 1

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;
static long (*bpf_loop)(__u32 nr_loops, void *callback_fn, void *callback_ctx, __u64 flags) = (void *)BPF_FUNC_loop;
static long (*bpf_for_each_map_elem)(void *map, void *callback_fn, void *callback_ctx, __u64 flags) = (void *)BPF_FUNC_for_each_map_elem;
static long (*bpf_timer_init)(struct bpf_timer *timer, void *map, __u64 flags) = (void *)BPF_FUNC_timer_init;
static long (*bpf_timer_set_callback)(struct bpf_timer *timer, void *callback_fn) = (void *)BPF_FUNC_timer_set_callback;

struct elem {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct elem);
	__uint(max_entries, 1);
} timers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} values SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} results SEC(".maps");

static int sum_index(__u32 index, __u64 *acc)
{
	*acc += index;
	return 0;
}

static long count_elem(void *map, __u32 *key, __u64 *value, __u64 *acc)
{
	*acc += *value + 1;
	return 0;
}

static int timer_fired(void *map, __u32 *key, struct elem *e)
{
	return 0;
}

SEC("xdp")
int xdp_callbacks(struct xdp_md *ctx)
{
	__u64 acc = 0, *res;
	__u32 key = 0;
	struct elem *e;

	bpf_loop(5, sum_index, &acc, 0);
	bpf_for_each_map_elem(&values, count_elem, &acc, 0);
	e = bpf_map_lookup_elem(&timers, &key);
	if (e) {
		bpf_timer_init(&e->timer, &timers, CLOCK_MONOTONIC);
		if (bpf_timer_set_callback(&e->timer, timer_fired) == 0)
			acc += 100;
	}
	res = bpf_map_lookup_elem(&results, &key);
	if (res)
		*res = acc;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
