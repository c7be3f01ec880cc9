package check

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
)

// TestBranchesTheKernelDecides compares with the running kernel branches
// that the kernel decides from what it knows of a value or a packet pointer, with an error
// (a read of a register never written) on the side it never walks: the
// checker must give the kernel's verdict, never a rejection the kernel
// does not make (the mutation differential found both: `if w1 < 0` on a
// u32 load, which the checker's missing 32-bit bounds explored, and
// BPF_NEG of a constant, which 6.17+ computes; a packet pointer compared
// with data_end again after it was found beyond it).
func TestBranchesTheKernelDecides(t *testing.T) {
	env := loadEnv(t)
	// r6 is the context (__sk_buff); the setup leaves the value in r1.
	skbLen := asm.LoadMem(asm.R1, asm.R6, 0, asm.Word) // __sk_buff.len: any u32
	// r2 = data, r3 = data_end, r4 = data + 15.
	pkt := func() asm.Instructions {
		return asm.Instructions{
			asm.LoadMem(asm.R2, asm.R6, 76, asm.Word),
			asm.LoadMem(asm.R3, asm.R6, 80, asm.Word),
			asm.Mov.Reg(asm.R4, asm.R2),
			asm.Add.Imm(asm.R4, 15),
		}
	}
	neg := func(v kernelModel) string {
		if !v.Less(negUnknownBefore) && !v.has(featNegRange) {
			return "BPF_NEG on kernel"
		}
		return ""
	}
	bswap := func(v kernelModel) string {
		if !byteSwapKnown(v) {
			return "a byte swap's result is unknown to the checker"
		}
		return ""
	}
	for _, tt := range []struct {
		name  string
		setup asm.Instructions
		jump  asm.Instruction // never taken to "bad", or always taken to "ok" over it
		// noVerdict, when it returns a text for the running kernel, is
		// what the checker says instead of a verdict there.
		noVerdict func(kernelModel) string
	}{
		{"u32 w1 < 0", asm.Instructions{skbLen}, asm.JLT.Imm32(asm.R1, 0, "bad"), nil},
		{"u32 w1 >= 0", asm.Instructions{skbLen}, asm.JGE.Imm32(asm.R1, 0, "ok"), nil},
		{"u32 with upper bits, w1 < 0", asm.Instructions{
			skbLen,
			asm.LoadImm64(asm.R2, 1<<40),
			asm.Or.Reg(asm.R1, asm.R2),
		}, asm.JLT.Imm32(asm.R1, 0, "bad"), nil},
		{"low half in [2^31, 2^31+255], w1 s> -1", asm.Instructions{
			skbLen,
			asm.And.Imm(asm.R1, 0xff),
			asm.Or.Imm32(asm.R1, -0x80000000),
		}, asm.JSGT.Imm32(asm.R1, -1, "bad"), nil},
		{"low half in [2^31, 2^31+255], w1 > 0x80000100", asm.Instructions{
			skbLen,
			asm.And.Imm(asm.R1, 0xff),
			asm.Or.Imm32(asm.R1, -0x80000000),
		}, asm.JGT.Imm32(asm.R1, -0x7fffff00, "bad"), nil},
		{"low half constant, upper half unknown", asm.Instructions{
			skbLen,
			asm.LSh.Imm(asm.R1, 32),
			asm.Or.Imm(asm.R1, 7),
		}, asm.JNE.Imm32(asm.R1, 7, "bad"), nil},
		{"neg of a constant", asm.Instructions{
			asm.Mov.Imm(asm.R1, 5),
			asm.Neg.Imm(asm.R1, 0),
		}, asm.JNE.Imm(asm.R1, -5, "bad"), neg},
		{"neg32 of a constant", asm.Instructions{
			asm.Mov.Imm32(asm.R1, 5),
			asm.Neg.Imm32(asm.R1, 0),
			asm.LoadImm64(asm.R2, 0xfffffffb),
		}, asm.JNE.Reg(asm.R1, asm.R2, "bad"), neg},
		{"neg of a range", asm.Instructions{
			skbLen,
			asm.And.Imm(asm.R1, 7),
			asm.Neg.Imm(asm.R1, 0),
		}, asm.JSGT.Imm(asm.R1, 0, "bad"), neg},
		// A packet pointer found beyond (or at) data_end: a later
		// comparison of it with data_end is decided (5.11+).
		{"packet pointer beyond the end, compared again", append(pkt(),
			asm.JLE.Reg(asm.R4, asm.R3, "ok"), // falls through when r4 > data_end
		), asm.JGT.Reg(asm.R4, asm.R3, "ok"), nil},
		{"packet pointer beyond the end, data_end compared", append(pkt(),
			asm.JLE.Reg(asm.R4, asm.R3, "ok"),
		), asm.JGE.Reg(asm.R3, asm.R4, "bad"), nil},
		{"packet pointer at the end, compared again", append(pkt(),
			asm.JLT.Reg(asm.R4, asm.R3, "ok"), // falls through when r4 >= data_end
		), asm.JGE.Reg(asm.R4, asm.R3, "ok"), nil},
		{"packet pointer at the end, JGT not decided", append(pkt(),
			asm.JLT.Reg(asm.R4, asm.R3, "ok"),
		), asm.JGT.Reg(asm.R4, asm.R3, "bad"), nil},
		{"packet pointer beyond the end, copy compared", append(pkt(),
			asm.Mov.Reg(asm.R5, asm.R4),
			asm.JLE.Reg(asm.R4, asm.R3, "ok"),
		), asm.JGT.Reg(asm.R5, asm.R3, "bad"), nil},
		// Byte swaps keep the known bits (6.18.35+).
		{"be16 of a constant", asm.Instructions{
			asm.Mov.Imm(asm.R1, 0x51234),
			asm.HostTo(asm.BE, asm.R1, asm.Half),
		}, asm.JNE.Imm(asm.R1, 0x3412, "bad"), bswap},
		{"bswap32 of a range", asm.Instructions{
			skbLen,
			asm.And.Imm(asm.R1, 0xff),
			asm.Swap(asm.R1, asm.Word),
		}, asm.JGT.Imm(asm.R1, -0x1000000, "bad"), bswap}, // r1 <= 0xff000000 (as u64: imm sign-extended)
		{"le32 of a range", asm.Instructions{
			skbLen,
			asm.And.Imm(asm.R1, 0xff),
			asm.HostTo(asm.LE, asm.R1, asm.Word),
		}, asm.JGT.Imm(asm.R1, 0xff, "bad"), bswap},
		// Sign-extending moves (cpu v4, 6.6+) keep constants and
		// small non-negative ranges.
		{"movsx of a constant", asm.Instructions{
			asm.Mov.Imm(asm.R1, 0xff),
			withOff(asm.Mov.Reg(asm.R2, asm.R1), 8),
		}, asm.JNE.Imm(asm.R2, -1, "bad"), nil},
		{"movsx of a small range", asm.Instructions{
			skbLen,
			asm.And.Imm(asm.R1, 0x7f),
			withOff(asm.Mov.Reg(asm.R2, asm.R1), 8),
		}, asm.JGT.Imm(asm.R2, 0x7f, "bad"), nil},
		// A map pointer is never NULL (6.17+; 6.15 and 6.16 not
		// known: no rejection, see below).
		{"map pointer compared with 0", asm.Instructions{
			asm.LoadMapPtr(asm.R1, "hash"),
		}, asm.JEq.Imm(asm.R1, 0, "bad"), func(v kernelModel) string {
			if !mapPtrNotNullKnown(v) {
				return "a map pointer was compared with 0"
			}
			return ""
		}},
		// Products bounded with signs and overflow checks (6.14+).
		{"product with a negative factor", asm.Instructions{
			skbLen,
			asm.Or.Imm(asm.R1, 7),
			asm.Mul.Imm(asm.R1, -8),
		}, asm.JGE.Imm(asm.R1, 15, "ok"), nil},
		// A branch bounds the copies of the value it compares (the
		// kernel's scalar ids): the checker does not model it and gives
		// no verdict on the sides where the branch bounded a copied value.
		{"copy bounded by a branch", asm.Instructions{
			skbLen,
			asm.Mov.Reg(asm.R2, asm.R1),
			asm.JGT.Imm(asm.R1, 10, "ok"),
		}, asm.JGT.Imm(asm.R2, 10, "bad"), func(kernelModel) string {
			return "a compared value has copies"
		}},
		// A privileged program may negate or byte-swap a pointer: the
		// result is an unknown scalar (then compared, both sides walked).
		{"neg of a pointer", asm.Instructions{
			asm.Mov.Reg(asm.R1, asm.R10),
			asm.Neg.Imm(asm.R1, 0),
		}, asm.JEq.Imm(asm.R1, 5, "ok"), nil},
		{"byte swap of a pointer", asm.Instructions{
			asm.Mov.Reg(asm.R1, asm.R6),
			asm.HostTo(asm.BE, asm.R1, asm.Word),
		}, asm.JEq.Imm(asm.R1, 5, "ok"), nil},
		// Since 6.6 or so the kernel bounds the CPU number by the
		// machine's CPU count, which the checker cannot know: its
		// rejection on that path is no verdict (state.imprecise).
		{"cpu number above 100000", asm.Instructions{
			asm.Call(asm.FnGetSmpProcessorId),
		}, asm.JGT.Imm(asm.R0, 100000, "bad"), func(v kernelModel) string {
			if !v.Less(cpuBoundSince) {
				return "bpf_get_smp_processor_id() is below the loading machine's CPU count"
			}
			return ""
		}},
		// A map value pointer whose offset may wrap it to 0: 6.12.118
		// does not decide the NULL check, 6.18.35 does.
		{"map value pointer with an unbounded offset compared with 0", asm.Instructions{
			asm.StoreImm(asm.R10, -4, 0, asm.Word),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -4),
			asm.LoadMapPtr(asm.R1, "array"),
			asm.Call(asm.FnMapLookupElem),
			asm.JEq.Imm(asm.R0, 0, "ok"),
			asm.LoadMem(asm.R1, asm.R0, 0, asm.Word),
			asm.LSh.Imm(asm.R1, 2),
			asm.Add.Reg(asm.R0, asm.R1),
		}, asm.JNE.Imm(asm.R0, 0, "ok"), func(kernelModel) string {
			return "a pointer whose offset may wrap it to 0 was compared with 0"
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			insns := asm.Instructions{asm.Mov.Reg(asm.R6, asm.R1)}
			insns = append(insns, tt.setup...)
			insns = append(insns, tt.jump)
			if tt.jump.Reference() == "bad" {
				insns = append(insns, asm.Ja("ok"))
			}
			insns = append(insns,
				asm.Mov.Reg(asm.R0, asm.R9).WithSymbol("bad"),
				asm.Mov.Imm(asm.R0, 0).WithSymbol("ok"),
				asm.Return(),
			)
			o := compare(t, env, genProg{name: "decided", class: "decided", typ: kernel.SchedCLS, license: "GPL", insns: insns})
			if o.falseAccept() {
				t.Fatalf("false accept: %v", o)
			}
			if errors.Is(o.ours, ErrUnsupported) {
				v, err := kernel.RunningVersion()
				if err != nil {
					t.Fatal(err)
				}
				want := ""
				if tt.noVerdict != nil {
					want = tt.noVerdict(kernelModel{v})
				}
				if want == "" || !strings.Contains(o.ours.Error(), want) {
					t.Fatalf("no verdict (want %q), the kernel's is %v: %v", want, o.kernel, o.ours)
				}
				t.Logf("no verdict, as expected on %v (kernel: %v): %v", v, o.kernel, o.ours)
				return
			}
			if o.falseReject() {
				t.Fatalf("false reject: %v", o)
			}
			t.Logf("kernel %v, checker %v", o.kernel, o.ours)
		})
	}
}

