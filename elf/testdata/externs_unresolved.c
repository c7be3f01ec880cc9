// SPDX-License-Identifier: GPL-2.0
/* externs_unresolved.c: an object whose programs "missing_kfunc",
 * "missing_ksym" and "missing_kconfig" use externs no kernel has (and not
 * __weak), "link_time" calls a function another object would define,
 * "unguarded_weak" calls an absent __weak kfunc without bpf_ksym_exists,
 * next to "plain", which uses none and must load anyway. Built by the
 * Makefile next to it. */
#include "externs.h"

extern void purebpf_no_such_kfunc(void) __ksym;
extern const void purebpf_no_such_symbol __ksym;
extern int CONFIG_PUREBPF_NO_SUCH_OPTION __kconfig;
extern int purebpf_other_object(void);
extern void purebpf_weak_absent_kfunc(void) __ksym __weak;

SEC("xdp")
int missing_kfunc(struct xdp_md *ctx)
{
	purebpf_no_such_kfunc();
	return XDP_PASS;
}

SEC("xdp")
int missing_ksym(struct xdp_md *ctx)
{
	return (__u64)&purebpf_no_such_symbol == 1 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int missing_kconfig(struct xdp_md *ctx)
{
	return CONFIG_PUREBPF_NO_SUCH_OPTION == 1 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int link_time(struct xdp_md *ctx)
{
	return purebpf_other_object();
}

SEC("xdp")
int unguarded_weak(struct xdp_md *ctx)
{
	purebpf_weak_absent_kfunc();
	return XDP_PASS;
}

SEC("xdp")
int plain(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
