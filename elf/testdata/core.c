// SPDX-License-Identifier: GPL-2.0
/* core.c carries CO-RE relocations, which purebpf does not apply yet: a
 * loader that ignored them would load programs that read the wrong
 * fields. xdp_core reads through a preserve_access_index struct (field
 * byte offsets), asks whether a field exists and how big a type is, and
 * whether an enum value exists; xdp_plain has no CO-RE record and must
 * load on its own. Built by the Makefile next to it. */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

struct xdp_md___local {
	__u32 data;
	__u32 data_end;
	__u32 data_meta;
	__u32 ingress_ifindex;
} __attribute__((preserve_access_index));

enum xdp_action___local { XDP_PASS___local = 2 };

SEC("xdp")
int xdp_core(struct xdp_md___local *ctx)
{
	__u32 n = ctx->data_end - ctx->data;
	if (__builtin_preserve_field_info(ctx->ingress_ifindex, 2 /* FIELD_EXISTS */))
		n += __builtin_preserve_type_info(*ctx, 1 /* TYPE_SIZE */);
	if (__builtin_preserve_enum_value(*(typeof(enum xdp_action___local) *)XDP_PASS___local, 0 /* ENUMVAL_EXISTS */))
		return n > 60 ? XDP_PASS : XDP_DROP;
	return XDP_ABORTED;
}

SEC("xdp")
int xdp_plain(struct xdp_md *ctx)
{
	return ctx->data_end - ctx->data > 60 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
