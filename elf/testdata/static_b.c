// SPDX-License-Identifier: GPL-2.0
/* The strong pick() that overrides static_a.c's __weak one when both are
 * linked by `bpftool gen object` (see static_a.c). */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))
#define __noinline __attribute__((noinline))

__noinline int pick(int base)
{
	return base + XDP_TX;
}

SEC("xdp")
int xdp_b(struct xdp_md *ctx)
{
	return pick(0);
}
