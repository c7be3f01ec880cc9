// Package features asks the running kernel which BPF features it has:
// program types, map types, helpers per program type, bpf_link and tcx
// attachment, instruction-set extensions, verifier behaviour and
// BPF_PROG_TEST_RUN options.
//
// Every probe makes a minimal load, map creation or command through
// bpf(2) (a two-instruction program, a one-element map, a request the
// kernel refuses before it changes anything) and returns:
//
//   - nil: the kernel has the feature;
//   - an error matching ErrNotSupported (errors.Is), a *Error naming the
//     feature and the mainline release that introduced it: the kernel
//     lacks it (it is older, or was built without it);
//   - any other error: the probe could not decide, for example for lack
//     of privileges (EPERM) or memory. Such an error says nothing about
//     the feature.
//
// Decided answers (nil or *Error) are cached for the life of the process,
// so each probe costs its system calls once; undecided ones are not
// cached and the next call probes again. All probes are safe for
// concurrent use: callers asking for the same feature at the same time
// wait for one probe.
//
// Probes need the privileges of the operations they imitate: CAP_BPF (or
// CAP_SYS_ADMIN) for all, CAP_NET_ADMIN for networking program types and
// attachment probes, CAP_PERFMON for tracing types. Probes never attach
// anything: the link probes make requests the kernel must refuse (an
// interface index that does not exist, a hardware-offload mode the
// loopback device does not have) and read the answer from the error.
//
// Minimum kernel versions are those of mainline Linux. Distribution
// kernels backport features (Debian's 6.1 has BPF_F_TEST_SKB_CHECKSUM_COMPLETE
// of 6.11) and may be built without some (CONFIG_BPF_LIRC_MODE2,
// CONFIG_IPV6_SEG6_BPF); the probes answer for the running kernel, the
// versions only explain the answer.
package features
