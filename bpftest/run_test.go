package bpftest_test

import (
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/packet"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/maps"
)

var (
	addrA = netip.MustParseAddr("192.0.2.1")
	addrB = netip.MustParseAddr("192.0.2.2")
	tcp80 = packet.TCPv4(netip.AddrPortFrom(addrA, 40000), netip.AddrPortFrom(addrB, 80), packet.SYN)
)

func load(t *testing.T, spec *bpf.ProgramSpec, m map[string]bpf.MapFD) *bpf.Program {
	t.Helper()
	bpftest.RequirePrivileged(t)
	prog, err := bpf.NewProgramWithOptions(spec, bpf.ProgramOptions{Maps: m})
	if err != nil {
		t.Fatalf("%+v", err)
	}
	t.Cleanup(func() { prog.Close() })
	return prog
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// metaMark is xdp2skb_meta's XDP half: 4 bytes of metadata holding 42.
var metaMark = &bpf.ProgramSpec{Name: "xdp_mark", Type: bpf.XDP, License: "GPL", Instructions: asm.Instructions{
	asm.Mov.Reg(asm.R6, asm.R1),
	asm.Mov.Imm(asm.R2, -4),
	asm.Call(asm.FnXdpAdjustMeta),
	asm.Mov.Imm(asm.R1, int32(bpf.XDPAborted)),
	asm.JNE.Imm(asm.R0, 0, "out"),
	asm.LoadMem(asm.R2, asm.R6, 8, asm.Word), // data_meta
	asm.LoadMem(asm.R3, asm.R6, 0, asm.Word), // data
	asm.Mov.Reg(asm.R4, asm.R2),
	asm.Add.Imm(asm.R4, 4),
	asm.JGT.Reg(asm.R4, asm.R3, "out"),
	asm.StoreImm(asm.R2, 0, 42, asm.Word),
	asm.Mov.Imm(asm.R1, int32(bpf.XDPPass)),
	asm.Mov.Reg(asm.R0, asm.R1).WithSymbol("out"),
	asm.Return(),
}}

func TestRunXDPMetadata(t *testing.T) {
	prog := load(t, metaMark, nil)
	res := bpftest.RunXDP(t, prog, tcp80, nil).ExpectVerdict(bpf.XDPPass).ExpectMeta([]byte{42, 0, 0, 0}).ExpectData(tcp80)
	if p := res.Packet(); p.TCP() == nil || p.TCP().DstPort != 80 {
		t.Fatalf("parsed output: %v", p)
	}
	// The assertions fail when they should.
	rec := &recorder{TB: t}
	bpftest.RunXDP(rec, prog, tcp80, nil).ExpectVerdict(bpf.XDPDrop).ExpectMeta([]byte{41, 0, 0, 0}).ExpectData(tcp80[1:])
	if len(rec.errors) != 3 || !strings.Contains(rec.errors[0], "verdict XDP_PASS, want XDP_DROP") || !strings.Contains(rec.errors[1], "XDP metadata differs from byte 0") {
		t.Fatalf("recorded failures: %q", rec.errors)
	}
}

func TestRunTCContext(t *testing.T) {
	prog := load(t, &bpf.ProgramSpec{Name: "tc_mark", Type: bpf.SchedCLS, License: "GPL", Instructions: asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 8, asm.Word), // skb->mark
		asm.Add.Imm(asm.R2, 1),
		asm.StoreMem(asm.R1, 8, asm.R2, asm.Word),
		// A register store: Linux 6.1 refuses to store an immediate
		// (BPF_ST) through the context pointer.
		asm.Mov.Imm(asm.R3, 6),
		asm.StoreMem(asm.R1, 32, asm.R3, asm.Word), // skb->priority
		asm.Mov.Imm(asm.R0, int32(bpf.TCActOK)),
		asm.Return(),
	}}, nil)
	in := &bpf.SKBContext{Mark: 41}
	res := bpftest.RunTC(t, prog, tcp80, in).ExpectVerdict(bpf.TCActOK).ExpectMark(42).ExpectPriority(6).ExpectData(tcp80)
	if res.ReturnValue != uint32(bpf.TCActOK) {
		t.Errorf("ReturnValue %d, want %d", res.ReturnValue, bpf.TCActOK)
	}
	if in.Mark != 41 {
		t.Fatal("RunTC modified the input context")
	}
	rec := &recorder{TB: t}
	bpftest.RunTC(rec, prog, tcp80, nil).ExpectVerdict(bpf.TCActShot).ExpectMark(42).ExpectPriority(6)
	if len(rec.errors) != 2 || !strings.Contains(rec.errors[1], "skb->mark 1, want 42") {
		t.Fatalf("recorded failures: %q", rec.errors)
	}
}

