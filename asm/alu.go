package asm

func (op ALUOp) build(class Class, src Source, dst, srcReg Register, imm int32) Instruction {
	return Instruction{
		OpCode:   OpCode(class) | OpCode(src) | op.op(),
		Dst:      dst,
		Src:      srcReg,
		Offset:   op.offset(),
		Constant: int64(imm),
	}
}

// Imm returns the 64-bit instruction dst op= value (ALU64, BPF_K), e.g.
// Mov.Imm(R0, 2) is "r0 = 2". value is sign-extended to 64 bits.
func (op ALUOp) Imm(dst Register, value int32) Instruction {
	return op.build(ALU64Class, ImmSource, dst, 0, value)
}

// Reg returns the 64-bit instruction dst op= src (ALU64, BPF_X), e.g.
// Add.Reg(R1, R2) is "r1 += r2".
func (op ALUOp) Reg(dst, src Register) Instruction {
	return op.build(ALU64Class, RegSource, dst, src, 0)
}

// Imm32 returns the 32-bit instruction dst op= value (ALU, BPF_K), e.g.
// Mov.Imm32(R0, 2) is "w0 = 2". The upper half of dst is zeroed.
func (op ALUOp) Imm32(dst Register, value int32) Instruction {
	return op.build(ALUClass, ImmSource, dst, 0, value)
}

// Reg32 returns the 32-bit instruction dst op= src (ALU, BPF_X), e.g.
// Mov.Reg32(R0, R1) is "w0 = w1". The upper half of dst is zeroed.
func (op ALUOp) Reg32(dst, src Register) Instruction {
	return op.build(ALUClass, RegSource, dst, src, 0)
}

// HostTo converts the low size bits of dst from host byte order to
// endian (BPF_ALU|BPF_END, "r1 = be16 r1"): a byte swap on hosts of the
// other order, a zero extension otherwise. size is Half, Word or DWord.
func HostTo(endian Endianness, dst Register, size Size) Instruction {
	return Instruction{
		OpCode:   OpCode(ALUClass) | OpCode(End) | OpCode(endian),
		Dst:      dst,
		Constant: size.bits(),
	}
}

// Swap unconditionally reverses the bytes of the low size bits of dst
// (BPF_ALU64|BPF_END, "r1 = bswap32 r1"; kernel 6.6, cpu v4). size is Half,
// Word or DWord.
func Swap(dst Register, size Size) Instruction {
	return Instruction{
		OpCode:   OpCode(ALU64Class) | OpCode(End) | OpCode(LE),
		Dst:      dst,
		Constant: size.bits(),
	}
}
