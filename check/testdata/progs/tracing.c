// SPDX-License-Identifier: GPL-2.0
/* Realistic tracing programs (kprobe, tracepoint, raw_tracepoint,
 * perf_event) in the style of the usual observability tools, for the
 * checker's comparison with the kernel. Programs named *_bad are ones the
 * kernel rejects, with the mistake people make. */
#include "defs.h"

char LICENSE[] SEC("license") = "GPL";

/* x86-64 struct pt_regs (arch/x86/include/uapi/asm/ptrace.h). */
struct regs {
	u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};
#define PARM1(x) ((x)->di)
#define PARM2(x) ((x)->si)
#define RC(x) ((x)->ax)

struct event {
	u32 pid;
	u32 uid;
	u64 ts;
	u64 arg;
	char comm[16];
	char path[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u64);
	__type(value, u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct event);
} heap SEC(".maps");

static __always_inline void count(u32 key)
{
	u64 one = 1, *v = bpf_map_lookup_elem(&counts, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
}

static __always_inline u32 log2l(u64 v)
{
	u32 r = 0;
	for (int i = 0; i < 63; i++) {
		if (v <= 1)
			break;
		v >>= 1;
		r++;
	}
	return r;
}

/* Count calls per process. */
SEC("kprobe/vfs_read")
int kprobe_count_pid(struct regs *ctx)
{
	count(bpf_get_current_pid_tgid() >> 32);
	return 0;
}

/* Remember when a process entered a function... */
SEC("kprobe/do_nanosleep")
int kprobe_latency_entry(struct regs *ctx)
{
	u64 id = bpf_get_current_pid_tgid(), ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &id, &ts, BPF_ANY);
	return 0;
}

/* ... and histogram the latency on return. */
SEC("kretprobe/do_nanosleep")
int kprobe_latency_return(struct regs *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u64 *tsp = bpf_map_lookup_elem(&start, &id);
	if (!tsp)
		return 0;
	u64 delta = bpf_ktime_get_ns() - *tsp;
	bpf_map_delete_elem(&start, &id);
	u32 slot = log2l(delta / 1000);
	if (slot >= 64)
		slot = 63;
	u64 *c = bpf_map_lookup_elem(&hist, &slot);
	if (c)
		__sync_fetch_and_add(c, 1);
	return 0;
}

/* opensnoop-like: the file name argument, read from user memory, to a
 * perf buffer. */
