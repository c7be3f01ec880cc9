package asm

import "fmt"

// OpCode is the raw opcode byte of an instruction: class in bits 0-2, and
// either size and mode (loads and stores) or source and operation (ALU and
// jumps) in the upper bits.
type OpCode uint8

// Class is the instruction class, the low three bits of an OpCode.
type Class uint8

// Instruction classes.
const (
	LdClass     Class = 0x00 // BPF_LD: LD_IMM64 and legacy packet loads
	LdXClass    Class = 0x01 // BPF_LDX: loads from memory into a register
	StClass     Class = 0x02 // BPF_ST: stores of an immediate
	StXClass    Class = 0x03 // BPF_STX: stores of a register, atomics
	ALUClass    Class = 0x04 // BPF_ALU: 32-bit arithmetic
	JumpClass   Class = 0x05 // BPF_JMP: 64-bit jumps, calls, exit
	Jump32Class Class = 0x06 // BPF_JMP32: 32-bit compares, gotol
	ALU64Class  Class = 0x07 // BPF_ALU64: 64-bit arithmetic
)

// IsLoadOrStore reports whether c is one of the load or store classes.
func (c Class) IsLoadOrStore() bool { return c <= StXClass }

// IsALU reports whether c is ALUClass or ALU64Class.
func (c Class) IsALU() bool { return c == ALUClass || c == ALU64Class }

// IsJump reports whether c is JumpClass or Jump32Class.
func (c Class) IsJump() bool { return c == JumpClass || c == Jump32Class }

// Size is the access size of a load or store, as encoded in the opcode.
type Size uint8

// Access sizes.
const (
	Word  Size = 0x00 // BPF_W: 4 bytes
	Half  Size = 0x08 // BPF_H: 2 bytes
	Byte  Size = 0x10 // BPF_B: 1 byte
	DWord Size = 0x18 // BPF_DW: 8 bytes
)

// Sizeof returns the number of bytes the size accesses.
func (s Size) Sizeof() int {
	switch s {
	case Byte:
		return 1
	case Half:
		return 2
	case Word:
		return 4
	case DWord:
		return 8
	}
	return 0
}

// bits returns the width in bits, as used by byte swap immediates.
func (s Size) bits() int64 { return int64(s.Sizeof() * 8) }

// Mode is the addressing mode of a load or store.
type Mode uint8

// Addressing modes.
const (
	ImmMode    Mode = 0x00 // BPF_IMM: LD_IMM64
	AbsMode    Mode = 0x20 // BPF_ABS: legacy packet load at constant offset
	IndMode    Mode = 0x40 // BPF_IND: legacy packet load at register offset
	MemMode    Mode = 0x60 // BPF_MEM: regular load/store
	MemSXMode  Mode = 0x80 // BPF_MEMSX: sign-extending load (kernel 6.6, cpu v4)
	AtomicMode Mode = 0xc0 // BPF_ATOMIC: atomic operations, op in the immediate
)

// Source selects the second operand of ALU and jump instructions.
type Source uint8

// Operand sources.
const (
	ImmSource Source = 0x00 // BPF_K: the 32-bit immediate
	RegSource Source = 0x08 // BPF_X: the source register
)

// Endianness is the target byte order of a BPF_END instruction; it shares
// the opcode bit with Source.
type Endianness uint8

// Byte orders of BPF_END.
const (
	LE Endianness = 0x00 // BPF_TO_LE
	BE Endianness = 0x08 // BPF_TO_BE
)

// ALUOp is an arithmetic operation. The low byte holds the operation bits
// of the opcode; the high byte holds the Offset the operation requires
// (1 for SDiv and SMod, 8/16/32 for the MovSX variants), so that builders
// such as SDiv.Imm produce the right instruction.
type ALUOp uint16

