// SPDX-License-Identifier: GPL-2.0
/* Realistic sock_ops programs (TCP tuning, socket map population, header
 * inspection) for the checker's comparison with the kernel. Programs
 * named *_bad are ones the kernel rejects, with the mistake people make. */
#include "defs.h"
#include <linux/tcp.h>

char LICENSE[] SEC("license") = "GPL";

static long (*bpf_setsockopt)(void *ctx, int level, int optname, void *optval, int optlen) = (void *)49;
static long (*bpf_sock_map_update)(void *ctx, void *map, void *key, u64 flags) = (void *)53;
static long (*bpf_getsockopt)(void *ctx, int level, int optname, void *optval, int optlen) = (void *)57;
static long (*bpf_sock_ops_cb_flags_set)(void *ctx, int flags) = (void *)59;
static long (*bpf_sock_hash_update)(void *ctx, void *map, void *key, u64 flags) = (void *)70;
static u64 (*bpf_get_socket_cookie)(void *ctx) = (void *)46;

#define SOL_TCP 6
#define TCP_CONGESTION 13
#define SOL_SOCKET 1
#define SO_SNDBUF 7

struct sock_key {
	u32 sip4;
	u32 dip4;
	u32 sport;
	u32 dport;
};

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65535);
	__type(key, struct sock_key);
	__type(value, u32);
} sock_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u32);
} sock_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32);
	__type(key, u32);
	__type(value, u64);
} ops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u64);
	__type(value, u32);
} rtts SEC(".maps");

/* Counts the callbacks by op. */
SEC("sockops")
int sockops_count(struct bpf_sock_ops *skops)
{
	u32 op = skops->op;
	u64 *v;
	if (op >= 32)
		return 1;
	v = bpf_map_lookup_elem(&ops, &op);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 1;
}

/* TCP tuning for a data centre: small initial timeout, large windows,
 * ECN, and RTT callbacks once established. */
SEC("sockops")
int sockops_tune(struct bpf_sock_ops *skops)
{
	int rv = -1;
	switch (skops->op) {
	case BPF_SOCK_OPS_TIMEOUT_INIT:
		rv = 10;
		break;
	case BPF_SOCK_OPS_RWND_INIT:
		rv = 40;
		break;
	case BPF_SOCK_OPS_NEEDS_ECN:
		rv = 1;
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_RTT_CB_FLAG | BPF_SOCK_OPS_STATE_CB_FLAG);
		rv = 0;
		break;
	case BPF_SOCK_OPS_RTT_CB: {
		u64 cookie = bpf_get_socket_cookie(skops);
		u32 srtt = skops->srtt_us >> 3;
		bpf_map_update_elem(&rtts, &cookie, &srtt, BPF_ANY);
		rv = 0;
		break;
	}
	}
	skops->reply = rv;
	return 1;
}

/* Picks a congestion control and buffer size for local connections. */
SEC("sockops")
int sockops_setsockopt(struct bpf_sock_ops *skops)
{
	char cc[8] = "reno";
	int sndbuf = 1 << 20;
	char cur[16];
	if (skops->op != BPF_SOCK_OPS_TCP_CONNECT_CB)
		return 1;
	if (skops->family != 2 || skops->remote_ip4 != skops->local_ip4)
		return 1;
	bpf_getsockopt(skops, SOL_TCP, TCP_CONGESTION, cur, sizeof(cur));
	if (cur[0] != 'r')
		bpf_setsockopt(skops, SOL_TCP, TCP_CONGESTION, cc, sizeof(cc));
	bpf_setsockopt(skops, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	return 1;
}

/* Puts established IPv4 connections in a socket hash (for sk_msg
 * redirection between local sockets). */
SEC("sockops")
int sockops_sockhash(struct bpf_sock_ops *skops)
{
	struct sock_key key = {};
	switch (skops->op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		if (skops->family != 2)
			break;
		key.sip4 = skops->local_ip4;
		key.dip4 = skops->remote_ip4;
		key.sport = skops->local_port;
		key.dport = __builtin_bswap32(skops->remote_port);
		bpf_sock_hash_update(skops, &sock_hash, &key, BPF_NOEXIST);
		break;
	}
	return 1;
}

/* The same in a socket array, by local port. */
SEC("sockops")
int sockops_sockmap(struct bpf_sock_ops *skops)
{
	u32 slot = skops->local_port & 63;
	if (skops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		bpf_sock_map_update(skops, &sock_map, &slot, BPF_ANY);
	return 1;
}

/* Looks at the TCP header of the segment being handled. */
SEC("sockops")
int sockops_header(struct bpf_sock_ops *skops)
{
	if (skops->op != BPF_SOCK_OPS_PARSE_HDR_OPT_CB) {
		if (skops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
			bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_PARSE_ALL_HDR_OPT_CB_FLAG);
		return 1;
	}
	struct tcphdr *th = skops->skb_data;
	if ((void *)(th + 1) > skops->skb_data_end)
		return 1;
	u32 key = th->doff & 31;
	u64 *v = bpf_map_lookup_elem(&ops, &key);
	if (v)
		*v += skops->skb_len + (skops->skb_tcp_flags & 0xff);
	return 1;
}

/* The counters are u64. */
SEC("sockops")
int sockops_bytes(struct bpf_sock_ops *skops)
{
	u32 key = 0;
	u64 *v = bpf_map_lookup_elem(&ops, &key);
	if (v)
		*v = skops->bytes_received + skops->bytes_acked + skops->total_retrans;
	return 1;
}

/* Only reply and sk_txhash may be written. */
SEC("sockops")
int sockops_write_port_bad(struct bpf_sock_ops *skops)
{
	skops->remote_port = 0;
	return 1;
}

/* sock_ops programs return 0 or 1. */
SEC("sockops")
int sockops_return_bad(struct bpf_sock_ops *skops)
{
	return skops->op;
}

/* The segment is read-only. */
SEC("sockops")
int sockops_write_header_bad(struct bpf_sock_ops *skops)
{
	struct tcphdr *th = skops->skb_data;
	if ((void *)(th + 1) > skops->skb_data_end)
		return 1;
	th->window = 0;
	return 1;
}

/* getsockopt into a buffer smaller than the length given. */
SEC("sockops")
int sockops_getsockopt_bad(struct bpf_sock_ops *skops)
{
	char cc[8];
	bpf_getsockopt(skops, SOL_TCP, TCP_CONGESTION, cc, 16);
	return cc[0] == 'c';
}

/* A socket map takes the ctx's socket through its own helper. */
SEC("sockops")
int sockops_wrong_map_bad(struct bpf_sock_ops *skops)
{
	u32 slot = 0;
	bpf_sock_map_update(skops, &sock_hash, &slot, BPF_ANY);
	return 1;
}
