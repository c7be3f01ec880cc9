// SPDX-License-Identifier: GPL-2.0
/* mapshapes.c declares maps the way the XDP tutorial and libbpf users
 * write them, with BTF key and value types on map types whose kernel side
 * takes no BTF: the redirect lesson's devmap (packet03-redirecting), the
 * AF_XDP lesson's xskmap (advanced03-AF_XDP), the tcpdump lesson's perf
 * event array (tracing04-xdp-tcpdump) in both of its spellings, a ring
 * buffer declared with its record type, a cpumap, a devmap_hash, a
 * sockmap and sockhash, an array and a hash of maps, and a bloom filter whose hash
 * count is a __ulong (an enum in BTF). Built by the Makefile next to it. */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#define ___concat(a, b) a##b
#define ___bpf_concat(a, b) ___concat(a, b)
#define __ulong(name, val) enum { ___bpf_concat(__unique_value, __COUNTER__) = val } name
#define ETH_ALEN 6

static long (*bpf_redirect_map)(void *map, __u64 key, __u64 flags) = (void *)BPF_FUNC_redirect_map;
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;
static long (*bpf_perf_event_output)(void *ctx, void *map, __u64 flags, void *data, __u64 size) = (void *)BPF_FUNC_perf_event_output;
static long (*bpf_ringbuf_output)(void *ringbuf, void *data, __u64 size, __u64 flags) = (void *)BPF_FUNC_ringbuf_output;
static void *(*bpf_ringbuf_reserve)(void *ringbuf, __u64 size, __u64 flags) = (void *)BPF_FUNC_ringbuf_reserve;
static void (*bpf_ringbuf_submit)(void *data, __u64 flags) = (void *)BPF_FUNC_ringbuf_submit;
static long (*bpf_map_push_elem)(void *map, const void *value, __u64 flags) = (void *)BPF_FUNC_map_push_elem;

/* packet03-redirecting */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, int);
	__type(value, int);
	__uint(max_entries, 256);
} tx_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, unsigned char[ETH_ALEN]);
	__type(value, unsigned char[ETH_ALEN]);
	__uint(max_entries, 1);
} redirect_params SEC(".maps");

SEC("xdp")
int xdp_redirect_map(struct xdp_md *ctx)
{
	return bpf_redirect_map(&tx_port, 0, 0);
}

/* advanced03-AF_XDP */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 64);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 64);
} xdp_stats_map SEC(".maps");

SEC("xdp")
int xdp_sock_prog(struct xdp_md *ctx)
{
	int index = ctx->rx_queue_index;
	__u32 *pkt_count;

	pkt_count = bpf_map_lookup_elem(&xdp_stats_map, &index);
	if (pkt_count) {
		if ((*pkt_count)++ & 1)
			return XDP_PASS;
	}
	if (bpf_map_lookup_elem(&xsks_map, &index))
		return bpf_redirect_map(&xsks_map, index, 0);
	return XDP_PASS;
}

/* tracing04-xdp-tcpdump, with types and with sizes */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__type(key, int);
	__type(value, __u32);
	__uint(max_entries, 128);
} my_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(__u32));
} perf_sized SEC(".maps");

struct S {
	__u16 cookie;
	__u16 pkt_len;
} __attribute__((packed));

SEC("xdp")
int xdp_sample_prog(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct S metadata = {.cookie = 0xdead, .pkt_len = (__u16)(data_end - data)};
	__u64 flags = BPF_F_CURRENT_CPU;

	bpf_perf_event_output(ctx, &my_map, flags, &metadata, sizeof(metadata));
	bpf_perf_event_output(ctx, &perf_sized, flags, &metadata, sizeof(metadata));
	return XDP_PASS;
}

/* A ring buffer declared with its record type. */
struct event {
	__u32 seq;
	__u32 len;
	__u64 tag;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__type(value, struct event);
	__uint(max_entries, 4096);
} events SEC(".maps");

__u32 seq;

SEC("xdp")
int xdp_ring(struct xdp_md *ctx)
{
	struct event e = {.seq = ++seq, .len = ctx->data_end - ctx->data, .tag = 0x1122334455667788ULL};
	struct event *r;

	if (bpf_ringbuf_output(&events, &e, sizeof(e), 0))
		return XDP_ABORTED;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r)
		return XDP_ABORTED;
	r->seq = ++seq;
	r->len = e.len;
	r->tag = ~e.tag;
	bpf_ringbuf_submit(r, 0);
	return XDP_PASS;
}

/* Map types whose key and value types the kernel does not take (the
 * sockmap and sockhash are only created: no program uses them). */
struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
	__uint(max_entries, 4);
} cpu_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
	__uint(max_entries, 8);
} dev_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} sock_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} sock_hash SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} inner_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, 1);
	__array(values, struct inner);
} outer_map SEC(".maps") = {
	.values = { [0] = &inner_map },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, 1);
	__array(values, struct inner);
} outer_hash SEC(".maps") = {
	.values = { [0] = &inner_map },
};

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u32);
	__uint(max_entries, 16);
	__ulong(map_extra, 3);
} bloom SEC(".maps");

SEC("xdp")
int xdp_shapes(struct xdp_md *ctx)
{
	__u32 key = 0, v = 7;
	void *inner;

	bpf_map_push_elem(&bloom, &v, 0);
	inner = bpf_map_lookup_elem(&outer_map, &key);
	if (inner && bpf_map_lookup_elem(inner, &key))
		return bpf_redirect_map(&cpu_map, 0, XDP_PASS);
	return bpf_redirect_map(&dev_hash, 1, XDP_PASS);
}

char _license[] SEC("license") = "GPL";
