// SPDX-License-Identifier: GPL-2.0
/* Realistic tc and XDP programs using helpers that call back into the
 * program (bpf_loop, bpf_for_each_map_elem), for the checker's comparison
 * with the kernel. Programs named *_bad are ones the kernel rejects, with
 * the mistake people make. */
#include "defs.h"
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#define NULL ((void *)0)

char LICENSE[] SEC("license") = "GPL";

static long (*bpf_for_each_map_elem)(void *map, void *callback_fn, void *callback_ctx, u64 flags) = (void *)164;
static long (*bpf_loop)(u32 nr_loops, void *callback_fn, void *callback_ctx, u64 flags) = (void *)181;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} port_bytes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} loop_runs SEC(".maps");

struct flow_val {
	u64 last_seen;
	u64 packets;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, u32);
	__type(value, struct flow_val);
} flows SEC(".maps");

/* Totals the callbacks keep in global variables (.bss). */
u64 payload_sum;
u64 array_total;
u64 expired;

/* The packet bounds a bpf_loop callback reads from its caller's stack. */
struct pkt_window {
	void *data;
	void *end;
};

static long sum_byte(u32 i, void *arg)
{
	struct pkt_window *w = arg;
	u8 *p = w->data;

	if (i >= 64)
		return 1;
	if ((void *)(p + i + 1) > w->end)
		return 1;
	payload_sum += p[i];
	return 0;
}

/* Sums the first 64 bytes of the packet, one per iteration. */
SEC("xdp")
int xdp_loop_sum_payload(struct xdp_md *ctx)
{
	struct pkt_window w = {
		.data = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};

	bpf_loop(64, sum_byte, &w, 0);
	return XDP_PASS;
}

static long count_run(u32 i, void *arg)
{
	u32 zero = 0;
	u64 *runs = bpf_map_lookup_elem(&loop_runs, &zero);

	if (!runs)
		return 1;
	*runs += 1;
	return 0;
}

/* A loop without a context: counts its iterations in a per-CPU array. */
SEC("tc")
int tc_loop_no_ctx(struct __sk_buff *skb)
{
	long n = bpf_loop(skb->len & 0xff, count_run, NULL, 0);

	return n > 0 ? TC_ACT_OK : TC_ACT_SHOT;
}

static long add_value(void *map, u32 *key, u64 *value, void *arg)
{
	array_total += *value;
	return 0;
}

/* Totals an array map, element by element. */
SEC("xdp")
int xdp_for_each_array_total(struct xdp_md *ctx)
{
	bpf_for_each_map_elem(&port_bytes, add_value, NULL, 0);
	return XDP_PASS;
}

struct expire_ctx {
	u64 now;
	u64 timeout;
};

static long expire_flow(void *map, u32 *key, struct flow_val *val, void *arg)
{
	struct expire_ctx *e = arg;

	if (val->last_seen + e->timeout < e->now) {
		bpf_map_delete_elem(map, key);
		__sync_fetch_and_add(&expired, 1);
	}
	return 0;
}

/* Expires idle flows of a hash map. */
SEC("tc")
int tc_for_each_expire_flows(struct __sk_buff *skb)
{
	struct expire_ctx e = {
		.now = bpf_ktime_get_ns(),
		.timeout = 30000000000ULL,
	};

	bpf_for_each_map_elem(&flows, expire_flow, &e, 0);
	return TC_ACT_OK;
}

static long find_port(void *map, u32 *key, u64 *value, void *arg)
{
	u32 *want = arg;

	if (*key == *want)
		return 1; /* stop */
	return 0;
}

/* Walks an array until a port: the callback reads its key. */
SEC("tc")
int tc_for_each_find_key(struct __sk_buff *skb)
{
	u32 want = skb->mark & 0xf;

	return bpf_for_each_map_elem(&port_bytes, find_port, &want, 0) > 3 ? TC_ACT_SHOT : TC_ACT_OK;
}

static long inner_step(u32 i, void *arg)
{
	__sync_fetch_and_add(&payload_sum, i & 7);
	return 0;
}

static long outer_step(u32 i, void *arg)
{
	bpf_loop(4, inner_step, NULL, 0);
	return 0;
}

/* Nested loops: a callback calling bpf_loop. */
SEC("xdp")
int xdp_loop_nested(struct xdp_md *ctx)
{
	bpf_loop(8, outer_step, NULL, 0);
	return XDP_PASS;
}

/* bpf_loop refuses flags at run time (-EINVAL), not at load. */
SEC("tc")
int tc_loop_flags_runtime(struct __sk_buff *skb)
{
	return bpf_loop(4, count_run, NULL, 1) < 0 ? TC_ACT_SHOT : TC_ACT_OK;
}

