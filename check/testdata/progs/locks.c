// SPDX-License-Identifier: GPL-2.0
/* Realistic programs with bpf_spin_lock for the checker's comparison with
 * the kernel: per-flow counters and maxima updated under the lock of a map
 * value (the map has BTF, the value one struct bpf_spin_lock). Programs
 * named *_bad are ones the kernel rejects, with the mistakes people make:
 * a helper call, a return or a second lock while holding one, the lock
 * touched directly, the wrong lock released. */
#include "defs.h"

char LICENSE[] SEC("license") = "GPL";

static void (*bpf_spin_lock)(struct bpf_spin_lock *lock) = (void *)93;
static void (*bpf_spin_unlock)(struct bpf_spin_lock *lock) = (void *)94;
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");

struct flow_stats {
	u64 packets;
	struct bpf_spin_lock lock;
	u64 bytes;
	u64 max_len;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, struct flow_stats);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, struct flow_stats);
} queues SEC(".maps");

struct plain {
	u64 packets;
	u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, struct plain);
} plain SEC(".maps");

/* tc: per-flow packets and bytes, the entry created on first sight. */
SEC("tc")
int tc_flow_stats(struct __sk_buff *skb)
{
	u32 key = skb->hash;
	struct flow_stats *s = bpf_map_lookup_elem(&flows, &key);

	if (!s) {
		struct flow_stats init = { .packets = 1, .bytes = skb->len, .max_len = skb->len };

		bpf_map_update_elem(&flows, &key, &init, BPF_NOEXIST);
		return 0;
	}
	bpf_spin_lock(&s->lock);
	s->packets++;
	s->bytes += skb->len;
	if (skb->len > s->max_len)
		s->max_len = skb->len;
	bpf_spin_unlock(&s->lock);
	return 0;
}

/* XDP: per-queue maxima in an array, the length computed before locking. */
SEC("xdp")
int xdp_queue_max(struct xdp_md *ctx)
{
	u32 q = ctx->rx_queue_index & 15;
	u64 len = ctx->data_end - ctx->data;
	struct flow_stats *s = bpf_map_lookup_elem(&queues, &q);

	if (!s)
		return XDP_PASS;
	bpf_spin_lock(&s->lock);
	s->packets++;
	if (len > s->max_len)
		s->max_len = len;
	bpf_spin_unlock(&s->lock);
	return XDP_PASS;
}

/* cgroup_skb: a snapshot read under the lock, used after unlocking. */
SEC("cgroup_skb/ingress")
int cgroup_snapshot(struct __sk_buff *skb)
{
	u32 q = 0;
	struct flow_stats *s = bpf_map_lookup_elem(&queues, &q);
	u64 packets, bytes;

	if (!s)
		return 1;
	bpf_spin_lock(&s->lock);
	packets = s->packets;
	bytes = s->bytes;
	bpf_spin_unlock(&s->lock);
	if (packets > 1000000 && bytes / packets < 64)
		return 0;
	return 1;
}

/* Two elements, one after the other. */
SEC("tc")
int tc_two_locks_in_turn(struct __sk_buff *skb)
{
	u32 a = 1, b = 2;
	struct flow_stats *x = bpf_map_lookup_elem(&queues, &a);
	struct flow_stats *y = bpf_map_lookup_elem(&queues, &b);

	if (!x || !y)
		return 0;
	bpf_spin_lock(&x->lock);
	x->packets++;
	bpf_spin_unlock(&x->lock);
	bpf_spin_lock(&y->lock);
	y->packets++;
	bpf_spin_unlock(&y->lock);
	return 0;
}

/* A helper call while holding the lock. */
SEC("tc")
int call_while_locked_bad(struct __sk_buff *skb)
{
	u32 q = 0;
	struct flow_stats *s = bpf_map_lookup_elem(&queues, &q);

	if (!s)
		return 0;
	bpf_spin_lock(&s->lock);
	s->max_len = bpf_ktime_get_ns();
	bpf_spin_unlock(&s->lock);
	return 0;
}

/* A return with the lock held. */
SEC("tc")
int missing_unlock_bad(struct __sk_buff *skb)
{
	u32 q = 0;
	struct flow_stats *s = bpf_map_lookup_elem(&queues, &q);

	if (!s)
		return 0;
	bpf_spin_lock(&s->lock);
	if (s->packets > 100)
		return 2;
	s->packets++;
	bpf_spin_unlock(&s->lock);
	return 0;
}