// Arithmetic operations.
const (
	Add  ALUOp = 0x00 // BPF_ADD: dst += src
	Sub  ALUOp = 0x10 // BPF_SUB: dst -= src
	Mul  ALUOp = 0x20 // BPF_MUL: dst *= src
	Div  ALUOp = 0x30 // BPF_DIV: dst /= src (unsigned)
	Or   ALUOp = 0x40 // BPF_OR: dst |= src
	And  ALUOp = 0x50 // BPF_AND: dst &= src
	LSh  ALUOp = 0x60 // BPF_LSH: dst <<= src
	RSh  ALUOp = 0x70 // BPF_RSH: dst >>= src (logical)
	Neg  ALUOp = 0x80 // BPF_NEG: dst = -dst (only the Imm forms, with 0, are valid)
	Mod  ALUOp = 0x90 // BPF_MOD: dst %= src (unsigned)
	Xor  ALUOp = 0xa0 // BPF_XOR: dst ^= src
	Mov  ALUOp = 0xb0 // BPF_MOV: dst = src
	ArSh ALUOp = 0xc0 // BPF_ARSH: dst s>>= src (arithmetic)
	End  ALUOp = 0xd0 // BPF_END: byte swap; build it with HostTo or Swap

	// SDiv is signed division: BPF_DIV with Offset 1 (kernel 6.6, cpu v4).
	SDiv ALUOp = Div | 1<<8
	// SMod is signed modulo: BPF_MOD with Offset 1 (kernel 6.6, cpu v4).
	SMod ALUOp = Mod | 1<<8
	// MovSX8 is dst = (s8)src: BPF_MOV|BPF_X with Offset 8 (kernel 6.6, cpu v4).
	// Only the Reg and Reg32 forms are valid.
	MovSX8 ALUOp = Mov | 8<<8
	// MovSX16 is dst = (s16)src: BPF_MOV|BPF_X with Offset 16 (kernel 6.6, cpu v4).
	// Only the Reg and Reg32 forms are valid.
	MovSX16 ALUOp = Mov | 16<<8
	// MovSX32 is dst = (s32)src: BPF_MOV|BPF_X with Offset 32 (kernel 6.6,
	// cpu v4). Only the 64-bit Reg form is valid.
	MovSX32 ALUOp = Mov | 32<<8
)

// op returns the opcode bits of the operation.
func (op ALUOp) op() OpCode { return OpCode(op & 0xf0) }

// offset returns the Offset the operation encodes.
func (op ALUOp) offset() int16 { return int16(op >> 8) }

// JumpOp is a jump, call or exit operation.
type JumpOp uint8

// Jump operations.
const (
	JumpAlways JumpOp = 0x00 // BPF_JA: goto (see Ja and JaLong)
	JEq        JumpOp = 0x10 // BPF_JEQ: ==
	JGT        JumpOp = 0x20 // BPF_JGT: > (unsigned)
	JGE        JumpOp = 0x30 // BPF_JGE: >= (unsigned)
	JSet       JumpOp = 0x40 // BPF_JSET: & != 0
	JNE        JumpOp = 0x50 // BPF_JNE: !=
	JSGT       JumpOp = 0x60 // BPF_JSGT: > (signed)
	JSGE       JumpOp = 0x70 // BPF_JSGE: >= (signed)
	CallOp     JumpOp = 0x80 // BPF_CALL: helper, bpf-to-bpf or kfunc call
	ExitOp     JumpOp = 0x90 // BPF_EXIT: return r0
	JLT        JumpOp = 0xa0 // BPF_JLT: < (unsigned)
	JLE        JumpOp = 0xb0 // BPF_JLE: <= (unsigned)
	JSLT       JumpOp = 0xc0 // BPF_JSLT: < (signed)
	JSLE       JumpOp = 0xd0 // BPF_JSLE: <= (signed)
	JCond      JumpOp = 0xe0 // BPF_JCOND: may_goto (kernel 6.9)
)

// AtomicOp is the operation of a BPF_ATOMIC instruction, held in its
// immediate.
type AtomicOp int32

// Atomic operations. The arithmetic ones may be combined with AtomicFetch.
const (
	AtomicOpAdd          AtomicOp = 0x00  // BPF_ADD
	AtomicOpOr           AtomicOp = 0x40  // BPF_OR (kernel 5.12 with fetch)
	AtomicOpAnd          AtomicOp = 0x50  // BPF_AND (kernel 5.12 with fetch)
	AtomicOpXor          AtomicOp = 0xa0  // BPF_XOR (kernel 5.12 with fetch)
	AtomicFetch          AtomicOp = 0x01  // BPF_FETCH: return the old value in src
	AtomicOpXchg         AtomicOp = 0xe1  // BPF_XCHG (always fetches)
	AtomicOpCmpXchg      AtomicOp = 0xf1  // BPF_CMPXCHG (always fetches, compares with r0)
	AtomicOpLoadAcquire  AtomicOp = 0x100 // BPF_LOAD_ACQ (kernel 6.15)
	AtomicOpStoreRelease AtomicOp = 0x110 // BPF_STORE_REL (kernel 6.15)
)

