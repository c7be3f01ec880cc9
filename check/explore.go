package check

import (
	"fmt"
	"github.com/purebpf/bpf/verifier"
	"math"

	"github.com/purebpf/bpf/asm"
)

// explore walks every path of the program depth-first, as the kernel's
// do_check does, pruning states that a verified state at the same
// instruction covers.
func (c *checker) explore() *verifier.Error {
	root := &checkpoint{branches: 1}
	st := &state{frames: []*frame{{callsite: -1}}, cp: root}
	f := st.frames[0]
	f.regs[asm.R1] = reg{typ: ptrCtx, v: constScalar(0)}
	f.regs[asm.R10] = reg{typ: ptrStack, v: constScalar(0)}
	c.pending = append(c.pending, st)
	if e := c.drain(); e != nil {
		return e
	}
	// Global (BTF) functions are verified once each, on their own.
	for f := range c.global {
		if c.global[f] != nil {
			c.pending = append(c.pending, c.globalEntry(f))
			if e := c.drain(); e != nil {
				return e
			}
		}
	}
	if e := c.checkCallbacksSeen(); e != nil {
		return e
	}
	return c.checkStackDepth()
}

// drain walks the pending paths.
func (c *checker) drain() *verifier.Error {
	for len(c.pending) > 0 {
		st := c.pending[len(c.pending)-1]
		c.pending = c.pending[:len(c.pending)-1]
		if e := c.walk(st); e != nil {
			return pathVerdict(st, c.callbackVerdict(st, e))
		}
	}
	return nil
}

// finish ends a path: its checkpoints lose a live branch.
func finish(st *state) {
	for cp := st.cp; cp != nil; cp = cp.parent {
		cp.branches--
		if cp.branches > 0 {
			return
		}
		cp.done = true
	}
}

// push queues the other side of a branch.
func (c *checker) push(st *state) *verifier.Error {
	if len(c.pending) >= maxPending {
		return c.fail(st, st.pc, ErrRejected, "", "The sequence of %d jumps is too complex.", len(c.pending))
	}
	st.cp.branches++
	c.pending = append(c.pending, st)
	return nil
}

// visit is the kernel's is_state_visited: it reports whether st may be
// pruned and stores a checkpoint.
func (c *checker) visit(st *state) (bool, *verifier.Error) {
	if c.cbCall != nil && c.cbCall[st.pc] {
		return c.visitCallbackCall(st), nil
	}
	list := c.cps[st.pc]
	looping := false
	legacyLoops := !c.kv.has(featExactLoopCheck)
	var fp, rfp uint64
	for _, cp := range list {
		if cp.done {
			if statesSafe(cp.st, st, false) {
				return true, nil
			}
			continue
		}
		if !looping {
			fp = fingerprint(st)
			if legacyLoops {
				rfp = regFingerprint(st)
			}
			looping = true
		}
		if cp.st.cbUnroll != st.cbUnroll {
			// Different callback iterations: not a loop.
			continue
		}
		if cp.fp == fp && statesSafe(cp.st, st, true) {
			return false, c.fail(st, st.pc, ErrRejected, "", "infinite loop detected at insn %d", c.raw[st.pc])
		}
		if legacyLoops && cp.regFP == rfp && sameRegs(cp.st, st) {
			// Before 6.9 the kernel reports a loop when the registers
			// are equal and the earlier state covers the stack, as far
			// as its precision marks say; the checker cannot tell.
			return false, c.unsupported(st, "loop state at insn %d differs only in the stack: kernels before 6.9 may report an infinite loop", c.raw[st.pc])
		}
	}
	if looping && st.jmpsSinceCP < 20 && st.sinceCP < 100 {
		return false, nil
	}
	if st.jmpsSinceCP < 2 || st.sinceCP < 8 {
		// As the kernel's is_state_visited: a new checkpoint only after
		// two jumps and eight instructions, so that straight-line
		// parsers do not store a state at every branch.
		return false, nil
	}
	if len(list) >= 64 {
		// Keep memory bounded: fewer checkpoints only prune less.
		return false, nil
	}
	cp := &checkpoint{st: c.cloneState(st), parent: st.cp, branches: 1, fp: fingerprint(st), regFP: regFingerprint(st)}
	cp.st.cp = nil
	st.cp = cp
	st.sinceCP, st.jmpsSinceCP = 0, 0
	c.cps[st.pc] = append(list, cp)
	return false, nil
}

