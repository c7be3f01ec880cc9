// SPDX-License-Identifier: GPL-2.0
/* freplace.c: "target" calls the global function verdict (XDP_PASS);
 * "new_verdict" (section "freplace/verdict") is an extension program that
 * replaces it (XDP_DROP) once loaded against "target" and attached. Built
 * by the Makefile next to it. */
#include "externs.h"

__attribute__((noinline)) int verdict(struct xdp_md *ctx)
{
	return ctx ? XDP_PASS : XDP_ABORTED;
}

SEC("xdp")
int target(struct xdp_md *ctx)
{
	return verdict(ctx);
}

SEC("freplace/verdict")
int new_verdict(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
