// SPDX-License-Identifier: GPL-2.0
/* Realistic cgroup_sock programs (socket creation policy, marks, bind
 * auditing) for the checker's comparison with the kernel. Programs named
 * *_bad are ones the kernel rejects, with the mistake people make. */
#include "defs.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define SOCK_RAW 3

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u32);
} uid_marks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 14);
} binds SEC(".maps");

/* No raw sockets in this cgroup. */
SEC("cgroup/sock_create")
int sock_no_raw(struct bpf_sock *sk)
{
	if (sk->type == SOCK_RAW)
		return 0;
	return 1;
}

/* Marks and prioritises sockets by owner, binds them to a VRF device. */
SEC("cgroup/sock_create")
int sock_mark_by_uid(struct bpf_sock *sk)
{
	u32 uid = bpf_get_current_uid_gid();
	u32 *mark = bpf_map_lookup_elem(&uid_marks, &uid);
	if (mark) {
		sk->mark = *mark;
		sk->priority = *mark >> 16;
	}
	if (sk->family == AF_INET6 && !sk->bound_dev_if)
		sk->bound_dev_if = 2;
	return 1;
}

/* Audits IPv4 binds to a ring buffer, refusing port 0 wildcard binds by
 * raw sockets. */
SEC("cgroup/post_bind4")
int sock_post_bind4(struct bpf_sock *sk)
{
	struct {
		u32 addr;
		u32 port;
		u32 pid;
	} *e = bpf_ringbuf_reserve(&binds, 12, 0);
	if (e) {
		e->addr = sk->src_ip4;
		e->port = sk->src_port;
		e->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_ringbuf_submit(e, 0);
	}
	return !(sk->type == SOCK_RAW && sk->src_port == 0);
}

/* IPv6 binds only to non-link-local addresses. */
SEC("cgroup/post_bind6")
int sock_post_bind6(struct bpf_sock *sk)
{
	return (sk->src_ip6[0] & __builtin_bswap32(0xffc00000)) != __builtin_bswap32(0xfe800000);
}

/* Releases: count per protocol and state. */
SEC("cgroup/sock_release")
int sock_release_count(struct bpf_sock *sk)
{
	u32 key = (sk->protocol << 8) | (sk->state & 0xff);
	u32 one = 1;
	bpf_map_update_elem(&uid_marks, &key, &one, BPF_ANY);
	return 1;
}

/* The source address is known only after bind. */
SEC("cgroup/sock_create")
int sock_create_src_bad(struct bpf_sock *sk)
{
	return sk->src_ip4 != 0;
}

/* post_bind hooks cannot change the mark. */
SEC("cgroup/post_bind4")
int sock_post_bind_mark_bad(struct bpf_sock *sk)
{
	sk->mark = 1;
	return 1;
}

/* Returns the family. */
SEC("cgroup/sock_create")
int sock_return_family_bad(struct bpf_sock *sk)
{
	return sk->family;
}
