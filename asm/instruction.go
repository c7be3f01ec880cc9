package asm

import (
	"encoding/binary"
	"fmt"
	"math"
)

// InstructionSize is the size of one raw instruction slot in bytes.
const InstructionSize = 8

// Instruction is one eBPF instruction. LD_IMM64 is a single Instruction that
// occupies two raw slots (Size returns 16); every other instruction occupies
// one.
//
// Besides the encoded fields an Instruction carries symbolic metadata that
// never changes the encoded bytes: a symbol (a label defined at this
// instruction, also used as a function name), a reference (the label a
// jump targets, the function a bpf-to-bpf call or PseudoFunc load targets,
// or the name of the map an LD_IMM64 loads), and the BTF source line and
// function that start here (Line, Func), which move with the
// instruction when a program is edited. Instructions.Encode resolves
// jump and call references within the slice; the loader resolves map
// references with SetMapFD / SetMapValue.
type Instruction struct {
	// OpCode is the operation: class, size or source, and mode or op.
	OpCode OpCode
	// Dst is the destination register.
	Dst Register
	// Src is the source register, or for LD_IMM64 and calls the pseudo
	// source (PseudoMapFD, PseudoCall, PseudoKfuncCall, ...).
	Src Register
	// Offset is the signed 16-bit offset of memory accesses and jumps
	// (jumps to a label leave it to Encode).
	Offset int16
	// Constant is the full 64-bit immediate of LD_IMM64 (for PseudoMapValue
	// and PseudoMapIdxValue: map fd or index in the low 32 bits, value offset
	// in the high 32 bits); for every other instruction it is the 32-bit
	// immediate, sign-extended. Values in [math.MinInt32, math.MaxUint32]
	// encode; Decode always produces the sign-extended form.
	Constant int64

	meta metadata
}

type metadata struct {
	symbol    string
	reference string
	mapSet    bool // SetMapFD or SetMapValue was called
	line      *Line
	fn        *FuncInfo
}

// Size returns the encoded size of the instruction in bytes: 16 for
// LD_IMM64, 8 otherwise.
func (ins Instruction) Size() int {
	if ins.OpCode == LdImmDW {
		return 2 * InstructionSize
	}
	return InstructionSize
}

// Slots returns the number of raw instruction slots the instruction
// occupies: 2 for LD_IMM64, 1 otherwise.
func (ins Instruction) Slots() int { return ins.Size() / InstructionSize }

// Symbol returns the label or function name defined at this instruction, or "".
func (ins Instruction) Symbol() string { return ins.meta.symbol }

// WithSymbol returns a copy of ins defining the label or function name
// symbol at this instruction.
func (ins Instruction) WithSymbol(symbol string) Instruction {
	ins.meta.symbol = symbol
	return ins
}

// Reference returns the symbol this instruction refers to (jump label,
// bpf-to-bpf call target, map name), or "".
func (ins Instruction) Reference() string { return ins.meta.reference }

// WithReference returns a copy of ins referring to ref: the label of a jump,
// the function symbol of a bpf-to-bpf call or PseudoFunc load, or the map
// name of a map load.
func (ins Instruction) WithReference(ref string) Instruction {
	ins.meta.reference = ref
	return ins
}

// WithoutMetadata returns a copy of ins without symbol, reference, map
// resolution state, source line or function: the part of the instruction that Decode can recover.
func (ins Instruction) WithoutMetadata() Instruction {
	ins.meta = metadata{}
	return ins
}

// IsLoadFromMap reports whether ins is an LD_IMM64 of a map by fd
// (PseudoMapFD) or of a map value address (PseudoMapValue): the
// instructions whose fd a loader fills in with SetMapFD or SetMapValue.
func (ins Instruction) IsLoadFromMap() bool {
	return ins.OpCode == LdImmDW && (ins.Src == PseudoMapFD || ins.Src == PseudoMapValue)
}

// IsMapResolved reports whether SetMapFD or SetMapValue was called on a map
// load. Encode refuses a map load that has a reference but is not resolved.
func (ins Instruction) IsMapResolved() bool { return ins.meta.mapSet }

// MapFD returns the map fd of a map load (the low 32 bits of Constant), or
// -1 if ins is not a map load.
func (ins Instruction) MapFD() int {
	if !ins.IsLoadFromMap() {
		return -1
	}
	return int(int32(uint32(ins.Constant)))
}

// MapOffset returns the value offset of a PseudoMapValue or
// PseudoMapIdxValue load (the high 32 bits of Constant), else 0.
func (ins Instruction) MapOffset() uint32 {
	if ins.OpCode != LdImmDW || (ins.Src != PseudoMapValue && ins.Src != PseudoMapIdxValue) {
		return 0
	}
	return uint32(uint64(ins.Constant) >> 32)
}

// SetMapFD fills in the fd of a map load, keeping the value offset of a
// PseudoMapValue load, and marks the reference resolved. It does nothing if
// ins is not a map load (IsLoadFromMap).
func (ins *Instruction) SetMapFD(fd int) {
	if !ins.IsLoadFromMap() {
		return
	}
	off := uint64(0)
	if ins.Src == PseudoMapValue {
		off = uint64(ins.MapOffset())
	}
	ins.Constant = int64(off<<32 | uint64(uint32(int32(fd))))
	ins.meta.mapSet = true
}

