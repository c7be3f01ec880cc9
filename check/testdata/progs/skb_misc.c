// SPDX-License-Identifier: GPL-2.0
/* Realistic sk_skb (sockmap stream parser and verdict) and lwt programs
 * for the checker's comparison with the kernel. Programs named *_bad are
 * ones the kernel rejects, with the mistake people make. */
#include "defs.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>

char LICENSE[] SEC("license") = "GPL";

static long (*bpf_skb_load_bytes)(const void *skb, u32 offset, void *to, u32 len) = (void *)26;
static long (*bpf_skb_pull_data)(void *skb, u32 len) = (void *)39;
static long (*bpf_sk_redirect_map)(void *skb, void *map, u32 key, u64 flags) = (void *)52;
static long (*bpf_sk_redirect_hash)(void *skb, void *map, void *key, u64 flags) = (void *)72;
static long (*bpf_lwt_push_encap)(void *skb, u32 type, void *hdr, u32 len) = (void *)73;
static u32 (*bpf_get_socket_uid)(void *skb) = (void *)47;

#define SK_DROP 0
#define SK_PASS 1
#define BPF_OK 0
#define BPF_DROP 2

struct sock_key {
	u32 sip4;
	u32 dip4;
	u32 sport;
	u32 dport;
};

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u32);
} sock_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 1024);
	__type(key, struct sock_key);
	__type(value, u32);
} sock_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} counters SEC(".maps");

static __always_inline void bump(u32 key)
{
	u64 *v = bpf_map_lookup_elem(&counters, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
}

/* A stream parser that frames messages by a 4-byte length prefix. */
SEC("sk_skb/stream_parser")
int skb_parser(struct __sk_buff *skb)
{
	u32 len;
	if (bpf_skb_load_bytes(skb, 0, &len, sizeof(len)) < 0)
		return skb->len;
	return __builtin_bswap32(len) + 4;
}

/* The plain parser: the whole skb is one message. */
SEC("sk_skb/stream_parser")
int skb_parser_len(struct __sk_buff *skb)
{
	return skb->len;
}

/* Redirects each message to the socket named by its first byte. */
SEC("sk_skb/stream_verdict")
int skb_verdict_map(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	if (data + 1 > data_end) {
		if (bpf_skb_pull_data(skb, 1) < 0)
			return SK_DROP;
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
		if (data + 1 > data_end)
			return SK_DROP;
	}
	u32 idx = *(u8 *)data & 63;
	bump(1);
	return bpf_sk_redirect_map(skb, &sock_map, idx, 0);
}

/* Redirects to the peer socket of a local connection (the other end of
 * the 4-tuple), rewriting a marker byte in the payload. */
SEC("sk_skb/stream_verdict")
int skb_verdict_hash(struct __sk_buff *skb)
{
	struct sock_key key = {
		.sip4 = skb->remote_ip4,
		.dip4 = skb->local_ip4,
		.sport = __builtin_bswap32(skb->remote_port),
		.dport = skb->local_port,
	};
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	if (data + 2 <= data_end && *(u8 *)data == '#')
		*(u8 *)(data + 1) = '!';
	skb->priority = bpf_get_socket_uid(skb) & 7;
	return bpf_sk_redirect_hash(skb, &sock_hash, &key, 0);
}

/* The mark is not an sk_skb field. */
SEC("sk_skb/stream_verdict")
int skb_verdict_mark_bad(struct __sk_buff *skb)
{
	return skb->mark ? SK_PASS : SK_DROP;
}

/* Redirects through a hash with an index instead of a key pointer. */
SEC("sk_skb/stream_verdict")
int skb_verdict_hash_key_bad(struct __sk_buff *skb)
{
	return bpf_sk_redirect_map(skb, &sock_hash, 0, 0);
}

/* lwt_in: drops packets for one protocol, counting them. */
SEC("lwt_in")
int lwt_in_filter(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;
	if ((void *)(ip + 1) > data_end)
		return BPF_OK;
	if (ip->protocol == IPPROTO_ICMP) {
		bump(2);
		return BPF_DROP;
	}
	return BPF_OK;
}

/* lwt_out: accounting by cgroup-less mark and cb scratch. */
SEC("lwt_out")
int lwt_out_mark(struct __sk_buff *skb)
{
	skb->cb[0] = skb->len;
	skb->mark = skb->hash & 0xff;
	bump(skb->mark & 15);
	return BPF_OK;
}

/* lwt_in packets are read-only. */
SEC("lwt_in")
int lwt_in_rewrite_bad(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;
	if ((void *)(ip + 1) > data_end)
		return BPF_OK;
	ip->tos = 0;
	return BPF_OK;
}

/* lwt_xmit: IP-in-IP encapsulation toward a fixed endpoint. */
SEC("lwt_xmit")
int lwt_xmit_encap(struct __sk_buff *skb)
{
	struct iphdr hdr = {};
	hdr.version = 4;
	hdr.ihl = 5;
	hdr.ttl = 64;
	hdr.protocol = IPPROTO_IPIP;
	hdr.tot_len = __builtin_bswap16(skb->len + sizeof(hdr));
	hdr.daddr = 0x0100000a;
	if (bpf_lwt_push_encap(skb, BPF_LWT_ENCAP_IP, &hdr, sizeof(hdr)) < 0)
		return BPF_DROP;
	return BPF_OK;
}

/* lwt_xmit may rewrite the packet. */
SEC("lwt_xmit")
int lwt_xmit_ttl(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;
	if ((void *)(ip + 1) > data_end)
		return BPF_OK;
	if (ip->ttl > 1)
		ip->ttl--;
	return BPF_OK;
}

/* The encapsulation header read beyond the buffer. */
SEC("lwt_xmit")
int lwt_xmit_encap_size_bad(struct __sk_buff *skb)
{
	struct iphdr hdr = {};
	hdr.version = 4;
	return bpf_lwt_push_encap(skb, BPF_LWT_ENCAP_IP, &hdr, sizeof(hdr) + 8) ? BPF_DROP : BPF_OK;
}

/* lwt programs see no socket fields. */
SEC("lwt_out")
int lwt_out_port_bad(struct __sk_buff *skb)
{
	return skb->local_port == 80 ? BPF_DROP : BPF_OK;
}
