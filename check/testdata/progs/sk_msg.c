// SPDX-License-Identifier: GPL-2.0
/* Realistic sk_msg programs (socket-to-socket redirection of local
 * traffic, message policy) for the checker's comparison with the kernel.
 * Programs named *_bad are ones the kernel rejects, with the mistake
 * people make. */
#include "defs.h"

char LICENSE[] SEC("license") = "GPL";

static long (*bpf_msg_redirect_map)(void *msg, void *map, u32 key, u64 flags) = (void *)60;
static long (*bpf_msg_apply_bytes)(void *msg, u32 bytes) = (void *)61;
static long (*bpf_msg_cork_bytes)(void *msg, u32 bytes) = (void *)62;
static long (*bpf_msg_pull_data)(void *msg, u32 start, u32 end, u64 flags) = (void *)63;
static long (*bpf_msg_redirect_hash)(void *msg, void *map, void *key, u64 flags) = (void *)71;

#define SK_DROP 0
#define SK_PASS 1

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

/* Local connections skip the TCP/IP stack: redirect to the peer socket
 * (the sockops program filled sock_hash). */
SEC("sk_msg")
int msg_redirect_peer(struct sk_msg_md *msg)
{
	struct sock_key key = {
		.sip4 = msg->remote_ip4,
		.dip4 = msg->local_ip4,
		.sport = __builtin_bswap32(msg->remote_port),
		.dport = msg->local_port,
	};
	if (msg->family != 2)
		return SK_PASS;
	return bpf_msg_redirect_hash(msg, &sock_hash, &key, BPF_F_INGRESS);
}

/* A policy on the first bytes of each message: drop "DROP", send the
 * others to a fixed socket, 64 bytes at a time. */
SEC("sk_msg")
int msg_policy(struct sk_msg_md *msg)
{
	if (bpf_msg_pull_data(msg, 0, 4, 0) < 0)
		return SK_PASS;
	void *data = msg->data;
	void *data_end = msg->data_end;
	if (data + 4 > data_end)
		return SK_PASS;
	if (*(u32 *)data == 0x504f5244)
		return SK_DROP;
	bpf_msg_apply_bytes(msg, 64);
	bpf_msg_cork_bytes(msg, msg->size < 64 ? 64 - msg->size : 0);
	return bpf_msg_redirect_map(msg, &sock_map, 0, 0);
}

/* The message is read through a pointer from before the pull. */
SEC("sk_msg")
int msg_stale_bad(struct sk_msg_md *msg)
{
	void *data = msg->data;
	void *data_end = msg->data_end;
	if (data + 4 > data_end)
		return SK_PASS;
	bpf_msg_pull_data(msg, 0, 8, 0);
	return *(u8 *)data ? SK_PASS : SK_DROP;
}

/* sk_msg_md is read-only. */
SEC("sk_msg")
int msg_write_bad(struct sk_msg_md *msg)
{
	msg->size = 0;
	return SK_PASS;
}