// valid reports whether op is an operation the kernel knows.
func (op AtomicOp) valid() bool {
	switch op {
	case AtomicOpAdd, AtomicOpOr, AtomicOpAnd, AtomicOpXor,
		AtomicOpAdd | AtomicFetch, AtomicOpOr | AtomicFetch, AtomicOpAnd | AtomicFetch, AtomicOpXor | AtomicFetch,
		AtomicOpXchg, AtomicOpCmpXchg, AtomicOpLoadAcquire, AtomicOpStoreRelease:
		return true
	}
	return false
}

// Frequently used opcodes.
const (
	// LdImmDW is the opcode of LD_IMM64 (BPF_LD|BPF_IMM|BPF_DW), the only
	// instruction that occupies two raw slots.
	LdImmDW OpCode = OpCode(LdClass) | OpCode(ImmMode) | OpCode(DWord)
	// CallOpCode is BPF_JMP|BPF_CALL.
	CallOpCode OpCode = OpCode(JumpClass) | OpCode(CallOp)
	// ExitOpCode is BPF_JMP|BPF_EXIT.
	ExitOpCode OpCode = OpCode(JumpClass) | OpCode(ExitOp)
)

// Class returns the instruction class.
func (op OpCode) Class() Class { return Class(op & 0x07) }

// Size returns the access size of a load or store opcode.
func (op OpCode) Size() Size { return Size(op & 0x18) }

// Mode returns the addressing mode of a load or store opcode.
func (op OpCode) Mode() Mode { return Mode(op & 0xe0) }

// Source returns the operand source of an ALU or jump opcode.
func (op OpCode) Source() Source { return Source(op & 0x08) }

// Endianness returns the byte order of a BPF_END opcode.
func (op OpCode) Endianness() Endianness { return Endianness(op & 0x08) }

// ALUOp returns the operation of an ALU opcode (without Offset variants:
// SDiv decodes as Div with Offset 1).
func (op OpCode) ALUOp() ALUOp { return ALUOp(op & 0xf0) }

// JumpOp returns the operation of a jump opcode.
func (op OpCode) JumpOp() JumpOp { return JumpOp(op & 0xf0) }

// IsDWordLoad reports whether op is LD_IMM64.
func (op OpCode) IsDWordLoad() bool { return op == LdImmDW }

// String returns the opcode byte in hex, as bpftool prints it: "b7".
func (op OpCode) String() string { return fmt.Sprintf("%02x", uint8(op)) }

// Valid reports whether the kernel accepts the opcode at all (in some
// instruction: several opcodes also constrain the other fields). It knows
// the instruction set of kernel 6.18.
func (op OpCode) Valid() bool {
	switch c := op.Class(); c {
	case LdClass:
		if op == LdImmDW {
			return true
		}
		m := op.Mode()
		return (m == AbsMode || m == IndMode) && op.Size() != DWord
	case LdXClass:
		switch op.Mode() {
		case MemMode:
			return true
		case MemSXMode:
			return op.Size() != DWord
		}
		return false
	case StClass:
		return op.Mode() == MemMode
	case StXClass:
		m := op.Mode()
		return m == MemMode || m == AtomicMode
	case ALUClass, ALU64Class:
		switch op.ALUOp() {
		case 0xe0, 0xf0:
			return false
		case Neg:
			return op.Source() == ImmSource
		case End:
			return c == ALUClass || op.Source() == ImmSource
		}
		return true
	case JumpClass:
		switch op.JumpOp() {
		case 0xf0:
			return false
		case JumpAlways, CallOp, ExitOp, JCond:
			return op.Source() == ImmSource
		}
		return true
	case Jump32Class:
		switch op.JumpOp() {
		case 0xf0, JCond, CallOp, ExitOp:
			return false
		case JumpAlways:
			return op.Source() == ImmSource
		}
		return true
	}
	return false
}