// walk follows one path until it exits, is pruned, or fails.
func (c *checker) walk(st *state) *verifier.Error {
	for {
		c.processed++
		if c.seen != nil {
			c.seen[st.pc] = true
		}
		if c.processed > c.limit {
			return c.fail(st, st.pc, ErrRejected, "", "BPF program is too large. Processed %d insn", c.processed)
		}
		if c.prune[st.pc] {
			pruned, e := c.visit(st)
			if e != nil {
				return e
			}
			if pruned {
				finish(st)
				c.recycle(st)
				return nil
			}
		}
		st.sinceCP++
		done, e := c.step(st)
		if e != nil {
			return e
		}
		if done {
			finish(st)
			c.recycle(st)
			return nil
		}
	}
}

// step executes the instruction at st.pc. It reports whether the path
// ended (exit of the main function).
func (c *checker) step(st *state) (bool, *verifier.Error) {
	i := st.pc
	ins := &c.insns[i]
	if c.deferred != nil && c.deferred[i] != "" {
		return false, c.fail(st, i, ErrRejected, "", "%s", c.deferred[i])
	}
	switch cls := ins.OpCode.Class(); cls {
	case asm.ALUClass, asm.ALU64Class:
		if e := c.alu(st, ins); e != nil {
			return false, e
		}
	case asm.LdXClass:
		if e := c.load(st, ins); e != nil {
			return false, e
		}
	case asm.StClass, asm.StXClass:
		if e := c.store(st, ins); e != nil {
			return false, e
		}
	case asm.LdClass:
		if e := c.ld(st, ins); e != nil {
			return false, e
		}
	case asm.JumpClass, asm.Jump32Class:
		return c.jump(st, ins)
	}
	st.pc++
	return false, nil
}

func (c *checker) errf(st *state, regno asm.Register, format string, args ...any) *verifier.Error {
	r := ""
	if regno <= asm.R10 {
		r = regno.String()
	}
	return c.fail(st, st.pc, ErrRejected, r, format, args...)
}

func (c *checker) unsupported(st *state, format string, args ...any) *verifier.Error {
	return c.fail(st, st.pc, ErrUnsupported, "", format, args...)
}

const noReg = asm.Register(0xff)

// read returns the register, failing if it was never written.
func (c *checker) read(st *state, r asm.Register) (*reg, *verifier.Error) {
	x := &st.cur().regs[r]
	if x.typ == notInit {
		return nil, c.errf(st, r, "R%d !read_ok", r)
	}
	return x, nil
}

// writable checks that r may be written.
func (c *checker) writable(st *state, r asm.Register) *verifier.Error {
	if r == asm.R10 {
		return c.errf(st, r, "frame pointer is read only")
	}
	return nil
}

// newShare returns a new scalar copy group (reg.share), never 0.
func (c *checker) newShare() uint16 {
	c.nextShare++
	if c.nextShare == 0 {
		c.nextShare = 1
	}
	return c.nextShare
}

// sharedBranch reports whether a branch on the scalars in registers a and
// b (noReg: a constant) bounds a value that has a copy elsewhere in st: the
// kernel then bounds the copies too, the checker does not, so the sides it
// walks are imprecise.
func sharedBranch(st *state, a, b asm.Register) bool {
	f := st.cur()
	var shares [2]uint16
	for i, r := range [2]asm.Register{a, b} {
		if r != noReg && f.regs[r].typ == scalarValue {
			shares[i] = f.regs[r].share
		}
	}
	if shares == [2]uint16{} {
		return false
	}
	n := 0
	st.forEachReg(func(r *reg) {
		if r.typ == scalarValue && r.share != 0 && (r.share == shares[0] || r.share == shares[1]) {
			n++
		}
	})
	own := 0
	for _, s := range shares {
		if s != 0 {
			own++
		}
	}
	if a != noReg && b != noReg && shares[0] != 0 && shares[0] == shares[1] {
		own = 2
	}
	return n > own
}

func (c *checker) newID() uint32 {
	c.nextID++
	return c.nextID
}

