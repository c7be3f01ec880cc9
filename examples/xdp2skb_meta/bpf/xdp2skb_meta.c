// SPDX-License-Identifier: GPL-2.0
/* xdp2skb_meta: XDP (SEC("xdp_mark")) stores a mark in the packet's
 * metadata area; tc ingress (SEC("tc_mark")) copies it into skb->mark (41
 * when there is no metadata) and logs it with bpf_trace_printk, as the
 * tutorial's modified samples/bpf/xdp2skb_meta_kern.c does.
 *
 * bpf_trace_printk is GPL-only: built with -DNON_GPL the license is
 * "Proprietary" and the kernel rejects tc_mark, the tutorial's verifier
 * error. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#define SEC(name) __attribute__((section(name), used))

static long (*bpf_xdp_adjust_meta)(struct xdp_md *xdp_md, int delta) = (void *)BPF_FUNC_xdp_adjust_meta;
static long (*bpf_trace_printk)(const char *fmt, __u32 fmt_size, ...) = (void *)BPF_FUNC_trace_printk;

#define bpf_custom_printk(fmt, ...)                                    \
	({                                                              \
		char ____fmt[] = fmt;                                   \
		bpf_trace_printk(____fmt, sizeof(____fmt), ##__VA_ARGS__); \
	})

struct meta_info {
	__u32 mark;
} __attribute__((aligned(4)));

SEC("xdp_mark")
int _xdp_mark(struct xdp_md *ctx)
{
	struct meta_info *meta;
	void *data;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)) < 0)
		return XDP_ABORTED;
	data = (void *)(unsigned long)ctx->data;
	meta = (void *)(unsigned long)ctx->data_meta;
	if ((void *)(meta + 1) > data)
		return XDP_ABORTED;
	meta->mark = 42;
	return XDP_PASS;
}

SEC("tc_mark")
int _tc_mark(struct __sk_buff *ctx)
{
	void *data = (void *)(unsigned long)ctx->data;
	void *data_meta = (void *)(unsigned long)ctx->data_meta;
	struct meta_info *meta = data_meta;

	if ((void *)(meta + 1) > data) {
		ctx->mark = 41;
		return TC_ACT_OK;
	}
	ctx->mark = meta->mark;
	bpf_custom_printk("[TC] metadata = %d\n", meta->mark);
	return TC_ACT_OK;
}

#ifdef NON_GPL
char _license[] SEC("license") = "Proprietary";
#else
char _license[] SEC("license") = "GPL";
#endif