/* Two locks held at once. */
SEC("tc")
int nested_locks_bad(struct __sk_buff *skb)
{
	u32 a = 1, b = 2;
	struct flow_stats *x = bpf_map_lookup_elem(&queues, &a);
	struct flow_stats *y = bpf_map_lookup_elem(&queues, &b);

	if (!x || !y)
		return 0;
	bpf_spin_lock(&x->lock);
	bpf_spin_lock(&y->lock);
	x->packets += y->packets;
	bpf_spin_unlock(&y->lock);
	bpf_spin_unlock(&x->lock);
	return 0;
}

/* The other element's lock released. */
SEC("tc")
int unlock_other_bad(struct __sk_buff *skb)
{
	u32 a = 1, b = 2;
	struct flow_stats *x = bpf_map_lookup_elem(&queues, &a);
	struct flow_stats *y = bpf_map_lookup_elem(&queues, &b);

	if (!x || !y)
		return 0;
	bpf_spin_lock(&x->lock);
	x->packets++;
	bpf_spin_unlock(&y->lock);
	return 0;
}

/* Releasing a lock never taken. */
SEC("tc")
int unlock_only_bad(struct __sk_buff *skb)
{
	u32 q = 0;
	struct flow_stats *s = bpf_map_lookup_elem(&queues, &q);

	if (!s)
		return 0;
	s->packets++;
	bpf_spin_unlock(&s->lock);
	return 0;
}

/* The lock word read directly. */
SEC("tc")
int touch_lock_bad(struct __sk_buff *skb)
{
	u32 q = 0;
	struct flow_stats *s = bpf_map_lookup_elem(&queues, &q);

	if (!s)
		return 0;
	return *(volatile u32 *)&s->lock;
}

/* A pointer that is not the lock's. */
SEC("tc")
int wrong_offset_bad(struct __sk_buff *skb)
{
	u32 q = 0;
	struct flow_stats *s = bpf_map_lookup_elem(&queues, &q);

	if (!s)
		return 0;
	bpf_spin_lock((void *)&s->bytes);
	s->packets++;
	bpf_spin_unlock((void *)&s->bytes);
	return 0;
}

/* A map whose value has no lock. */
SEC("tc")
int no_lock_in_value_bad(struct __sk_buff *skb)
{
	u32 q = 0;
	struct plain *p = bpf_map_lookup_elem(&plain, &q);

	if (!p)
		return 0;
	bpf_spin_lock((void *)p);
	p->packets++;
	bpf_spin_unlock((void *)p);
	return 0;
}

/* The lookup result used before its NULL check. */
SEC("tc")
int unchecked_lock_bad(struct __sk_buff *skb)
{
	u32 q = 0;
	struct flow_stats *s = bpf_map_lookup_elem(&flows, &q);

	bpf_spin_lock(&s->lock);
	bpf_spin_unlock(&s->lock);
	return 0;
}

/* A legacy packet load inside the locked region. */
SEC("tc")
int ld_abs_locked_bad(struct __sk_buff *skb)
{
	u32 q = 0;
	struct flow_stats *s = bpf_map_lookup_elem(&queues, &q);

	if (!s)
		return 0;
	bpf_spin_lock(&s->lock);
	s->packets += load_byte(skb, 23);
	bpf_spin_unlock(&s->lock);
	return 0;
}

/* Tracing programs may not use maps with a lock. */
SEC("kprobe/do_nanosleep")
int kprobe_lock_bad(void *ctx)
{
	u32 q = 0;
	struct flow_stats *s = bpf_map_lookup_elem(&queues, &q);

	if (!s)
		return 0;
	bpf_spin_lock(&s->lock);
	s->packets++;
	bpf_spin_unlock(&s->lock);
	return 0;
}

/* Socket filters may not use maps with a lock either. */
SEC("socket")
int socket_filter_lock_bad(struct __sk_buff *skb)
{
	u32 q = 0;
	struct flow_stats *s = bpf_map_lookup_elem(&queues, &q);

	if (!s)
		return 0;
	bpf_spin_lock(&s->lock);
	s->packets++;
	bpf_spin_unlock(&s->lock);
	return skb->len;
}
