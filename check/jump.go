package check

import (
	"github.com/purebpf/bpf/verifier"
	"math"

	"github.com/purebpf/bpf/asm"
)

func (c *checker) jump(st *state, ins *asm.Instruction) (bool, *verifier.Error) {
	i := st.pc
	op := ins.OpCode.JumpOp()
	switch op {
	case asm.ExitOp:
		return c.exit(st)
	case asm.CallOp:
		if e := c.lockedCall(st, ins); e != nil {
			return false, e
		}
		if ins.IsFunctionCall() {
			return false, c.callFunc(st, ins)
		}
		if e := c.callHelper(st, ins); e != nil {
			return false, e
		}
		st.pc++
		return false, nil
	case asm.JumpAlways:
		st.pc = c.target[i]
		st.jmpsSinceCP++
		return false, nil
	}
	st.jmpsSinceCP++
	is32 := ins.OpCode.Class() == asm.Jump32Class
	d, e := c.read(st, ins.Dst)
	if e != nil {
		return false, e
	}
	var src reg
	srcReg := noReg
	if ins.OpCode.Source() == asm.RegSource {
		s, e := c.read(st, ins.Src)
		if e != nil {
			return false, e
		}
		src, srcReg = *s, ins.Src
	} else {
		v := uint64(int64(int32(ins.Constant)))
		if is32 {
			v = uint64(uint32(ins.Constant))
		}
		src = scalarReg(constScalar(v))
	}
	if d.typ.isPointer() || src.typ.isPointer() {
		if is32 {
			return false, c.unsupported(st, "32-bit comparison of a pointer is not modelled")
		}
		return false, c.ptrBranch(st, ins, op, srcReg, src)
	}
	a, b := d.v, src.v
	modern := c.kv.has(featRangeBranches)
	// mark flags a side of a branch on a value with copies where the
	// branch bounds the value: the kernel bounds the copies too (scalar
	// ids), the checker does not.
	shared := sharedBranch(st, ins.Dst, srcReg)
	mark := func(s *state, learned bool) {
		if shared && learned {
			s.markImprecise("a compared value has copies, which the kernel bounds with it (scalar ids)")
		}
	}
	if is32 && (!modern || a.umax > math.MaxInt32 || b.umax > math.MaxInt32) {
		// The low halves are not tracked separately: decide from what
		// the kernel knows at least of them (lowHalf), learn little.
		if t := c.branchTaken32(op, a, b); t >= 0 {
			if t == 1 {
				st.pc = c.target[i]
			} else {
				st.pc++
			}
			return false, nil
		}
		if modern {
			// Since 6.8 the kernel learns only 32-bit bounds, which
			// The checker does not keep: learn nothing.
			return false, c.fork(st, ins, func(s *state, taken bool) { mark(s, true) })
		}
		return false, c.fork(st, ins, func(s *state, taken bool) {
			f := s.cur()
			legacyJmp32(f, ins.Dst, srcReg, a, b, op, taken)
			mark(s, f.regs[ins.Dst].v != a || srcReg != noReg && f.regs[srcReg].v != b)
		})
	}
	if t := c.branchTaken(op, a, b); t >= 0 {
		if t == 1 {
			st.pc = c.target[i]
		} else {
			st.pc++
		}
		return false, nil
	}
	return false, c.fork(st, ins, func(s *state, taken bool) {
		f := s.cur()
		nd, ns := f.regs[ins.Dst].v, b
		if modern {
			if !refine(&nd, &ns, op, taken) {
				// Impossible by the checker's reckoning but not decided by
				// the kernel, which walks on with bounds it cannot
				// trust: forget both values.
				nd, ns = unknownScalar(), unknownScalar()
			}
		} else {
			refineLegacy(&nd, &ns, op, taken)
		}
		mark(s, nd != a || srcReg != noReg && ns != b)
		f.regs[ins.Dst].v = nd
		if srcReg != noReg {
			f.regs[srcReg].v = ns
		}
	})
}

