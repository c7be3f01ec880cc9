// SPDX-License-Identifier: GPL-2.0
/* externs.c: every kind of extern libbpf resolves at load. Each XDP
 * program stores what it sees in the array "results" (slot per value), so
 * that a test run can compare them with the kernel's own answers.
 * Built by the Makefile next to it. */
#include <stdbool.h>
#include "externs.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 16);
} results SEC(".maps");

/* .kconfig: values from the kernel's configuration. */
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_BPF_COOKIE __kconfig;
extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;
extern enum libbpf_tristate CONFIG_BPF_SYSCALL __kconfig;
extern bool CONFIG_BPF_JIT __kconfig;
extern int CONFIG_HZ __kconfig;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig;
extern char CONFIG_NET __kconfig __weak;
extern unsigned long long CONFIG_PUREBPF_ABSENT __kconfig __weak;

/* __ksym variables: typeless (an address from kallsyms) and typed (a
 * BTF variable of vmlinux); weak ones may stay unresolved. */
extern const void _stext __ksym;
extern const void purebpf_absent_symbol __ksym __weak;
extern const int bpf_prog_active __ksym;

/* kfuncs: resolved against vmlinux BTF; the weak absent one is only
 * called behind bpf_ksym_exists. */
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym __weak;
extern void purebpf_absent_kfunc(void) __ksym __weak;

static __always_inline void put(__u32 slot, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&results, &slot);
	if (p)
		*p = v;
}

SEC("xdp")
int kconfig(struct xdp_md *ctx)
{
	put(0, LINUX_KERNEL_VERSION);
	put(1, LINUX_HAS_BPF_COOKIE);
	put(2, LINUX_HAS_SYSCALL_WRAPPER);
	put(3, CONFIG_BPF_SYSCALL);
	put(4, CONFIG_BPF_JIT);
	put(5, CONFIG_HZ);
	put(6, *(__u64 *)CONFIG_DEFAULT_HOSTNAME);
	put(7, CONFIG_PUREBPF_ABSENT + 1);
	put(8, CONFIG_NET);
	return XDP_PASS;
}

SEC("xdp")
int ksyms(struct xdp_md *ctx)
{
	put(9, (__u64)&_stext);
	put(10, (__u64)&purebpf_absent_symbol);
	return XDP_PASS;
}

SEC("xdp")
int typed_ksym(struct xdp_md *ctx)
{
	const int *active = bpf_this_cpu_ptr(&bpf_prog_active);
	put(11, *active + 100);
	return XDP_PASS;
}

SEC("xdp")
int kfuncs(struct xdp_md *ctx)
{
	bpf_rcu_read_lock();
	bpf_rcu_read_unlock();
	put(12, bpf_ksym_exists(bpf_rcu_read_unlock));
	if (bpf_ksym_exists(purebpf_absent_kfunc)) {
		purebpf_absent_kfunc();
		put(13, 1);
	} else {
		put(13, 2);
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
