// SPDX-License-Identifier: GPL-2.0
/* hidden.c calls a global function with hidden visibility (__hidden, as
 * libbpf's headers spell it; usdt.bpf.h's bpf_usdt_arg is one) that
 * writes through its pointer argument without a NULL check. The verifier
 * accepts that only if it checks the function in the context of its call
 * (static linkage in BTF), as libbpf arranges for hidden functions; as a
 * global function, checked on its own, the pointer may be NULL and the
 * store is refused. The XDP program returns what the function stored:
 * XDP_PASS. Built by the Makefile next to it. */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))
#define __hidden __attribute__((visibility("hidden")))

__hidden __attribute__((noinline)) int store_verdict(struct xdp_md *ctx, long *res)
{
	*res = ctx->data_end > ctx->data ? XDP_PASS : XDP_DROP;
	return 0;
}

SEC("xdp")
int hidden_caller(struct xdp_md *ctx)
{
	long verdict = XDP_ABORTED;

	if (store_verdict(ctx, &verdict))
		return XDP_ABORTED;
	return verdict;
}

char _license[] SEC("license") = "GPL";
