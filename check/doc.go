// Package check verifies BPF programs offline, before the kernel sees
// them, without privileges.
//
// Program and Collection take the object model (a bpf.ProgramSpec and the
// maps.Spec of its maps, or a whole bpf.CollectionSpec), apply CO-RE
// relocations to a copy of the instructions as the loader would
// (bpf.ProgramSpec.RelocateCORE), and run an abstract interpreter over the
// program's control flow graph that models the verifier of Linux 6.1 to
// 6.18 for privileged socket filter, tc, XDP, tracing (kprobe,
// tracepoint, raw tracepoint, perf event), cgroup (skb, sock, sock_addr),
// sock_ops, sk_skb, sk_msg and lwt programs: registers and
// stack slots with known bits and ranges, packet, context, stack and map
// pointers, NULL checks, helper prototypes, bpf-to-bpf calls, bounded
// loops, the complexity limit. It models the kernel of
// Options.KernelVersion (by default the running one): each rule that
// changed between 6.1 and 6.18 applies from the release that introduced
// it.
//
// A rejection is the same *verifier.Error a failed load gives, with the
// register, the C source line and the branch decisions that lead to the
// failure. The checker is conservative: what it cannot model it rejects
// with Cause ErrUnsupported, so it never accepts what the kernel rejects.
// A differential harness (harness_test.go) compares it with the running
// kernel; KNOWN_DIFFERENCES.md lists what it found and the version rules
// with their kernel commits.
package check
