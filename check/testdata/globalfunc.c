// Built with: clang-14 -O2 -g -target bpf -c globalfunc.c -o globalfunc.o
// (see soundness_test.go). A global function is verified by the kernel on
// its own, from its BTF prototype: its pointer argument may be NULL, so
// add1 is rejected ("R1 invalid mem access 'mem_or_null'"); the static
// add1s is verified in its caller's context and accepted.
#define SEC(name) __attribute__((section(name), used))
#define NOINLINE __attribute__((noinline))

struct xdp_md;

NOINLINE int add1(int *x) { return *x + 1; }

static NOINLINE int add1s(int *x) { return *x + 1; }

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

char _license[] SEC("license") = "GPL";
