package testnet

import (
	"errors"
	"fmt"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
)

// LiveOptions configures RunLiveFrames.
type LiveOptions struct {
	// Frame is sent Count times.
	Frame []byte
	// Count is the number of frames, 1 to 10,000,000.
	Count uint32
	// Interface is the interface the frames arrive on
	// (xdp_md.ingress_ifindex), by index or by name, in its namespace
	// (nil Netns: the calling thread's). The zero Interface runs the
	// frames in the calling thread's namespace without an ingress
	// interface (the kernel then uses its loopback device).
	Interface attach.Interface
	// BatchSize is the number of frames the kernel processes per batch
	// (0: the kernel's default of 64).
	BatchSize uint32
}

// LiveReport is what RunLiveFrames measured.
type LiveReport struct {
	Frames   uint32        // frames run through the program
	Elapsed  time.Duration // wall time of the run
	PerFrame time.Duration // the kernel's time per frame
}

// PPS is the rate in frames per second (wall time).
func (r LiveReport) PPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Frames) / r.Elapsed.Seconds()
}

// maxLiveFrames bounds one live-frames run.
const maxLiveFrames = 10_000_000

// RunLiveFrames pushes opts.Count copies of a frame through an XDP
// program in live-frames mode (BPF_F_TEST_XDP_LIVE_FRAMES, 5.18+): what
// the program returns really happens, so XDP_TX transmits the frames out
// of the interface, XDP_PASS hands them to that namespace's stack and
// XDP_REDIRECT redirects them. It is a fast traffic generator for
// throughput tests and benchmarks.
func RunLiveFrames(prog *bpf.Program, opts LiveOptions) (LiveReport, error) {
	iface := opts.Interface
	op := fmt.Sprintf("live frames through %s", prog.Name())
	if iface != (attach.Interface{}) {
		op += " on " + describe(iface)
	}
	if opts.Count == 0 || opts.Count > maxLiveFrames {
		return LiveReport{}, fmt.Errorf("testnet: %s: count %d is outside 1..%d", op, opts.Count, maxLiveFrames)
	}
	if len(opts.Frame) < 14 {
		return LiveReport{}, errors.New("testnet: " + op + ": the frame is shorter than an Ethernet header")
	}
	var rep LiveReport
	err := do(iface.Netns, func() error {
		index := 0
		if iface.Name != "" || iface.Index != 0 {
			var err error
			if index, err = resolve(iface); err != nil {
				return err
			}
		}
		ctx := &bpf.XDPContext{DataEnd: uint32(len(opts.Frame)), IngressIfindex: uint32(index)}
		start := time.Now()
		res, err := prog.Run(bpf.RunOptions{Data: opts.Frame, Context: ctx, Repeat: opts.Count,
			Flags: bpf.RunXDPLiveFrames, BatchSize: opts.BatchSize})
		if err != nil {
			return err
		}
		rep = LiveReport{Frames: opts.Count, Elapsed: time.Since(start), PerFrame: res.Duration}
		return nil
	})
	if err != nil {
		return LiveReport{}, fmt.Errorf("testnet: %s: %w", op, err)
	}
	return rep, nil
}
