package bpf

import (
	"encoding/binary"
	"fmt"

	"github.com/purebpf/bpf/asm"
)

// The kernel's xlated dump (BPF_OBJ_GET_INFO_BY_FD) differs from the
// instruction set in two places once a program with subprograms has been
// JIT-compiled (the last loop of the verifier's jit_subprogs):
//
//   - a bpf-to-bpf call (BPF_PSEUDO_CALL) keeps its relative target in
//     the offset field and carries the subprogram's index in the
//     immediate (the interpreter's form keeps the target in the offset
//     too, with an interpreter address in the immediate);
//   - an LD_IMM64 of a function (BPF_PSEUDO_FUNC, the callbacks of
//     bpf_loop, bpf_for_each_map_elem, bpf_timer_set_callback) keeps its
//     relative target in the first immediate and the subprogram's index
//     in the second.
//
// bpftool reads the target from the offset of calls and the first
// immediate of function loads; normalizeXlated rewrites both into the
// instruction set's encoding (relative target in the immediate, offset
// and upper immediate zero), so that the result decodes and encodes like
// any program.

// normalizeXlated rewrites the raw xlated instructions b (byte order bo)
// in place.
func normalizeXlated(b []byte, bo binary.ByteOrder) {
	big := bo.Uint16([]byte{0, 1}) == 1
	for i := 0; i+asm.InstructionSize <= len(b); i += asm.InstructionSize {
		s := b[i : i+asm.InstructionSize]
		src := asm.Register(s[1] >> 4)
		if big {
			src = asm.Register(s[1] & 0xf)
		}
		switch {
		case asm.OpCode(s[0]) == asm.CallOpCode && src == asm.PseudoCall:
			off := int16(bo.Uint16(s[2:4]))
			bo.PutUint16(s[2:4], 0)
			bo.PutUint32(s[4:8], uint32(int32(off)))
		case asm.OpCode(s[0]) == asm.LdImmDW && src == asm.PseudoFunc && i+2*asm.InstructionSize <= len(b):
			bo.PutUint32(b[i+asm.InstructionSize+4:], 0)
		}
		if asm.OpCode(s[0]) == asm.LdImmDW {
			i += asm.InstructionSize
		}
	}
}

// labelSubprograms names the subprograms of decoded xlated instructions
// "subprog_<raw index>" (the kernel keeps no names outside BTF) and makes
// the calls and function loads that target them refer to those names, as
// package elf's programs do, so that the instructions can be edited and
// encoded again.
func labelSubprograms(insns asm.Instructions) {
	offs := insns.RawOffsets()
	index := make(map[int]int, len(offs))
	for i, raw := range offs {
		index[raw] = i
	}
	for i := range insns {
		ins := &insns[i]
		if !ins.IsFunctionCall() && !ins.IsLoadOfFunctionPointer() {
			continue
		}
		// Decode checked that the target is an instruction.
		target := offs[i] + 1 + int(int32(ins.Constant))
		name := fmt.Sprintf("subprog_%d", target)
		t := index[target]
		insns[t] = insns[t].WithSymbol(name)
		*ins = ins.WithReference(name)
	}
}
