package bpftest

import (
	"bytes"
	"testing"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/bpftest/packet"
	"github.com/purebpf/bpf/maps"
)

// maxFrame is the output buffer size of test runs: enough for a frame of
// the largest MTU plus metadata and headroom a program may add.
const maxFrame = 64 << 10

// XDPResult is the outcome of an XDP test run, with assertions that fail
// the test that produced it.
type XDPResult struct {
	tb testing.TB
	// Verdict is what the program returned, as an XDP action.
	Verdict bpf.XDPAction
	// ReturnValue is the raw return value (bpf.RunResult.ReturnValue).
	ReturnValue uint32
	// Data is the packet after the run (without metadata).
	Data []byte
	// Meta is the metadata area in front of the packet
	// (bpf_xdp_adjust_meta), or empty.
	Meta []byte
	// Context is the xdp_md after the run.
	Context *bpf.XDPContext
	// Duration is the kernel's time for one run.
	Duration time.Duration
}

// RunXDP runs an XDP program once on frame (BPF_PROG_TEST_RUN) and fails
// the test if the run itself fails. ctx, if not nil, is the input xdp_md
// (IngressIfindex, RxQueueIndex; Data is the length of metadata at the
// start of frame); its DataEnd may be left 0 and
// is then len(frame). Neither frame nor ctx is modified.
func RunXDP(tb testing.TB, prog *bpf.Program, frame []byte, ctx *bpf.XDPContext) *XDPResult {
	tb.Helper()
	out := make([]byte, maxFrame)
	after := &bpf.XDPContext{}
	if ctx != nil {
		*after = *ctx
	}
	if after.DataEnd == 0 {
		after.DataEnd = uint32(len(frame))
	}
	res, err := prog.Run(bpf.RunOptions{Data: frame, DataOut: out, Context: after, ContextOut: after})
	if err != nil {
		tb.Fatalf("bpftest: run %s on a %d-byte frame: %v", prog.Name(), len(frame), err)
	}
	out = out[:res.DataSize]
	meta := int(after.Data)
	if meta > len(out) {
		tb.Fatalf("bpftest: run %s: metadata of %d bytes in an output of %d", prog.Name(), meta, len(out))
	}
	return &XDPResult{tb: tb, Verdict: bpf.XDPAction(res.ReturnValue), ReturnValue: res.ReturnValue,
		Data: out[meta:], Meta: out[:meta], Context: after, Duration: res.Duration}
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
	// filters return the number of bytes to keep instead: see
	// ReturnValue.
	Verdict bpf.TCAction
	// ReturnValue is the raw return value (bpf.RunResult.ReturnValue).
	ReturnValue uint32
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
	return &TCResult{tb: tb, Verdict: bpf.TCAction(res.ReturnValue), ReturnValue: res.ReturnValue,
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
// add up to want (4- or 8-byte unsigned counters, as the tutorial's xdp1
// keeps them; see maps.Map.LookupPerCPUSum). key is a fixed-size value or
// a pointer to one, as in maps.Map.Lookup.
func ExpectPerCPUSum(tb testing.TB, m *maps.Map, key any, want uint64) {
	tb.Helper()
	sum, err := m.LookupPerCPUSum(key)
	if err != nil {
		tb.Errorf("bpftest: lookup %v: %v", key, err)
		return
	}
	if sum != want {
		tb.Errorf("bpftest: map %s[%v] sums to %d over the CPUs, want %d", m, key, sum, want)
	}
}
