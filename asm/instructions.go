package asm

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Instructions is a program or a part of one.
type Instructions []Instruction

// RawLen returns the number of raw 8-byte slots the instructions occupy.
func (insns Instructions) RawLen() int {
	n := 0
	for _, ins := range insns {
		n += ins.Slots()
	}
	return n
}

// RawOffsets returns, for each instruction index, the index of its first
// raw slot: the numbering the kernel, the verifier log and bpftool use.
func (insns Instructions) RawOffsets() []int {
	offs := make([]int, len(insns))
	raw := 0
	for i, ins := range insns {
		offs[i] = raw
		raw += ins.Slots()
	}
	return offs
}

// IndexOfRaw returns the index of the instruction starting at raw slot raw,
// and false if no instruction starts there (out of range, or the second
// half of an LD_IMM64).
func (insns Instructions) IndexOfRaw(raw int) (int, bool) {
	pos := 0
	for i, ins := range insns {
		if pos == raw {
			return i, true
		}
		if pos > raw {
			break
		}
		pos += ins.Slots()
	}
	return 0, false
}

// SymbolOffsets returns the raw slot index of every symbol defined in
// insns. It fails if a symbol is defined twice.
func (insns Instructions) SymbolOffsets() (map[string]int, error) {
	syms := make(map[string]int)
	raw := 0
	for i, ins := range insns {
		if s := ins.meta.symbol; s != "" {
			if prev, dup := syms[s]; dup {
				return nil, fmt.Errorf("symbol %q at raw instructions %d and %d (instruction %d): %w", s, prev, raw, i, ErrDuplicateSymbol)
			}
			syms[s] = raw
		}
		raw += ins.Slots()
	}
	return syms, nil
}

// resolved returns a copy of insns with the targets of jumps, bpf-to-bpf
// calls and PseudoFunc loads that carry a reference computed from the
// symbols of insns. insns itself is not modified.
func (insns Instructions) resolved() (Instructions, error) {
	need := false
	for _, ins := range insns {
		if ins.meta.reference != "" {
			if _, rel := ins.relTarget(); rel {
				need = true
				break
			}
		}
	}
	if !need {
		return insns, nil
	}
	syms, err := insns.SymbolOffsets()
	if err != nil {
		return nil, err
	}
	out := make(Instructions, len(insns))
	copy(out, insns)
	raw := 0
	for i := range out {
		ins := &out[i]
		next := raw + ins.Slots()
		if ref := ins.meta.reference; ref != "" {
			if _, rel := ins.relTarget(); rel {
				target, ok := syms[ref]
				if !ok {
					return nil, fmt.Errorf("instruction %d (raw %d): label %q not defined: %w", i, raw, ref, ErrUnresolvedReference)
				}
				// Offsets count from the slot after the first one: for
				// an LD_IMM64 of a function that is its second half
				// (the kernel's target is index + imm + 1).
				delta := int64(target - (raw + 1))
				switch {
				case ins.isLongJump(), ins.IsFunctionCall(), ins.IsLoadOfFunctionPointer():
					if delta < math.MinInt32 || delta > math.MaxInt32 {
						return nil, fmt.Errorf("instruction %d (raw %d): offset %d to %q does not fit in 32 bits: %w", i, raw, delta, ref, ErrJumpOutOfRange)
					}
					ins.Constant = delta
				default:
					if delta < math.MinInt16 || delta > math.MaxInt16 {
						return nil, fmt.Errorf("instruction %d (raw %d): jump offset %d to %q does not fit in 16 bits (use JaLong): %w", i, raw, delta, ref, ErrJumpOutOfRange)
					}
					ins.Offset = int16(delta)
				}
			}
		}
		raw = next
	}
	return out, nil
}

// AppendEncode appends the raw encoding of insns to b in byte order bo and
// returns the extended slice. It resolves jump labels, bpf-to-bpf call
// targets and PseudoFunc loads against the symbols of insns, and fails with
// an error naming the reference if a label is unknown, a jump offset
// overflows its field, or a map load with a reference was never resolved
// with SetMapFD / SetMapValue. insns is not modified. With bo
// binary.BigEndian the dst/src nibbles are swapped, as in the kernel's
// big-endian layout.
func (insns Instructions) AppendEncode(b []byte, bo binary.ByteOrder) ([]byte, error) {
	res, err := insns.resolved()
	if err != nil {
		return b, fmt.Errorf("encode: %w", err)
	}
	raw := 0
	for i, ins := range res {
		if ins.IsLoadFromMap() && ins.meta.reference != "" && !ins.meta.mapSet {
			return b, fmt.Errorf("encode: instruction %d (raw %d): map %q: fd not set: %w", i, raw, ins.meta.reference, ErrUnresolvedReference)
		}
		b, err = ins.appendRaw(b, bo)
		if err != nil {
			return b, fmt.Errorf("encode: instruction %d (raw %d): %w", i, raw, err)
		}
		raw += ins.Slots()
	}
	return b, nil
}

// Encode returns the raw encoding of insns in byte order bo; see
// AppendEncode.
func (insns Instructions) Encode(bo binary.ByteOrder) ([]byte, error) {
	return insns.AppendEncode(make([]byte, 0, insns.RawLen()*InstructionSize), bo)
}