func (c *checker) alu(st *state, ins *asm.Instruction) *verifier.Error {
	f := st.cur()
	is64 := ins.OpCode.Class() == asm.ALU64Class
	op := ins.OpCode.ALUOp()
	useReg := ins.OpCode.Source() == asm.RegSource
	if e := c.writable(st, ins.Dst); e != nil {
		return e
	}
	switch op {
	case asm.End:
		d, e := c.read(st, ins.Dst)
		if e != nil {
			return e
		}
		if d.typ != scalarValue {
			// A privileged load may swap a pointer's bytes: the result
			// is an unknown scalar (check_alu_op, DST_OP).
			*d = scalarReg(unknownScalar())
			return nil
		}
		switch {
		case byteSwapTracked(c.kv):
			*d = scalarReg(byteSwap(d.v, is64, useReg, ins.Constant))
		case !byteSwapKnown(c.kv):
			*d = scalarReg(unknownScalar())
			st.markImprecise("a byte swap's result is unknown to the checker; kernel " + c.kv.String() + " may compute it")
		default:
			*d = scalarReg(unknownScalar())
		}
		return nil
	case asm.Neg:
		d, e := c.read(st, ins.Dst)
		if e != nil {
			return e
		}
		if d.typ != scalarValue {
			// A privileged load may negate a pointer: the result is an
			// unknown scalar (check_alu_op, DST_OP).
			*d = scalarReg(unknownScalar())
			return nil
		}
		switch {
		case c.kv.has(featNegRange):
			a := d.v
			if !is64 {
				a = c.low32(a)
			}
			*d = scalarReg(scalarALU(asm.Sub, constScalar(0), a, is64))
		case !c.kv.Less(negUnknownBefore):
			return c.unsupported(st, "BPF_NEG on kernel %v: whether it tracks the result's range (6.18 does, 6.12 does not) is not modelled", c.kv.Version)
		default:
			*d = scalarReg(unknownScalar())
		}
		return nil
	case asm.Mov:
		if !useReg {
			if is64 {
				f.regs[ins.Dst] = scalarReg(constScalar(uint64(int64(int32(ins.Constant)))))
			} else {
				f.regs[ins.Dst] = scalarReg(constScalar(uint64(uint32(ins.Constant))))
			}
			return nil
		}
		s, e := c.read(st, ins.Src)
		if e != nil {
			return e
		}
		if ins.Offset != 0 { // sign-extending move
			if s.typ != scalarValue {
				return c.unsupported(st, "sign-extending move of a pointer is not modelled")
			}
			f.regs[ins.Dst] = scalarReg(signExtendMove(s.v, uint(ins.Offset), is64, st))
			return nil
		}
		if s.typ == scalarValue && !s.v.isConst() && s.share == 0 {
			s.share = c.newShare()
		}
		if is64 {
			f.regs[ins.Dst] = *s
			return nil
		}
		if s.typ != scalarValue {
			return c.unsupported(st, "32-bit copy of a pointer (R%d) is not modelled", ins.Src)
		}
		f.regs[ins.Dst] = scalarReg(c.low32(s.v))
		f.regs[ins.Dst].share = s.share
		return nil
	}
	d, e := c.read(st, ins.Dst)
	if e != nil {
		return e
	}
	var src reg
	if useReg {
		s, e := c.read(st, ins.Src)
		if e != nil {
			return e
		}
		src = *s
	} else {
		v := uint64(int64(int32(ins.Constant)))
		if !is64 {
			v = uint64(uint32(ins.Constant))
		}
		src = scalarReg(constScalar(v))
		switch op {
		case asm.Div, asm.Mod:
			if ins.Constant == 0 {
				return c.errf(st, noReg, "div by zero")
			}
		case asm.LSh, asm.RSh, asm.ArSh:
			w := int64(32)
			if is64 {
				w = 64
			}
			if int64(int32(ins.Constant)) < 0 || int64(int32(ins.Constant)) >= w {
				return c.errf(st, noReg, "invalid shift %d", int32(ins.Constant))
			}
		}
	}
	if d.typ != scalarValue || src.typ != scalarValue {
		return c.ptrALU(st, ins, d, &src, is64, op)
	}
	a, b := d.v, src.v
	if !is64 {
		a, b = c.low32(a), c.low32(b)
	}
	share := d.share
	*d = scalarReg(scalarALU(op, a, b, is64))
	if op&0xff == asm.Mul && is64 && c.kv.has(featMulRange) {
		d.v = mulScalarChecked(a, b)
	}
	if (op == asm.Add || op == asm.Sub) && src.v.isConst() {
		// Since 6.11 the kernel keeps "r1 = r2 + k" linked to r2.
		d.share = share
	}
	return nil
}