// counter adds one to element 0 of the map "counters" and passes.
func counter() *bpf.ProgramSpec {
	return &bpf.ProgramSpec{Name: "count", Type: bpf.XDP, License: "GPL", Instructions: asm.Instructions{
		asm.StoreImm(asm.R10, -4, 0, asm.Word),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -4),
		asm.LoadMapPtr(asm.R1, "counters"),
		asm.Call(asm.FnMapLookupElem),
		asm.JEq.Imm(asm.R0, 0, "out"),
		asm.Mov.Imm(asm.R1, 1),
		asm.AtomicAdd(asm.R0, 0, asm.R1, asm.DWord),
		asm.Mov.Imm(asm.R0, int32(bpf.XDPPass)).WithSymbol("out"),
		asm.Return(),
	}}
}

func TestMapAssertions(t *testing.T) {
	bpftest.RequirePrivileged(t)
	for _, typ := range []maps.Type{maps.Array, maps.PerCPUArray} {
		t.Run(typ.String(), func(t *testing.T) {
			m, err := maps.New(&maps.Spec{Name: "counters", Type: typ, KeySize: 4, ValueSize: 8, MaxEntries: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			prog := load(t, counter(), map[string]bpf.MapFD{"counters": m})
			for i := 0; i < 3; i++ {
				bpftest.RunXDP(t, prog, tcp80, nil).ExpectVerdict(bpf.XDPPass)
			}
			rec := &recorder{TB: t}
			if typ == maps.PerCPUArray {
				bpftest.ExpectPerCPUSum(t, m, uint32(0), 3)
				bpftest.ExpectPerCPUSum(rec, m, uint32(0), 4)
			} else {
				bpftest.ExpectLookup(t, m, uint32(0), uint64(3))
				bpftest.ExpectLookup(rec, m, uint32(0), uint64(4))
			}
			if len(rec.errors) != 1 {
				t.Fatalf("a wrong expectation was not reported: %q", rec.errors)
			}
			if typ == maps.Array {
				// A map that is not per-CPU is reported, not summed.
				bpftest.ExpectPerCPUSum(rec, m, uint32(0), 3)
				if len(rec.errors) != 2 || !strings.Contains(rec.errors[1], "per-CPU") {
					t.Fatalf("ExpectPerCPUSum on an array: %q", rec.errors)
				}
			}
		})
	}
}

// TestRunXDPContext: the input xdp_md reaches the program, which returns
// the ingress ifindex it sees: the namespace's loopback (1) without a
// context, veth0 with one naming it. The result carries the context after
// the run (the kernel writes back the ingress ifindex it was given), and
// the input context is left alone.
func TestRunXDPContext(t *testing.T) {
	prog := load(t, &bpf.ProgramSpec{Name: "ifindex", Type: bpf.XDP, License: "GPL", Instructions: asm.Instructions{
		asm.LoadMem(asm.R0, asm.R1, 12, asm.Word), // ingress_ifindex
		asm.Return(),
	}}, nil)
	pair := bpftest.NewVethPair(t, testnet.VethOptions{})
	tests := []struct {
		name string
		ctx  *bpf.XDPContext
		want uint32
	}{
		{"no context", nil, 1},
		{"ingress veth0", &bpf.XDPContext{IngressIfindex: uint32(pair.A.Index)}, uint32(pair.A.Index)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before bpf.XDPContext
			if tt.ctx != nil {
				before = *tt.ctx
			}
			pair.A.Do(func() error {
				res := bpftest.RunXDP(t, prog, tcp80, tt.ctx).ExpectData(tcp80)
				if res.ReturnValue != tt.want || res.Verdict != bpf.XDPAction(tt.want) {
					t.Errorf("return value %d (verdict %v), want %d", res.ReturnValue, res.Verdict, tt.want)
				}
				if res.Context == nil || res.Context.DataEnd != uint32(len(tcp80)) || res.Context.IngressIfindex != before.IngressIfindex {
					t.Errorf("context after the run %+v", res.Context)
				}
				return nil
			})
			if tt.ctx != nil && *tt.ctx != before {
				t.Errorf("input context changed: %+v", *tt.ctx)
			}
		})
	}
}

// ExampleRunXDP is a complete test of an XDP program: build a frame, run
// the program on it, assert the verdict. In a _test.go file it is
//
//	func TestDropsHTTP(t *testing.T) { ... }
func ExampleRunXDP() {
	t := &testing.T{} // in a real test: the *testing.T of the test
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "drop", Type: bpf.XDP, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, int32(bpf.XDPDrop)), asm.Return()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	frame := packet.TCPv4(netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("192.0.2.2:80"), packet.SYN)
	res := bpftest.RunXDP(t, prog, frame, nil).ExpectVerdict(bpf.XDPDrop)
	fmt.Println(res.Verdict)
}

