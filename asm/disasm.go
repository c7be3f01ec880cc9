package asm

import (
	"fmt"
	"io"
	"strings"
)

var aluText = [16]string{
	"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=", "endian", "BUG", "BUG",
}

var jumpText = [16]string{
	"jmp", "==", ">", ">=", "&", "!=", "s>", "s>=", "call", "exit", "<", "<=", "s<", "s<=", "jcond", "BUG",
}

// sizeText is indexed by Size>>3.
var sizeText = [4]string{"u32", "u16", "u8", "u64"}
var sizeSXText = [4]string{"s32", "s16", "s8", "s64"}

var atomicText = map[AtomicOp]string{AtomicOpAdd: "add", AtomicOpAnd: "and", AtomicOpOr: "or", AtomicOpXor: "xor"}

// String returns the instruction in the notation of the kernel's
// disassembler as printed by "bpftool prog dump xlated", without the index
// and opcode prefix: "r0 = 2", "if r1 != 0x6 goto pc+3",
// "call bpf_map_lookup_elem#1", "r1 = *(u32 *)(r1 +4)", "w0 = w1", "exit".
// Jumps show their numeric Offset (resolve labels by printing the whole
// Instructions). LD_IMM64 shows the map forms bpftool uses: "r1 =
// map[id:N]" where N is the Constant (an fd before loading, an id in an
// xlated dump), "map[id:N][0]+OFF" for map values, "map[idx:N]" for fd_array
// indexes, "subprog[+N]" for function addresses, "0x..." otherwise.
// Unknown encodings print as bpftool's "BUG_..." markers.
func (ins Instruction) String() string {
	op := ins.OpCode
	c := op.Class()
	dst, src := uint8(ins.Dst), uint8(ins.Src)
	imm := int32(ins.Constant)
	switch c {
	case ALUClass, ALU64Class:
		r := byte('r')
		if c == ALUClass {
			r = 'w'
		}
		aop := op.ALUOp()
		switch {
		case aop == End && c == ALU64Class:
			return fmt.Sprintf("r%d = bswap%d r%d", dst, imm, dst)
		case aop == End:
			e := "le"
			if op.Endianness() == BE {
				e = "be"
			}
			return fmt.Sprintf("r%d = %s%d r%d", dst, e, imm, dst)
		case aop == Neg:
			return fmt.Sprintf("%c%d = -%c%d", r, dst, r, dst)
		case c == ALU64Class && aop == Mov && op.Source() == RegSource && ins.Offset == 1:
			return fmt.Sprintf("r%d = addr_space_cast(r%d, %d, %d)", dst, src, uint32(imm)>>16, uint16(imm))
		case c == ALU64Class && aop == Mov && op.Source() == RegSource && ins.Offset == -1:
			return fmt.Sprintf("r%d = &(void __percpu *)(r%d)", dst, src)
		}
		text := aluText[aop>>4]
		if (aop == Div || aop == Mod) && ins.Offset == 1 {
			text = "s" + text
		}
		if op.Source() == RegSource {
			sx := ""
			if aop == Mov {
				switch ins.Offset {
				case 8:
					sx = "(s8)"
				case 16:
					sx = "(s16)"
				case 32:
					sx = "(s32)"
				}
			}
			return fmt.Sprintf("%c%d %s %s%c%d", r, dst, text, sx, r, src)
		}
		return fmt.Sprintf("%c%d %s %d", r, dst, text, imm)

	case StXClass:
		sz := sizeText[op.Size()>>3]
		switch op.Mode() {
		case MemMode:
			return fmt.Sprintf("*(%s *)(r%d %+d) = r%d", sz, dst, ins.Offset, src)
		case AtomicMode:
			a := AtomicOp(ins.Constant)
			w := ""
			if op.Size() == DWord {
				w = "64"
			}
			switch {
			case a == AtomicOpAdd || a == AtomicOpAnd || a == AtomicOpOr || a == AtomicOpXor:
				return fmt.Sprintf("lock *(%s *)(r%d %+d) %s r%d", sz, dst, ins.Offset, aluText[a>>4], src)
			case a&AtomicFetch != 0 && atomicText[a&^AtomicFetch] != "":
				return fmt.Sprintf("r%d = atomic%s_fetch_%s((%s *)(r%d %+d), r%d)", src, w, atomicText[a&^AtomicFetch], sz, dst, ins.Offset, src)
			case a == AtomicOpCmpXchg:
				return fmt.Sprintf("r0 = atomic%s_cmpxchg((%s *)(r%d %+d), r0, r%d)", w, sz, dst, ins.Offset, src)
			case a == AtomicOpXchg:
				return fmt.Sprintf("r%d = atomic%s_xchg((%s *)(r%d %+d), r%d)", src, w, sz, dst, ins.Offset, src)
			case a == AtomicOpLoadAcquire:
				return fmt.Sprintf("r%d = load_acquire((%s *)(r%d %+d))", dst, sz, src, ins.Offset)
			case a == AtomicOpStoreRelease:
				return fmt.Sprintf("store_release((%s *)(r%d %+d), r%d)", sz, dst, ins.Offset, src)
			}
		}
		return fmt.Sprintf("BUG_%02x", uint8(op))

	case StClass:
		if op.Mode() == MemMode {
			return fmt.Sprintf("*(%s *)(r%d %+d) = %d", sizeText[op.Size()>>3], dst, ins.Offset, imm)
		}
		return fmt.Sprintf("BUG_st_%02x", uint8(op))

	case LdXClass:
		switch op.Mode() {
		case MemMode:
			return fmt.Sprintf("r%d = *(%s *)(r%d %+d)", dst, sizeText[op.Size()>>3], src, ins.Offset)
		case MemSXMode:
			return fmt.Sprintf("r%d = *(%s *)(r%d %+d)", dst, sizeSXText[op.Size()>>3], src, ins.Offset)
		}
		return fmt.Sprintf("BUG_ldx_%02x", uint8(op))

	case LdClass:
		switch {
		case op.Mode() == AbsMode:
			return fmt.Sprintf("r0 = *(%s *)skb[%d]", sizeText[op.Size()>>3], imm)
		case op.Mode() == IndMode:
			return fmt.Sprintf("r0 = *(%s *)skb[r%d + %d]", sizeText[op.Size()>>3], src, imm)
		case op == LdImmDW:
			return fmt.Sprintf("r%d = %s", dst, ins.imm64Text())
		}
		return fmt.Sprintf("BUG_ld_%02x", uint8(op))

	case JumpClass, Jump32Class:
		jop := op.JumpOp()
		switch {
		case op == CallOpCode:
			switch ins.Src {
			case PseudoCall:
				return fmt.Sprintf("call pc%+d", imm)
			case PseudoKfuncCall:
				return fmt.Sprintf("call kernel-function#%d", imm)
			}
			name, ok := BuiltinFunc(imm).name()
			if !ok || ins.Src != 0 {
				name = "unknown"
			}
			return fmt.Sprintf("call %s#%d", name, imm)
		case op == OpCode(JumpClass)|OpCode(JumpAlways):
			return fmt.Sprintf("goto pc%+d", ins.Offset)
		case op == OpCode(JumpClass)|OpCode(JCond) && ins.Src == 0:
			return fmt.Sprintf("may_goto pc%+d", ins.Offset)
		case op == OpCode(Jump32Class)|OpCode(JumpAlways):
			return fmt.Sprintf("gotol pc%+d", imm)
		case op == ExitOpCode:
			return "exit"
		}
		r := byte('r')
		if c == Jump32Class {
			r = 'w'
		}
		if op.Source() == RegSource {
			return fmt.Sprintf("if %c%d %s %c%d goto pc%+d", r, dst, jumpText[jop>>4], r, src, ins.Offset)
		}
		return fmt.Sprintf("if %c%d %s 0x%x goto pc%+d", r, dst, jumpText[jop>>4], uint32(imm), ins.Offset)
	}
	return fmt.Sprintf("BUG_%02x", uint8(op))
}