// signExtendMove is what the kernel knows of "dst = (s<bits>)src"
// (coerce_reg_to_size_sx, 6.6+): a constant stays exact; a 64-bit move of
// a value within [0, 2^(bits-1)) keeps its ranges (and the known bits of
// its range). Otherwise the result is unknown to the checker, and the
// kernel's sharper bounds make st's path imprecise.
func signExtendMove(v scalar, bits uint, is64 bool, st *state) scalar {
	if bits == 0 || bits > 32 {
		return unknownScalar()
	}
	if v.isConst() {
		shift := 64 - bits
		x := uint64(int64(v.t.value<<shift) >> shift)
		if !is64 {
			x = uint64(uint32(x))
		}
		return constScalar(x)
	}
	if is64 && v.smin >= 0 && v.smax < 1<<(bits-1) {
		r := scalar{t: tnumRange(uint64(v.smin), uint64(v.smax)), smin: v.smin, smax: v.smax, umin: uint64(v.smin), umax: uint64(v.smax)}
		if r.sync() {
			return r
		}
	}
	st.markImprecise("a sign-extending move's result is bounded by the kernel, not by the checker")
	return unknownScalar()
}

// low32 is what a 32-bit operation knows of the low half of s,
// zero-extended. Since 6.8 ("bpf: derive subreg bounds from full bounds
// when upper 32 bits are constant") the kernel's 32-bit bounds follow the
// 64-bit ones when the upper half is zero; before, they are kept apart and
// may be looser, so only the known bits are used.
func (c *checker) low32(s scalar) scalar {
	if c.kv.has(featRangeBranches) {
		return s.zext32()
	}
	return fromTnum(s.t.subreg())
}

// scalarALU computes dst op= src on scalars. Where the kernel gives up
// (division, modulo, shifts by unknown amounts) the result is a fully
// unknown 64-bit value even for 32-bit operations, as in the kernel.
func scalarALU(op asm.ALUOp, a, b scalar, is64 bool) scalar {
	width := uint64(64)
	if !is64 {
		width = 32
		a, b = a.zext32(), b.zext32()
	}
	unknown32 := fromTnum(tnum{0, 0xffffffff})
	var r scalar
	switch op & 0xff {
	case asm.Add:
		r = addScalar(a, b)
	case asm.Sub:
		r = subScalar(a, b)
	case asm.Mul:
		if !is64 && (a.umax > 0xffff || b.umax > 0xffff) && !(a.isConst() && b.isConst()) {
			return unknown32
		}
		r = mulScalar(a, b)
	case asm.And:
		r = andScalar(a, b)
	case asm.Or:
		r = orScalar(a, b)
	case asm.Xor:
		r = xorScalar(a, b)
	case asm.LSh, asm.RSh, asm.ArSh:
		if !b.isConst() || b.t.value >= width {
			return unknownScalar()
		}
		n := uint(b.t.value)
		switch op & 0xff {
		case asm.LSh:
			if n > 0 && a.umax > uint64(1)<<(width-1-uint64(n)) {
				// The kernel keeps only known bits once a shift may
				// overflow.
				r = fromTnum(a.t.lsh(n))
			} else {
				r = lshScalar(a, n)
			}
		case asm.RSh:
			r = rshScalar(a, n)
		default:
			switch {
			case is64:
				r = arshScalar(a, n)
			case a.umax <= math.MaxInt32:
				r = rshScalar(a, n) // sign bit 0: same as a logical shift
			default:
				return unknown32
			}
		}
	default: // div, mod and their signed forms
		return unknownScalar()
	}
	if !is64 {
		r = r.zext32()
	}
	return r
}

