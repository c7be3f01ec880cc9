// SPDX-License-Identifier: GPL-2.0
/* iter.c: a BPF iterator over the kernel's maps (section "iter/bpf_map",
 * attach target bpf_iter_bpf_map in vmlinux BTF) that counts the maps it
 * sees and writes one byte per map to the iterator's output. Built by the
 * Makefile next to it. */
#include "externs.h"

struct seq_file;
struct bpf_map;

/* The kernel's iterator context (stable layout since 5.8). */
struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
};

struct bpf_iter__bpf_map {
	struct bpf_iter_meta *meta;
	struct bpf_map *map;
};

static long (*bpf_seq_write)(struct seq_file *m, const void *data, __u32 len) = (void *)BPF_FUNC_seq_write;

__u64 maps_seen;

SEC("iter/bpf_map")
int dump_bpf_map(struct bpf_iter__bpf_map *ctx)
{
	char mark = 'm';

	if (!ctx->map)
		return 0;
	__sync_fetch_and_add(&maps_seen, 1);
	bpf_seq_write(ctx->meta->seq, &mark, 1);
	return 0;
}

char _license[] SEC("license") = "GPL";