struct counter {
	u64 n;
};

static long bump(u32 i, void *arg)
{
	struct counter *c = arg;

	c->n++;
	return 0;
}

/* A counter in the caller's stack, changed by every iteration. */
SEC("xdp")
int xdp_loop_stack_counter(struct xdp_md *ctx)
{
	struct counter c = {};

	bpf_loop(10, bump, &c, 0);
	return c.n == 10 ? XDP_PASS : XDP_DROP;
}

static long two(u32 i, void *arg)
{
	return 2;
}

/* A callback returning something else than 0 (continue) or 1 (stop). */
SEC("xdp")
int xdp_loop_ret2_bad(struct xdp_md *ctx)
{
	bpf_loop(4, two, NULL, 0);
	return XDP_PASS;
}

static long value_as_ret(void *map, u32 *key, u64 *value, void *arg)
{
	return *value;
}

/* A callback returning a map value: not known to be 0 or 1. */
SEC("tc")
int tc_for_each_ret_value_bad(struct __sk_buff *skb)
{
	bpf_for_each_map_elem(&port_bytes, value_as_ret, NULL, 0);
	return TC_ACT_OK;
}

static long read_past(u32 i, void *arg)
{
	u64 *v = arg;

	payload_sum += v[1];
	return 0;
}

/* The callback reads beyond the 8-byte context it was given. */
SEC("xdp")
int xdp_loop_ctx_overrun_bad(struct xdp_md *ctx)
{
	u64 v = ctx->data_end - ctx->data;

	bpf_loop(4, read_past, &v, 0);
	return XDP_PASS;
}

static long deref_ctx(u32 i, void *arg)
{
	payload_sum += *(u64 *)arg;
	return 0;
}

/* The context is NULL and the callback dereferences it anyway. */
SEC("tc")
int tc_loop_null_ctx_bad(struct __sk_buff *skb)
{
	bpf_loop(4, deref_ctx, NULL, 0);
	return TC_ACT_OK;
}

static long zero_key(void *map, u32 *key, u64 *value, void *arg)
{
	*key = 0;
	return 0;
}

/* The callback writes into the key, which is read-only. */
SEC("xdp")
int xdp_for_each_write_key_bad(struct xdp_md *ctx)
{
	bpf_for_each_map_elem(&port_bytes, zero_key, NULL, 0);
	return XDP_PASS;
}

/* The context must be on the stack (or NULL), not a map value. */
SEC("tc")
int tc_loop_map_ctx_bad(struct __sk_buff *skb)
{
	u32 zero = 0;
	u64 *runs = bpf_map_lookup_elem(&loop_runs, &zero);

	if (!runs)
		return TC_ACT_OK;
	bpf_loop(4, deref_ctx, runs, 0);
	return TC_ACT_OK;
}

/* bpf_loop(0, ...): the callback is never verified, yet the kernel (6.18)
 * accepts the program. */
SEC("xdp")
int xdp_loop_zero_iterations(struct xdp_md *ctx)
{
	bpf_loop(0, count_run, NULL, 0);
	return XDP_PASS;
}

static long set_flag(u32 i, void *arg)
{
	*(u64 *)arg = 1;
	return 1;
}

/* The caller reads a slot only the callback writes (it may never run:
 * privileged programs may read uninitialised stack). */
SEC("tc")
int tc_loop_flag_from_callback(struct __sk_buff *skb)
{
	u64 flag;

	bpf_loop(skb->len & 3, set_flag, &flag, 0);
	return flag ? TC_ACT_OK : TC_ACT_SHOT;
}

static long add_percpu(void *map, u32 *key, u64 *value, void *arg)
{
	__sync_fetch_and_add(&array_total, *value);
	return 0;
}

/* Totals a per-CPU array (this CPU's values). */
SEC("tc")
int tc_for_each_percpu_total(struct __sk_buff *skb)
{
	bpf_for_each_map_elem(&loop_runs, add_percpu, NULL, 0);
	return TC_ACT_OK;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u8[8]);
} small_table SEC(".maps");

/* A counter the callback bumps 16 times, then used as an index into an
 * 8-byte value: the kernel keeps it precise (no widening) and finds the
 * access out of bounds. */
SEC("xdp")
int xdp_loop_counter_index_bad(struct xdp_md *ctx)
{
	struct counter c = {};
	u32 zero = 0;
	u8 *t;

	bpf_loop(16, bump, &c, 0);
	t = bpf_map_lookup_elem(&small_table, &zero);
	if (!t)
		return XDP_PASS;
	return t[c.n] ? XDP_PASS : XDP_DROP;
}