// ptrALU is arithmetic where at least one operand is a pointer.
func (c *checker) ptrALU(st *state, ins *asm.Instruction, d, src *reg, is64 bool, op asm.ALUOp) *verifier.Error {
	dst := ins.Dst
	// Privileged programs may subtract pointers (leaking addresses):
	// the difference of two pointers, and any 32-bit subtraction
	// involving a pointer, is an unknown scalar.
	if d.typ.isPointer() && src.typ.isPointer() {
		if op == asm.Sub {
			*d = scalarReg(unknownScalar())
			return nil
		}
		return c.errf(st, dst, "R%d pointer %s pointer prohibited", dst, aluName(op))
	}
	if !is64 {
		if op == asm.Sub {
			*d = scalarReg(unknownScalar())
			return nil
		}
		return c.errf(st, dst, "R%d 32-bit pointer arithmetic prohibited", dst)
	}
	ptr, off := d, src
	if !d.typ.isPointer() {
		ptr, off = src, d
		if op == asm.Sub {
			return c.errf(st, dst, "R%d tried to subtract pointer from scalar", dst)
		}
	}
	switch ptr.typ {
	case ptrFunc:
		return c.unsupported(st, "arithmetic on a function pointer is not modelled")
	case ptrMapValueOrNull, ptrMemOrNull, ptrSockCommonOrNull, constPtrMapOrNull:
		return c.errf(st, dst, "R%d pointer arithmetic on %s prohibited, null-check it first", dst, ptr.typ)
	case ptrPacketEnd, constPtrMap, ptrSockCommon:
		return c.errf(st, dst, "R%d pointer arithmetic on %s prohibited", dst, ptr.typ)
	}
	if ptr.typ == ptrFlowKeys && !off.v.isConst() {
		// Only constants move the flow keys pointer.
		return c.errf(st, dst, "R%d pointer arithmetic on %s prohibited", dst, ptr.typ)
	}
	switch op & 0xff {
	case asm.Add, asm.Sub:
	case asm.And, asm.Or, asm.Xor:
		return c.errf(st, dst, "R%d bitwise operator %s on pointer prohibited", dst, aluName(op))
	default:
		return c.errf(st, dst, "R%d pointer arithmetic with %s operator prohibited", dst, aluName(op))
	}
	if op == asm.Sub && ptr.typ == ptrStack {
		return c.errf(st, dst, "R%d subtraction from stack pointer prohibited", dst)
	}
	v := off.v
	if v.isConst() {
		if n := int64(v.t.value); n >= maxVarOff || n <= -maxVarOff {
			return c.errf(st, dst, "R%d math between %s pointer and %d is not allowed", dst, ptr.typ, n)
		}
	} else {
		if v.smin == -1<<63 {
			return c.errf(st, dst, "R%d math between %s pointer and register with unbounded min value is not allowed", dst, ptr.typ)
		}
		if v.smin >= maxVarOff || v.smin <= -maxVarOff {
			return c.errf(st, dst, "R%d value %d makes %s pointer be out of bounds", dst, v.smin, ptr.typ)
		}
	}
	r := *ptr
	if v.isConst() {
		n := int64(v.t.value)
		if op == asm.Sub {
			n = -n
		}
		no := int64(r.off) + n
		if no >= maxVarOff || no <= -maxVarOff {
			return c.errf(st, dst, "R%d %s pointer offset %d is not allowed", dst, ptr.typ, no)
		}
		r.off = int32(no)
	} else {
		if op == asm.Sub {
			r.v = subScalar(r.v, v)
		} else {
			r.v = addScalar(r.v, v)
		}
		if r.typ.isPacket() {
			r.id = c.newID()
			r.rng = 0
		}
		if r.v.smin <= -maxVarOff || r.v.smin >= maxVarOff {
			return c.errf(st, dst, "R%d value %d makes %s pointer be out of bounds", dst, r.v.smin, r.typ)
		}
	}
	*d = r
	return nil
}

func aluName(op asm.ALUOp) string {
	switch op & 0xff {
	case asm.Add:
		return "+="
	case asm.Sub:
		return "-="
	case asm.Mul:
		return "*="
	case asm.Div:
		return "/="
	case asm.Or:
		return "|="
	case asm.And:
		return "&="
	case asm.LSh:
		return "<<="
	case asm.RSh:
		return ">>="
	case asm.Mod:
		return "%="
	case asm.Xor:
		return "^="
	case asm.ArSh:
		return "s>>="
	}
	return fmt.Sprintf("op %#x", uint16(op))
}

