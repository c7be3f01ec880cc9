package features

import (
	"fmt"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/sys"
)

// BPF_PROG_TEST_RUN flags (linux/bpf.h).
const (
	testRunXDPLiveFrames       = 1 << 1 // BPF_F_TEST_XDP_LIVE_FRAMES
	testRunSKBChecksumComplete = 1 << 2 // BPF_F_TEST_SKB_CHECKSUM_COMPLETE
)

// testRunProbe loads a program of type typ returning ret, runs it with
// attr, and decides: success means supported; EINVAL, while the same run
// without the option (plain) succeeds, means the kernel lacks the option.
func testRunProbe(typ kernel.ProgramType, ret int32, attr, plain sys.ProgTestRunAttr) error {
	fd, _, _, err := probeProgram{typ: typ, insns: retImm(ret)}.load()
	if err != nil {
		return fmt.Errorf("load a %v program: %w", typ, err)
	}
	defer fd.Close()
	err = testRun(fd, attr)
	if err == nil || !isEINVAL(err) {
		return err
	}
	if plainErr := testRun(fd, plain); plainErr != nil {
		return fmt.Errorf("%w (and without the option: %w)", err, plainErr)
	}
	return errAbsent
}

// retImm is "r0 = ret; exit".
func retImm(ret int32) asm.Instructions {
	return asm.Instructions{asm.Mov.Imm(asm.R0, ret), asm.Return()}
}

// frameRun is a test run of one copy of frame.
func frameRun() sys.ProgTestRunAttr {
	return sys.ProgTestRunAttr{DataSizeIn: uint32(len(frame)), DataIn: sys.SlicePointer(frame)}
}

var xdpLiveFrames = feature{
	name:      "BPF_F_TEST_XDP_LIVE_FRAMES test runs",
	minKernel: "5.18", // b530e9e1063e (bpf: Add "live packet" mode for XDP in BPF_PROG_TEST_RUN)
	probe: func() error {
		attr := frameRun()
		attr.Flags, attr.Repeat = testRunXDPLiveFrames, 1
		return testRunProbe(kernel.XDP, 1 /* XDP_DROP: nothing is sent */, attr, frameRun())
	},
}

// HaveTestRunXDPLiveFrames reports whether XDP test runs take
// BPF_F_TEST_XDP_LIVE_FRAMES (Linux 5.18), which turns frames the program
// passes, transmits or redirects into real packets. The probe's program
// drops its frame.
func HaveTestRunXDPLiveFrames() error { return xdpLiveFrames.check() }

var xdpContext = feature{
	name:      "xdp_md context input of XDP test runs",
	minKernel: "5.15", // 47316f4a3053 (bpf: Support input xdp_md context in BPF_PROG_TEST_RUN), bpf-next 2021-07
	probe: func() error {
		ctx := sys.XDPMD{DataEnd: uint32(len(frame))}
		attr := frameRun()
		attr.CtxIn, attr.CtxSizeIn = contextPointer(&ctx)
		return testRunProbe(kernel.XDP, 2 /* XDP_PASS */, attr, frameRun())
	},
}

// HaveTestRunXDPContext reports whether XDP test runs take an input
// context (struct xdp_md: metadata size, ingress interface; Linux 5.15).
func HaveTestRunXDPContext() error { return xdpContext.check() }

var skbContext = feature{
	name:      "__sk_buff context input of skb test runs",
	minKernel: "5.2", // b0b9395d865e (bpf: Support input __sk_buff context in BPF_PROG_TEST_RUN)
	probe: func() error {
		var ctx sys.SKBuff
		attr := frameRun()
		attr.CtxIn, attr.CtxSizeIn = contextPointer(&ctx)
		return testRunProbe(kernel.SchedCLS, 0, attr, frameRun())
	},
}

// HaveTestRunSKBContext reports whether test runs of tc and socket filter
// programs take an input context (struct __sk_buff: mark, priority, cb,
// ...; Linux 5.2).
func HaveTestRunSKBContext() error { return skbContext.check() }

var skbChecksumComplete = feature{
	name:      "BPF_F_TEST_SKB_CHECKSUM_COMPLETE test runs",
	minKernel: "6.11", // a3cfe84cca28 (bpf: Add CHECKSUM_COMPLETE to bpf test progs); backported to some stable series
	probe: func() error {
		attr := frameRun()
		attr.Flags = testRunSKBChecksumComplete
		return testRunProbe(kernel.SchedCLS, 0, attr, frameRun())
	},
}

// HaveTestRunSKBChecksumComplete reports whether skb test runs take
// BPF_F_TEST_SKB_CHECKSUM_COMPLETE (Linux 6.11, and stable kernels it was
// backported to, such as Debian's 6.1), which gives the skb a
// CHECKSUM_COMPLETE checksum and validates it after the run.
func HaveTestRunSKBChecksumComplete() error { return skbChecksumComplete.check() }
