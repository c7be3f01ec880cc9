/* SPDX-License-Identifier: GPL-2.0 */
/* core_macros.h: the few CO-RE helpers the test objects need, written over
 * clang's builtins (libbpf's bpf_core_read.h is not installed here). Names
 * follow libbpf's so that the sources read as libbpf users write them. */
#ifndef CORE_MACROS_H
#define CORE_MACROS_H

#define __always_inline inline __attribute__((always_inline))
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *src) = (void *)113;

/* enum bpf_field_info_kind, bpf_type_info_kind, bpf_enum_value_kind */
#define CORE_FIELD_BYTE_OFFSET 0
#define CORE_FIELD_BYTE_SIZE 1
#define CORE_FIELD_EXISTS 2
#define CORE_FIELD_SIGNED 3
#define CORE_FIELD_LSHIFT_U64 4
#define CORE_FIELD_RSHIFT_U64 5
#define CORE_TYPE_EXISTS 0
#define CORE_TYPE_SIZE 1
#define CORE_ENUMVAL_EXISTS 0
#define CORE_ENUMVAL_VALUE 1

/* Field relocations on a field of a type (no object needed). */
#define core_field(type, field, kind) \
	__builtin_preserve_field_info(((typeof(type) *)0)->field, kind)
#define bpf_core_field_offset(type, field) core_field(type, field, CORE_FIELD_BYTE_OFFSET)
#define bpf_core_field_size(type, field) core_field(type, field, CORE_FIELD_BYTE_SIZE)
#define bpf_core_field_exists(type, field) core_field(type, field, CORE_FIELD_EXISTS)
#define bpf_core_field_signed(type, field) core_field(type, field, CORE_FIELD_SIGNED)

#define bpf_core_type_exists(type) \
	__builtin_preserve_type_info(*(typeof(type) *)0, CORE_TYPE_EXISTS)
#define bpf_core_type_size(type) \
	__builtin_preserve_type_info(*(typeof(type) *)0, CORE_TYPE_SIZE)
#define bpf_core_type_id_local(type) __builtin_btf_type_id(*(typeof(type) *)0, 0)
#define bpf_core_type_id_kernel(type) __builtin_btf_type_id(*(typeof(type) *)0, 1)

#define bpf_core_enum_value_exists(enum_type, value) \
	__builtin_preserve_enum_value(*(typeof(enum_type) *)value, CORE_ENUMVAL_EXISTS)
#define bpf_core_enum_value(enum_type, value) \
	__builtin_preserve_enum_value(*(typeof(enum_type) *)value, CORE_ENUMVAL_VALUE)

/* BPF_CORE_READ(src, field): one relocated probe read of src->field. */
#define BPF_CORE_READ(src, field) ({					\
	typeof((src)->field) __v = 0;					\
	bpf_probe_read_kernel(&__v, sizeof(__v),			\
			      __builtin_preserve_access_index(&(src)->field)); \
	__v;								\
})

/* Bitfields: load the relocated bytes, then shift left and right (the
 * right shift arithmetic when the field is signed). */
#define core_bf_shift(s, field, v) ({					\
	(v) <<= __builtin_preserve_field_info((s)->field, CORE_FIELD_LSHIFT_U64); \
	__builtin_preserve_field_info((s)->field, CORE_FIELD_SIGNED) ?	\
		(unsigned long long)((long long)(v) >>			\
			__builtin_preserve_field_info((s)->field, CORE_FIELD_RSHIFT_U64)) : \
		(v) >> __builtin_preserve_field_info((s)->field, CORE_FIELD_RSHIFT_U64); \
})

/* BPF_CORE_READ_BITFIELD: s points to memory the program may load from
 * directly (a map value). */
#define BPF_CORE_READ_BITFIELD(s, field) ({				\
	const void *__p = (const void *)(s) +				\
		__builtin_preserve_field_info((s)->field, CORE_FIELD_BYTE_OFFSET); \
	unsigned long long __v = 0;					\
	asm volatile("" : "=r"(__p) : "0"(__p));			\
	switch (__builtin_preserve_field_info((s)->field, CORE_FIELD_BYTE_SIZE)) { \
	case 1: __v = *(const unsigned char *)__p; break;		\
	case 2: __v = *(const unsigned short *)__p; break;		\
	case 4: __v = *(const unsigned int *)__p; break;		\
	case 8: __v = *(const unsigned long long *)__p; break;		\
	}								\
	core_bf_shift(s, field, __v);					\
})

/* BPF_CORE_READ_BITFIELD_PROBED: the bytes read with a probe read. */
#define BPF_CORE_READ_BITFIELD_PROBED(s, field) ({			\
	unsigned long long __v = 0;					\
	bpf_probe_read_kernel(&__v,					\
		__builtin_preserve_field_info((s)->field, CORE_FIELD_BYTE_SIZE), \
		(const void *)(s) +					\
		__builtin_preserve_field_info((s)->field, CORE_FIELD_BYTE_OFFSET)); \
	core_bf_shift(s, field, __v);					\
})

#endif
