package check

import (
	"encoding/binary"
	"errors"
	"testing"
	"unsafe"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
)

// TestTimerPlacement finds the timer of the map values of testdata/progs/
// timers.o from their BTF.
func TestTimerPlacement(t *testing.T) {
	cs, err := elf.Open("testdata/progs/timers.o")
	if err != nil {
		t.Fatal(err)
	}
	lk, err := elf.Open("testdata/progs/locks.o")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		m   *maps.Spec
		ok  bool
		off int32
	}{
		{cs.Maps["flows"], true, 16},
		{cs.Maps["lru_flows"], true, 16},
		{cs.Maps["ticker"], true, 0},
		{cs.Maps["expired"], false, 0},
		{lk.Maps["flows"], false, 0},
		{&maps.Spec{Type: kernel.MapArray, KeySize: 4, ValueSize: 16, MaxEntries: 1}, false, 0},
	} {
		off, ok := timerPlacement(tt.m)
		if ok != tt.ok || off != tt.off {
			t.Errorf("map %q: timer placement %v at %d, want %v at %d", tt.m.Name, ok, off, tt.ok, tt.off)
		}
	}
}

// TestTimerRulesAgreeWithKernel runs programs around the timer of
// timers.o's "ticker" array (value: the timer at 0, u64 ticks, u64
// interval) through the checker and the kernel: the timer helpers with
// pointers at the timer, beside it, at variable offsets or on the stack,
// bpf_timer_init with the wrong map, missing arguments, the timer's bytes
// and their neighbours touched directly, by atomics and by helpers, and
// programs of several types. (Callbacks need func_info: the realistic
// programs of timers.c have them.)
func TestTimerRulesAgreeWithKernel(t *testing.T) {
	testenv.RequirePrivileged(t)
	cs, err := elf.Open("testdata/progs/timers.o")
	if err != nil {
		t.Fatal(err)
	}
	onlyMaps := cs.Copy()
	onlyMaps.Programs = nil
	for _, m := range onlyMaps.Maps {
		m.Pinning = maps.PinNone
	}
	coll, err := bpf.NewCollection(onlyMaps)
	if err != nil {
		t.Fatal(err)
	}
	defer coll.Close()
	ticker, flows := coll.Maps["ticker"].FD(), coll.Maps["flows"].FD()
	fds := map[int]*maps.Spec{ticker: cs.Maps["ticker"], flows: cs.Maps["flows"]}
	special := map[*maps.Spec]bool{cs.Maps["ticker"]: true, cs.Maps["flows"]: true}
	ldMap := func(reg asm.Register, fd int) asm.Instruction {
		ld := asm.LoadMapPtr(reg, "m")
		ld.SetMapFD(fd)
		return ld
	}
	// lookup puts a checked value pointer of ticker's element 0 in reg.
	lookup := func(reg asm.Register) asm.Instructions {
		return asm.Instructions{
			asm.StoreImm(asm.RFP, -8, 0, asm.DWord),
			ldMap(asm.R1, ticker), asm.Mov.Reg(asm.R2, asm.RFP), asm.Add.Imm(asm.R2, -8),
			asm.Call(asm.FnMapLookupElem),
			asm.JEq.Imm(asm.R0, 0, "out"),
			asm.Mov.Reg(reg, asm.R0),
		}
	}
	timerArg := func(off int32) asm.Instructions {
		return asm.Instructions{asm.Mov.Reg(asm.R1, asm.R6), asm.Add.Imm(asm.R1, off)}
	}
	prog := func(parts ...asm.Instructions) asm.Instructions {
		insns := asm.Instructions{asm.Mov.Reg(asm.R7, asm.R1)}
		for _, p := range parts {
			insns = append(insns, p...)
		}
		return append(insns, asm.Mov.Imm(asm.R0, 0).WithSymbol("out"), asm.Return())
	}
	ins := func(i ...asm.Instruction) asm.Instructions { return i }
	initWith := func(fd int) asm.Instructions {
		return ins(ldMap(asm.R2, fd), asm.Mov.Imm(asm.R3, 1), asm.Call(asm.FnTimerInit))
	}
	start := ins(asm.Mov.Imm(asm.R2, 1000), asm.Mov.Imm(asm.R3, 0), asm.Call(asm.FnTimerStart))
	cancel := ins(asm.Call(asm.FnTimerCancel))
	cases := []struct {
		name string
		typ  kernel.ProgramType
		// unsupported: the checker may say ErrUnsupported.
		unsupported bool
		insns       asm.Instructions
	}{
		{name: "init", insns: prog(lookup(asm.R6), timerArg(0), initWith(ticker))},
		{name: "init_wrong_map", insns: prog(lookup(asm.R6), timerArg(0), initWith(flows))},
		{name: "init_scalar_map", insns: prog(lookup(asm.R6), timerArg(0), ins(asm.Mov.Imm(asm.R2, 0), asm.Mov.Imm(asm.R3, 1), asm.Call(asm.FnTimerInit)))},
		{name: "init_without_flags", insns: prog(lookup(asm.R6), timerArg(0), ins(ldMap(asm.R2, ticker), asm.Call(asm.FnTimerInit)))},
		{name: "init_any_flags", insns: prog(lookup(asm.R6), timerArg(0), ins(ldMap(asm.R2, ticker), asm.Mov.Imm(asm.R3, 12345), asm.Call(asm.FnTimerInit)))},
		{name: "start", insns: prog(lookup(asm.R6), timerArg(0), start)},
		{name: "start_without_flags", insns: prog(lookup(asm.R6), timerArg(0), ins(asm.Mov.Imm(asm.R2, 1000), asm.Call(asm.FnTimerStart)))},
		{name: "start_wrong_offset", insns: prog(lookup(asm.R6), timerArg(8), start)},
		{name: "start_past_value", insns: prog(lookup(asm.R6), timerArg(32), start)},
		{name: "start_variable_offset", insns: prog(lookup(asm.R6), ins(asm.Call(asm.FnGetPrandomU32), asm.And.Imm(asm.R0, 16), asm.Add.Reg(asm.R6, asm.R0)), timerArg(0), start)},
		{name: "start_null_value", insns: prog(ins(asm.StoreImm(asm.RFP, -8, 0, asm.DWord),
			ldMap(asm.R1, flows), asm.Mov.Reg(asm.R2, asm.RFP), asm.Add.Imm(asm.R2, -8),
			asm.Call(asm.FnMapLookupElem), asm.Mov.Reg(asm.R1, asm.R0)), start)},
		{name: "cancel", insns: prog(lookup(asm.R6), timerArg(0), cancel)},
		{name: "cancel_stack", insns: prog(ins(asm.StoreImm(asm.RFP, -16, 0, asm.DWord), asm.StoreImm(asm.RFP, -8, 0, asm.DWord), asm.Mov.Reg(asm.R1, asm.RFP), asm.Add.Imm(asm.R1, -16)), cancel)},
		{name: "cancel_ctx", insns: prog(ins(asm.Mov.Reg(asm.R1, asm.R7)), cancel)},
		{name: "read_timer", insns: prog(lookup(asm.R6), ins(asm.LoadMem(asm.R0, asm.R6, 0, asm.DWord)))},
		{name: "read_timer_last_byte", insns: prog(lookup(asm.R6), ins(asm.LoadMem(asm.R0, asm.R6, 15, asm.Byte)))},
		{name: "read_after_timer", insns: prog(lookup(asm.R6), ins(asm.LoadMem(asm.R0, asm.R6, 16, asm.DWord)))},
		{name: "read_over_timer", insns: prog(lookup(asm.R6), ins(asm.LoadMem(asm.R0, asm.R6, 12, asm.DWord)))},
		{name: "write_timer", insns: prog(lookup(asm.R6), ins(asm.StoreImm(asm.R6, 8, 0, asm.DWord)))},
		{name: "atomic_timer", insns: prog(lookup(asm.R6), ins(asm.Mov.Imm(asm.R1, 1), asm.AtomicAdd(asm.R6, 0, asm.R1, asm.DWord)))},
		{name: "atomic_ticks", insns: prog(lookup(asm.R6), ins(asm.Mov.Imm(asm.R1, 1), asm.AtomicAdd(asm.R6, 16, asm.R1, asm.DWord)))},
		{name: "helper_reads_timer", insns: prog(lookup(asm.R6), ins(asm.Mov.Reg(asm.R1, asm.R6), asm.Mov.Imm(asm.R2, 16), asm.Call(asm.FnTracePrintk)))},
		{name: "helper_reads_after_timer", insns: prog(lookup(asm.R6), ins(asm.Mov.Reg(asm.R1, asm.R6), asm.Add.Imm(asm.R1, 16), asm.Mov.Imm(asm.R2, 16), asm.Call(asm.FnTracePrintk)))},
		{name: "variable_read_near_timer", unsupported: true, insns: prog(lookup(asm.R6), ins(asm.Call(asm.FnGetPrandomU32), asm.And.Imm(asm.R0, 16),
			asm.Add.Reg(asm.R6, asm.R0), asm.LoadMem(asm.R0, asm.R6, 0, asm.Word)))},
		{name: "xdp_init_start", typ: kernel.XDP, insns: prog(lookup(asm.R6), timerArg(0), initWith(ticker), timerArg(0), start)},
		{name: "cgroup_skb_start", typ: kernel.CGroupSKB, insns: prog(lookup(asm.R6), timerArg(0), start, ins(asm.Mov.Imm(asm.R0, 1)))},
		{name: "socket_filter_start", typ: kernel.SocketFilter, insns: prog(lookup(asm.R6), timerArg(0), start)},
		{name: "kprobe_lookup", typ: kernel.Kprobe, insns: prog(lookup(asm.R6))},
		{name: "tracepoint_lookup", typ: kernel.TracePoint, insns: prog(lookup(asm.R6))},
	}
	for _, tc := range cases {
		typ := tc.typ
		if typ == 0 {
			typ = kernel.SchedCLS
		}
		requireProgramType(t, typ)
		ours := checkInsns(tc.insns, progEnv{Program: tc.name, ProgramType: typ, License: "GPL", MapsByFD: fds, SpecialValues: special})
		code, err := tc.insns.Encode(binary.NativeEndian)
		if err != nil {
			t.Fatal(err)
		}
		license := []byte("GPL\x00")
		attr := sys.ProgLoadAttr{ProgType: uint32(typ), InsnCnt: uint32(len(code) / 8),
			Insns: sys.NewPointer(unsafe.Pointer(&code[0])), License: sys.NewPointer(unsafe.Pointer(&license[0]))}
		pfd, theirs := sys.ProgLoad(&attr)
		if theirs == nil {
			pfd.Close()
		}
		switch {
		case ours == nil && theirs != nil:
			t.Errorf("%s: FALSE ACCEPT (kernel: %v)", tc.name, theirs)
		case errors.Is(ours, ErrUnsupported):
			if !tc.unsupported {
				t.Errorf("%s: no verdict: %v", tc.name, ours)
			}
		case ours != nil && theirs == nil:
			t.Errorf("%s: false rejection: %v", tc.name, ours)
		default:
			t.Logf("%s: %v (kernel: %v)", tc.name, ours, theirs)
		}
	}
}