// ld handles LD_IMM64 and the legacy packet loads.
func (c *checker) ld(st *state, ins *asm.Instruction) *verifier.Error {
	f := st.cur()
	if ins.OpCode == asm.LdImmDW {
		if e := c.writable(st, ins.Dst); e != nil {
			return e
		}
		switch ins.Src {
		case 0:
			f.regs[ins.Dst] = scalarReg(constScalar(uint64(ins.Constant)))
		case asm.PseudoMapFD:
			f.regs[ins.Dst] = reg{typ: constPtrMap, v: constScalar(0), aux: c.mapOf[st.pc]}
		case asm.PseudoMapValue:
			f.regs[ins.Dst] = reg{typ: ptrMapValue, v: constScalar(0), off: int32(ins.MapOffset()), aux: c.mapOf[st.pc]}
		case asm.PseudoFunc:
			return c.loadFunc(st, ins)
		}
		return nil
	}
	// LD_ABS / LD_IND
	if !c.mayAccessSKB() {
		return c.errf(st, noReg, "BPF_LD_[ABS|IND] instructions not allowed for this program type")
	}
	if len(st.refs) > 0 {
		return c.errf(st, noReg, "BPF_LD_[ABS|IND] cannot be mixed with socket references")
	}
	if st.lock.held {
		return c.errf(st, noReg, "BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region")
	}
	r6 := &f.regs[asm.R6]
	if r6.typ == notInit {
		return c.errf(st, asm.R6, "R6 !read_ok")
	}
	if r6.typ != ptrCtx || r6.off != 0 || !r6.v.isConst() || r6.v.t.value != 0 {
		return c.errf(st, asm.R6, "at the time of BPF_LD_ABS|IND R6 != pointer to skb")
	}
	if ins.OpCode.Mode() == asm.IndMode {
		if _, e := c.read(st, ins.Src); e != nil {
			return e
		}
	}
	for r := asm.R1; r <= asm.R5; r++ {
		f.regs[r] = reg{}
	}
	f.regs[asm.R0] = scalarReg(unknownScalar())
	return nil
}

func sizeMax(size int) uint64 {
	if size >= 8 {
		return ^uint64(0)
	}
	return 1<<(8*size) - 1
}

func (c *checker) load(st *state, ins *asm.Instruction) *verifier.Error {
	if ins.OpCode.Mode() == asm.AtomicMode {
		return c.unsupported(st, "atomic load is not modelled")
	}
	if e := c.writable(st, ins.Dst); e != nil {
		return e
	}
	if _, e := c.read(st, ins.Src); e != nil {
		return e
	}
	size := ins.OpCode.Size().Sizeof()
	if ins.OpCode.Mode() == asm.MemSXMode && st.cur().regs[ins.Src].typ == ptrCtx {
		// The kernel refuses some sign-extending context loads that
		// the same plain load passes.
		return c.unsupported(st, "sign-extending load from the context is not modelled")
	}
	srcType := st.cur().regs[ins.Src].typ
	v, e := c.access(st, ins.Src, int32(ins.Offset), size, false, nil)
	if e != nil {
		return e
	}
	if e := c.samePointerKind(st, srcType); e != nil {
		return e
	}
	if ins.OpCode.Mode() == asm.MemSXMode && v.typ == scalarValue {
		if v.v.isConst() && v.v.t.value == 0 {
			v = scalarReg(constScalar(0))
		} else {
			v = scalarReg(unknownScalar())
		}
	}
	st.cur().regs[ins.Dst] = v
	return nil
}

