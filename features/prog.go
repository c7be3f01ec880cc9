package features

import (
	"fmt"

	"github.com/purebpf/bpf/internal/kernel"
)

// programTypeSince is the mainline release that introduced each program
// type, with the introducing commit (checked against the kernel's history:
// the ebpf-docs feature tags, which git describe derives from the commits,
// and bcc's docs/kernel-versions.md).
// An array indexed by the type, not a map: a static table, nothing to
// build when a program linking the package starts.
var programTypeSince = [...]string{
	kernel.SocketFilter:          "3.19", // ddd872bc3098
	kernel.Kprobe:                "4.1",  // 2541517c32be
	kernel.SchedCLS:              "4.1",  // 96be4325f443
	kernel.SchedACT:              "4.1",  // 94caee8c312d
	kernel.TracePoint:            "4.7",  // 98b5c2c65c29
	kernel.XDP:                   "4.8",  // 6a773a15a1e8
	kernel.PerfEvent:             "4.9",  // 0515e5999a46
	kernel.CGroupSKB:             "4.10", // 0e33661de493
	kernel.CGroupSock:            "4.10", // 610236587600
	kernel.LWTIn:                 "4.10", // 3a0af8fd61f9
	kernel.LWTOut:                "4.10", // 3a0af8fd61f9
	kernel.LWTXmit:               "4.10", // 3a0af8fd61f9
	kernel.SockOps:               "4.13", // 40304b2a1567
	kernel.SkSKB:                 "4.14", // b005fd189cec
	kernel.CGroupDevice:          "4.15", // ebc614f68736
	kernel.SkMsg:                 "4.17", // 4f738adba30a
	kernel.RawTracepoint:         "4.17", // c4f6699dfcb8
	kernel.CGroupSockAddr:        "4.17", // 4fbac77d2d09
	kernel.LWTSeg6Local:          "4.18", // 004d4b274e2a
	kernel.LircMode2:             "4.18", // f4364dcfc86d
	kernel.SkReuseport:           "4.19", // 2dbb9b9e6df6
	kernel.FlowDissector:         "4.20", // d58e468b1112
	kernel.CGroupSysctl:          "5.2",  // 7b146cebe30c
	kernel.RawTracepointWritable: "5.2",  // 9df1c28bb752
	kernel.CGroupSockopt:         "5.3",  // 0d01da6afc54
	kernel.Tracing:               "5.5",  // f1b9509c2fb0
	kernel.StructOps:             "5.6",  // 27ae7997a661
	kernel.Extension:             "5.6",  // be8704ff07d2
	kernel.LSM:                   "5.7",  // fc611f47f218
	kernel.SkLookup:              "5.9",  // e9ddbb7707ff
	kernel.Syscall:               "5.14", // 79a7f8bdb159
	kernel.Netfilter:             "6.4",  // 84601d6ee68a ("Networking for 6.4" pull)
}

// ProgramTypeSince returns the mainline release that introduced program
// type pt, such as "4.8" for bpf.XDP, or "" for types purebpf does not
// know.
func ProgramTypeSince(pt kernel.ProgramType) string { return since(programTypeSince[:], int(pt)) }

// expectedAttachType returns the expected attach type a probe load of pt
// needs to get past the kernel's attach type checks (BPF_PROG_LOAD
// refuses these types with EINVAL before the verifier runs otherwise).
func expectedAttachType(pt kernel.ProgramType) kernel.AttachType {
	switch pt {
	case kernel.CGroupSockAddr:
		return kernel.AttachCGroupInet4Connect
	case kernel.CGroupSockopt:
		return kernel.AttachCGroupGetsockopt
	case kernel.SkLookup:
		return kernel.AttachSkLookup
	case kernel.Netfilter:
		return kernel.AttachNetfilter
	case kernel.Tracing:
		// tp_btf: fentry, fexit and fmod_ret loads may be refused with
		// EPERM by security policy before the verifier runs.
		return kernel.AttachTraceRawTP
	case kernel.LSM:
		return kernel.AttachLSMMac
	}
	return 0
}

var programTypes cache[kernel.ProgramType]

// HaveProgramType reports whether the running kernel can load programs of
// type pt (see ProgramTypeSince for the releases). It loads "r0 = 0; exit"
// of that type with a verifier log: the kernel accepting the program, or
// the verifier having looked at it (tracing, LSM, struct_ops and extension
// programs need a BTF attach target the probe does not give, and the
// verifier says so), means the kernel knows the type; EINVAL before the
// verifier runs means it does not. Types newer than purebpf's table are
// probed the same way and reported without a version. Kernels whose
// security policy refuses trampoline programs (LSM, extension) answer
// those two with EPERM, which leaves the probe undecided.
func HaveProgramType(pt kernel.ProgramType) error {
	if pt == kernel.UnspecifiedProgram {
		return fmt.Errorf("features: %v is not a program type", pt)
	}
	return programTypes.get(pt, probeProgramType)
}

func probeProgramType(pt kernel.ProgramType) error {
	name := pt.String() + " programs"
	fd, log, _, err := probeProgram{typ: pt, attach: expectedAttachType(pt), withLog: true}.load()
	switch {
	case err == nil:
		fd.Close()
		return nil
	case log != "":
		// Unknown types are refused before the verifier starts writing
		// its log.
		return nil
	case isEINVAL(err):
		return &Error{Feature: name, MinKernel: since(programTypeSince[:], int(pt))}
	}
	return undecided(name, err)
}
