package check

import (
	"fmt"
	"math"
	"math/bits"
	"testing"

	"github.com/purebpf/bpf/asm"
)

// abstractInputs returns abstract scalars over small concrete domains, each
// with every concrete value it stands for: constants, unsigned and signed
// ranges and known-bit patterns placed at the edges where arithmetic wraps
// (0, 2^31, 2^32, 2^63, 2^64) and elsewhere.
func abstractInputs() []struct {
	s    scalar
	vals []uint64
} {
	bases := []uint64{0, 1<<31 - 8, 1<<32 - 8, 1<<63 - 8, math.MaxUint64 - 15, 1<<40 + 0x30}
	var list []scalar
	for _, b := range bases {
		for _, i := range []uint64{0, 3, 8, 15} {
			list = append(list, constScalar(b+i))
		}
		for _, r := range [][2]uint64{{0, 15}, {2, 5}, {0, 1}, {7, 8}, {6, 9}, {1, 14}} {
			s := unknownScalar()
			s.umin, s.umax = b+r[0], b+r[1]
			if s.sync() {
				list = append(list, s)
			}
		}
		for _, m := range []uint64{0b0101, 0b1100, 0b1010, 0b0011, 0b0110} {
			list = append(list, fromTnum(tnum{(b + 0b0010) &^ m, m}))
		}
	}
	// Signed ranges across 0, and a range with known bits.
	for _, r := range [][2]int64{{-4, 3}, {-1, 0}, {-8, -2}, {math.MinInt64, math.MinInt64 + 5}, {math.MaxInt64 - 5, math.MaxInt64}} {
		s := unknownScalar()
		s.smin, s.smax = r[0], r[1]
		if s.sync() {
			list = append(list, s)
		}
	}
	s := fromTnum(tnum{0x10, 0x0c})
	s.umax = 0x18
	if s.sync() {
		list = append(list, s)
	}

	var out []struct {
		s    scalar
		vals []uint64
	}
	for _, s := range list {
		vals := members(s)
		if len(vals) == 0 || len(vals) > 16 {
			continue
		}
		out = append(out, struct {
			s    scalar
			vals []uint64
		}{s, vals})
	}
	return out
}

// members enumerates the concrete values of s when there are few of them
// (nil when too many to list).
func members(s scalar) []uint64 {
	var cands []uint64
	switch {
	case s.umax-s.umin <= 64:
		for v := s.umin; ; v++ {
			cands = append(cands, v)
			if v == s.umax {
				break
			}
		}
	case s.smax >= s.smin && uint64(s.smax-s.smin) <= 64:
		for v := s.smin; ; v++ {
			cands = append(cands, uint64(v))
			if v == s.smax {
				break
			}
		}
	case bits.OnesCount64(s.t.mask) <= 6:
		for sub := uint64(0); ; sub = (sub - s.t.mask) & s.t.mask {
			cands = append(cands, s.t.value|sub)
			if sub == s.t.mask {
				break
			}
		}
	default:
		return nil
	}
	var vals []uint64
	for _, v := range cands {
		if contains(s, v) {
			vals = append(vals, v)
		}
	}
	return vals
}

// concreteALU is what the CPU computes (BPF semantics: division by zero
// gives 0, modulo by zero leaves the dividend; 32-bit operations work on
// and zero-extend the low halves). ok is false for shifts by the width or
// more, which the verifier rejects or treats as unknown.
func concreteALU(op asm.ALUOp, a, b uint64, is64 bool) (uint64, bool) {
	w := uint64(64)
	if !is64 {
		a, b, w = a&0xffffffff, b&0xffffffff, 32
	}
	switch op {
	case asm.LSh, asm.RSh, asm.ArSh:
		if b >= w {
			return 0, false
		}
	case asm.Div:
		if b == 0 {
			return 0, true
		}
		if !is64 {
			return uint64(uint32(a) / uint32(b)), true
		}
		return a / b, true
	case asm.Mod:
		if b == 0 {
			return a, true
		}
		if !is64 {
			return uint64(uint32(a) % uint32(b)), true
		}
		return a % b, true
	}
	return concrete(op, a, b, is64), true
}

