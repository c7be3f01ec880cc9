// SPDX-License-Identifier: GPL-2.0
/* Port filter as a socket filter (SEC("filter")) that drops IPv4 TCP
 * segments from or to port 80 and keeps everything else. Offsets count
 * from the network header (BPF_HDR_START_NET), so the program gives the
 * same verdict on a socket and under a test run. */
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

static long (*bpf_skb_load_bytes_relative)(const void *skb, __u32 offset, void *to, __u32 len, __u32 start_header) = (void *)BPF_FUNC_skb_load_bytes_relative;

#define KEEP -1
#define DROP 0

SEC("filter")
int portfilter(struct __sk_buff *skb)
{
	struct iphdr ip;
	__u16 ports[2];

	if (skb->protocol != htons(ETH_P_IP))
		return KEEP;
	if (bpf_skb_load_bytes_relative(skb, 0, &ip, sizeof(ip), BPF_HDR_START_NET) < 0)
		return KEEP;
	if (ip.protocol != IPPROTO_TCP)
		return KEEP;
	if (bpf_skb_load_bytes_relative(skb, ip.ihl * 4, ports, sizeof(ports), BPF_HDR_START_NET) < 0)
		return KEEP;
	if (ports[0] == htons(80) || ports[1] == htons(80))
		return DROP;
	return KEEP;
}

char _license[] SEC("license") = "GPL";