// TestLowHalfContainsEveryValue checks lowHalf's bounds against concrete
// values: for random sets of 64-bit values, a scalar that holds them all
// (exact ranges and known bits) gives 32-bit bounds that hold every value's
// low half, in both the modern and the legacy model.
func TestLowHalfContainsEveryValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 32))
	// Values near the edges where halves and signs change.
	pick := func() uint64 {
		bases := []uint64{0, 1 << 31, 1 << 32, 1<<32 + 1<<31, 1 << 63, math.MaxUint64 - 1<<31, math.MaxUint64}
		b := bases[rng.IntN(len(bases))]
		return b + uint64(rng.IntN(512)) - 256
	}
	for range 200000 {
		vals := make([]uint64, 1+rng.IntN(4))
		for i := range vals {
			vals[i] = pick()
		}
		s := scalar{t: tnumConst(vals[0]), smin: int64(vals[0]), smax: int64(vals[0]), umin: vals[0], umax: vals[0]}
		for _, v := range vals[1:] {
			s.t.mask |= s.t.value ^ v
			s.t.value &^= s.t.mask
			s.umin, s.umax = min(s.umin, v), max(s.umax, v)
			s.smin, s.smax = min(s.smin, int64(v)), max(s.smax, int64(v))
		}
		for _, modern := range []bool{false, true} {
			l, ok := lowHalf(s, modern)
			if !ok {
				t.Fatalf("lowHalf(%+v, modern %v): contradiction for values %#x", s, modern, vals)
			}
			for _, v := range vals {
				u, sv := uint64(uint32(v)), int64(int32(v))
				if u < l.umin || u > l.umax || sv < l.smin || sv > l.smax || (u^l.t.value)&^l.t.mask != 0 {
					t.Fatalf("lowHalf(%+v, modern %v) = %+v excludes the low half of %#x", s, modern, l, v)
				}
			}
		}
	}
}

