// SPDX-License-Identifier: GPL-2.0
/* Stack patterns of real programs for the checker's comparison with the
 * kernel: a small value spilled next to zeroed bytes (a key half filled
 * by a register, half by a zero store), and buffers on the stack indexed
 * by a bounded variable. Programs named *_bad are ones the kernel rejects. */
#include "defs.h"

char LICENSE[] SEC("license") = "GPL";

struct key {
	u32 ifindex;
	u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct key);
	__type(value, u64);
} by_key SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} hist SEC(".maps");

/* A 4-byte value spilled next to 4 zeroed bytes, the whole used as a key. */
SEC("tc")
int partial_spill_key(struct __sk_buff *skb)
{
	struct key k;
	u64 *v;

	*(volatile u32 *)&k.pad = 0;
	*(volatile u32 *)&k.ifindex = skb->ifindex;
	v = bpf_map_lookup_elem(&by_key, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

/* The same 8 bytes read back as one value. */
SEC("tc")
int partial_spill_reread(struct __sk_buff *skb)
{
	u64 word;

	((volatile u32 *)&word)[1] = 0;
	((volatile u32 *)&word)[0] = skb->len;
	return *(volatile u64 *)&word > 1500;
}

/* A histogram of the first bytes, counted in a stack buffer indexed by
 * the byte value (a bounded variable offset). */
SEC("xdp")
int byte_histogram(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	u8 counts[16] = {};
	u8 *p = data;
	u64 *h;
	u32 z = 0;
	int i;

	for (i = 0; i < 8; i++) {
		if ((void *)(p + i + 1) > data_end)
			break;
		counts[p[i] & 15]++;
	}
	h = bpf_map_lookup_elem(&hist, &z);
	if (h)
		*h += counts[(ctx->rx_queue_index) & 15];
	return XDP_PASS;
}

/* A variable index into a stack buffer, written then read. */
SEC("tc")
int var_stack_write_read(struct __sk_buff *skb)
{
	u32 buf[8] = {};
	u32 i = skb->hash & 7;

	buf[i] = skb->len;
	return buf[(skb->mark) & 7] & 1;
}

/* The index not bounded to the buffer. */
SEC("tc")
int var_stack_oob_bad(struct __sk_buff *skb)
{
	u32 buf[8] = {};
	u32 i = skb->hash & 255;

	buf[i & 255] = skb->len;
	return buf[0] & 1;
}
