// SPDX-License-Identifier: GPL-2.0
/* Port filter: an XDP program in SEC("filter"), loaded as the tutorial
 * does with "ip link set dev X xdp obj portfilter.o sec filter". It drops
 * IPv4 TCP segments from or to port 80 and passes everything else; built
 * with -DDROP_ICMP (the tutorial's exercise) it drops IPv4 ICMP too. The
 * TCP header is found through the IPv4 header length.
 *
 * portfilter_socket.c is the same filter as a socket filter. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>

#define SEC(name) __attribute__((section(name), used))

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define htons(x) __builtin_bswap16(x)
#else
#define htons(x) (x)
#endif

SEC("filter")
int portfilter(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u16 *ports;

	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != htons(ETH_P_IP))
		return XDP_PASS;
#ifdef DROP_ICMP
	if (ip->protocol == IPPROTO_ICMP)
		return XDP_DROP;
#endif
	if (ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	ports = (void *)ip + ip->ihl * 4;
	if ((void *)(ports + 2) > data_end)
		return XDP_PASS;
	if (ports[0] == htons(80) || ports[1] == htons(80))
		return XDP_DROP;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
