// SPDX-License-Identifier: GPL-2.0
/* bpf_map_update_elem and bpf_map_delete_elem on socket maps, for the
 * checker's comparison with the kernel: the value a program stores is a
 * socket (the kernel turns the value argument of a sockmap or sockhash
 * update into a socket pointer), and only some program types may update
 * (tc, XDP, socket filters, flow dissectors; sock_ops programs may only
 * delete). Programs named *_bad are ones the kernel rejects. */
#include "defs.h"

#define SK_PASS 1

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} sock_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 64);
	__type(key, u64);
	__type(value, u64);
} sock_hash SEC(".maps");

/* tc: the packet's socket into the socket map, by its flow hash. */
SEC("tc")
int tc_store_socket(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	u32 slot = skb->hash & 63;

	if (!sk)
		return 0;
	bpf_map_update_elem(&sock_map, &slot, sk, BPF_ANY);
	return 0;
}

/* tc: the same into a socket hash keyed by device and flow hash. */
SEC("tc")
int tc_store_socket_hash(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	u64 key = (u64)skb->ifindex << 32 | skb->hash;

	if (!sk)
		return 0;
	if (bpf_map_update_elem(&sock_hash, &key, sk, BPF_NOEXIST))
		return 1;
	return 0;
}

/* tc: forgetting a socket. */
SEC("tc")
int tc_forget_socket(struct __sk_buff *skb)
{
	u32 slot = skb->hash & 63;

	bpf_map_delete_elem(&sock_map, &slot);
	return 0;
}

/* sock_ops: deleting is allowed (adding goes by bpf_sock_map_update). */
SEC("sockops")
int sockops_forget(struct bpf_sock_ops *skops)
{
	u32 slot = skops->local_port & 63;

	if (skops->op == BPF_SOCK_OPS_STATE_CB)
		bpf_map_delete_elem(&sock_map, &slot);
	return 1;
}

/* A socket file descriptor is not a socket: the value must be one. */
SEC("tc")
int tc_store_fd_bad(struct __sk_buff *skb)
{
	u32 slot = 0;
	u64 fd = skb->mark;

	bpf_map_update_elem(&sock_map, &slot, &fd, BPF_ANY);
	return 0;
}

/* The socket may be NULL. */
SEC("tc")
int tc_store_unchecked_bad(struct __sk_buff *skb)
{
	u32 slot = 0;

	bpf_map_update_elem(&sock_map, &slot, skb->sk, BPF_ANY);
	return 0;
}

/* sk_skb programs may not update socket maps. */
SEC("sk_skb/stream_verdict")
int sk_skb_update_bad(struct __sk_buff *skb)
{
	u32 slot = 0;
	struct bpf_sock *sk = skb->sk;

	if (!sk)
		return SK_PASS;
	bpf_map_update_elem(&sock_map, &slot, sk, BPF_ANY);
	return SK_PASS;
}

/* XDP programs may delete (the key is what the kernel reads). */
SEC("xdp")
int xdp_forget(struct xdp_md *ctx)
{
	u64 key = ctx->rx_queue_index;

	bpf_map_delete_elem(&sock_hash, &key);
	return XDP_PASS;
}