// Marshal writes the raw encoding of insns to w; see AppendEncode.
func (insns Instructions) Marshal(w io.Writer, bo binary.ByteOrder) error {
	b, err := insns.Encode(bo)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Decode parses raw instructions in byte order bo. It fails with a wrapped
// error giving the raw index for a length that is not a multiple of 8
// (ErrTruncated), an LD_IMM64 without its second half (ErrTruncated), an
// opcode or field combination the kernel never accepts
// (ErrInvalidInstruction), and a jump, bpf-to-bpf call or PseudoFunc load
// whose target lies outside the program or inside an LD_IMM64
// (ErrJumpOutOfRange). Decoded instructions carry no metadata; encoding
// them gives back b.
func Decode(b []byte, bo binary.ByteOrder) (Instructions, error) {
	if len(b)%InstructionSize != 0 {
		return nil, fmt.Errorf("decode: %d bytes is not a multiple of %d: %w", len(b), InstructionSize, ErrTruncated)
	}
	n := len(b) / InstructionSize
	big := isBigEndian(bo)
	insns := make(Instructions, 0, n)
	// second[r] is true when raw slot r is the second half of an LD_IMM64.
	var second []bool
	for raw := 0; raw < n; raw++ {
		s := b[raw*InstructionSize:]
		ins := Instruction{
			OpCode:   OpCode(s[0]),
			Offset:   int16(bo.Uint16(s[2:4])),
			Constant: int64(int32(bo.Uint32(s[4:8]))),
		}
		if big {
			ins.Dst, ins.Src = Register(s[1]>>4), Register(s[1]&0xf)
		} else {
			ins.Dst, ins.Src = Register(s[1]&0xf), Register(s[1]>>4)
		}
		if ins.OpCode == LdImmDW {
			if raw+1 >= n {
				return nil, fmt.Errorf("decode: raw instruction %d: LD_IMM64 without its second half: %w", raw, ErrTruncated)
			}
			t := b[(raw+1)*InstructionSize:]
			if t[0] != 0 || t[1] != 0 || t[2] != 0 || t[3] != 0 {
				return nil, fmt.Errorf("decode: raw instruction %d: second half of LD_IMM64 has non-zero opcode, registers or offset: %w", raw+1, ErrInvalidInstruction)
			}
			hi := bo.Uint32(t[4:8])
			ins.Constant = int64(uint64(hi)<<32 | uint64(uint32(ins.Constant)))
			if second == nil {
				second = make([]bool, n)
			}
			second[raw+1] = true
			raw++
		}
		if err := ins.validate(); err != nil {
			return nil, fmt.Errorf("decode: raw instruction %d: %w", raw-ins.Slots()+1, err)
		}
		insns = append(insns, ins)
	}
	raw := 0
	for _, ins := range insns {
		if rel, ok := ins.relTarget(); ok {
			target := int64(raw) + 1 + rel
			if target < 0 || target >= int64(n) {
				return nil, fmt.Errorf("decode: raw instruction %d: target %d outside the program of %d instructions: %w", raw, target, n, ErrJumpOutOfRange)
			}
			if second != nil && second[target] {
				return nil, fmt.Errorf("decode: raw instruction %d: target %d is the second half of an LD_IMM64: %w", raw, target, ErrJumpOutOfRange)
			}
		}
		raw += ins.Slots()
	}
	return insns, nil
}

// validate checks the opcode and the fields whose meaning depends on it
// (atomic operation, byte swap width, MOV/DIV/MOD variants, pseudo
// sources), rejecting what the kernel never accepts.
func (ins Instruction) validate() error {
	op := ins.OpCode
	if !op.Valid() {
		return fmt.Errorf("%w: opcode %#02x", ErrInvalidInstruction, uint8(op))
	}
	c := op.Class()
	switch {
	case op == LdImmDW:
		if ins.Src > PseudoMapIdxValue {
			return fmt.Errorf("%w: LD_IMM64 with unknown pseudo source %d", ErrInvalidInstruction, ins.Src)
		}
	case c == StXClass && op.Mode() == AtomicMode:
		a := AtomicOp(ins.Constant)
		if !a.valid() {
			return fmt.Errorf("%w: unknown atomic operation %#x", ErrInvalidInstruction, ins.Constant)
		}
		sz := op.Size()
		if (sz == Byte || sz == Half) && a != AtomicOpLoadAcquire && a != AtomicOpStoreRelease {
			return fmt.Errorf("%w: atomic operation %#x on %d bytes", ErrInvalidInstruction, ins.Constant, sz.Sizeof())
		}
	case c.IsALU():
		switch op.ALUOp() {
		case End:
			if ins.Constant != 16 && ins.Constant != 32 && ins.Constant != 64 {
				return fmt.Errorf("%w: byte swap of %d bits", ErrInvalidInstruction, ins.Constant)
			}
		case Div, Mod:
			if ins.Offset != 0 && ins.Offset != 1 {
				return fmt.Errorf("%w: division with offset %d", ErrInvalidInstruction, ins.Offset)
			}
		case Mov:
			ok := ins.Offset == 0
			if op.Source() == RegSource {
				switch ins.Offset {
				case 8, 16:
					ok = true
				case 32, 1, -1: // movsx32, addr_space_cast, percpu address
					ok = c == ALU64Class
				}
			}
			if !ok {
				return fmt.Errorf("%w: mov with offset %d", ErrInvalidInstruction, ins.Offset)
			}
		}
	case op == CallOpCode:
		if ins.Src > PseudoKfuncCall {
			return fmt.Errorf("%w: call with unknown source %d", ErrInvalidInstruction, ins.Src)
		}
	case op == OpCode(JumpClass)|OpCode(JCond):
		if ins.Src != 0 {
			return fmt.Errorf("%w: jcond with unknown condition %d", ErrInvalidInstruction, ins.Src)
		}
	}
	return nil
}
