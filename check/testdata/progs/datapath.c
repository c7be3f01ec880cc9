// SPDX-License-Identifier: GPL-2.0
/* Realistic tc and XDP datapath programs (tunnels, VLANs, resizing, FIB
 * forwarding, cgroup membership) for the checker's comparison with the
 * kernel. Programs named *_bad are ones the kernel rejects, with the
 * mistake people make. */
#include "defs.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>

char LICENSE[] SEC("license") = "GPL";

static long (*bpf_clone_redirect)(void *skb, u32 ifindex, u64 flags) = (void *)13;
static long (*bpf_skb_vlan_push)(void *skb, u16 proto, u16 tci) = (void *)18;
static long (*bpf_skb_vlan_pop)(void *skb) = (void *)19;
static long (*bpf_skb_get_tunnel_key)(void *skb, struct bpf_tunnel_key *key, u32 size, u64 flags) = (void *)20;
static long (*bpf_skb_set_tunnel_key)(void *skb, struct bpf_tunnel_key *key, u32 size, u64 flags) = (void *)21;
static long (*bpf_redirect)(u32 ifindex, u64 flags) = (void *)23;
static long (*bpf_skb_change_proto)(void *skb, u16 proto, u64 flags) = (void *)31;
static long (*bpf_skb_under_cgroup)(void *skb, void *map, u32 index) = (void *)33;
static long (*bpf_skb_change_tail)(void *skb, u32 len, u64 flags) = (void *)38;
static long (*bpf_skb_change_head)(void *skb, u32 len, u64 flags) = (void *)43;
static long (*bpf_xdp_adjust_head)(struct xdp_md *xdp, int delta) = (void *)44;
static long (*bpf_redirect_map)(void *map, u64 key, u64 flags) = (void *)51;
static long (*bpf_xdp_adjust_meta)(struct xdp_md *xdp, int delta) = (void *)54;
static long (*bpf_xdp_adjust_tail)(struct xdp_md *xdp, int delta) = (void *)65;
static long (*bpf_fib_lookup)(void *ctx, struct bpf_fib_lookup *params, int plen, u32 flags) = (void *)69;

#define htons(x) __builtin_bswap16(x)
#define AF_INET 2

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u32);
} tunnels SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u32);
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} stats SEC(".maps");

