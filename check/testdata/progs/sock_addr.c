// SPDX-License-Identifier: GPL-2.0
/* Realistic cgroup_sock_addr programs (socket-level service load
 * balancing as Cilium and Calico do it, bind policy) for the checker's
 * comparison with the kernel. Programs named *_bad are ones the kernel
 * rejects, with the mistake people make. */
#include "defs.h"

char LICENSE[] SEC("license") = "GPL";

static u64 (*bpf_get_socket_cookie)(void *ctx) = (void *)46;

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

struct svc_key {
	u32 addr;
	u16 port;
	u16 proto;
};

struct backend {
	u32 addr;
	u16 port;
	u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct svc_key);
	__type(value, struct backend);
} services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, u64);
	__type(value, struct svc_key);
} rev_nat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, u64);
} counters SEC(".maps");

static __always_inline void bump(u32 key)
{
	u64 *v = bpf_map_lookup_elem(&counters, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
}

/* connect(): a service address becomes a backend's, remembered per socket
 * for getpeername. */
SEC("cgroup/connect4")
int sock4_connect(struct bpf_sock_addr *ctx)
{
	struct svc_key key = {
		.addr = ctx->user_ip4,
		.port = ctx->user_port,
		.proto = ctx->protocol,
	};
	struct backend *be = bpf_map_lookup_elem(&services, &key);
	if (!be)
		return 1;
	u64 cookie = bpf_get_socket_cookie(ctx);
	bpf_map_update_elem(&rev_nat, &cookie, &key, BPF_ANY);
	ctx->user_ip4 = be->addr;
	ctx->user_port = be->port;
	bump(0);
	return 1;
}

/* sendmsg() on unconnected UDP sockets: the same translation. */
SEC("cgroup/sendmsg4")
int sock4_sendmsg(struct bpf_sock_addr *ctx)
{
	if (ctx->type != 2 /* SOCK_DGRAM */)
		return 1;
	struct svc_key key = { .addr = ctx->user_ip4, .port = ctx->user_port, .proto = IPPROTO_UDP };
	struct backend *be = bpf_map_lookup_elem(&services, &key);
	if (!be)
		return 1;
	u64 cookie = bpf_get_socket_cookie(ctx);
	bpf_map_update_elem(&rev_nat, &cookie, &key, BPF_ANY);
	ctx->user_ip4 = be->addr;
	ctx->user_port = be->port;
	if (ctx->msg_src_ip4 == 0)
		bump(1);
	return 1;
}

/* recvmsg(): replies look as if they came from the service. */
SEC("cgroup/recvmsg4")
int sock4_recvmsg(struct bpf_sock_addr *ctx)
{
	u64 cookie = bpf_get_socket_cookie(ctx);
	struct svc_key *key = bpf_map_lookup_elem(&rev_nat, &cookie);
	if (key) {
		ctx->user_ip4 = key->addr;
		ctx->user_port = key->port;
	}
	return 1;
}

/* getpeername(): the service address, not the backend's. */
SEC("cgroup/getpeername4")
int sock4_getpeername(struct bpf_sock_addr *ctx)
{
	u64 cookie = bpf_get_socket_cookie(ctx);
	struct svc_key *key = bpf_map_lookup_elem(&rev_nat, &cookie);
	if (key) {
		ctx->user_ip4 = key->addr;
		ctx->user_port = key->port;
	}
	return 1;
}

/* bind(): no privileged ports for this cgroup, except 80 (allowed without
 * CAP_NET_BIND_SERVICE: return 3). */
SEC("cgroup/bind4")
int sock4_bind(struct bpf_sock_addr *ctx)
{
	u16 port = __builtin_bswap16(ctx->user_port);
	if (port == 80)
		return 3;
	if (port && port < 1024)
		return 0;
	return 1;
}

/* connect() over IPv6: v4-mapped services go through the same table. */
SEC("cgroup/connect6")
int sock6_connect(struct bpf_sock_addr *ctx)
{
	if (ctx->user_ip6[0] != 0 || ctx->user_ip6[1] != 0 || ctx->user_ip6[2] != __builtin_bswap32(0xffff))
		return 1;
	struct svc_key key = { .addr = ctx->user_ip6[3], .port = ctx->user_port, .proto = IPPROTO_TCP };
	struct backend *be = bpf_map_lookup_elem(&services, &key);
	if (!be)
		return 1;
	ctx->user_ip6[3] = be->addr;
	ctx->user_port = be->port;
	return 1;
}

/* An IPv6 hook reading the IPv4 address. */
SEC("cgroup/connect6")
int sock6_connect_ip4_bad(struct bpf_sock_addr *ctx)
{
	return ctx->user_ip4 == 0x0100007f;
}

/* getpeername must return 1. */
SEC("cgroup/getpeername4")
int sock4_getpeername_deny_bad(struct bpf_sock_addr *ctx)
{
	return ctx->user_port == 0;
}

/* msg_src_ip4 exists for sendmsg only. */
SEC("cgroup/connect4")
int sock4_connect_src_bad(struct bpf_sock_addr *ctx)
{
	ctx->msg_src_ip4 = 0;
	return 1;
}

/* The protocol is read-only. */
SEC("cgroup/connect4")
int sock4_connect_proto_bad(struct bpf_sock_addr *ctx)
{
	ctx->protocol = IPPROTO_UDP;
	return 1;
}