// branchTaken decides the comparison "a op b" of two scalars as the
// modelled kernel does: 1 always, 0 never, -1 unknown. Before 6.8 the
// kernel decides only against a constant (and JEQ/JNE only between
// constants); since 6.8 from the ranges of both sides; JEQ/JNE from
// disagreeing known bits since 6.18 (and 6.12.58).
func (c *checker) branchTaken(op asm.JumpOp, a, b scalar) int {
	if !c.kv.has(featRangeBranches) {
		switch {
		case !b.isConst():
			return -1
		case (op == asm.JEq || op == asm.JNE) && !a.isConst():
			return -1
		}
	}
	if (op == asm.JEq || op == asm.JNE) && !c.kv.has(featTnumEq) && !(a.isConst() && b.isConst()) {
		// Only the ranges decide.
		a.t, b.t = tnumUnknown, tnumUnknown
	}
	return branchTaken(op, a, b)
}

// branchTaken32 decides the 32-bit comparison of the low halves of a and
// b as the modelled kernel does at least: 1 always, 0 never, -1 when the
// checker cannot tell (the kernel, which keeps 32-bit bounds apart, may).
// Deciding is sound when the kernel's 32-bit bounds are at least as narrow
// as lowHalf's, which holds for any kernel's known bits and, since 6.8, for
// the bounds it derives from the 64-bit ones.
func (c *checker) branchTaken32(op asm.JumpOp, a, b scalar) int {
	if a.t.subreg().isConst() && b.t.subreg().isConst() {
		if constCompare(op, uint64(uint32(a.t.value)), uint64(uint32(b.t.value)), true) {
			return 1
		}
		return 0
	}
	modern := c.kv.has(featRangeBranches)
	la, okA := lowHalf(a, modern)
	lb, okB := lowHalf(b, modern)
	if !okA || !okB {
		return -1
	}
	return c.branchTaken(op, la, lb)
}

// lowHalf is what any kernel knows at least of the low 32 bits of s, as a
// scalar whose unsigned range is the u32 range and whose signed range is
// the s32 one (sign-extended): the bounds of the known bits
// (__update_reg32_bounds) and, on modern kernels (6.8+), those of the
// 64-bit ranges when their upper halves are equal and the signed and
// unsigned views of each other (__reg32_deduce_bounds). It reports false
// when the facts contradict each other.
func lowHalf(s scalar, modern bool) (scalar, bool) {
	t := s.t.subreg()
	umin, umax := uint32(t.value), uint32(t.value|t.mask)
	smin := int32(uint32(t.value) | uint32(t.mask)&0x80000000)
	smax := int32(uint32(t.value) | uint32(t.mask)&0x7fffffff)
	if modern {
		if s.umin>>32 == s.umax>>32 {
			umin, umax = max(umin, uint32(s.umin)), min(umax, uint32(s.umax))
		}
		if uint64(s.smin)>>32 == uint64(s.smax)>>32 && int32(s.smin) <= int32(s.smax) {
			smin, smax = max(smin, int32(s.smin)), min(smax, int32(s.smax))
		}
		if int32(umin) <= int32(umax) {
			smin, smax = max(smin, int32(umin)), min(smax, int32(umax))
		}
		if uint32(smin) <= uint32(smax) {
			umin, umax = max(umin, uint32(smin)), min(umax, uint32(smax))
		}
	}
	if umin > umax || smin > smax {
		return scalar{}, false
	}
	return scalar{t: t, umin: uint64(umin), umax: uint64(umax), smin: int64(smin), smax: int64(smax)}, true
}

// fork explores both sides of the conditional jump at st.pc: the jump target
// is queued, st continues with the fall-through. learn, if not nil, refines
// a side's state.
func (c *checker) fork(st *state, ins *asm.Instruction, learn func(s *state, taken bool)) *verifier.Error {
	i := st.pc
	other := c.cloneState(st)
	other.pc = c.target[i]
	nodes := &[2]pathNode{{prev: st.path, index: c.raw[i], taken: true}, {prev: st.path, index: c.raw[i], taken: false}}
	other.path, st.path = &nodes[0], &nodes[1]
	st.pc++
	if learn != nil {
		learn(other, true)
		learn(st, false)
	}
	return c.push(other)
}