// SetMapValue turns a map load into a PseudoMapValue load of the value at
// offset off of the map with the given fd, and marks it resolved. It does
// nothing if ins is not a map load (IsLoadFromMap).
func (ins *Instruction) SetMapValue(fd int, off uint32) {
	if !ins.IsLoadFromMap() {
		return
	}
	ins.Src = PseudoMapValue
	ins.Constant = int64(uint64(off)<<32 | uint64(uint32(int32(fd))))
	ins.meta.mapSet = true
}

// IsBuiltinCall reports whether ins calls a helper function.
func (ins Instruction) IsBuiltinCall() bool { return ins.OpCode == CallOpCode && ins.Src == 0 }

// IsFunctionCall reports whether ins is a bpf-to-bpf call.
func (ins Instruction) IsFunctionCall() bool {
	return ins.OpCode == CallOpCode && ins.Src == PseudoCall
}

// IsKfuncCall reports whether ins calls a kernel function by BTF id.
func (ins Instruction) IsKfuncCall() bool {
	return ins.OpCode == CallOpCode && ins.Src == PseudoKfuncCall
}

// IsLoadOfFunctionPointer reports whether ins is an LD_IMM64 of a BPF
// function address (PseudoFunc).
func (ins Instruction) IsLoadOfFunctionPointer() bool {
	return ins.OpCode == LdImmDW && ins.Src == PseudoFunc
}

// IsExit reports whether ins is an exit.
func (ins Instruction) IsExit() bool { return ins.OpCode == ExitOpCode }

// IsJump reports whether ins is a jump (conditional or not, including
// gotol and may_goto), as opposed to a call or exit.
func (ins Instruction) IsJump() bool {
	if !ins.OpCode.Class().IsJump() {
		return false
	}
	op := ins.OpCode.JumpOp()
	return op != CallOp && op != ExitOp
}

// isLongJump reports whether ins is gotol, whose target is in the immediate.
func (ins Instruction) isLongJump() bool {
	return ins.OpCode == OpCode(Jump32Class)|OpCode(JumpAlways)
}

// relTarget returns the raw-slot offset (relative to the slot after the
// instruction's first one, as the kernel counts) of the
// jump, bpf-to-bpf call or PseudoFunc load, and whether ins has one.
func (ins Instruction) relTarget() (int64, bool) {
	switch {
	case ins.isLongJump():
		return ins.Constant, true
	case ins.IsJump():
		return int64(ins.Offset), true
	case ins.IsFunctionCall(), ins.IsLoadOfFunctionPointer():
		return ins.Constant, true
	}
	return 0, false
}

// AppendEncode appends the raw encoding of ins to b. It does not resolve
// references: it fails if ins refers to a jump label, function or map it
// cannot encode without the rest of the program (use Instructions.Encode
// for those), or if Constant does not fit the immediate.
func (ins Instruction) AppendEncode(b []byte, bo binary.ByteOrder) ([]byte, error) {
	if ins.meta.reference != "" {
		if _, rel := ins.relTarget(); rel {
			return b, fmt.Errorf("reference %q: %w (encode the whole program)", ins.meta.reference, ErrUnresolvedReference)
		}
		if ins.IsLoadFromMap() && !ins.meta.mapSet {
			return b, fmt.Errorf("map %q: %w", ins.meta.reference, ErrUnresolvedReference)
		}
	}
	return ins.appendRaw(b, bo)
}

func (ins Instruction) appendRaw(b []byte, bo binary.ByteOrder) ([]byte, error) {
	if ins.Dst > 0xf || ins.Src > 0xf {
		return b, fmt.Errorf("%w: dst %d or src %d does not fit in 4 bits", ErrInvalidInstruction, ins.Dst, ins.Src)
	}
	lo := int32(ins.Constant)
	if ins.OpCode != LdImmDW {
		if ins.Constant < math.MinInt32 || ins.Constant > math.MaxUint32 {
			return b, fmt.Errorf("%w: constant %d does not fit in 32 bits", ErrInvalidInstruction, ins.Constant)
		}
	}
	b = appendSlot(b, bo, ins.OpCode, ins.Dst, ins.Src, ins.Offset, lo)
	if ins.OpCode == LdImmDW {
		b = appendSlot(b, bo, 0, 0, 0, 0, int32(uint64(ins.Constant)>>32))
	}
	return b, nil
}

func appendSlot(b []byte, bo binary.ByteOrder, op OpCode, dst, src Register, off int16, imm int32) []byte {
	regs := uint8(src)<<4 | uint8(dst)
	if isBigEndian(bo) { // bpfeb: dst in the high nibble
		regs = uint8(dst)<<4 | uint8(src)
	}
	n := len(b)
	b = append(b, uint8(op), regs, 0, 0, 0, 0, 0, 0)
	bo.PutUint16(b[n+2:n+4], uint16(off))
	bo.PutUint32(b[n+4:n+8], uint32(imm))
	return b
}

// isBigEndian reports whether bo stores the most significant byte first.
func isBigEndian(bo binary.ByteOrder) bool {
	switch bo {
	case binary.LittleEndian:
		return false
	case binary.BigEndian:
		return true
	}
	var t [2]byte
	bo.PutUint16(t[:], 1)
	return t[0] == 0
}