// TestMapPtrNotNullKnown pins the kernels whose rule for a map pointer
// compared with 0 was read in their sources, and those left unknown.
func TestMapPtrNotNullKnown(t *testing.T) {
	for _, tt := range []struct {
		v          kernel.Version
		known, has bool
	}{
		{kernel.V(6, 1, 192), true, false},
		{kernel.V(6, 1, 193), false, false},
		{kernel.V(6, 6, 57), true, false},
		{kernel.V(6, 6, 58), false, false},
		{kernel.V(6, 9, 0), true, false},
		{kernel.V(6, 12, 19), true, false},
		{kernel.V(6, 12, 60), false, false},
		{kernel.V(6, 12, 118), true, true},
		{kernel.V(6, 14, 0), true, false},
		{kernel.V(6, 15, 2), false, false},
		{kernel.V(6, 16, 9), false, false},
		{kernel.V(6, 17, 0), true, true},
		{kernel.V(6, 18, 44), true, true},
	} {
		kv := kernelModel{tt.v}
		if got := mapPtrNotNullKnown(kv); got != tt.known {
			t.Errorf("%v: known %v, want %v", tt.v, got, tt.known)
		}
		if got := kv.has(featMapPtrNotNull); got != tt.has {
			t.Errorf("%v: has %v, want %v", tt.v, got, tt.has)
		}
	}
}

