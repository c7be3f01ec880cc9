// Built with: clang-14 -O2 -g -target bpf -c globalfunc.c -o globalfunc.o
// (see TestGlobalFunctions). A global function is verified by the kernel on
// its own, from its BTF prototype: its pointer argument may be NULL, so
// add1 (and the program global_call) is rejected ("R1 invalid mem access
// 'mem_or_null'"); the static add1s is verified in its caller's context and
// accepted; add1_checked tests for NULL and is accepted.
#define SEC(name) __attribute__((section(name), used))
#define NOINLINE __attribute__((noinline))

struct xdp_md {
	unsigned int data;
	unsigned int data_end;
	unsigned int data_meta;
	unsigned int ingress_ifindex;
	unsigned int rx_queue_index;
	unsigned int egress_ifindex;
};

NOINLINE int add1(int *x) { return *x + 1; }

static NOINLINE int add1s(int *x) { return *x + 1; }

NOINLINE int add1_checked(int *x) { return x ? *x + 1 : 0; }

NOINLINE int queue(struct xdp_md *ctx) { return ctx->rx_queue_index; }

NOINLINE int big(long *x) { return x ? x[1] : 0; }

SEC("xdp") int global_call(struct xdp_md *ctx)
{
	int v = 1;
	return add1(&v) == 2 ? 2 : 1;
}

SEC("xdp") int static_call(struct xdp_md *ctx)
{
	int v = 1;
	return add1s(&v) == 2 ? 2 : 1;
}

SEC("xdp") int global_checked(struct xdp_md *ctx)
{
	int v = 1;
	return add1_checked(&v) + add1_checked(0) == 2 ? 2 : 1;
}

SEC("xdp") int global_ctx(struct xdp_md *ctx)
{
	return queue(ctx) ? 2 : 1;
}

SEC("xdp") int global_too_small(struct xdp_md *ctx)
{
	long v = 1;
	return big(&v) ? 2 : 1;
}

char _license[] SEC("license") = "GPL";
