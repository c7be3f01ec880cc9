package check

import (
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/verifier"
)

// stackVarAccess is a load or store through a stack pointer with a
// variable offset, which privileged programs may make (the kernel's
// check_stack_access_within_bounds, check_stack_write_var_off and
// check_stack_read_var_off, the same from 6.1 to 6.18 for what is modelled
// here):
//
//   - the offset's tnum plus the constant part must be aligned to the
//     size (stack accesses are always strictly aligned);
//   - every byte the access may touch lies in the frame's 512 bytes (for
//     reads before 6.8: in the part of the stack written so far);
//   - a store makes every byte it may touch unknown data (zero stays zero
//     when a zero register is stored into zero bytes);
//   - a load needs every byte it may touch initialised (or, since 6.3,
//     privileged uninitialised reads), and gives 0 when all are zero,
//     else an unknown value of the access's size.
//
// A store whose range reaches a spilled register makes the whole slot
// unknown data (a zero stored over a spilled zero keeps it) since the
// kernel scrubs such slots (featVarStackScrub); before, it forgot the
// register but kept the slot's spill marks, which is not modelled, nor
// are stores of pointers.
func (c *checker) stackVarAccess(st *state, regno asm.Register, p *reg, off int32, size int, write bool, v *reg) (reg, *verifier.Error) {
	fixed := int64(p.off) + int64(off)
	at := p.v.t.add(tnumConst(uint64(fixed)))
	if (at.value|at.mask)&uint64(size-1) != 0 {
		return reg{}, c.errf(st, regno, "misaligned stack access off (%#x; %#x)+%d+%d size %d", p.v.t.value, p.v.t.mask, p.off, off, size)
	}
	if p.v.smax >= maxVarOff || p.v.smin <= -maxVarOff {
		return reg{}, c.errf(st, regno, "invalid unbounded variable-offset stack R%d", regno)
	}
	lo := p.v.smin + fixed
	hi := p.v.smax + fixed + int64(size)
	fr := st.frames[p.aux]
	floor := int64(-maxStack)
	if !write && !c.kv.has(featStackReadGrows) {
		floor = -8 * int64(len(fr.stack))
	}
	if lo < floor || hi > 0 {
		what := "read from"
		if write {
			what = "write to"
		}
		return reg{}, c.errf(st, regno, "invalid variable-offset %s stack R%d var_off=(%#x; %#x) off=%d size=%d", what, regno, p.v.t.value, p.v.t.mask, fixed, size)
	}
	c.noteDepth(fr, lo)
	if write {
		if v != nil && v.typ.isPointer() {
			return reg{}, c.unsupported(st, "storing a pointer at a variable stack offset is not modelled")
		}
		// A zero register, or (since the BPF_ST rule) a zero immediate.
		zero := v != nil && (!c.storeImm || c.kv.has(featSTImmSpill)) && v.typ == scalarValue && v.v.isConst() && v.v.t.value == 0
		for b := lo; b < hi; b++ {
			si, j := stackByte(b)
			s := fr.slot(si)
			if s.types[0] == stackSpill {
				if !c.kv.has(featVarStackScrub) {
					return reg{}, c.unsupported(st, "a variable-offset stack store over a spilled register on kernels before %v is not modelled", featVarStackScrub.since)
				}
				if zero && s.spill.typ == scalarValue && s.spill.v.isConst() && s.spill.v.t.value == 0 && s.types[j] == stackSpill {
					// Zero over a spilled zero keeps the spill.
					continue
				}
				// The kernel scrubs the whole slot: spilled and
				// zero bytes become unknown data.
				for k := range s.types {
					if s.types[k] != stackInvalid {
						s.types[k] = stackMisc
					}
				}
				s.spill, s.spillSize = reg{}, 0
			}
			if zero && s.types[j] == stackZero {
				continue
			}
			s.types[j] = stackMisc
		}
		return reg{}, nil
	}
	zeros := true
	for b := lo; b < hi; b++ {
		si, j := stackByte(b)
		if si >= len(fr.stack) {
			if !c.kv.has(featUninitStackRead) {
				return reg{}, c.errf(st, regno, "invalid read from stack R%d var_off=(%#x; %#x)+%d size %d", regno, p.v.t.value, p.v.t.mask, b-lo, size)
			}
			zeros = false
			continue
		}
		s := &fr.stack[si]
		switch {
		case s.types[0] == stackSpill && s.types[j] == stackZero:
			// Zero next to a partial spill: unknown data before
			// 6.8.
			if !c.kv.has(featPartialSpillZero) {
				return reg{}, c.unsupported(st, "a variable-offset read of zero bytes of a partially spilled slot on kernels before %v is not modelled", featPartialSpillZero.since)
			}
		case s.types[0] == stackSpill:
			// Any byte of a spill slot (privileged). Before 6.8 an
			// aligned store of a zero was not a spill but zeroed bytes
			// (STACK_ZERO), which such a read takes as 0.
			if s.spill.typ == scalarValue && s.spill.v.isConst() && s.spill.v.t.value == 0 && !c.kv.has(featPartialSpillZero) {
				return reg{}, c.unsupported(st, "a variable-offset read of a stored zero on kernels before %v is not modelled", featPartialSpillZero.since)
			}
			zeros = false
		case s.types[j] == stackZero:
		case s.types[j] == stackMisc:
			zeros = false
		default:
			if !c.kv.has(featUninitStackRead) {
				return reg{}, c.errf(st, regno, "invalid read from stack R%d var_off=(%#x; %#x)+%d size %d", regno, p.v.t.value, p.v.t.mask, b-lo, size)
			}
			zeros = false
		}
	}
	if zeros {
		return scalarReg(constScalar(0)), nil
	}
	return scalarReg(unsignedScalar(sizeMax(size))), nil
}

// partialFill is a read of size bytes from byte j0 of a slot holding a
// scalar spill that is not the whole spill: unknown data, except that
// since 6.8 a read of only zero bytes, or of only bytes of a spilled zero,
// is 0 (before, the kernel read unknown data there; such reads are not
// modelled on those kernels).
func (c *checker) partialFill(st *state, s *slot, j0, size int) (reg, *verifier.Error) {
	spills, zeros := 0, 0
	for b := 0; b < size; b++ {
		switch s.types[j0+b] {
		case stackSpill:
			spills++
		case stackZero:
			zeros++
		}
	}
	zeroSpill := spills == size && s.spill.v.isConst() && s.spill.v.t.value == 0
	if zeroSpill || zeros == size {
		if !c.kv.has(featPartialSpillZero) {
			return reg{}, c.unsupported(st, "reading zero bytes of a partially spilled slot on kernels before %v is not modelled", featPartialSpillZero.since)
		}
		return scalarReg(constScalar(0)), nil
	}
	return scalarReg(unsignedScalar(sizeMax(size))), nil
}