// TestMulScalarCheckedSound checks the 6.14+ product bounds against brute
// force, as TestScalarALUSound does for the other operations, and on
// products that overflow.
func TestMulScalarCheckedSound(t *testing.T) {
	inputs := abstractInputs()
	checked := 0
	for _, a := range inputs {
		for _, b := range inputs {
			r := mulScalarChecked(a.s, b.s)
			for _, x := range a.vals {
				for _, y := range b.vals {
					checked++
					if want := x * y; !contains(r, want) {
						t.Fatalf("%#x * %#x = %#x, not in %s from %s and %s", x, y, want, show(r), show(a.s), show(b.s))
					}
				}
			}
		}
	}
	// Products near the ends of the signed and unsigned ranges.
	rng := rand.New(rand.NewPCG(14, 6))
	edge := func() uint64 {
		bases := []uint64{0, 1 << 31, 1 << 32, 1 << 62, 1 << 63, math.MaxUint64 - 1<<32, math.MaxUint64}
		return bases[rng.IntN(len(bases))] + uint64(rng.IntN(64)) - 32
	}
	for range 200000 {
		x1, x2, y1, y2 := edge(), edge(), edge(), edge()
		a := scalar{t: tnumUnknown, umin: min(x1, x2), umax: max(x1, x2), smin: math.MinInt64, smax: math.MaxInt64}
		if int64(min(x1, x2)) <= int64(max(x1, x2)) && (x1 >= 1<<63) == (x2 >= 1<<63) {
			a.smin, a.smax = int64(min(x1, x2)), int64(max(x1, x2))
		}
		b := scalar{t: tnumUnknown, umin: min(y1, y2), umax: max(y1, y2), smin: math.MinInt64, smax: math.MaxInt64}
		if (y1 >= 1<<63) == (y2 >= 1<<63) {
			b.smin, b.smax = int64(min(y1, y2)), int64(max(y1, y2))
		}
		if !a.sync() || !b.sync() {
			continue
		}
		r := mulScalarChecked(a, b)
		for _, x := range []uint64{x1, x2} {
			for _, y := range []uint64{y1, y2} {
				checked++
				if want := x * y; !contains(r, want) {
					t.Fatalf("%#x * %#x = %#x, not in %s from %s and %s", x, y, want, show(r), show(a), show(b))
				}
			}
		}
	}
	t.Logf("%d products checked", checked)
}
