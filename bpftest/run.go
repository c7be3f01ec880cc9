package bpftest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/bpftest/packet"
	"github.com/purebpf/bpf/maps"
	"github.com/purebpf/bpf/netns"
)

// maxFrame is the output buffer size of test runs: enough for a frame of
// the largest MTU plus metadata and headroom a program may add.
const maxFrame = 64 << 10

// XDPResult is the outcome of an XDP test run, with assertions that fail
// the test that produced it.
type XDPResult struct {
	tb testing.TB
	// Verdict is what the program returned.
	Verdict bpf.XDPAction
	// Data is the packet after the run (without metadata).
	Data []byte
	// Meta is the metadata area in front of the packet
	// (bpf_xdp_adjust_meta), or empty.
	Meta []byte
	// Duration is the kernel's time for one run.
	Duration time.Duration
}

// RunXDP runs an XDP program once on frame (BPF_PROG_TEST_RUN) and fails
// the test if the run itself fails. The frame is not modified.
func RunXDP(tb testing.TB, prog *bpf.Program, frame []byte) *XDPResult {
	tb.Helper()
	out := make([]byte, maxFrame)
	ctx := &bpf.XDPContext{DataEnd: uint32(len(frame))}
	res, err := prog.Run(bpf.RunOptions{Data: frame, DataOut: out, Context: ctx, ContextOut: ctx})
	if err != nil {
		tb.Fatalf("bpftest: run %s on a %d-byte frame: %v", prog.Name(), len(frame), err)
	}
	out = out[:res.DataSize]
	meta := int(ctx.Data)
	if meta > len(out) {
		tb.Fatalf("bpftest: run %s: metadata of %d bytes in an output of %d", prog.Name(), meta, len(out))
	}
	return &XDPResult{tb: tb, Verdict: bpf.XDPAction(res.ReturnValue), Data: out[meta:], Meta: out[:meta], Duration: res.Duration}
}

// ExpectVerdict fails the test unless the program returned want.
func (r *XDPResult) ExpectVerdict(want bpf.XDPAction) *XDPResult {
	r.tb.Helper()
	if r.Verdict != want {
		r.tb.Errorf("bpftest: verdict %v, want %v", r.Verdict, want)
	}
	return r
}

// ExpectData fails the test unless the output packet equals want.
func (r *XDPResult) ExpectData(want []byte) *XDPResult {
	r.tb.Helper()
	expectBytes(r.tb, "output packet", r.Data, want)
	return r
}

// ExpectMeta fails the test unless the metadata area equals want.
func (r *XDPResult) ExpectMeta(want []byte) *XDPResult {
	r.tb.Helper()
	expectBytes(r.tb, "XDP metadata", r.Meta, want)
	return r
}

// Packet parses the output packet; a frame the parser cannot read fails
// the test.
func (r *XDPResult) Packet() *packet.Decoded {
	r.tb.Helper()
	return parse(r.tb, r.Data)
}

// TCResult is the outcome of a tc (SchedCLS/SchedACT) or socket filter
// test run.
type TCResult struct {
	tb testing.TB
	// Verdict is what the program returned, as a tc action. Socket
	// filters return the number of bytes to keep instead: see Return.
	Verdict bpf.TCAction
	// Return is the raw return value.
	Return uint32
	// Data is the packet after the run.
	Data []byte
	// Context is the __sk_buff after the run: Mark, Priority, TCIndex, CB
	// and the other fields the kernel copies back.
	Context *bpf.SKBContext
	// Duration is the kernel's time for one run.
	Duration time.Duration
}

// RunTC runs a tc or socket filter program once on frame. ctx, if not
// nil, is the input __sk_buff (mark, priority, ifindex, cb, ...); it is
// not modified. The test fails if the run fails.
func RunTC(tb testing.TB, prog *bpf.Program, frame []byte, ctx *bpf.SKBContext) *TCResult {
	tb.Helper()
	out := make([]byte, maxFrame)
	after := &bpf.SKBContext{}
	if ctx != nil {
		*after = *ctx
	}
	res, err := prog.Run(bpf.RunOptions{Data: frame, DataOut: out, Context: after, ContextOut: after})
	if err != nil {
		tb.Fatalf("bpftest: run %s on a %d-byte frame: %v", prog.Name(), len(frame), err)
	}
	return &TCResult{tb: tb, Verdict: bpf.TCAction(res.ReturnValue), Return: res.ReturnValue,
		Data: out[:res.DataSize], Context: after, Duration: res.Duration}
}

// ExpectVerdict fails the test unless the program returned want.
func (r *TCResult) ExpectVerdict(want bpf.TCAction) *TCResult {
	r.tb.Helper()
	if r.Verdict != want {
		r.tb.Errorf("bpftest: verdict %v, want %v", r.Verdict, want)
	}
	return r
}

