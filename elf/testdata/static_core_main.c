// SPDX-License-Identifier: GPL-2.0
/* The program and the strong frame_len() that overrides
 * static_core_lib.c's __weak one (see there). */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))
#define __noinline __attribute__((noinline))

__noinline int frame_len(struct xdp_md *ctx)
{
	return ctx->data_end >= ctx->data ? XDP_TX : XDP_ABORTED;
}

SEC("xdp")
int xdp_core_main(struct xdp_md *ctx)
{
	return frame_len(ctx);
}

char _license[] SEC("license") = "GPL";
