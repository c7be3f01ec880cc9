// SPDX-License-Identifier: GPL-2.0
/* Drop World: the tutorial's first XDP program. It has no SEC() and no
 * license, as in the tutorial, so clang puts it in .text and it is loaded
 * with "ip link set dev DEV xdp obj dropworld.o sec .text". Built with
 * -DPASS it is the tutorial's exercise: every packet passes. */
#include <linux/bpf.h>

int dropworld(struct xdp_md *ctx)
{
#ifdef PASS
	return XDP_PASS;
#else
	return XDP_DROP;
#endif
}