// TestExampleRunXDP runs the example (it needs root, so it has no Output
// comment) and checks what it prints.
func TestExampleRunXDP(t *testing.T) {
	bpftest.RequirePrivileged(t)
	if got := captureStdout(t, ExampleRunXDP); got != "XDP_DROP\n" {
		t.Fatalf("example printed %q", got)
	}
}

// TestRequireFeature: a present feature goes on, a missing one skips
// naming it (also under PUREBPF_REQUIRE_PRIVILEGED=1), and a probe that
// cannot decide fails the test.
func TestRequireFeature(t *testing.T) {
	for _, tt := range []struct {
		name    string
		answer  error
		outcome string // "run", "skip" or "fail"
		message string // part of the skip or failure message
	}{
		{"present", nil, "run", ""},
		{"missing", &features.Error{Feature: "tcx links", MinKernel: "6.6"}, "skip",
			"kernel lacks a feature: tcx links: not supported by the running kernel (since Linux 6.6)"},
		{"missing, wrapped", fmt.Errorf("probe: %w", bpf.ErrNotSupported), "skip", "kernel lacks a feature: probe: not supported"},
		{"undecided", fmt.Errorf("probe: %w", unix.EPERM), "fail", "probe for a feature failed: probe: operation not permitted"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &outcomeRecorder{TB: t}
			rec.run(func() {
				bpftest.RequireFeature(rec, "a feature", func() error { return tt.answer })
				rec.outcome = "run"
			})
			if rec.outcome != tt.outcome || !strings.Contains(rec.message, tt.message) {
				t.Fatalf("outcome %q (%q), want %q containing %q", rec.outcome, rec.message, tt.outcome, tt.message)
			}
		})
	}
}

// outcomeRecorder records whether a function under test went on, skipped
// or failed (ending the function as SkipNow and FailNow end a test's
// goroutine), and with which message.
type outcomeRecorder struct {
	testing.TB
	outcome, message string
}

func (r *outcomeRecorder) Helper() {}
func (r *outcomeRecorder) Skip(args ...any) {
	r.outcome, r.message = "skip", fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *outcomeRecorder) Fatalf(format string, args ...any) {
	r.outcome, r.message = "fail", fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *outcomeRecorder) run(fn func()) {
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	<-done
}