// ExpectMark fails the test unless the program left skb->mark at want.
func (r *TCResult) ExpectMark(want uint32) *TCResult {
	r.tb.Helper()
	if r.Context.Mark != want {
		r.tb.Errorf("bpftest: skb->mark %d, want %d", r.Context.Mark, want)
	}
	return r
}

// ExpectPriority fails the test unless skb->priority is want.
func (r *TCResult) ExpectPriority(want uint32) *TCResult {
	r.tb.Helper()
	if r.Context.Priority != want {
		r.tb.Errorf("bpftest: skb->priority %d, want %d", r.Context.Priority, want)
	}
	return r
}

// ExpectData fails the test unless the output packet equals want.
func (r *TCResult) ExpectData(want []byte) *TCResult {
	r.tb.Helper()
	expectBytes(r.tb, "output packet", r.Data, want)
	return r
}

// Packet parses the output packet.
func (r *TCResult) Packet() *packet.Decoded {
	r.tb.Helper()
	return parse(r.tb, r.Data)
}

func parse(tb testing.TB, data []byte) *packet.Decoded {
	tb.Helper()
	d, err := packet.Parse(data)
	if err != nil {
		tb.Fatalf("bpftest: parse output packet: %v", err)
	}
	return d
}

func expectBytes(tb testing.TB, what string, got, want []byte) {
	tb.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	tb.Errorf("bpftest: %s differs from byte %d on (got %d bytes, want %d):\n got  %x\n want %x", what, i, len(got), len(want), got, want)
}

// ExpectLookup fails the test unless map m holds want under key. K and V
// are the map's fixed-size key and value types.
func ExpectLookup[K, V comparable](tb testing.TB, m *maps.Map, key K, want V) {
	tb.Helper()
	tm, err := maps.AsTyped[K, V](m)
	if err != nil {
		tb.Fatalf("bpftest: %v", err)
	}
	got, err := tm.Lookup(key)
	if err != nil {
		tb.Errorf("bpftest: lookup %v: %v", key, err)
		return
	}
	if got != want {
		tb.Errorf("bpftest: map %s[%v] = %v, want %v", m, key, got, want)
	}
}

// ExpectPerCPUSum fails the test unless the per-CPU values of key in map m
// add up to want (uint64 counters, as the tutorial's xdp1 keeps them).
func ExpectPerCPUSum[K comparable](tb testing.TB, m *maps.Map, key K, want uint64) {
	tb.Helper()
	tm, err := maps.AsTyped[K, uint64](m)
	if err != nil {
		tb.Fatalf("bpftest: %v", err)
	}
	n, err := maps.PossibleCPUs()
	if err != nil {
		tb.Fatal(err)
	}
	values := make([]uint64, n)
	if err := tm.LookupPerCPU(key, values); err != nil {
		tb.Errorf("bpftest: lookup %v: %v", key, err)
		return
	}
	var sum uint64
	for _, v := range values {
		sum += v
	}
	if sum != want {
		tb.Errorf("bpftest: map %s[%v] sums to %d over %d CPUs (%v), want %d", m, key, sum, n, values, want)
	}
}

// LiveOptions configures RunLiveFrames.
type LiveOptions struct {
	// Frame is sent Count times.
	Frame []byte
	// Count is the number of frames (at most MaxCount... times 100: 10M).
	Count uint32
	// NS and Ifindex name the interface the frames arrive on
	// (xdp_md.ingress_ifindex); NS nil means the current namespace.
	NS      *netns.NetNS
	Ifindex int
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
	if opts.Count == 0 || opts.Count > maxLiveFrames {
		return LiveReport{}, fmt.Errorf("bpftest: live frames: count %d is outside 1..%d", opts.Count, maxLiveFrames)
	}
	if len(opts.Frame) < 14 {
		return LiveReport{}, errors.New("bpftest: live frames: the frame is shorter than an Ethernet header")
	}
	run := func() (LiveReport, error) {
		ctx := &bpf.XDPContext{DataEnd: uint32(len(opts.Frame)), IngressIfindex: uint32(opts.Ifindex)}
		start := time.Now()
		res, err := prog.Run(bpf.RunOptions{Data: opts.Frame, Context: ctx, Repeat: opts.Count,
			Flags: bpf.RunXDPLiveFrames, BatchSize: opts.BatchSize})
		if err != nil {
			return LiveReport{}, fmt.Errorf("bpftest: live frames through %s on ifindex %d: %w", prog.Name(), opts.Ifindex, err)
		}
		return LiveReport{Frames: opts.Count, Elapsed: time.Since(start), PerFrame: res.Duration}, nil
	}
	if opts.NS == nil {
		return run()
	}
	var rep LiveReport
	err := opts.NS.Do(func() (err error) {
		rep, err = run()
		return err
	})
	return rep, err
}