SEC("kprobe/do_sys_openat2")
int kprobe_open_perf(struct regs *ctx)
{
	struct event e = {};
	e.pid = bpf_get_current_pid_tgid() >> 32;
	e.uid = bpf_get_current_uid_gid();
	e.ts = bpf_ktime_get_ns();
	e.arg = PARM1(ctx);
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	bpf_probe_read_user_str(e.path, sizeof(e.path), (void *)PARM2(ctx));
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

/* The same through a ring buffer reservation. */
SEC("kprobe/do_sys_openat2")
int kprobe_open_ringbuf(struct regs *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ts = bpf_ktime_get_ns();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (bpf_probe_read_user_str(e->path, sizeof(e->path), (void *)PARM2(ctx)) < 0) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* A return value and a per-CPU scratch buffer, sent with ringbuf_output. */
SEC("kretprobe/do_sys_openat2")
int kprobe_ret_heap(struct regs *ctx)
{
	u32 zero = 0;
	struct event *e = bpf_map_lookup_elem(&heap, &zero);
	if (!e)
		return 0;
	e->arg = RC(ctx);
	e->ts = bpf_jiffies64();
	e->pid = bpf_get_current_pid_tgid();
	bpf_probe_read_kernel(&e->uid, sizeof(e->uid), (void *)(bpf_get_current_task() + 1384));
	if (bpf_ringbuf_query(&rb, 0) < (1 << 15))
		bpf_ringbuf_output(&rb, e, sizeof(*e), 0);
	return 0;
}

/* Reads the kernel task's comm by pointer chasing. */
SEC("kprobe/wake_up_new_task")
int kprobe_task_comm(struct regs *ctx)
{
	char comm[16];
	void *task = (void *)PARM1(ctx);
	void *parent;
	bpf_probe_read_kernel(&parent, sizeof(parent), task + 1424);
	bpf_probe_read_kernel_str(comm, sizeof(comm), parent + 2960);
	count(comm[0]);
	return 0;
}

/* Forgets the NULL check of a lookup. */
SEC("kprobe/vfs_write")
int kprobe_null_bad(struct regs *ctx)
{
	u32 key = bpf_get_current_pid_tgid();
	u64 *v = bpf_map_lookup_elem(&counts, &key);
	*v += 1;
	return 0;
}

/* Forgets to submit a ring buffer reservation on one path. */
SEC("kprobe/vfs_write")
int kprobe_leak_bad(struct regs *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid();
	if (e->pid == 1)
		return 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* Reads a user buffer with a length from the probed function, unchecked. */
SEC("kprobe/vfs_write")
int kprobe_size_bad(struct regs *ctx)
{
	char buf[64];
	bpf_probe_read_user(buf, PARM2(ctx), (void *)PARM1(ctx));
	return buf[0];
}

/* The same with the length clamped as a u32: clang 14 passes the clamped
 * value through a signed 32-bit path the verifier cannot bound below. */
SEC("kprobe/vfs_write")
int kprobe_size_clamp32_bad(struct regs *ctx)
{
	char buf[64];
	u32 n = PARM2(ctx);
	if (n > sizeof(buf))
		n = sizeof(buf);
	bpf_probe_read_user(buf, n, (void *)PARM1(ctx));
	count(buf[0]);
	return 0;
}

/* Clamped as a u64: accepted. */
SEC("kprobe/vfs_write")
int kprobe_size_bounded(struct regs *ctx)
{
	char buf[64];
	u64 n = PARM2(ctx);
	if (n > sizeof(buf))
		n = sizeof(buf);
	bpf_probe_read_user(buf, n, (void *)PARM1(ctx));
	count(buf[0]);
	return 0;
}

/* Reads past struct pt_regs. */
SEC("kprobe/vfs_write")
int kprobe_ctx_bad(u64 *ctx)
{
	return ctx[21];
}

/* Writes to the probed registers. */
SEC("kprobe/vfs_write")
int kprobe_ctx_write_bad(struct regs *ctx)
{
	ctx->ax = 0;
	return 0;
}

/* Tracepoint: syscalls:sys_enter_* records. */
struct sys_enter {
	u64 common;
	long id;
	unsigned long args[6];
};

struct sys_exit {
	u64 common;
	long id;
	long ret;
};

SEC("tracepoint/raw_syscalls/sys_enter")
int tp_syscall_count(struct sys_enter *ctx)
{
	u32 id = ctx->id;
	u64 *v;
	if (id >= 64)
		return 0;
	v = bpf_map_lookup_elem(&hist, &id);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int tp_execve(struct sys_enter *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->uid = bpf_get_current_uid_gid();
	e->arg = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->path, sizeof(e->path), (void *)ctx->args[0]);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int tp_exit_errors(struct sys_exit *ctx)
{
	if (ctx->ret >= 0)
		return 0;
	count(-ctx->ret);
	return 0;
}

/* Reads the common header (common_type, flags, pid): refused. */
SEC("tracepoint/syscalls/sys_exit_openat")
int tp_common_bad(struct sys_exit *ctx)
{
	return *(u32 *)((char *)ctx + 4);
}

/* Writes the record. */
SEC("tracepoint/syscalls/sys_exit_openat")
int tp_write_bad(struct sys_exit *ctx)
{
	ctx->ret = 0;
	return 0;
}

/* Raw tracepoint: sched_switch(preempt, prev, next). */
SEC("raw_tracepoint/sched_switch")
int rawtp_sched_switch(struct bpf_raw_tracepoint_args *ctx)
{
	void *prev = (void *)ctx->args[1];
	u64 ts = bpf_ktime_get_ns();
	u64 pid = 0;
	bpf_probe_read_kernel(&pid, 4, prev + 2456);
	bpf_map_update_elem(&start, &pid, &ts, BPF_ANY);
	return 0;
}

SEC("raw_tracepoint/sched_wakeup")
int rawtp_wakeup_perf(struct bpf_raw_tracepoint_args *ctx)
{
	struct {
		u64 task;
		u64 ts;
		u32 cpu;
	} e = { .task = ctx->args[0], .ts = bpf_ktime_get_ns(), .cpu = bpf_get_smp_processor_id() };
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

/* args[] has 12 slots. */
SEC("raw_tracepoint/sched_switch")
int rawtp_args_bad(struct bpf_raw_tracepoint_args *ctx)
{
	return ctx->args[12];
}

/* Perf event: sample the running process and where it was. */
struct perf_data {
	struct regs regs;
	u64 sample_period;
	u64 addr;
};

SEC("perf_event")
int perf_sample(struct perf_data *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->arg = ctx->regs.ip;
	e->ts = ctx->sample_period;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("perf_event")
int perf_count_cpu(struct perf_data *ctx)
{
	u32 cpu = bpf_get_smp_processor_id() & 63;
	u64 *v = bpf_map_lookup_elem(&hist, &cpu);
	if (v)
		*v += (u32)ctx->sample_period;
	return 0;
}

/* A 32-bit read of a register: regs only by 8 bytes. */
SEC("perf_event")
int perf_narrow_bad(struct perf_data *ctx)
{
	return *(u32 *)&ctx->regs.ip;
}

/* The profile tool: count (pid, user stack, kernel stack) samples. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(u32));
	__uint(value_size, 127 * sizeof(u64));
} stacks SEC(".maps");

struct stack_key {
	u32 pid;
	s32 kern;
	s32 user;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct stack_key);
	__type(value, u64);
} samples SEC(".maps");

SEC("perf_event")
int perf_profile(struct perf_data *ctx)
{
	struct stack_key key = {};
	u64 one = 1, *v;
	key.pid = bpf_get_current_pid_tgid() >> 32;
	key.kern = bpf_get_stackid(ctx, &stacks, 0);
	key.user = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	v = bpf_map_lookup_elem(&samples, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&samples, &key, &one, BPF_NOEXIST);
	return 0;
}

/* Off-CPU style: the kernel stack of a sleeping task into a ring buffer. */
SEC("kprobe/finish_task_switch")
int kprobe_stack_ringbuf(struct regs *ctx)
{
	struct {
		u32 pid;
		u32 len;
		u64 ips[32];
	} *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid();
	long n = bpf_get_stack(ctx, e->ips, sizeof(e->ips), 0);
	e->len = n < 0 ? 0 : n;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* Stack ids come from a stack trace map only. */
SEC("perf_event")
int perf_stackid_map_bad(struct perf_data *ctx)
{
	return bpf_get_stackid(ctx, &hist, 0);
}

/* bpf_get_stack into a buffer smaller than the size given. */
SEC("raw_tracepoint/sched_switch")
int rawtp_stack_size_bad(struct bpf_raw_tracepoint_args *ctx)
{
	u64 ips[8];
	bpf_get_stack(ctx, ips, 16 * sizeof(u64), 0);
	return ips[0] != 0;
}