func constCompare(op asm.JumpOp, a, b uint64, is32 bool) bool {
	sa, sb := int64(a), int64(b)
	if is32 {
		sa, sb = int64(int32(a)), int64(int32(b))
	}
	switch op {
	case asm.JEq:
		return a == b
	case asm.JNE:
		return a != b
	case asm.JGT:
		return a > b
	case asm.JGE:
		return a >= b
	case asm.JLT:
		return a < b
	case asm.JLE:
		return a <= b
	case asm.JSGT:
		return sa > sb
	case asm.JSGE:
		return sa >= sb
	case asm.JSLT:
		return sa < sb
	case asm.JSLE:
		return sa <= sb
	case asm.JSet:
		return a&b != 0
	}
	return false
}

// branchTaken decides a comparison of two scalars: 1 always, 0 never,
// -1 unknown.
func branchTaken(op asm.JumpOp, a, b scalar) int {
	if a.isConst() && b.isConst() {
		if constCompare(op, a.t.value, b.t.value, false) {
			return 1
		}
		return 0
	}
	yes := func(c bool) int {
		if c {
			return 1
		}
		return 0
	}
	switch op {
	case asm.JEq, asm.JNE:
		disjoint := a.umin > b.umax || a.umax < b.umin || a.smin > b.smax || a.smax < b.smin ||
			(a.t.value^b.t.value)&^(a.t.mask|b.t.mask) != 0
		if disjoint {
			return yes(op == asm.JNE)
		}
	case asm.JGT:
		if a.umin > b.umax {
			return 1
		}
		if a.umax <= b.umin {
			return 0
		}
	case asm.JGE:
		if a.umin >= b.umax {
			return 1
		}
		if a.umax < b.umin {
			return 0
		}
	case asm.JLT:
		if a.umax < b.umin {
			return 1
		}
		if a.umin >= b.umax {
			return 0
		}
	case asm.JLE:
		if a.umax <= b.umin {
			return 1
		}
		if a.umin > b.umax {
			return 0
		}
	case asm.JSGT:
		if a.smin > b.smax {
			return 1
		}
		if a.smax <= b.smin {
			return 0
		}
	case asm.JSGE:
		if a.smin >= b.smax {
			return 1
		}
		if a.smax < b.smin {
			return 0
		}
	case asm.JSLT:
		if a.smax < b.smin {
			return 1
		}
		if a.smin >= b.smax {
			return 0
		}
	case asm.JSLE:
		if a.smax <= b.smin {
			return 1
		}
		if a.smin > b.smax {
			return 0
		}
	case asm.JSet:
		if b.isConst() {
			if a.t.value&b.t.value != 0 {
				return 1
			}
			if (a.t.value|a.t.mask)&b.t.value == 0 {
				return 0
			}
		}
	}
	return -1
}

// negate returns the comparison that holds when op does not.
func negate(op asm.JumpOp) asm.JumpOp {
	switch op {
	case asm.JEq:
		return asm.JNE
	case asm.JNE:
		return asm.JEq
	case asm.JGT:
		return asm.JLE
	case asm.JGE:
		return asm.JLT
	case asm.JLT:
		return asm.JGE
	case asm.JLE:
		return asm.JGT
	case asm.JSGT:
		return asm.JSLE
	case asm.JSGE:
		return asm.JSLT
	case asm.JSLT:
		return asm.JSGE
	case asm.JSLE:
		return asm.JSGT
	}
	return 0
}

// swapOp returns op with its operands exchanged (a < b is b > a).
func swapOp(op asm.JumpOp) asm.JumpOp {
	switch op {
	case asm.JGT:
		return asm.JLT
	case asm.JGE:
		return asm.JLE
	case asm.JLT:
		return asm.JGT
	case asm.JLE:
		return asm.JGE
	case asm.JSGT:
		return asm.JSLT
	case asm.JSGE:
		return asm.JSLE
	case asm.JSLT:
		return asm.JSGT
	case asm.JSLE:
		return asm.JSGE
	}
	return op
}