// TestScalarALUSound checks every ALU operation on abstract values
// against brute force: for all abstract inputs over small domains (ranges
// and known bits, 32- and 64-bit), the abstract result must contain the
// result of every pair of concrete inputs.
func TestScalarALUSound(t *testing.T) {
	inputs := abstractInputs()
	if len(inputs) < 80 {
		t.Fatalf("only %d abstract inputs", len(inputs))
	}
	ops := []asm.ALUOp{asm.Add, asm.Sub, asm.Mul, asm.Div, asm.Mod, asm.And, asm.Or, asm.Xor, asm.LSh, asm.RSh, asm.ArSh}
	checked := 0
	for _, op := range ops {
		for _, is64 := range []bool{true, false} {
			failures := 0
			for _, a := range inputs {
				for _, b := range inputs {
					r := scalarALU(op, a.s, b.s, is64)
					for _, x := range a.vals {
						for _, y := range b.vals {
							want, ok := concreteALU(op, x, y, is64)
							if !ok {
								continue
							}
							checked++
							if !contains(r, want) && failures < 5 {
								failures++
								t.Errorf("%s (64-bit %v): %#x op %#x = %#x, not in %s from %s and %s",
									aluName(op), is64, x, y, want, show(r), show(a.s), show(b.s))
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d abstract inputs, %d concrete results checked", len(inputs), checked)
}

// TestRefineSound checks branch decisions and what each side of a branch
// learns, for the rules of every modelled kernel, against brute force.
func TestRefineSound(t *testing.T) {
	inputs := abstractInputs()
	ops := []asm.JumpOp{asm.JEq, asm.JNE, asm.JGT, asm.JGE, asm.JLT, asm.JLE, asm.JSGT, asm.JSGE, asm.JSLT, asm.JSLE, asm.JSet}
	for _, kv := range []kernelModel{{k61}, {k6120}, {k618}} {
		c := &checker{kv: kv}
		for _, op := range ops {
			failures := 0
			fail := func(format string, args ...any) {
				if failures < 5 {
					failures++
					t.Errorf("Linux %v, %s: %s", kv.Version, jumpName(op), fmt.Sprintf(format, args...))
				}
			}
			for _, a := range inputs {
				for _, b := range inputs {
					decided := c.branchTaken(op, a.s, b.s)
					for _, taken := range []bool{true, false} {
						na, nb := a.s, b.s
						possible := true
						if kv.has(featRangeBranches) {
							possible = refine(&na, &nb, op, taken)
						} else {
							refineLegacy(&na, &nb, op, taken)
						}
						for _, x := range a.vals {
							for _, y := range b.vals {
								if constCompare(op, x, y, false) != taken {
									continue
								}
								switch {
								case decided == 1 && !taken, decided == 0 && taken:
									fail("%#x vs %#x goes the way %s,%s said it never goes (%d)", x, y, show(a.s), show(b.s), decided)
								case !possible:
									fail("%#x vs %#x (taken %v) is possible, refine said not: %s, %s", x, y, taken, show(a.s), show(b.s))
								case !contains(na, x) || !contains(nb, y):
									fail("%#x vs %#x (taken %v): learned %s, %s from %s, %s", x, y, taken, show(na), show(nb), show(a.s), show(b.s))
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestLegacyJmp32Sound checks the 32-bit comparisons of kernels before 6.8
// against brute force.
func TestLegacyJmp32Sound(t *testing.T) {
	inputs := abstractInputs()
	ops := []asm.JumpOp{asm.JEq, asm.JNE, asm.JGT, asm.JGE, asm.JLT, asm.JLE, asm.JSGT, asm.JSGE, asm.JSLT, asm.JSLE, asm.JSet}
	for _, op := range ops {
		failures := 0
		for _, a := range inputs {
			for _, b := range inputs {
				for _, taken := range []bool{true, false} {
					f := &frame{}
					f.regs[asm.R1].v, f.regs[asm.R2].v = a.s, b.s
					legacyJmp32(f, asm.R1, asm.R2, a.s, b.s, op, taken)
					for _, x := range a.vals {
						for _, y := range b.vals {
							if constCompare(op, uint64(uint32(x)), uint64(uint32(y)), true) != taken {
								continue
							}
							if (!contains(f.regs[asm.R1].v, x) || !contains(f.regs[asm.R2].v, y)) && failures < 5 {
								failures++
								t.Errorf("w%s: %#x vs %#x (taken %v): learned %s, %s from %s, %s", jumpName(op), x, y, taken,
									show(f.regs[asm.R1].v), show(f.regs[asm.R2].v), show(a.s), show(b.s))
							}
						}
					}
				}
			}
		}
	}
}

func show(s scalar) string {
	return fmt.Sprintf("{u[%#x,%#x] s[%d,%d] t(%#x;%#x)}", s.umin, s.umax, s.smin, s.smax, s.t.value, s.t.mask)
}

func jumpName(op asm.JumpOp) string {
	return map[asm.JumpOp]string{asm.JEq: "==", asm.JNE: "!=", asm.JGT: ">", asm.JGE: ">=", asm.JLT: "<", asm.JLE: "<=",
		asm.JSGT: "s>", asm.JSGE: "s>=", asm.JSLT: "s<", asm.JSLE: "s<=", asm.JSet: "&"}[op]
}
