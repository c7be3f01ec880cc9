// SPDX-License-Identifier: GPL-2.0
/* undefined_fn.c: program "calls_missing" calls memset_like, a function
 * declared but defined nowhere (as falco's programs call memset when
 * clang does not inline it); program "self_contained" does not. The object
 * must parse and "self_contained" load; only "calls_missing" fails, at
 * load, naming the symbol. Built by the Makefile next to it. */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

extern void *memset_like(void *s, int c, unsigned long n);

SEC("xdp")
int calls_missing(struct xdp_md *ctx)
{
	char buf[8];

	memset_like(buf, 0, sizeof(buf));
	return buf[0] ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int self_contained(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