// refine learns from "a op b" being taken (or not) as the kernel does
// since 6.8 (regs_refine_cond_op): against a constant, or between two
// scalars. It reports false when the side is impossible.
func refine(a, b *scalar, op asm.JumpOp, taken bool) bool {
	if op == asm.JSet {
		if !taken {
			// Since "bpf: Forget ranges when refining tnum after
			// JSET" (6.17, backported to stable series, 6.1 among
			// them) only the known bits remain; before, the ranges
			// stayed. Keeping only the bits covers both.
			switch {
			case b.isConst():
				*a = jsetNotTaken(*a, b.t.value)
			case a.isConst():
				*b = jsetNotTaken(*b, a.t.value)
			}
		}
		return true
	}
	if !taken {
		op = negate(op)
	}
	switch {
	case b.isConst():
		return refineConst(a, op, b.t.value)
	case a.isConst():
		return refineConst(b, swapOp(op), a.t.value)
	}
	// Two unknown scalars: GT/GE are LT/LE with the sides exchanged.
	switch op {
	case asm.JGT, asm.JGE, asm.JSGT, asm.JSGE:
		a, b, op = b, a, swapOp(op)
	}
	switch op {
	case asm.JEq:
		if (a.t.value^b.t.value)&^(a.t.mask|b.t.mask) != 0 {
			return false
		}
		a.umin, a.umax = max(a.umin, b.umin), min(a.umax, b.umax)
		a.smin, a.smax = max(a.smin, b.smin), min(a.smax, b.smax)
		a.t = a.t.intersect(b.t)
		b.umin, b.umax, b.smin, b.smax, b.t = a.umin, a.umax, a.smin, a.smax, a.t
	case asm.JLE:
		a.umax = min(a.umax, b.umax)
		b.umin = max(a.umin, b.umin)
	case asm.JLT:
		if b.umax == 0 || a.umin == math.MaxUint64 {
			return false
		}
		a.umax = min(a.umax, b.umax-1)
		b.umin = max(a.umin+1, b.umin)
	case asm.JSLE:
		a.smax = min(a.smax, b.smax)
		b.smin = max(a.smin, b.smin)
	case asm.JSLT:
		if b.smax == math.MinInt64 || a.smin == math.MaxInt64 {
			return false
		}
		a.smax = min(a.smax, b.smax-1)
		b.smin = max(a.smin+1, b.smin)
	}
	return a.sync() && b.sync()
}

// jsetNotTaken is what "a & k == 0" leaves of a: its known bits with those
// of k cleared.
func jsetNotTaken(a scalar, k uint64) scalar {
	return fromTnum(tnum{a.t.value &^ k, a.t.mask &^ k})
}

// refineLegacy learns from "a op b" being taken (or not) as kernels
// before 6.8 do (reg_set_min_max): only against a constant, JEQ sets the
// constant whatever the bounds said, JNE teaches nothing, and
// contradictory bounds are walked on (here: forgotten).
func refineLegacy(a, b *scalar, op asm.JumpOp, taken bool) {
	x, k := a, uint64(0)
	switch {
	case b.isConst():
		k = b.t.value
	case a.isConst():
		x, k, op = b, a.t.value, swapOp(op)
	default:
		return
	}
	if op == asm.JSet {
		if !taken {
			*x = jsetNotTaken(*x, k)
		}
		return
	}
	if !taken {
		op = negate(op)
	}
	switch op {
	case asm.JEq:
		*x = constScalar(k)
	case asm.JNE:
	default:
		if !refineConst(x, op, k) {
			*x = unknownScalar()
		}
	}
}

// legacyJmp32 learns from a 32-bit comparison as kernels before 6.8 do:
// against a constant, the 32-bit bounds are refined and then replace the
// 64-bit ones when the upper half is known to be zero; otherwise the
// 64-bit bounds are dropped and only the known bits remain.
func legacyJmp32(f *frame, dst, srcReg asm.Register, a, b scalar, op asm.JumpOp, taken bool) {
	var x *scalar
	var k uint64
	switch {
	case b.isConst():
		x, k = &f.regs[dst].v, b.t.value
	case a.isConst() && srcReg != noReg:
		x, k, op = &f.regs[srcReg].v, a.t.value, swapOp(op)
	default:
		return
	}
	k = uint64(uint32(k))
	t := x.t
	*x = fromTnum(t)
	if t.value|t.mask > math.MaxUint32 {
		return
	}
	switch op {
	case asm.JSet:
		if !taken {
			*x = jsetNotTaken(*x, k)
		}
		return
	case asm.JSGT, asm.JSGE, asm.JSLT, asm.JSLE:
		// Signed 32-bit bounds: not modelled, learn nothing.
		return
	}
	if !taken {
		op = negate(op)
	}
	switch op {
	case asm.JEq:
		*x = constScalar(k)
	case asm.JNE:
	default:
		if !refineConst(x, op, k) {
			*x = unknownScalar()
		}
	}
}

