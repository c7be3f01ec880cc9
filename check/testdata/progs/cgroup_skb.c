// SPDX-License-Identifier: GPL-2.0
/* Realistic cgroup_skb programs (per-cgroup accounting and filtering) for
 * the checker's comparison with the kernel. Programs named *_bad are ones
 * the kernel rejects, with the mistake people make. */
#include "defs.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>

char LICENSE[] SEC("license") = "GPL";

static long (*bpf_skb_load_bytes)(const void *skb, u32 offset, void *to, u32 len) = (void *)26;
static u64 (*bpf_get_socket_cookie)(void *ctx) = (void *)46;
static u32 (*bpf_get_socket_uid)(void *skb) = (void *)47;
static long (*bpf_skb_load_bytes_relative)(const void *skb, u32 offset, void *to, u32 len, u32 start_header) = (void *)68;

#define htons(x) __builtin_bswap16(x)

struct stats {
	u64 packets;
	u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, u32);
	__type(value, struct stats);
} by_proto SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct stats);
} by_uid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u16);
	__type(value, u8);
} blocked_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} drops SEC(".maps");

/* Bytes and packets per IP protocol, from the packet data (cgroup_skb
 * packets start at the network header). */
SEC("cgroup_skb/ingress")
int skb_count_proto(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;
	if ((void *)(ip + 1) > data_end)
		return 1;
	u32 proto = ip->protocol;
	struct stats *s = bpf_map_lookup_elem(&by_proto, &proto);
	if (s) {
		__sync_fetch_and_add(&s->packets, 1);
		__sync_fetch_and_add(&s->bytes, skb->len);
	}
	return 1;
}

/* Traffic per socket owner, creating the entry when missing. */
SEC("cgroup_skb/egress")
int skb_count_uid(struct __sk_buff *skb)
{
	u32 uid = bpf_get_socket_uid(skb);
	struct stats *s = bpf_map_lookup_elem(&by_uid, &uid);
	if (!s) {
		struct stats init = { 1, skb->len };
		bpf_map_update_elem(&by_uid, &uid, &init, BPF_NOEXIST);
		return 1;
	}
	__sync_fetch_and_add(&s->packets, 1);
	__sync_fetch_and_add(&s->bytes, skb->len);
	return 1;
}

/* Drops TCP and UDP traffic to blocked ports, reading the headers with
 * bpf_skb_load_bytes, and reports drops. */
SEC("cgroup_skb/ingress")
int skb_port_filter(struct __sk_buff *skb)
{
	struct iphdr ip;
	u16 port[2];
	if (skb->protocol != htons(ETH_P_IP))
		return 1;
	if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0)
		return 1;
	if (ip.protocol != IPPROTO_TCP && ip.protocol != IPPROTO_UDP)
		return 1;
	if (bpf_skb_load_bytes(skb, ip.ihl * 4, port, sizeof(port)) < 0)
		return 1;
	u16 dport = htons(port[1]);
	if (!bpf_map_lookup_elem(&blocked_ports, &dport))
		return 1;
	struct {
		u64 cookie;
		u32 addr;
		u16 port;
	} *e = bpf_ringbuf_reserve(&drops, 16, 0);
	if (e) {
		e->cookie = bpf_get_socket_cookie(skb);
		e->addr = ip.saddr;
		e->port = dport;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

/* The network header relative to the packet, and the socket's fields. */
SEC("cgroup_skb/egress")
int skb_egress_fields(struct __sk_buff *skb)
{
	u8 ttl;
	if (bpf_skb_load_bytes_relative(skb, 8, &ttl, 1, BPF_HDR_START_NET) < 0)
		return 1;
	if (skb->family == 2 && skb->remote_port == htons(53) && ttl < 2)
		return 0;
	skb->mark = skb->local_ip4 ^ skb->remote_ip4;
	skb->priority = skb->ifindex & 7;
	skb->cb[0] = skb->hash;
	return 1;
}

/* Egress congestion notification: 2 and 3 say drop/pass with CN. */
SEC("cgroup_skb/egress")
int skb_egress_cn(struct __sk_buff *skb)
{
	u32 zero = 0;
	struct stats *s = bpf_map_lookup_elem(&by_proto, &zero);
	if (!s)
		return 1;
	if (s->bytes > (1 << 20))
		return 3;
	if (s->bytes > (1 << 24))
		return 2;
	return 1;
}

/* The socket of the packet, NULL-checked. */
SEC("cgroup_skb/ingress")
int skb_has_socket(struct __sk_buff *skb)
{
	if (!skb->sk)
		return 1;
	u32 key = 1;
	struct stats *s = bpf_map_lookup_elem(&by_proto, &key);
	if (s)
		s->packets++;
	return 1;
}

/* Ingress programs may return only 0 or 1. */
SEC("cgroup_skb/ingress")
int skb_ingress_cn_bad(struct __sk_buff *skb)
{
	return skb->len > 1000 ? 3 : 1;
}

/* cgroup_skb packets are read-only. */
SEC("cgroup_skb/ingress")
int skb_write_packet_bad(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;
	if ((void *)(ip + 1) > data_end)
		return 1;
	ip->ttl = 64;
	return 1;
}

/* Forgets the bounds check. */
SEC("cgroup_skb/ingress")
int skb_unchecked_bad(struct __sk_buff *skb)
{
	struct iphdr *ip = (void *)(long)skb->data;
	return ip->protocol == IPPROTO_TCP;
}

/* tc_classid is tc's. */
SEC("cgroup_skb/egress")
int skb_classid_bad(struct __sk_buff *skb)
{
	return skb->tc_classid & 1;
}

/* Returns whatever the socket uid is. */
SEC("cgroup_skb/egress")
int skb_return_uid_bad(struct __sk_buff *skb)
{
	return bpf_get_socket_uid(skb) + 4;
}
