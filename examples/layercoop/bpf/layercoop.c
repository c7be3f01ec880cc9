// SPDX-License-Identifier: GPL-2.0
/* layercoop: XDP (SEC("rx")) and tc egress (SEC("tx")) cooperate through
 * one hash map, "flows", keyed by {saddr, daddr} and counting packets and
 * bytes per direction. The map is pinned, so "ip ... sec rx" and
 * "tc ... sec tx", run as two processes, share it.
 *
 * Built as is, the map is a BTF map with pinning LIBBPF_PIN_BY_NAME.
 * Built with -DTUTORIAL_ERA it is the iproute2 struct bpf_elf_map of the
 * tutorial in the legacy "maps" section, with pinning PIN_GLOBAL_NS. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>

#define SEC(name) __attribute__((section(name), used))

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define htons(x) __builtin_bswap16(x)
#else
#define htons(x) (x)
#endif

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)BPF_FUNC_map_update_elem;

struct flow_key {
	__u32 saddr;
	__u32 daddr;
};

struct flow_counters {
	__u64 packets;
	__u64 bytes;
};

#ifdef TUTORIAL_ERA
/* iproute2's map definition (include/bpf_elf.h). */
struct bpf_elf_map {
	__u32 type;
	__u32 size_key;
	__u32 size_value;
	__u32 max_elem;
	__u32 flags;
	__u32 id;
	__u32 pinning;
	__u32 inner_id;
	__u32 inner_idx;
};
#define PIN_GLOBAL_NS 2

struct bpf_elf_map SEC("maps") flows = {
	.type = BPF_MAP_TYPE_HASH,
	.size_key = sizeof(struct flow_key),
	.size_value = sizeof(struct flow_counters),
	.max_elem = 1024,
	.pinning = PIN_GLOBAL_NS,
};
#else
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define LIBBPF_PIN_BY_NAME 1

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow_key);
	__type(value, struct flow_counters);
	__uint(max_entries, 1024);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flows SEC(".maps");
#endif

static __attribute__((always_inline)) void count(void *data, void *data_end, __u64 len)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct flow_key key;
	struct flow_counters *c, init;

	if ((void *)(ip + 1) > data_end)
		return;
	if (eth->h_proto != htons(ETH_P_IP))
		return;
	key.saddr = ip->saddr;
	key.daddr = ip->daddr;
	c = bpf_map_lookup_elem(&flows, &key);
	if (c) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, len);
		return;
	}
	init.packets = 1;
	init.bytes = len;
	bpf_map_update_elem(&flows, &key, &init, BPF_NOEXIST);
}

SEC("rx")
int layercoop_rx(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;

	count(data, data_end, data_end - data);
	return XDP_PASS;
}

SEC("tx")
int layercoop_tx(struct __sk_buff *skb)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;

	count(data, data_end, skb->len);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
