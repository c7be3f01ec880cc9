// SPDX-License-Identifier: GPL-2.0
/* cgroup_sock.c has two socket-creation programs in the numbered sections
 * of the kernel's samples/bpf/sock_flags_kern.c, "cgroup/sock1" and
 * "cgroup/sock2": libbpf 0.x typed them by the prefix "cgroup/sock"
 * (cgroup_sock, BPF_CGROUP_INET_SOCK_CREATE), libbpf 1.x knows only the
 * exact "cgroup/sock". sock1 refuses raw IPv6 sockets; sock2 writes the
 * socket's mark, which the verifier allows only to socket creation and
 * release programs. Built by the Makefile next to it. */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

#define AF_INET6 10
#define SOCK_RAW 3

SEC("cgroup/sock1")
int refuse_raw6(struct bpf_sock *sk)
{
	if (sk->family == AF_INET6 && sk->type == SOCK_RAW)
		return 0;
	return 1;
}

SEC("cgroup/sock2")
int mark_socket(struct bpf_sock *sk)
{
	sk->mark = 123;
	return 1;
}

char _license[] SEC("license") = "GPL";
