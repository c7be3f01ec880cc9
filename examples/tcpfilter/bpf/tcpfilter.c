// SPDX-License-Identifier: GPL-2.0
/* TCP filter: passes IPv4 TCP, drops everything else (ARP included).
 * As in the tutorial there is no SEC() and no license: the program lands
 * in .text. Built with -DWITH_SEC it is placed in SEC("xdp"). Built with
 * -DALLOW_ICMP it is the tutorial's exercise: only ICMP passes. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define htons(x) __builtin_bswap16(x)
#else
#define htons(x) (x)
#endif

#ifdef WITH_SEC
__attribute__((section("xdp")))
#endif
int tcpfilter(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct iphdr *ip;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != htons(ETH_P_IP))
		return XDP_DROP;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_DROP;
#ifdef ALLOW_ICMP
	if (ip->protocol != IPPROTO_ICMP)
		return XDP_DROP;
#else
	if (ip->protocol != IPPROTO_TCP)
		return XDP_DROP;
#endif
	return XDP_PASS;
}
