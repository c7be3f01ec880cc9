// SPDX-License-Identifier: GPL-2.0
/* Realistic programs with bpf_timer for the checker's comparison with the
 * kernel: a per-flow timer armed by tc and XDP programs whose callback
 * expires the flow or counts, a periodic timer re-armed from its own
 * callback. The maps have BTF, the values one struct bpf_timer. Programs
 * named *_bad are ones the kernel rejects, with the mistakes people make:
 * a callback returning non-zero, the timer touched directly, the wrong map
 * given to bpf_timer_init, the timer at the wrong offset, a possibly NULL
 * value, a timer in a tracing program. */
#include "defs.h"

char LICENSE[] SEC("license") = "GPL";

#define CLOCK_MONOTONIC 1
#define CLOCK_BOOTTIME 7

static long (*bpf_timer_init)(struct bpf_timer *timer, void *map, u64 flags) = (void *)169;
static long (*bpf_timer_set_callback)(struct bpf_timer *timer, void *callback_fn) = (void *)170;
static long (*bpf_timer_start)(struct bpf_timer *timer, u64 nsecs, u64 flags) = (void *)171;
static long (*bpf_timer_cancel)(struct bpf_timer *timer) = (void *)172;

struct flow {
	u64 packets;
	u64 bytes;
	struct bpf_timer expire;
	u64 last_seen;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct flow);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct flow);
} lru_flows SEC(".maps");

struct tick {
	struct bpf_timer t;
	u64 ticks;
	u64 interval;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct tick);
} ticker SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} expired SEC(".maps");

/* The flow timer's callback: count the expiry, delete the flow. */
static int expire_flow(void *map, u32 *key, struct flow *f)
{
	u32 zero = 0;
	u64 *n = bpf_map_lookup_elem(&expired, &zero);

	if (n)
		__sync_fetch_and_add(n, 1);
	bpf_map_delete_elem(map, key);
	return 0;
}

/* tc: create the flow on first sight and arm its expiry timer. */
SEC("tc")
int tc_flow_timer(struct __sk_buff *skb)
{
	u32 key = skb->hash;
	struct flow *f = bpf_map_lookup_elem(&flows, &key);

	if (!f) {
		struct flow init = { .packets = 1, .bytes = skb->len };

		if (bpf_map_update_elem(&flows, &key, &init, BPF_NOEXIST))
			return 0;
		f = bpf_map_lookup_elem(&flows, &key);
		if (!f)
			return 0;
		bpf_timer_init(&f->expire, &flows, CLOCK_MONOTONIC);
		bpf_timer_set_callback(&f->expire, expire_flow);
	}
	f->packets++;
	f->bytes += skb->len;
	f->last_seen = bpf_ktime_get_ns();
	bpf_timer_start(&f->expire, 30ULL * 1000000000, 0);
	return 0;
}

/* The LRU flow's callback only counts the expiry. */
static int count_expiry(void *map, u32 *key, struct flow *f)
{
	f->packets = 0;
	f->bytes = 0;
	return 0;
}

/* XDP: the same on an LRU map keyed by source address, cancelling the
 * timer of a flow that sees a FIN-like marker. */
SEC("xdp")
int xdp_flow_timer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	u32 key;
	struct flow *f;

	if (data + 34 > end)
		return XDP_PASS;
	key = *(u32 *)(data + 26);
	f = bpf_map_lookup_elem(&lru_flows, &key);
	if (!f) {
		struct flow init = {};

		bpf_map_update_elem(&lru_flows, &key, &init, BPF_ANY);
		f = bpf_map_lookup_elem(&lru_flows, &key);
		if (!f)
			return XDP_PASS;
		if (bpf_timer_init(&f->expire, &lru_flows, CLOCK_BOOTTIME) == 0)
			bpf_timer_set_callback(&f->expire, count_expiry);
	}
	f->packets++;
	if (*(u8 *)(data + 23) == 0xff) {
		bpf_timer_cancel(&f->expire);
		return XDP_PASS;
	}
	bpf_timer_start(&f->expire, 5000000000ULL, 0);
	return XDP_PASS;
}

/* A periodic tick: the callback counts and re-arms itself. */
static int on_tick(void *map, u32 *key, struct tick *t)
{
	t->ticks++;
	bpf_timer_start(&t->t, t->interval ? t->interval : 1000000, 0);
	return 0;
}

SEC("xdp")
int xdp_start_ticker(struct xdp_md *ctx)
{
	u32 zero = 0;
	struct tick *t = bpf_map_lookup_elem(&ticker, &zero);

	if (!t)
		return XDP_PASS;
	if (t->interval)
		return XDP_PASS;
	t->interval = 1000000;
	bpf_timer_init(&t->t, &ticker, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&t->t, on_tick);
	bpf_timer_start(&t->t, t->interval, 0);
	return XDP_PASS;
}

/* cgroup_skb: a per-cgroup byte budget whose window a timer resets. */
struct window {
	u64 bytes;
	u64 limit;
	struct bpf_timer reset;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, u64);
	__type(value, struct window);
} windows SEC(".maps");

