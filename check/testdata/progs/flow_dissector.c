// SPDX-License-Identifier: GPL-2.0
/* Realistic flow dissector programs for the checker's comparison with the
 * kernel: a dissector of Ethernet (VLAN), IPv4, IPv6, TCP and UDP filling
 * struct bpf_flow_keys, read through direct packet access with a
 * bpf_skb_load_bytes fallback. Programs named *_bad are ones the kernel
 * rejects, with the mistake people make. */
#include "defs.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>

char LICENSE[] SEC("license") = "GPL";

static long (*bpf_skb_load_bytes)(const void *skb, u32 offset, void *to, u32 len) = (void *)26;
static long (*bpf_skb_store_bytes)(void *skb, u32 offset, const void *from, u32 len, u64 flags) = (void *)9;

#define bswap16(x) __builtin_bswap16(x)
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} dissected SEC(".maps");

enum { CNT_V4, CNT_V6, CNT_OTHER, CNT_SHORT };

static __always_inline void count(u32 what)
{
	u64 *v = bpf_map_lookup_elem(&dissected, &what);
	if (v)
		*v += 1;
}

/* header returns size bytes at off of the packet: in place when they are
 * in the linear data, else copied into buf; NULL past the end. */
static __always_inline void *header(struct __sk_buff *skb, u32 off, u32 size, void *buf)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	void *p = data + off;

	if (off > 1500)
		return 0;
	if (p + size <= data_end)
		return p;
	if (bpf_skb_load_bytes(skb, off, buf, size))
		return 0;
	return buf;
}

static __always_inline int ports(struct __sk_buff *skb, struct bpf_flow_keys *keys)
{
	struct tcphdr tbuf, *th;
	struct udphdr ubuf, *uh;

	switch (keys->ip_proto) {
	case IPPROTO_TCP:
		th = header(skb, keys->thoff, sizeof(*th), &tbuf);
		if (!th)
			return BPF_DROP;
		if (th->doff < 5)
			return BPF_DROP;
		keys->sport = th->source;
		keys->dport = th->dest;
		return BPF_OK;
	case IPPROTO_UDP:
		uh = header(skb, keys->thoff, sizeof(*uh), &ubuf);
		if (!uh)
			return BPF_DROP;
		keys->sport = uh->source;
		keys->dport = uh->dest;
		return BPF_OK;
	}
	return BPF_OK;
}

static __always_inline int ipv4(struct __sk_buff *skb, struct bpf_flow_keys *keys)
{
	struct iphdr buf, *ip;

	ip = header(skb, keys->nhoff, sizeof(*ip), &buf);
	if (!ip)
		return BPF_DROP;
	if (ip->ihl < 5)
		return BPF_DROP;
	keys->addr_proto = ETH_P_IP;
	keys->ipv4_src = ip->saddr;
	keys->ipv4_dst = ip->daddr;
	keys->ip_proto = ip->protocol;
	keys->thoff = keys->nhoff + ip->ihl * 4;
	if (ip->frag_off & bswap16(IP_MF | IP_OFFSET)) {
		keys->is_frag = 1;
		if (ip->frag_off & bswap16(IP_OFFSET))
			return BPF_OK;
		keys->is_first_frag = 1;
		if (!(keys->flags & BPF_FLOW_DISSECTOR_F_PARSE_1ST_FRAG))
			return BPF_OK;
	}
	count(CNT_V4);
	return ports(skb, keys);
}

static __always_inline int ipv6(struct __sk_buff *skb, struct bpf_flow_keys *keys)
{
	struct ipv6hdr buf, *ip6;

	ip6 = header(skb, keys->nhoff, sizeof(*ip6), &buf);
	if (!ip6)
		return BPF_DROP;
	keys->addr_proto = ETH_P_IPV6;
	__builtin_memcpy(keys->ipv6_src, &ip6->saddr, 16);
	__builtin_memcpy(keys->ipv6_dst, &ip6->daddr, 16);
	keys->ip_proto = ip6->nexthdr;
	keys->thoff = keys->nhoff + sizeof(*ip6);
	keys->flow_label = *(__be32 *)ip6 & __builtin_bswap32(0x000fffff);
	count(CNT_V6);
	return ports(skb, keys);
}

