// SPDX-License-Identifier: GPL-2.0
/* core_kinds.c exercises every CO-RE relocation kind clang 14 emits, built
 * against include/vmlinux.h (this kernel's types). The programs store what
 * the relocated instructions compute into the array map "values", so that
 * tests can compare them with the types the relocations were applied
 * against: the running kernel's, or a synthetic "other kernel" the tests
 * write (package bpf's core_test.go). clang 14 cannot emit type_matches
 * (LLVM 15 added it); the tests cover it by relabelling the type_exists
 * record of struct xdp_md (whose members are all __u32, so that clang's
 * and the kernel's names of the underlying int agree: type_matches
 * compares them). Built by the Makefile next to it. */
#include "vmlinux.h"
#include "core_macros.h"

/* A type of the object's own: not in this kernel, so the relocations
 * against it are poisoned or read 0 here, and the synthetic kernel gives
 * it another layout. */
struct core_blob {
	__u32 a;
	__u32 b;
	__u64 c;
	unsigned int bf_u: 5;
	int bf_s: 4;
	__u32 gone;
} __attribute__((preserve_access_index));

/* A local flavour of a kernel type, with only the fields we use. */
struct task_struct___mine {
	int pid;
	struct task_struct *real_parent;
	int no_such_field;
} __attribute__((preserve_access_index));

enum xdp_action___mine { XDP_TX___mine = 3, XDP_NOPE___mine = 77 };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, __u64);
} values SEC(".maps");

struct blob_bytes {
	__u8 b[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct blob_bytes);
} blob SEC(".maps");

static __always_inline void put(__u32 i, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&values, &i);
	if (p)
		*p = v;
}

static __always_inline struct core_blob *the_blob(void)
{
	__u32 k = 0;
	return bpf_map_lookup_elem(&blob, &k);
}

/* core_values stores field, type and enum relocations of kernel types. */
SEC("xdp")
int core_values(void *ctx)
{
	put(0, bpf_core_field_offset(struct task_struct, real_parent));
	put(1, bpf_core_field_size(struct task_struct, comm));
	put(2, bpf_core_field_exists(struct task_struct___mine, real_parent));
	put(3, bpf_core_field_exists(struct task_struct___mine, no_such_field));
	put(4, bpf_core_field_signed(struct task_struct, pid));
	put(5, bpf_core_field_signed(struct task_struct, flags));
	put(6, bpf_core_type_exists(struct task_struct));
	put(7, bpf_core_type_exists(struct core_blob));
	put(8, bpf_core_type_size(struct task_struct));
	put(9, bpf_core_type_id_local(struct task_struct));
	put(10, bpf_core_type_id_kernel(struct task_struct));
	put(11, bpf_core_enum_value_exists(enum xdp_action___mine, XDP_TX___mine));
	put(12, bpf_core_enum_value_exists(enum xdp_action___mine, XDP_NOPE___mine));
	put(13, bpf_core_enum_value(enum xdp_action, XDP_REDIRECT));
	put(14, bpf_core_field_offset(struct task_struct___mine, pid));
	put(15, bpf_core_field_size(struct sk_buff, pkt_type));
	put(16, __builtin_preserve_field_info(((struct sk_buff *)0)->pkt_type, CORE_FIELD_LSHIFT_U64));
	put(17, __builtin_preserve_field_info(((struct sk_buff *)0)->pkt_type, CORE_FIELD_RSHIFT_U64));
	put(18, bpf_core_field_offset(struct sk_buff, pkt_type));
	put(19, bpf_core_type_exists(struct xdp_md)); /* relabelled type_matches */
	return XDP_PASS;
}

/* core_blob_read reads struct core_blob from the map "blob" with direct
 * relocated loads and bitfield reads, when the kernel has the type. */
SEC("xdp")
int core_blob_read(void *ctx)
{
	struct core_blob *b = the_blob();
	if (!b)
		return XDP_ABORTED;
	if (!bpf_core_type_exists(struct core_blob)) {
		put(20, 0xdead);
		return XDP_PASS;
	}
	put(20, b->a);
	put(21, b->b);
	put(22, b->c);
	put(23, BPF_CORE_READ_BITFIELD(b, bf_u));
	put(24, BPF_CORE_READ_BITFIELD(b, bf_s));
	put(25, BPF_CORE_READ_BITFIELD_PROBED(b, bf_s));
	put(26, BPF_CORE_READ(b, b));
	return XDP_PASS;
}

/* core_guarded reads core_blob.gone only where it exists: the poisoned
 * load is dead code on kernels without it. */
SEC("xdp")
int core_guarded(void *ctx)
{
	struct core_blob *b = the_blob();
	if (!b)
		return XDP_ABORTED;
	if (__builtin_preserve_field_info(b->gone, CORE_FIELD_EXISTS))
		return b->gone;
	return 7;
}

/* core_unguarded reads core_blob.gone unconditionally: a kernel without
 * the field (or the type) must refuse it, naming the relocation. */
SEC("xdp")
int core_unguarded(void *ctx)
{
	struct core_blob *b = the_blob();
	if (!b)
		return XDP_ABORTED;
	return b->gone;
}

char _license[] SEC("license") = "GPL";
