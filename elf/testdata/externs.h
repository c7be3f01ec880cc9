/* SPDX-License-Identifier: GPL-2.0 */
/* externs.h: the few libbpf macros the extern, iterator and tp_btf test
 * objects need (no libbpf headers on the build machine), with the
 * meanings libbpf's bpf_helpers.h gives them. */
#ifndef PUREBPF_TESTDATA_EXTERNS_H
#define PUREBPF_TESTDATA_EXTERNS_H

#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __weak __attribute__((weak))
#define __kconfig __attribute__((section(".kconfig")))
#define __ksym __attribute__((section(".ksyms")))
/* True when the loader resolved the extern sym (false for an unresolved
 * __weak one); never folded to a constant by the compiler. */
#define bpf_ksym_exists(sym) ({ \
	_Static_assert(!__builtin_constant_p(!!sym), #sym " should be marked as __weak"); \
	!!sym; \
})

enum libbpf_tristate {
	TRI_NO = 0,
	TRI_YES = 1,
	TRI_MODULE = 2,
};

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;
static void *(*bpf_this_cpu_ptr)(const void *percpu_ptr) = (void *)BPF_FUNC_this_cpu_ptr;

#endif
