// SPDX-License-Identifier: GPL-2.0
/* static_a.c and static_b.c are linked into one object by
 * `bpftool gen object` (libbpf's static linker), as the Makefile does.
 * static_a.c defines pick() __weak; static_b.c defines it again, strong.
 * The linker resolves every call of pick() to static_b's definition but
 * leaves the instructions of the weak one in .text without a symbol: a
 * loader must not take them for a program, nor apply their relocations.
 * The weak pick() would count in hits[0] and make xdp_a return XDP_DROP;
 * the strong one returns XDP_TX and touches no map. */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))
#define __weak __attribute__((weak))
#define __noinline __attribute__((noinline))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} hits SEC(".maps");

/* Called only by the weak pick(): dead once it is overridden. */
static __noinline int bump(void)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&hits, &key);

	if (v)
		*v += 1;
	return 0;
}

/* Global, and also called only by the weak pick(): once that is
 * overridden, nothing that is loaded calls it, yet it is a subprogram of
 * the library, not an entry point. */
__noinline int twice(int v)
{
	return v * 2;
}

__weak __noinline int pick(int base)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&hits, &key);

	if (v)
		*v += 100;
	return twice(base) + XDP_DROP + bump();
}

/* A function of .text after the weak one, called by the program. */
static __noinline int keep(int verdict, struct xdp_md *ctx)
{
	return ctx->data_end >= ctx->data ? verdict : XDP_ABORTED;
}

SEC("xdp")
int xdp_a(struct xdp_md *ctx)
{
	return keep(pick(0), ctx);
}

char _license[] SEC("license") = "GPL";
