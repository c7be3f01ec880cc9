package bpf

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/sys"
)

// RunOptions is the input of a test run (BPF_PROG_TEST_RUN, 4.12+) of an
// XDP, tc (SchedCLS, SchedACT) or socket filter program.
type RunOptions struct {
	// Data is the input packet, starting at the Ethernet header (for
	// socket filters the kernel strips it: the skb starts at layer 3).
	Data []byte
	// DataOut receives the packet as the program left it. Nil skips the
	// copy. When it is too small the run fails with unix.ENOSPC and
	// RunResult.DataSize tells the size needed.
	DataOut []byte
	// Context is the input context: a *XDPContext (XDP), a *SKBContext
	// (tc, socket filters), the raw bytes of either, or nil for the
	// kernel's default. The kernel accepts only some fields (for example
	// mark, priority, ifindex, cb and tstamp of __sk_buff; data_meta
	// space and ingress_ifindex of xdp_md) and rejects others as EINVAL.
	Context any
	// ContextOut receives the context after the run: a *XDPContext, a
	// *SKBContext, a []byte, or nil. It may point to the same struct as
	// Context.
	ContextOut any
	// Repeat runs the program that many times (0 means 1); RunResult
	// then reports the average duration per run.
	Repeat uint32
	// Flags are the test run's flags, such as RunXDPLiveFrames.
	Flags RunFlags
	// CPU runs the program on the given CPU (with BPF_F_TEST_RUN_ON_CPU).
	CPU uint32
	// BatchSize is the number of frames per batch in live-frames mode.
	BatchSize uint32
}

// RunFlags are the BPF_F_TEST_* flags of a test run (RunOptions.Flags).
// Each needs a kernel that knows it; older kernels refuse unknown flags
// with EINVAL (for RunXDPLiveFrames and RunSKBChecksumComplete the error
// then names the missing feature).
type RunFlags uint32

// Test-run flags, with the kernel release that introduced each.
const (
	// RunOnCPU honours RunOptions.CPU (BPF_F_TEST_RUN_ON_CPU, 5.10+).
	// Only raw tracepoint programs take it: XDP and skb test runs refuse
	// it with EINVAL.
	RunOnCPU RunFlags = 1 << 0
	// RunXDPLiveFrames runs XDP programs on real frames that are
	// transmitted or redirected, for traffic generation
	// (BPF_F_TEST_XDP_LIVE_FRAMES, 5.18+).
	RunXDPLiveFrames RunFlags = 1 << 1
	// RunSKBChecksumComplete gives the skb of a tc or socket filter test
	// run a CHECKSUM_COMPLETE checksum and validates it after the run
	// (BPF_F_TEST_SKB_CHECKSUM_COMPLETE, 6.11+, backported to some stable
	// kernels).
	RunSKBChecksumComplete RunFlags = 1 << 2
)

var runFlagNames = [...]string{"RunOnCPU", "RunXDPLiveFrames", "RunSKBChecksumComplete"}

// String returns the flags' names joined by "|"
// ("RunOnCPU|RunXDPLiveFrames"), unknown bits in hex, and "0" for none.
func (f RunFlags) String() string {
	if f == 0 {
		return "0"
	}
	var parts []string
	for i, name := range runFlagNames {
		if f&(1<<i) != 0 {
			parts = append(parts, name)
			f &^= 1 << i
		}
	}
	if f != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(f)))
	}
	return strings.Join(parts, "|")
}

// errnoENOTSUPP is the kernel-internal ENOTSUPP (524) that bpf(2) leaks
// for program types without test-run support.
const errnoENOTSUPP = unix.Errno(524)

// RunResult is the outcome of a test run.
type RunResult struct {
	// ReturnValue is what the program returned, such as uint32(XDPDrop).
	ReturnValue uint32
	// Duration is the kernel's measurement of one run (the average over
	// Repeat runs).
	Duration time.Duration
	// DataSize is the size of the output packet; ContextSize that of the
	// output context.
	DataSize, ContextSize int
}

// maxRunRetries bounds the retries of a test run the kernel interrupted
// (EINTR: a signal arrived between two of Repeat runs).
const maxRunRetries = 16