static __always_inline void bump(u32 key)
{
	u64 *v = bpf_map_lookup_elem(&stats, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
}

/* Tags untagged traffic, then looks at the new header. */
SEC("tc")
int tc_vlan_tag(struct __sk_buff *skb)
{
	if (skb->vlan_present)
		return TC_ACT_OK;
	if (bpf_skb_vlan_push(skb, htons(ETH_P_8021Q), 100) < 0)
		return TC_ACT_SHOT;
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return TC_ACT_SHOT;
	bump(eth->h_proto == htons(ETH_P_IP));
	return TC_ACT_OK;
}

/* Pops the tag and reads the packet through the old pointer. */
SEC("tc")
int tc_vlan_untag_stale_bad(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return TC_ACT_OK;
	bpf_skb_vlan_pop(skb);
	return eth->h_proto == htons(ETH_P_IP) ? TC_ACT_OK : TC_ACT_SHOT;
}

/* Collect-metadata tunnel: set the remote endpoint from a map and send
 * the packet to the tunnel device. */
SEC("tc")
int tc_tunnel_encap(struct __sk_buff *skb)
{
	u32 key = skb->mark;
	u32 *remote = bpf_map_lookup_elem(&tunnels, &key);
	if (!remote)
		return TC_ACT_OK;
	struct bpf_tunnel_key tk = {};
	tk.remote_ipv4 = *remote;
	tk.tunnel_id = key;
	tk.tunnel_ttl = 64;
	if (bpf_skb_set_tunnel_key(skb, &tk, sizeof(tk), BPF_F_ZERO_CSUM_TX) < 0)
		return TC_ACT_SHOT;
	return bpf_redirect(skb->cb[0], 0);
}

/* The receive side: which tunnel did the packet come from. */
SEC("tc")
int tc_tunnel_decap(struct __sk_buff *skb)
{
	struct bpf_tunnel_key tk;
	if (bpf_skb_get_tunnel_key(skb, &tk, sizeof(tk), 0) < 0)
		return TC_ACT_SHOT;
	u32 id = tk.tunnel_id;
	u32 *remote = bpf_map_lookup_elem(&tunnels, &id);
	if (!remote || *remote != tk.remote_ipv4)
		return TC_ACT_SHOT;
	skb->mark = id;
	return TC_ACT_OK;
}

/* Reads the tunnel key into a buffer too small for it. */
SEC("tc")
int tc_tunnel_key_size_bad(struct __sk_buff *skb)
{
	u32 buf[4];
	if (bpf_skb_get_tunnel_key(skb, (void *)buf, 28, 0) < 0)
		return TC_ACT_SHOT;
	return buf[0] ? TC_ACT_OK : TC_ACT_SHOT;
}

/* Trims to 64 bytes, pads short packets, checks again. */
SEC("tc")
int tc_resize(struct __sk_buff *skb)
{
	if (skb->len > 64 && bpf_skb_change_tail(skb, 64, 0) < 0)
		return TC_ACT_SHOT;
	if (skb->len < 60 && bpf_skb_change_tail(skb, 60, 0) < 0)
		return TC_ACT_SHOT;
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	if (data + 60 > data_end)
		return TC_ACT_SHOT;
	((u8 *)data)[59] = 0;
	return TC_ACT_OK;
}

/* Pushes an Ethernet header in front of an L3 packet (tc on a tun or
 * ipip device) and fills it in. */
SEC("tc")
int tc_add_eth(struct __sk_buff *skb)
{
	if (bpf_skb_change_head(skb, ETH_HLEN, 0) < 0)
		return TC_ACT_SHOT;
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return TC_ACT_SHOT;
	__builtin_memset(eth->h_dest, 0xff, ETH_ALEN);
	__builtin_memset(eth->h_source, 0x02, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	return TC_ACT_OK;
}

/* NAT64-style protocol switch and a copy to a monitoring port. */
SEC("tc")
int tc_proto_and_mirror(struct __sk_buff *skb)
{
	if (skb->protocol == htons(ETH_P_IPV6) && bpf_skb_change_proto(skb, htons(ETH_P_IP), 0) < 0)
		return TC_ACT_SHOT;
	bpf_clone_redirect(skb, 1, 0);
	bump(2);
	return TC_ACT_OK;
}

/* Only traffic of sockets in a cgroup. */
SEC("tc")
int tc_cgroup_only(struct __sk_buff *skb)
{
	long in = bpf_skb_under_cgroup(skb, &cgroups, 0);
	if (in < 0)
		return TC_ACT_OK;
	bump(in ? 3 : 1);
	return in ? TC_ACT_OK : TC_ACT_SHOT;
}

/* bpf_skb_under_cgroup takes a cgroup array. */
SEC("tc")
int tc_cgroup_map_bad(struct __sk_buff *skb)
{
	return bpf_skb_under_cgroup(skb, &stats, 0) == 1 ? TC_ACT_OK : TC_ACT_SHOT;
}

/* Kernel-routed forwarding (samples/bpf xdp_fwd): look the destination up
 * in the FIB, rewrite the MAC addresses, redirect through a devmap. */
SEC("xdp")
int xdp_fib_forward(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct bpf_fib_lookup fib = {};
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != htons(ETH_P_IP) || ip->ttl <= 1)
		return XDP_PASS;
	fib.family = AF_INET;
	fib.tos = ip->tos;
	fib.l4_protocol = ip->protocol;
	fib.tot_len = __builtin_bswap16(ip->tot_len);
	fib.ipv4_src = ip->saddr;
	fib.ipv4_dst = ip->daddr;
	fib.ifindex = ctx->ingress_ifindex;
	long rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;
	ip->ttl--;
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	return bpf_redirect_map(&tx_ports, fib.ifindex, 0);
}

/* The same lookup from tc, redirecting directly. */
SEC("tc")
int tc_fib_forward(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + ETH_HLEN;
	struct bpf_fib_lookup fib = {};
	if ((void *)(ip + 1) > data_end)
		return TC_ACT_OK;
	fib.family = AF_INET;
	fib.ipv4_src = ip->saddr;
	fib.ipv4_dst = ip->daddr;
	fib.ifindex = skb->ingress_ifindex;
	if (bpf_fib_lookup(skb, &fib, sizeof(fib), BPF_FIB_LOOKUP_DIRECT) != BPF_FIB_LKUP_RET_SUCCESS)
		return TC_ACT_OK;
	skb->cb[1] = fib.ifindex;
	return bpf_redirect(fib.ifindex, 0);
}

/* Passes a parameter size larger than the structure. */
SEC("xdp")
int xdp_fib_size_bad(struct xdp_md *ctx)
{
	struct bpf_fib_lookup fib = {};
	fib.family = AF_INET;
	fib.ifindex = ctx->ingress_ifindex;
	return bpf_fib_lookup(ctx, &fib, sizeof(fib) + 16, 0) == 0 ? XDP_TX : XDP_PASS;
}

/* Encapsulation room at the head, then the new outer header. */
SEC("xdp")
int xdp_encap(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_DROP;
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *outer = data + sizeof(*eth);
	if ((void *)(outer + 1) > data_end)
		return XDP_DROP;
	__builtin_memset(outer, 0, sizeof(*outer));
	outer->version = 4;
	outer->ihl = 5;
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	eth->h_proto = htons(ETH_P_IP);
	return XDP_TX;
}

/* Uses the old data pointer after moving the head. */
SEC("xdp")
int xdp_encap_stale_bad(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_DROP;
	eth->h_proto = htons(ETH_P_IP);
	return XDP_TX;
}

/* Metadata for the tc layer, and a trimmed tail. */
SEC("xdp")
int xdp_meta_and_trim(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_meta(ctx, -4))
		return XDP_PASS;
	void *data = (void *)(long)ctx->data;
	void *meta = (void *)(long)ctx->data_meta;
	if (meta + 4 > data)
		return XDP_PASS;
	*(u32 *)meta = bpf_jiffies64();
	if ((void *)(long)ctx->data_end - data > 1500)
		bpf_xdp_adjust_tail(ctx, -4);
	return XDP_PASS;
}

/* Reads the metadata without checking it lies before data. */
SEC("xdp")
int xdp_meta_unchecked_bad(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_meta(ctx, -4))
		return XDP_PASS;
	u32 *meta = (void *)(long)ctx->data_meta;
	return *meta & 3;
}