func (ins Instruction) imm64Text() string {
	lo, hi := uint32(ins.Constant), uint32(uint64(ins.Constant)>>32)
	switch ins.Src {
	case PseudoMapFD:
		return fmt.Sprintf("map[id:%d]", lo)
	case PseudoMapValue:
		return fmt.Sprintf("map[id:%d][0]+%d", lo, hi)
	case PseudoMapIdx:
		return fmt.Sprintf("map[idx:%d]", lo)
	case PseudoMapIdxValue:
		return fmt.Sprintf("map[idx:%d]+%d", lo, hi)
	case PseudoFunc:
		return fmt.Sprintf("subprog[%+d]", int32(lo))
	}
	return fmt.Sprintf("0x%x", uint64(ins.Constant))
}

// String returns the listing of "bpftool prog dump xlated" (without
// opcodes): one line per instruction, "%4d: (%02x) text", numbered by raw
// slot so LD_IMM64 advances the index by two. Jump labels and call targets
// are resolved to numeric offsets first, as Encode would.
func (insns Instructions) String() string {
	var b strings.Builder
	insns.write(&b, false)
	return b.String()
}

// Disassemble writes the listing of String to w, preceded at every
// instruction that defines a symbol by a "symbol:" line, and with
// " ; <reference>" appended to instructions that refer to a label,
// function or map.
func (insns Instructions) Disassemble(w io.Writer) error {
	var b strings.Builder
	insns.write(&b, true)
	_, err := io.WriteString(w, b.String())
	return err
}

func (insns Instructions) write(b *strings.Builder, annotate bool) {
	if res, err := insns.resolved(); err == nil {
		insns = res
	}
	raw := 0
	for _, ins := range insns {
		if annotate && ins.meta.symbol != "" {
			fmt.Fprintf(b, "%s:\n", ins.meta.symbol)
		}
		fmt.Fprintf(b, "% 4d: (%02x) %s", raw, uint8(ins.OpCode), ins.String())
		if annotate && ins.meta.reference != "" {
			fmt.Fprintf(b, " ; %s", ins.meta.reference)
		}
		b.WriteByte('\n')
		raw += ins.Slots()
	}
}