// Run runs the program once (or Repeat times) on opts.Data in the kernel
// and returns its verdict. It makes exactly one system call and does not
// allocate (it does not mask signals: a run interrupted by a signal is
// started again, up to 16 times; side effects of the interrupted runs on
// maps remain). Zero fields of opts take the defaults RunOptions
// documents.
func (p *Program) Run(opts RunOptions) (RunResult, error) {
	ctxIn, ctxInSize, err := contextMemory(opts.Context)
	if err != nil {
		return RunResult{}, fmt.Errorf("test run of program %s: Context: %w", p.name, err)
	}
	ctxOut, ctxOutSize, err := contextMemory(opts.ContextOut)
	if err != nil {
		return RunResult{}, fmt.Errorf("test run of program %s: ContextOut: %w", p.name, err)
	}
	attr := sys.ProgTestRunAttr{
		ProgFD:      p.fd.Uint(),
		DataSizeIn:  uint32(len(opts.Data)),
		DataSizeOut: uint32(len(opts.DataOut)),
		DataIn:      sys.SlicePointer(opts.Data),
		DataOut:     sys.SlicePointer(opts.DataOut),
		Repeat:      opts.Repeat,
		CtxSizeIn:   ctxInSize,
		CtxSizeOut:  ctxOutSize,
		CtxIn:       ctxIn,
		CtxOut:      ctxOut,
		Flags:       uint32(opts.Flags),
		CPU:         opts.CPU,
		BatchSize:   opts.BatchSize,
	}
	for i := 0; i < maxRunRetries; i++ {
		err = sys.ProgTestRun(&attr)
		if err == nil || !errors.Is(err, unix.EINTR) {
			break
		}
		attr.DataSizeOut, attr.CtxSizeOut = uint32(len(opts.DataOut)), ctxOutSize
	}
	runtime.KeepAlive(p.fd)
	res := RunResult{
		ReturnValue: attr.Retval,
		Duration:    time.Duration(attr.Duration),
		DataSize:    int(attr.DataSizeOut),
		ContextSize: int(attr.CtxSizeOut),
	}
	if err != nil {
		return res, p.runError(err, &opts, &res)
	}
	return res, nil
}

var errContextType = errors.New("must be a *bpf.XDPContext, a *bpf.SKBContext or a []byte")

// contextMemory returns the address and size of a test-run context
// without allocating.
func contextMemory(c any) (sys.Pointer, uint32, error) {
	switch v := c.(type) {
	case nil:
		return sys.Pointer{}, 0, nil
	case []byte:
		return sys.SlicePointer(v), uint32(len(v)), nil
	case *XDPContext:
		return sys.NewPointer(unsafe.Pointer(v)), uint32(unsafe.Sizeof(*v)), nil
	case *SKBContext:
		return sys.NewPointer(unsafe.Pointer(v)), uint32(unsafe.Sizeof(*v)), nil
	}
	return sys.Pointer{}, 0, errContextType
}

// runError explains a failed test run; it is off the fast path. An
// EINVAL for an option the kernel lacks (a flag, an input context) is
// reported with the features answer that names it.
func (p *Program) runError(err error, opts *RunOptions, res *RunResult) error {
	if p.fd.Int() < 0 {
		return fmt.Errorf("test run of program %s: %w", p.name, p.fd.Closed(err))
	}
	if errors.Is(err, unix.EINVAL) {
		if ferr := p.missingRunOption(opts); ferr != nil {
			return fmt.Errorf("test run of program %s: %w (%w)", p.name, ferr, err)
		}
	}
	switch {
	case errors.Is(err, unix.ENOSPC) && res.DataSize > len(opts.DataOut):
		return fmt.Errorf("test run of program %s: output packet of %d bytes does not fit DataOut (%d bytes): %w", p.name, res.DataSize, len(opts.DataOut), err)
	case errors.Is(err, errnoENOTSUPP) || errors.Is(err, unix.EOPNOTSUPP):
		return fmt.Errorf("test run of program %s (%s): %w by the running kernel: %w", p.name, p.typ, ErrNotSupported, err)
	case errors.Is(err, unix.EINVAL) && len(opts.Data) < 14 && (p.typ == XDP || p.typ == SchedCLS || p.typ == SchedACT || p.typ == SocketFilter):
		return fmt.Errorf("test run of program %s: input of %d bytes is shorter than an Ethernet header: %w", p.name, len(opts.Data), err)
	}
	return fmt.Errorf("test run of program %s: %w", p.name, err)
}

// missingRunOption returns the features answer for the first option of
// opts the kernel lacks, or nil.
func (p *Program) missingRunOption(opts *RunOptions) error {
	var probes []func() error
	skb := p.typ == SchedCLS || p.typ == SchedACT || p.typ == SocketFilter
	if opts.Flags&RunXDPLiveFrames != 0 && p.typ == XDP {
		probes = append(probes, features.HaveTestRunXDPLiveFrames)
	}
	if opts.Flags&RunSKBChecksumComplete != 0 && skb {
		probes = append(probes, features.HaveTestRunSKBChecksumComplete)
	}
	if opts.Context != nil || opts.ContextOut != nil {
		switch {
		case p.typ == XDP:
			probes = append(probes, features.HaveTestRunXDPContext)
		case skb:
			probes = append(probes, features.HaveTestRunSKBContext)
		}
	}
	for _, probe := range probes {
		if ferr := probe(); errors.Is(ferr, ErrNotSupported) {
			return ferr
		}
	}
	return nil
}
