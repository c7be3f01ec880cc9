package verifier

import (
	"math"

	"github.com/purebpf/bpf/asm"
)

func (c *checker) jump(st *state, ins *asm.Instruction) (bool, *Error) {
	i := st.pc
	op := ins.OpCode.JumpOp()
	switch op {
	case asm.ExitOp:
		return c.exit(st)
	case asm.CallOp:
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
	if is32 {
		if a.umax > math.MaxInt32 || b.umax > math.MaxInt32 {
			// The low halves are not tracked separately: decide nothing
			// unless both are constants, learn nothing.
			if a.isConst() && b.isConst() {
				if taken := constCompare(op, uint64(uint32(a.t.value)), uint64(uint32(b.t.value)), true); taken {
					st.pc = c.target[i]
				} else {
					st.pc++
				}
				return false, nil
			}
			return false, c.fork(st, ins, nil)
		}
	}
	switch branchTaken(op, a, b) {
	case 1:
		st.pc = c.target[i]
		return false, nil
	case 0:
		st.pc++
		return false, nil
	}
	return false, c.fork(st, ins, func(s *state, taken bool) bool {
		f := s.cur()
		nd, ns := f.regs[ins.Dst].v, b
		if !refine(&nd, &ns, op, taken) {
			return false
		}
		f.regs[ins.Dst].v = nd
		if srcReg != noReg {
			f.regs[srcReg].v = ns
		}
		return true
	})
}

// fork explores both sides of the conditional jump at st.pc: the jump target
// is queued, st continues with the fall-through. learn refines a side's
// state and reports whether the side is possible.
func (c *checker) fork(st *state, ins *asm.Instruction, learn func(s *state, taken bool) bool) *Error {
	i := st.pc
	other := st.clone()
	other.pc = c.target[i]
	other.path = &pathNode{prev: st.path, index: c.raw[i], taken: true}
	st.path = &pathNode{prev: st.path, index: c.raw[i], taken: false}
	st.pc++
	okOther, okThis := true, true
	if learn != nil {
		okOther = learn(other, true)
		okThis = learn(st, false)
	}
	if okOther {
		if e := c.push(other); e != nil {
			return e
		}
	}
	if !okThis {
		// The fall-through is impossible: continue with the target instead.
		if !okOther {
			return c.fail(st, i, ErrUnsupported, "", "both sides of the branch are impossible")
		}
		c.pending = c.pending[:len(c.pending)-1]
		other.cp.branches--
		*st = *other
	}
	return nil
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

// refine learns from "a op b" being taken (or not) when one side is a
// constant. It reports false when the side is impossible.
func refine(a, b *scalar, op asm.JumpOp, taken bool) bool {
	if op == asm.JSet {
		if !taken && b.isConst() {
			a.t = tnum{a.t.value &^ b.t.value, a.t.mask &^ b.t.value}
			return a.sync()
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
	return true
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
func (c *checker) ptrBranch(st *state, ins *asm.Instruction, op asm.JumpOp, srcReg asm.Register, src reg) *Error {
	f := st.cur()
	d := f.regs[ins.Dst]
	i := st.pc
	// NULL checks: ptr == 0 / ptr != 0.
	isZero := src.typ == scalarValue && src.v.isConst() && src.v.t.value == 0
	if (op == asm.JEq || op == asm.JNE) && isZero {
		switch d.typ {
		case ptrMapValueOrNull, ptrMemOrNull:
			id := d.id
			return c.fork(st, ins, func(s *state, taken bool) bool {
				null := taken == (op == asm.JEq)
				markNull(s, id, null)
				return true
			})
		case ptrMapValue, ptrMem:
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
			return c.fork(st, ins, func(s *state, taken bool) bool {
				pktRange(s, d, op, taken)
				return true
			})
		}
		if d.typ == ptrPacketEnd && src.typ == ptrPacket {
			return c.fork(st, ins, func(s *state, taken bool) bool {
				pktRange(s, src, swapOp(op), taken)
				return true
			})
		}
		// The metadata area ends where the packet starts: pkt_meta vs
		// pkt, in either order, bounds metadata pointers.
		if d.typ == ptrPacketMeta && src.typ == ptrPacket {
			return c.fork(st, ins, func(s *state, taken bool) bool {
				pktRange(s, d, op, taken)
				return true
			})
		}
		if d.typ == ptrPacket && src.typ == ptrPacketMeta {
			return c.fork(st, ins, func(s *state, taken bool) bool {
				pktRange(s, src, swapOp(op), taken)
				return true
			})
		}
	}
	return c.fork(st, ins, nil)
}

// markNull resolves the NULL check of every copy of pointer id.
func markNull(s *state, id uint32, null bool) {
	var ref uint32
	s.forEachReg(func(r *reg) {
		if r.id != id || (r.typ != ptrMapValueOrNull && r.typ != ptrMemOrNull) {
			return
		}
		if null {
			ref = r.ref
			*r = scalarReg(constScalar(0))
			return
		}
		if r.typ == ptrMapValueOrNull {
			r.typ = ptrMapValue
		} else {
			r.typ = ptrMem
		}
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

func (c *checker) exit(st *state) (bool, *Error) {
	f := st.cur()
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
	if _, e := c.read(st, asm.R0); e != nil {
		return false, e
	}
	if len(st.refs) > 0 {
		return false, c.errf(st, noReg, "Unreleased reference id=%d", st.refs[0])
	}
	// Privileged programs of the modelled types may return anything,
	// pointers included; their return values are not range-checked.
	return true, nil
}

func (c *checker) callFunc(st *state, ins *asm.Instruction) *Error {
	if len(st.frames) >= maxFrames {
		return c.errf(st, noReg, "the call stack of %d frames is too deep !", len(st.frames)+1)
	}
	i := st.pc
	t := c.target[i]
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
// to 16 bytes as the kernel does for JITed programs (to 32 bytes, and at
// least 32, for the interpreter).
func (c *checker) checkStackDepth() *Error {
	round := func(d int) int { return (d + 15) &^ 15 }
	if c.opts.Interpreter {
		round = func(d int) int { return (max(d, 1) + 31) &^ 31 }
	}
	var walk func(f, depth, frames int) *Error
	walk = func(f, depth, frames int) *Error {
		depth += round(c.depth[f])
		if depth > maxStack {
			return c.fail(nil, c.starts[f], ErrRejected, "", "combined stack size of %d calls is %d. Too large", frames, depth)
		}
		for g, called := range c.calls[f] {
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
