// SPDX-License-Identifier: GPL-2.0
/* xdp1: counts packets per IP protocol in a per-CPU array and drops them
 * all, as the kernel's samples/bpf/xdp1_kern.c did.
 *
 * Built as is, the map is a BTF map in ".maps" and the program is in
 * SEC("xdp") (today's libbpf conventions). Built with -DTUTORIAL_ERA it is
 * the 2019 form the tutorial used: a 20-byte struct bpf_map_def in the
 * legacy "maps" section and SEC("xdp1").
 *
 * The tutorial's exercises: -DPASS lets the packets pass; -DHASH keeps the
 * counters in a per-CPU hash map, creating a missing counter. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

#define SEC(name) __attribute__((section(name), used))

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define htons(x) __builtin_bswap16(x)
#else
#define htons(x) (x)
#endif

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;

#ifdef HASH
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)BPF_FUNC_map_update_elem;
#define RXCNT_TYPE BPF_MAP_TYPE_PERCPU_HASH
#else
#define RXCNT_TYPE BPF_MAP_TYPE_PERCPU_ARRAY
#endif

#ifdef TUTORIAL_ERA
struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") rxcnt = {
	.type = RXCNT_TYPE,
	.key_size = sizeof(__u32),
	.value_size = sizeof(long),
	.max_entries = 256,
};
#define PROG_SEC "xdp1"
#else
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

struct {
	__uint(type, RXCNT_TYPE);
	__type(key, __u32);
	__type(value, long);
	__uint(max_entries, 256);
} rxcnt SEC(".maps");
#define PROG_SEC "xdp"
#endif

struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

static int parse_ipv4(void *data, __u64 nh_off, void *data_end)
{
	struct iphdr *iph = data + nh_off;

	if ((void *)(iph + 1) > data_end)
		return 0;
	return iph->protocol;
}

static int parse_ipv6(void *data, __u64 nh_off, void *data_end)
{
	struct ipv6hdr *ip6h = data + nh_off;

	if ((void *)(ip6h + 1) > data_end)
		return 0;
	return ip6h->nexthdr;
}

SEC(PROG_SEC)
int xdp_prog1(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
#ifdef PASS
	int rc = XDP_PASS;
#else
	int rc = XDP_DROP;
#endif
	long *value;
	__u16 h_proto;
	__u64 nh_off;
	__u32 ipproto;

	nh_off = sizeof(*eth);
	if (data + nh_off > data_end)
		return rc;

	h_proto = eth->h_proto;

	if (h_proto == htons(ETH_P_8021Q) || h_proto == htons(ETH_P_8021AD)) {
		struct vlan_hdr *vhdr = data + nh_off;

		nh_off += sizeof(struct vlan_hdr);
		if (data + nh_off > data_end)
			return rc;
		h_proto = vhdr->h_vlan_encapsulated_proto;
	}
	if (h_proto == htons(ETH_P_8021Q) || h_proto == htons(ETH_P_8021AD)) {
		struct vlan_hdr *vhdr = data + nh_off;

		nh_off += sizeof(struct vlan_hdr);
		if (data + nh_off > data_end)
			return rc;
		h_proto = vhdr->h_vlan_encapsulated_proto;
	}

	if (h_proto == htons(ETH_P_IP))
		ipproto = parse_ipv4(data, nh_off, data_end);
	else if (h_proto == htons(ETH_P_IPV6))
		ipproto = parse_ipv6(data, nh_off, data_end);
	else
		ipproto = 0;

	value = bpf_map_lookup_elem(&rxcnt, &ipproto);
	if (value)
		*value += 1;
#ifdef HASH
	else {
		long one = 1;

		bpf_map_update_elem(&rxcnt, &ipproto, &one, BPF_NOEXIST);
	}
#endif

	return rc;
}

char _license[] SEC("license") = "GPL";