func (c *checker) store(st *state, ins *asm.Instruction) *verifier.Error {
	size := ins.OpCode.Size().Sizeof()
	if _, e := c.read(st, ins.Dst); e != nil {
		return e
	}
	if ins.OpCode.Class() == asm.StClass {
		if d := st.cur().regs[ins.Dst]; d.typ == ptrCtx && !c.kv.has(featSTCtx) {
			return c.errf(st, ins.Dst, "BPF_ST stores into R%d %s is not allowed", ins.Dst, d.typ)
		}
		v := scalarReg(constScalar(uint64(int64(int32(ins.Constant)))))
		dstType := st.cur().regs[ins.Dst].typ
		c.storeImm = true
		_, e := c.access(st, ins.Dst, int32(ins.Offset), size, true, &v)
		c.storeImm = false
		if e != nil {
			return e
		}
		return c.samePointerKind(st, dstType)
	}
	if ins.OpCode.Mode() == asm.AtomicMode {
		return c.atomic(st, ins, size)
	}
	s, e := c.read(st, ins.Src)
	if e != nil {
		return e
	}
	v := *s
	dstType := st.cur().regs[ins.Dst].typ
	if _, e = c.access(st, ins.Dst, int32(ins.Offset), size, true, &v); e != nil {
		return e
	}
	return c.samePointerKind(st, dstType)
}

// samePointerKind is the kernel's save_aux_ptr_type for loads and stores
// (not atomics): the kernel rewrites a context or socket access per
// instruction, so an instruction that goes through such a pointer on one
// path may not go through a pointer of another kind on another path.
// The first kind seen is kept per instruction, as the kernel keeps it
// over every path it explores.
func (c *checker) samePointerKind(st *state, t regType) *verifier.Error {
	if c.ptrTypes == nil {
		c.ptrTypes = make([]regType, len(c.insns))
	}
	prev := &c.ptrTypes[st.pc]
	switch {
	case *prev == notInit:
		*prev = t
	case t != *prev && (rewrittenPerInsn(t) || rewrittenPerInsn(*prev)):
		return c.errf(st, noReg, "same insn cannot be used with different pointers")
	}
	return nil
}

// rewrittenPerInsn reports whether accesses through t are rewritten per
// instruction by the kernel (its reg_type_mismatch_ok is false for them).
func rewrittenPerInsn(t regType) bool {
	switch t {
	case ptrCtx, ptrSockCommon, ptrSockCommonOrNull:
		return true
	}
	return false
}

func (c *checker) atomic(st *state, ins *asm.Instruction, size int) *verifier.Error {
	if size != 4 && size != 8 {
		return c.errf(st, noReg, "invalid atomic operand size")
	}
	s, e := c.read(st, ins.Src)
	if e != nil {
		return e
	}
	aop := asm.AtomicOp(ins.Constant)
	if aop == asm.AtomicOpCmpXchg {
		if _, e := c.read(st, asm.R0); e != nil {
			return e
		}
		if st.cur().regs[asm.R0].typ != scalarValue {
			return c.unsupported(st, "cmpxchg with a pointer in R0 is not modelled")
		}
	}
	if s.typ != scalarValue {
		return c.unsupported(st, "atomic operation with a pointer operand R%d is not modelled", ins.Src)
	}
	d := &st.cur().regs[ins.Dst]
	switch d.typ {
	case ptrStack, ptrMapValue, ptrMem:
	case scalarValue, notInit:
		return c.errf(st, ins.Dst, "R%d invalid mem access '%s'", ins.Dst, d.typ)
	default:
		return c.errf(st, ins.Dst, "BPF_ATOMIC stores into R%d %s is not allowed", ins.Dst, d.typ)
	}
	if !d.v.isConst() {
		return c.unsupported(st, "atomic access through a variable offset is not modelled")
	}
	if (int64(d.off)+int64(ins.Offset)+int64(d.v.t.value))%int64(size) != 0 {
		return c.errf(st, ins.Dst, "misaligned access off %d size %d", int64(d.off)+int64(ins.Offset), size)
	}
	old, e := c.access(st, ins.Dst, int32(ins.Offset), size, false, nil)
	if e != nil {
		return e
	}
	if old.typ != scalarValue {
		return c.unsupported(st, "atomic operation on a spilled pointer is not modelled")
	}
	misc := scalarReg(unknownScalar())
	if _, e := c.access(st, ins.Dst, int32(ins.Offset), size, true, &misc); e != nil {
		return e
	}
	fetched := scalarReg(unsignedScalar(sizeMax(size)))
	switch {
	case aop == asm.AtomicOpCmpXchg:
		st.cur().regs[asm.R0] = fetched
	case aop&asm.AtomicFetch != 0:
		if e := c.writable(st, ins.Src); e != nil {
			return e
		}
		st.cur().regs[ins.Src] = fetched
	}
	return nil
}
