// SPDX-License-Identifier: GPL-2.0
/* pinning.c declares maps the way cilium's datapath does: one with a
 * pinning value no loader but cilium's knows (16, its "replace" pinning),
 * one with LIBBPF_PIN_BY_NAME, and a maglev-shaped hash of maps with key
 * and value BTF (__u16 key, __u32 value, an array of __u32 inside).
 * Program "use_maps" references all three. Built by the Makefile next to
 * it. */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 16);
	__uint(pinning, 16);
} replaced SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
	__uint(pinning, 1);
} by_name SEC(".maps");

struct maglev_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 1);
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__type(key, __u16);
	__type(value, __u32);
	__uint(max_entries, 8);
	__array(values, struct maglev_inner);
} maglev_outer SEC(".maps");

SEC("xdp")
int use_maps(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u16 svc = 0;
	__u64 *v = bpf_map_lookup_elem(&replaced, &k);
	__u64 *w = bpf_map_lookup_elem(&by_name, &k);
	void *inner = bpf_map_lookup_elem(&maglev_outer, &svc);

	if (v && w)
		*v += *w;
	if (inner) {
		__u32 *backend = bpf_map_lookup_elem(inner, &k);
		if (backend)
			return *backend & 1 ? XDP_PASS : XDP_DROP;
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