func refineConst(a *scalar, op asm.JumpOp, k uint64) bool {
	sk := int64(k)
	switch op {
	case asm.JEq:
		if k < a.umin || k > a.umax || sk < a.smin || sk > a.smax || (k^a.t.value)&^a.t.mask != 0 {
			return false
		}
		*a = constScalar(k)
		return true
	case asm.JNE:
		if a.isConst() {
			return a.t.value != k
		}
		if a.umin == k {
			a.umin++
		}
		if a.umax == k {
			a.umax--
		}
		if a.smin == sk {
			a.smin++
		}
		if a.smax == sk {
			a.smax--
		}
	case asm.JGT:
		if k == math.MaxUint64 {
			return false
		}
		a.umin = max(a.umin, k+1)
	case asm.JGE:
		a.umin = max(a.umin, k)
	case asm.JLT:
		if k == 0 {
			return false
		}
		a.umax = min(a.umax, k-1)
	case asm.JLE:
		a.umax = min(a.umax, k)
	case asm.JSGT:
		if sk == math.MaxInt64 {
			return false
		}
		a.smin = max(a.smin, sk+1)
	case asm.JSGE:
		a.smin = max(a.smin, sk)
	case asm.JSLT:
		if sk == math.MinInt64 {
			return false
		}
		a.smax = min(a.smax, sk-1)
	case asm.JSLE:
		a.smax = min(a.smax, sk)
	}
	return a.sync()
}

// ptrBranch is a comparison involving a pointer: packet range checks,
// NULL checks, or a comparison that teaches nothing.
func (c *checker) ptrBranch(st *state, ins *asm.Instruction, op asm.JumpOp, srcReg asm.Register, src reg) *verifier.Error {
	f := st.cur()
	d := f.regs[ins.Dst]
	i := st.pc
	isZero := src.typ == scalarValue && src.v.isConst() && src.v.t.value == 0
	if (op == asm.JEq || op == asm.JNE) && isZero {
		switch {
		case d.typ.orNull() && srcReg == noReg:
			// NULL checks: the kernel learns only from "ptr == 0" and
			// "ptr != 0" with an immediate zero, not with a register
			// holding zero.
			id := d.id
			return c.fork(st, ins, func(s *state, taken bool) {
				markNull(s, id, taken == (op == asm.JEq))
			})
		case d.typ == constPtrMap && !mapPtrNotNullKnown(c.kv):
			// The kernel may or may not decide it: explore both sides,
			// without a rejection on either.
			return c.fork(st, ins, func(s *state, taken bool) {
				s.markImprecise("a map pointer was compared with 0, which kernel " + c.kv.String() + " may decide")
			})
		case c.neverNull(d) && (d.v.smin <= -maxVarOff || d.v.smax >= maxVarOff):
			// Since a fix in 6.12.118 (not in 6.18.35) the kernel does not
			// decide it when the variable offset may wrap the pointer to
			// 0; other kernels do: explore both sides, without a
			// rejection on either.
			return c.fork(st, ins, func(s *state, taken bool) {
				s.markImprecise("a pointer whose offset may wrap it to 0 was compared with 0, which some kernels decide")
			})
		case c.neverNull(d):
			// A checked pointer is never NULL.
			if op == asm.JNE {
				st.pc = c.target[i]
			} else {
				st.pc++
			}
			return nil
		}
	}
	// Packet range checks: pkt vs pkt_end in either order.
	if srcReg != noReg {
		if d.typ == ptrPacket && src.typ == ptrPacketEnd {
			return c.pktEndBranch(st, ins, ins.Dst, op)
		}
		if d.typ == ptrPacketEnd && src.typ == ptrPacket {
			return c.pktEndBranch(st, ins, srcReg, swapOp(op))
		}
		// The metadata area ends where the packet starts: pkt_meta vs
		// pkt, in either order, bounds metadata pointers.
		if d.typ == ptrPacketMeta && src.typ == ptrPacket {
			return c.fork(st, ins, func(s *state, taken bool) {
				pktRange(s, d, op, taken)
			})
		}
		if d.typ == ptrPacket && src.typ == ptrPacketMeta {
			return c.fork(st, ins, func(s *state, taken bool) {
				pktRange(s, src, swapOp(op), taken)
			})
		}
	}
	return c.fork(st, ins, nil)
}

