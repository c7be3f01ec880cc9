package asm

import "github.com/purebpf/bpf/btf"

func (op JumpOp) build(class Class, src Source, dst, srcReg Register, imm int32, label string) Instruction {
	return Instruction{
		OpCode:   OpCode(class) | OpCode(src) | OpCode(op),
		Dst:      dst,
		Src:      srcReg,
		Constant: int64(imm),
		meta:     metadata{reference: label},
	}
}

// Imm returns "if dst op value goto label" comparing all 64 bits of dst
// with value sign-extended (BPF_JMP, BPF_K). Encode computes the offset.
func (op JumpOp) Imm(dst Register, value int32, label string) Instruction {
	return op.build(JumpClass, ImmSource, dst, 0, value, label)
}

// Reg returns "if dst op src goto label" comparing 64-bit registers
// (BPF_JMP, BPF_X).
func (op JumpOp) Reg(dst, src Register, label string) Instruction {
	return op.build(JumpClass, RegSource, dst, src, 0, label)
}

// Imm32 returns "if wdst op value goto label" comparing the low 32 bits of
// dst (BPF_JMP32, BPF_K; kernel 5.1).
func (op JumpOp) Imm32(dst Register, value int32, label string) Instruction {
	return op.build(Jump32Class, ImmSource, dst, 0, value, label)
}

// Reg32 returns "if wdst op wsrc goto label" comparing the low 32 bits
// (BPF_JMP32, BPF_X; kernel 5.1).
func (op JumpOp) Reg32(dst, src Register, label string) Instruction {
	return op.build(Jump32Class, RegSource, dst, src, 0, label)
}

// Ja returns an unconditional jump to label ("goto pc+N", BPF_JMP|BPF_JA,
// 16-bit offset).
func Ja(label string) Instruction {
	return JumpAlways.build(JumpClass, ImmSource, 0, 0, 0, label)
}

// JaLong returns an unconditional jump to label with a 32-bit offset held
// in the immediate ("gotol pc+N", BPF_JMP32|BPF_JA; kernel 6.6, cpu v4).
func JaLong(label string) Instruction {
	return JumpAlways.build(Jump32Class, ImmSource, 0, 0, 0, label)
}

// MayGoto returns "may_goto label" (BPF_JMP|BPF_JCOND, kernel 6.9): the
// verifier-bounded loop escape that jumps to label once the loop budget
// is exhausted.
func MayGoto(label string) Instruction {
	return JCond.build(JumpClass, ImmSource, 0, 0, 0, label)
}

// Call returns a call of the helper fn ("call bpf_map_lookup_elem#1").
func Call(fn BuiltinFunc) Instruction {
	return Instruction{OpCode: CallOpCode, Constant: int64(fn)}
}

// CallFunc returns a bpf-to-bpf call (src PseudoCall, kernel 4.16) of the
// function whose first instruction carries symbol. Encode computes the
// relative offset.
func CallFunc(symbol string) Instruction {
	return Instruction{OpCode: CallOpCode, Src: PseudoCall, meta: metadata{reference: symbol}}
}

// CallKfunc returns a call of the vmlinux kernel function whose BTF type
// (a btf.Func in btf.Kernel()) is fn (src PseudoKfuncCall, kernel 5.13).
func CallKfunc(fn btf.TypeID) Instruction {
	return Instruction{OpCode: CallOpCode, Src: PseudoKfuncCall, Constant: int64(int32(fn))}
}

// CallKfuncModule returns a call of a kernel module's function whose BTF
// type (a btf.Func in btf.KernelModule's Spec) is fn, the module's BTF
// object being at index fdIndex of the load's fd_array (kernel 5.18).
func CallKfuncModule(fn btf.TypeID, fdIndex int16) Instruction {
	return Instruction{OpCode: CallOpCode, Src: PseudoKfuncCall, Offset: fdIndex, Constant: int64(int32(fn))}
}

// Return returns the exit instruction: return r0 to the caller.
func Return() Instruction { return Instruction{OpCode: ExitOpCode} }