static int reset_window(void *map, u64 *key, struct window *w)
{
	w->bytes = 0;
	bpf_timer_start(&w->reset, 100000000, 0);
	return 0;
}

SEC("cgroup_skb/egress")
int cgroup_budget(struct __sk_buff *skb)
{
	u64 key = skb->ifindex;
	struct window *w = bpf_map_lookup_elem(&windows, &key);

	if (!w) {
		struct window init = { .limit = 1 << 20 };

		if (bpf_map_update_elem(&windows, &key, &init, BPF_NOEXIST))
			return 1;
		w = bpf_map_lookup_elem(&windows, &key);
		if (!w)
			return 1;
		bpf_timer_init(&w->reset, &windows, CLOCK_MONOTONIC);
		bpf_timer_set_callback(&w->reset, reset_window);
		bpf_timer_start(&w->reset, 100000000, 0);
	}
	if (w->bytes + skb->len > w->limit)
		return 0;
	__sync_fetch_and_add(&w->bytes, skb->len);
	return 1;
}

static long (*bpf_for_each_map_elem)(void *map, void *callback_fn, void *callback_ctx, u64 flags) = (void *)164;

/* Cancel every flow's timer (a flush requested by a marked packet). */
static long cancel_flow(void *map, u32 *key, struct flow *f, void *ctx)
{
	bpf_timer_cancel(&f->expire);
	return 0;
}

SEC("tc")
int tc_flush_timers(struct __sk_buff *skb)
{
	if (skb->mark != 0xf1)
		return 0;
	return bpf_for_each_map_elem(&flows, cancel_flow, (void *)0, 0) > 100;
}

/* The callback returns the packet count: async callbacks must return 0. */
static int expire_ret_bad(void *map, u32 *key, struct flow *f)
{
	return f->packets > 0;
}

SEC("tc")
int tc_callback_ret_bad(struct __sk_buff *skb)
{
	u32 key = skb->hash;
	struct flow *f = bpf_map_lookup_elem(&flows, &key);

	if (!f)
		return 0;
	bpf_timer_init(&f->expire, &flows, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&f->expire, expire_ret_bad);
	bpf_timer_start(&f->expire, 1000, 0);
	return 0;
}

/* Resetting the timer by hand. */
SEC("tc")
int tc_timer_write_bad(struct __sk_buff *skb)
{
	u32 key = skb->hash;
	struct flow *f = bpf_map_lookup_elem(&flows, &key);

	if (!f)
		return 0;
	__builtin_memset(&f->expire, 0, sizeof(f->expire));
	return 0;
}

/* Reading the timer's bytes. */
SEC("xdp")
int xdp_timer_read_bad(struct xdp_md *ctx)
{
	u32 zero = 0;
	struct tick *t = bpf_map_lookup_elem(&ticker, &zero);

	if (!t)
		return XDP_PASS;
	return *(volatile u64 *)&t->t ? XDP_DROP : XDP_PASS;
}

/* The timer of one map initialised with another map. */
SEC("tc")
int tc_wrong_map_bad(struct __sk_buff *skb)
{
	u32 key = skb->hash;
	struct flow *f = bpf_map_lookup_elem(&flows, &key);

	if (!f)
		return 0;
	bpf_timer_init(&f->expire, &lru_flows, CLOCK_MONOTONIC);
	return 0;
}

/* A pointer that is not the timer: the value's start. */
SEC("tc")
int tc_wrong_offset_bad(struct __sk_buff *skb)
{
	u32 key = skb->hash;
	struct flow *f = bpf_map_lookup_elem(&flows, &key);

	if (!f)
		return 0;
	bpf_timer_start((struct bpf_timer *)f, 1000, 0);
	return 0;
}

/* The lookup's result used without its NULL check. */
SEC("tc")
int tc_null_timer_bad(struct __sk_buff *skb)
{
	u32 key = skb->hash;
	struct flow *f = bpf_map_lookup_elem(&flows, &key);

	bpf_timer_cancel(&f->expire);
	return 0;
}

/* The callback writes past its value. */
static int past_value_bad(void *map, u32 *key, struct tick *t)
{
	((u64 *)t)[8] = 1;
	return 0;
}

SEC("xdp")
int xdp_callback_oob_bad(struct xdp_md *ctx)
{
	u32 zero = 0;
	struct tick *t = bpf_map_lookup_elem(&ticker, &zero);

	if (!t)
		return XDP_PASS;
	bpf_timer_init(&t->t, &ticker, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&t->t, past_value_bad);
	return XDP_PASS;
}

/* Tracing programs may not use maps with timers. */
SEC("kprobe/do_nanosleep")
int kprobe_timer_bad(void *ctx)
{
	u32 zero = 0;
	struct tick *t = bpf_map_lookup_elem(&ticker, &zero);

	if (t)
		bpf_timer_start(&t->t, 1000, 0);
	return 0;
}
