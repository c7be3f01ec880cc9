// SPDX-License-Identifier: GPL-2.0
/* A library object whose __weak frame_len() reads the XDP context
 * through a CO-RE relocation (struct xdp_md___lib, preserve_access_index).
 * static_core_main.c overrides it with a strong frame_len() without
 * CO-RE; `bpftool gen object` links the two (see the Makefile). The weak
 * function's instructions stay in .text without a symbol, and its CO-RE
 * record stays in .BTF.ext: a loader drops both. */
#include <linux/bpf.h>

#define __weak __attribute__((weak))
#define __noinline __attribute__((noinline))

struct xdp_md___lib {
	__u32 data;
	__u32 data_end;
} __attribute__((preserve_access_index));

__weak __noinline int frame_len(struct xdp_md *ctx)
{
	struct xdp_md___lib *c = (void *)ctx;

	return c->data_end - c->data;
}