/* The whole dissector: VLAN tags, then IPv4 or IPv6 and the ports. */
SEC("flow_dissector")
int dissect(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	__be16 proto = keys->n_proto;
	struct vlan_hdr vbuf, *vh;

	if (proto == bswap16(ETH_P_8021Q) || proto == bswap16(ETH_P_8021AD)) {
		vh = header(skb, keys->nhoff, sizeof(*vh), &vbuf);
		if (!vh)
			return BPF_DROP;
		proto = vh->proto;
		keys->nhoff += sizeof(*vh);
		keys->thoff += sizeof(*vh);
		if (proto == bswap16(ETH_P_8021Q)) {
			vh = header(skb, keys->nhoff, sizeof(*vh), &vbuf);
			if (!vh)
				return BPF_DROP;
			proto = vh->proto;
			keys->nhoff += sizeof(*vh);
			keys->thoff += sizeof(*vh);
		}
		keys->n_proto = proto;
	}
	switch (proto) {
	case bswap16(ETH_P_IP):
		return ipv4(skb, keys);
	case bswap16(ETH_P_IPV6):
		return ipv6(skb, keys);
	}
	count(CNT_OTHER);
	return BPF_DROP;
}

/* IPv4 only, by direct packet access alone. */
SEC("flow_dissector")
int dissect_v4_direct(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip;
	struct udphdr *uh;
	u16 nhoff = keys->nhoff;

	if (keys->n_proto != bswap16(ETH_P_IP))
		return BPF_FLOW_DISSECTOR_CONTINUE;
	if (nhoff > 64)
		return BPF_DROP;
	ip = data + nhoff;
	if ((void *)(ip + 1) > data_end) {
		count(CNT_SHORT);
		return BPF_DROP;
	}
	keys->ipv4_src = ip->saddr;
	keys->ipv4_dst = ip->daddr;
	keys->ip_proto = ip->protocol;
	keys->addr_proto = ETH_P_IP;
	keys->thoff = nhoff + sizeof(*ip);
	if (ip->ihl != 5 || (ip->protocol != IPPROTO_UDP && ip->protocol != IPPROTO_TCP))
		return BPF_OK;
	uh = (void *)(ip + 1);
	if ((void *)(uh + 1) > data_end)
		return BPF_DROP;
	keys->sport = uh->source;
	keys->dport = uh->dest;
	return BPF_OK;
}

/* Every header by bpf_skb_load_bytes. */
SEC("flow_dissector")
int dissect_copy(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	struct ipv6hdr ip6;
	__be16 pp[2];

	if (keys->n_proto != bswap16(ETH_P_IPV6))
		return BPF_FLOW_DISSECTOR_CONTINUE;
	if (bpf_skb_load_bytes(skb, keys->nhoff, &ip6, sizeof(ip6)))
		return BPF_DROP;
	keys->addr_proto = ETH_P_IPV6;
	keys->ip_proto = ip6.nexthdr;
	keys->thoff = keys->nhoff + sizeof(ip6);
	__builtin_memcpy(keys->ipv6_src, &ip6.saddr, sizeof(ip6.saddr));
	__builtin_memcpy(keys->ipv6_dst, &ip6.daddr, sizeof(ip6.daddr));
	if (ip6.nexthdr != IPPROTO_TCP && ip6.nexthdr != IPPROTO_UDP)
		return BPF_OK;
	if (bpf_skb_load_bytes(skb, keys->thoff, pp, sizeof(pp)))
		return BPF_DROP;
	keys->sport = pp[0];
	keys->dport = pp[1];
	return BPF_OK;
}

/* The flow dissector may not write the packet. */
SEC("flow_dissector")
int write_packet_bad(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;

	if ((void *)(ip + 1) > data_end)
		return BPF_DROP;
	ip->ttl = 64;
	return BPF_OK;
}

/* Nor call bpf_skb_store_bytes. */
SEC("flow_dissector")
int store_bytes_bad(struct __sk_buff *skb)
{
	u8 ttl = 64;

	bpf_skb_store_bytes(skb, 8, &ttl, 1, 0);
	return BPF_OK;
}

/* Of __sk_buff only data, data_end and flow_keys are readable. */
SEC("flow_dissector")
int read_mark_bad(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;

	keys->flags = skb->mark;
	return BPF_OK;
}

/* A header read without its bounds check. */
SEC("flow_dissector")
int unchecked_bad(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	struct iphdr *ip = (void *)(long)skb->data;

	keys->ip_proto = ip->protocol;
	return BPF_OK;
}

/* A variable index into the flow keys: only constants move the pointer. */
SEC("flow_dissector")
int keys_index_bad(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	u32 i = keys->ip_proto & 3;

	keys->ipv6_src[i] = 0;
	return BPF_OK;
}

/* A write past the end of struct bpf_flow_keys. */
SEC("flow_dissector")
int keys_past_end_bad(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;

	*(u32 *)(&keys->flow_label + 1) = 0;
	return BPF_OK;
}
