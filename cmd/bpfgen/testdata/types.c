// Types whose Go layout bpfgen must get right: padding, nested and
// anonymous structs, unions, bitfields, enums, packed structs, arrays.
// Build: make -C cmd/bpfgen/testdata (clang 14; the objects are committed).
#include <linux/types.h>

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

enum color { RED = 1, GREEN = 2, BLUE = -3 };
enum big64 { HUGE = 0x100000000ULL, SMALL = 1 };

struct padded {
	__u8 a;          /* 0 */
	__u64 b;         /* 8 */
	__u16 c;         /* 16 */
	__u32 d[3];      /* 20 */
	__u8 e;          /* 32, tail padding to 40 */
};

union addr {
	__u32 v4;
	__u8 v6[16];
	struct { __u16 lo, hi; } parts;
};

struct bits {
	__u32 flag : 1;
	__u32 kind : 3;
	__s32 delta : 5;
	__u32 wide : 23;
	__u8 after;
	__u64 big : 40;
	enum color col : 4;
};

struct __attribute__((packed)) packed {
	__u8 tag;
	__u32 value;
	__u16 port;
};

typedef struct {
	int x, y;
} point_t;

typedef __u32 counter_t;

struct value {
	struct padded p;
	union addr addr;
	struct bits bits;
	struct packed pk;
	point_t pts[2];
	enum color color;
	enum big64 b64;
	union {
		__u64 u;
		__s16 s;
	};
	struct {
		char name[5];
		__u64 stamp;
	} inner;
	_Bool ok;
#ifndef NO_POINTERS /* bpf2go (bench/bpfgen_test.go) does not take pointers */
	void *ptr;
#endif
};

struct key {
	__u16 proto;
	__u32 addr;
};

struct {
	__uint(type, 1); /* BPF_MAP_TYPE_HASH */
	__uint(max_entries, 16);
	__type(key, struct key);
	__type(value, struct value);
} values SEC(".maps");

struct {
	__uint(type, 2); /* BPF_MAP_TYPE_ARRAY */
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct bits);
} bitmap SEC(".maps");

volatile counter_t hits;
volatile const struct padded config = {.a = 1, .b = 2};
union addr last_addr;

static void *(*lookup)(void *map, const void *key) = (void *)1;

/* xdp_types writes known values through C's layout for the Go test to read
 * through the generated accessors: bitmap[0] (bitfields), values[{1, 2}]
 * (every kind of member, if Go stored the key), last_addr and hits. */
SEC("xdp")
int xdp_types(void *ctx)
{
	__u32 k = 0;
	struct key vk = {.proto = 1, .addr = 2};
	struct bits *b = lookup(&bitmap, &k);
	struct value *v;

	if (b && config.a == 1) {
		b->flag = 1;
		b->kind = 5;
		b->delta = -3;
		b->wide = 0x12345;
		b->after = 7;
		b->big = 0xabcdef0123ULL;
		b->col = GREEN;
	}
	v = lookup(&values, &vk);
	if (v) {
		v->p.b = v->p.a + 1;
		v->p.e = 9;
		v->addr.parts.hi = 0x1234;
		v->bits.kind = 6;
		v->pk.value = 0x01020304;
		v->pts[1].y = -5;
		v->color = BLUE;
		v->s = -2;
		v->inner.name[4] = 'x';
		v->inner.stamp = 77;
		v->ok = 1;
	}
	hits++;
	last_addr.parts.lo = 0xbeef;
	return 2;
}

char _license[] SEC("license") = "GPL";