// pktEndBranch is "p op data_end" for the packet pointer in register pr:
// decided when p is known to lie at or beyond data_end (a range of
// atPktEnd or beyondPktEnd, the kernel's is_pkt_ptr_branch_taken); else
// both sides are explored, learning the range of p's copies on the side
// where p is within the packet and, on the other, that p itself lies at
// (p >= data_end) or beyond (p > data_end) the end (mark_pkt_end).
func (c *checker) pktEndBranch(st *state, ins *asm.Instruction, pr asm.Register, op asm.JumpOp) *verifier.Error {
	p := st.cur().regs[pr]
	if p.rng < 0 {
		decided := -1
		switch op {
		case asm.JLE, asm.JGT:
			if p.rng == beyondPktEnd {
				decided = boolInt(op == asm.JGT)
			}
		case asm.JLT, asm.JGE:
			decided = boolInt(op == asm.JGE)
		}
		if decided >= 0 {
			if decided == 1 {
				st.pc = c.target[st.pc]
			} else {
				st.pc++
			}
			return nil
		}
	}
	return c.fork(st, ins, func(s *state, taken bool) {
		pktRange(s, p, op, taken)
		holds := op
		if !taken {
			holds = negate(op)
		}
		switch holds {
		case asm.JGT:
			s.cur().regs[pr].rng = beyondPktEnd
		case asm.JGE:
			s.cur().regs[pr].rng = atPktEnd
		}
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// neverNull reports whether the modelled kernel takes pointer r as never
// NULL when comparing it with 0 (reg_not_null).
func (c *checker) neverNull(r reg) bool {
	switch r.typ {
	case ptrMapValue, ptrSockCommon, ptrMapKey:
		return true
	case ptrMem:
		return c.kv.has(featMemNotNull)
	case constPtrMap:
		return c.kv.has(featMapPtrNotNull)
	}
	return false
}

// markNull resolves the NULL check of every copy of pointer id.
func markNull(s *state, id uint32, null bool) {
	var ref uint32
	s.forEachReg(func(r *reg) {
		if r.id != id || !r.typ.orNull() {
			return
		}
		if null {
			ref = r.ref
			*r = scalarReg(constScalar(0))
			return
		}
		r.typ = r.typ.checked()
	})
	if null && ref != 0 {
		releaseRef(s, ref)
	}
}

func releaseRef(s *state, ref uint32) bool {
	for i, r := range s.refs {
		if r == ref {
			s.refs = append(s.refs[:i], s.refs[i+1:]...)
			return true
		}
	}
	return false
}

// pktRange learns from "p op data_end" (p a packet pointer) or from
// "p op data" (p a metadata pointer), taken or not.
func pktRange(s *state, p reg, op asm.JumpOp, taken bool) {
	if !taken {
		op = negate(op)
	}
	var open bool
	switch op {
	case asm.JLE: // p <= end
		open = false
	case asm.JLT: // p < end
		open = true
	default:
		return
	}
	if p.off < 0 || (p.off == 0 && open) || p.v.umax > maxPacketOf || p.v.umax+uint64(p.off) > maxPacketOf {
		return
	}
	// p <= data_end makes p.off bytes safe, p < data_end one more.
	n := p.off
	if open {
		n++
	}
	s.forEachReg(func(r *reg) {
		if r.typ == p.typ && r.id == p.id && r.rng < n {
			r.rng = n
		}
	})
}

func (c *checker) exit(st *state) (bool, *verifier.Error) {
	if e := c.lockedExit(st); e != nil {
		return false, e
	}
	f := st.cur()
	if f.callback {
		return false, c.callbackExit(st)
	}
	if f.async {
		return true, c.asyncExit(st)
	}
	if len(st.frames) > 1 {
		// A static function may return anything, even nothing: the
		// caller fails if it reads an uninitialised R0.
		ret := f.regs[asm.R0]
		switch ret.typ {
		case notInit, scalarValue:
		case ptrStack:
			return false, c.errf(st, asm.R0, "cannot return stack pointer to the caller")
		default:
			return false, c.unsupported(st, "returning a pointer (%s) from a function is not modelled", ret.typ)
		}
		st.frames = st.frames[:len(st.frames)-1]
		caller := st.cur()
		caller.regs[asm.R0] = ret
		st.pc = f.callsite + 1
		return false, nil
	}
	r0, e := c.read(st, asm.R0)
	if e != nil {
		return false, e
	}
	if f.subprog != 0 && r0.typ != scalarValue {
		// The end of a global function, verified on its own.
		return false, c.errf(st, asm.R0, "At subprogram exit the register R0 is not a scalar value (%s)", r0.typ)
	}
	if len(st.refs) > 0 {
		return false, c.errf(st, noReg, "Unreleased reference id=%d", st.refs[0])
	}
	if e := c.checkReturn(st); e != nil {
		return false, e
	}
	// Privileged programs of the types of mem.go may return anything,
	// pointers included; their return values are not range-checked.
	return true, nil
}

func (c *checker) callFunc(st *state, ins *asm.Instruction) *verifier.Error {
	if len(st.frames) >= maxFrames {
		return c.errf(st, noReg, "the call stack of %d frames is too deep !", len(st.frames)+1)
	}
	i := st.pc
	t := c.target[i]
	if c.isGlobal(c.subprog[t]) {
		return c.callGlobal(st, c.subprog[t])
	}
	caller := st.cur()
	callee := &frame{callsite: i, subprog: c.subprog[t]}
	for r := asm.R1; r <= asm.R5; r++ {
		callee.regs[r] = caller.regs[r]
	}
	callee.regs[asm.R10] = reg{typ: ptrStack, v: constScalar(0), aux: int32(len(st.frames))}
	c.calls[caller.subprog][callee.subprog] = true
	for r := asm.R0; r <= asm.R5; r++ {
		caller.regs[r] = reg{}
	}
	st.frames = append(st.frames, callee)
	st.pc = t
	return nil
}

// checkStackDepth sums the stack of every call chain, each frame rounded up
// to 16 bytes as the kernel does for JITed programs since 6.9 (to 32 bytes,
// and at least 32, for the interpreter and before 6.9).
func (c *checker) checkStackDepth() *verifier.Error {
	round := func(d int) int { return (d + 15) &^ 15 }
	if c.opts.Interpreter || !c.kv.has(featJITStack16) {
		round = func(d int) int { return (max(d, 1) + 31) &^ 31 }
	}
	var walk func(f, depth, frames int) *verifier.Error
	walk = func(f, depth, frames int) *verifier.Error {
		depth += round(c.depth[f])
		if depth > maxStack {
			if c.hasTimerCB {
				return c.fail(nil, c.starts[f], ErrUnsupported, "", "combined stack size of %d calls is %d with timer callbacks: not modelled", frames, depth)
			}
			return c.fail(nil, c.starts[f], ErrRejected, "", "combined stack size of %d calls is %d. Too large", frames, depth)
		}
		for g, called := range c.calls[f] {
			if called && frames >= maxFrames {
				// Static call chains (callbacks included) are
				// limited too.
				return c.fail(nil, c.starts[g], ErrRejected, "", "the call stack of %d frames is too deep !", frames+1)
			}
			if called && frames < maxFrames {
				if e := walk(g, depth, frames+1); e != nil {
					return e
				}
			}
		}
		return nil
	}
	return walk(0, 0, 1)
}
