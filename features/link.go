package features

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/sys"
)

// Values the link probes use (linux/if_link.h and the kernel's fixed
// index of the loopback device).
const (
	xdpFlagsHWMode  = 1 << 3 // XDP_FLAGS_HW_MODE
	loopbackIfindex = 1      // LOOPBACK_IFINDEX, in every network namespace
	noIfindex       = ^uint32(0)
	noFD            = ^uint32(0)
)

var bpfLink = feature{
	name:      "bpf_link (BPF_LINK_CREATE)",
	minKernel: "5.7", // af6eea57437a (bpf: Implement bpf_link-based cgroup BPF program attachment)
	// Kernels with the command look up the program first.
	probe: commandProbe("BPF_LINK_CREATE", func() error {
		_, err := sys.LinkCreate(&sys.LinkCreateAttr{ProgFD: noFD, TargetFDOrIfindex: noFD, AttachType: uint32(kernel.AttachCGroupInetIngress)})
		return err
	}),
}

// HaveBPFLink reports whether the kernel has the BPF_LINK_CREATE command
// (Linux 5.7). It asks for a link of a descriptor that is no program.
func HaveBPFLink() error { return bpfLink.check() }

var linkDetach = feature{
	name:      "BPF_LINK_DETACH",
	minKernel: "5.9",                                                                        // 73b11c2ab072 (bpf: Add support for forced LINK_DETACH command)
	probe:     commandProbe("BPF_LINK_DETACH", func() error { return sys.LinkDetach(nil) }), // descriptor -1
}

// HaveLinkDetach reports whether the kernel has the BPF_LINK_DETACH
// command (Linux 5.9), which ends a link's attachment while descriptors
// and pins of it remain.
func HaveLinkDetach() error { return linkDetach.check() }

var xdpLink = feature{
	name:      "XDP bpf_link (BPF_LINK_CREATE with BPF_XDP)",
	minKernel: "5.9", // aa8d3a716b59 (bpf, xdp: Add bpf_link-based XDP attachment API)
	probe: func() error {
		prog, _, _, err := probeProgram{typ: kernel.XDP}.load()
		if err != nil {
			return fmt.Errorf("load an XDP program: %w", err)
		}
		defer prog.Close()
		// Ask for a hardware-offload attachment to the loopback device,
		// which has no XDP driver support: a kernel with XDP links looks
		// the device up and refuses with EOPNOTSUPP, one without refuses
		// the attach type with EINVAL. Nothing is ever attached.
		link, err := sys.LinkCreate(&sys.LinkCreateAttr{
			ProgFD:            prog.Uint(),
			TargetFDOrIfindex: loopbackIfindex,
			AttachType:        uint32(kernel.AttachXDP),
			Flags:             xdpFlagsHWMode,
		})
		switch {
		case errors.Is(err, unix.EOPNOTSUPP):
			return nil
		case isEINVAL(err):
			return errAbsent
		case err == nil:
			link.Close()
			return errors.New("the loopback device accepted an offloaded XDP program")
		}
		return err
	},
}

// HaveXDPLink reports whether XDP programs can be attached through
// bpf_link (BPF_LINK_CREATE with attach type BPF_XDP, Linux 5.9).
func HaveXDPLink() error { return xdpLink.check() }

var tcx = feature{
	name:      "tcx links (BPF_TCX_INGRESS, BPF_TCX_EGRESS)",
	minKernel: "6.6", // e420bed02507 (bpf: Add fd-based tcx multi-prog infra with link support)
	probe: func() error {
		prog, _, _, err := probeProgram{typ: kernel.SchedCLS}.load()
		if err != nil {
			return fmt.Errorf("load a tc program: %w", err)
		}
		defer prog.Close()
		// A kernel with tcx looks the interface up and finds none
		// (ENODEV); one without refuses the attach type (EINVAL).
		link, err := sys.LinkCreate(&sys.LinkCreateAttr{
			ProgFD:            prog.Uint(),
			TargetFDOrIfindex: noIfindex,
			AttachType:        uint32(kernel.AttachTCXIngress),
		})
		switch {
		case errors.Is(err, unix.ENODEV):
			return nil
		case isEINVAL(err):
			return errAbsent
		case err == nil:
			link.Close()
			return errors.New("tcx attached to interface index -1")
		}
		return err
	},
}

// HaveTCX reports whether tc programs can be attached through tcx links
// and queried with BPF_PROG_QUERY of BPF_TCX_INGRESS and BPF_TCX_EGRESS
// (Linux 6.6). Without tcx, tc programs attach as cls_bpf filters of a
// clsact qdisc (rtnetlink), which every kernel since 4.5 has.
func HaveTCX() error { return tcx.check() }

// commandProbe probes whether the kernel has the bpf(2) command cmd by
// calling it on descriptor -1: a kernel with the command looks the
// descriptor up and says EBADF, one without it says EINVAL.
func commandProbe(cmd string, call func() error) func() error {
	return func() error {
		err := call()
		switch {
		case errors.Is(err, unix.EBADF):
			return nil
		case isEINVAL(err):
			return errAbsent
		case err == nil:
			return errors.New(cmd + " of an invalid descriptor succeeded")
		}
		return err
	}
}
