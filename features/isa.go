package features

import (
	"fmt"
	"strings"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
)

// isaProbe loads insns as a socket filter: accepted means supported,
// EINVAL (an unknown opcode or reserved fields in use) means not, and
// anything else is undecided (the verifier's last message is included).
func isaProbe(insns asm.Instructions) func() error {
	return func() error {
		fd, log, _, err := probeProgram{typ: kernel.SocketFilter, insns: insns, withLog: true}.load()
		switch {
		case err == nil:
			fd.Close()
			return nil
		case isEINVAL(err):
			return errAbsent
		}
		return verifierError(err, log)
	}
}

// verifierError adds the last line of the verifier log to err.
func verifierError(err error, log string) error {
	lines := strings.Split(strings.TrimSpace(log), "\n")
	if last := lines[len(lines)-1]; last != "" {
		return fmt.Errorf("%w (verifier: %s)", err, last)
	}
	return err
}

var v2ISA = feature{
	name:      "jump instructions JLT, JLE, JSLT and JSLE (cpu v2)",
	minKernel: "4.14", // 92b31a9af73b (bpf: add BPF_J{LT,LE,SLT,SLE} instructions)
	probe: isaProbe(asm.Instructions{
		asm.Mov.Imm(asm.R0, 0),
		asm.JLT.Imm(asm.R0, 1, "out"),
		asm.Mov.Imm(asm.R0, 1),
		asm.Return().WithSymbol("out"),
	}),
}

// HaveV2ISA reports whether the kernel has the jump instructions of cpu
// v2: JLT, JLE, JSLT and JSLE (Linux 4.14).
func HaveV2ISA() error { return v2ISA.check() }

var v3ISA = feature{
	name:      "32-bit jumps (cpu v3)",
	minKernel: "5.1", // 092ed0968bb6 (bpf: verifier support JMP32)
	probe: isaProbe(asm.Instructions{
		asm.Mov.Imm(asm.R0, 0),
		asm.JLT.Imm32(asm.R0, 1, "out"),
		asm.Mov.Imm(asm.R0, 1),
		asm.Return().WithSymbol("out"),
	}),
}

// HaveV3ISA reports whether the kernel has the 32-bit jumps of cpu v3
// (BPF_JMP32, Linux 5.1).
func HaveV3ISA() error { return v3ISA.check() }

var atomics = feature{
	name:      "atomic and/or/xor, fetch, xchg and cmpxchg instructions",
	minKernel: "5.12", // Brendan Jackman's BPF_ATOMIC series ("bpf: Add instructions for atomic_[cmp]xchg"), bpf-next 2021-01-14
	probe: isaProbe(asm.Instructions{
		asm.StoreImm(asm.RFP, -8, 0, asm.DWord),
		asm.Mov.Imm(asm.R1, 1),
		asm.AtomicFetchAdd(asm.RFP, -8, asm.R1, asm.DWord),
		asm.AtomicOr(asm.RFP, -8, asm.R1, asm.DWord),
		asm.Mov.Imm(asm.R0, 0),
		asm.Return(),
	}),
}

// HaveAtomics reports whether the kernel has the atomic instructions
// beyond the original add: and, or, xor, their fetching forms,
// fetch-add, xchg and cmpxchg (BPF_ATOMIC, Linux 5.12).
func HaveAtomics() error { return atomics.check() }

var v4ISA = feature{
	name:      "cpu v4 instructions (sign-extending loads and moves, bswap, sdiv/smod, gotol)",
	minKernel: "6.6", // 1f9a1ea821ff and following, bpf-next pull of 2023-08-03
	probe: isaProbe(asm.Instructions{
		asm.Mov.Imm(asm.R1, -7),
		asm.Mov.Imm(asm.R2, 2),
		asm.SDiv.Reg(asm.R1, asm.R2),
		asm.SMod.Imm(asm.R1, 3),
		asm.MovSX8.Reg(asm.R3, asm.R1),
		asm.Swap(asm.R3, asm.Half),
		asm.StoreMem(asm.RFP, -8, asm.R3, asm.DWord),
		asm.LoadMemSX(asm.R4, asm.RFP, -8, asm.Byte),
		asm.Mov.Imm(asm.R0, 0),
		asm.JEq.Imm(asm.R4, 5, "one"),
		asm.JaLong("out"),
		asm.Mov.Imm(asm.R0, 1).WithSymbol("one"),
		asm.Return().WithSymbol("out"),
	}),
}

// HaveV4ISA reports whether the kernel has the instructions of cpu v4
// (Linux 6.6): sign-extending loads (BPF_MEMSX) and moves, unconditional
// byte swaps, signed division and modulo, and gotol (32-bit jump offset).
func HaveV4ISA() error { return v4ISA.check() }

var mayGoto = feature{
	name:      "may_goto instruction",
	minKernel: "6.9", // 011832b97b31 (bpf: Introduce may_goto instruction), bpf-next pull of 2024-03-11
	probe: isaProbe(asm.Instructions{
		asm.Mov.Imm(asm.R0, 0),
		asm.MayGoto("out"),
		asm.Mov.Imm(asm.R0, 1),
		asm.Return().WithSymbol("out"),
	}),
}

// HaveMayGoto reports whether the kernel has the may_goto instruction
// (BPF_JMP|BPF_JCOND, Linux 6.9).
func HaveMayGoto() error { return mayGoto.check() }

var loadAcquire = feature{
	name:      "load-acquire and store-release instructions",
	minKernel: "6.15", // 880442305a39 (bpf: Introduce load-acquire and store-release instructions), linux-next 2025-03
	probe: isaProbe(asm.Instructions{
		asm.StoreImm(asm.RFP, -8, 0, asm.DWord),
		asm.LoadAcquire(asm.R1, asm.RFP, -8, asm.DWord),
		asm.StoreRelease(asm.RFP, -8, asm.R1, asm.DWord),
		asm.Mov.Imm(asm.R0, 0),
		asm.Return(),
	}),
}

// HaveLoadAcquireStoreRelease reports whether the kernel has the
// load-acquire and store-release atomic instructions (BPF_LOAD_ACQ,
// BPF_STORE_REL, Linux 6.15; the JIT of the architecture must support
// them too).
func HaveLoadAcquireStoreRelease() error { return loadAcquire.check() }

// extension returns the probe of the instruction-set extension ins needs
// beyond the original instruction set, or nil.
func extension(ins asm.Instruction) func() error {
	op := ins.OpCode
	switch class := op.Class(); {
	case class == asm.LdXClass && op.Mode() == asm.MemSXMode:
		return HaveV4ISA
	case class == asm.StXClass && op.Mode() == asm.AtomicMode:
		switch asm.AtomicOp(ins.Constant) {
		case asm.AtomicOpAdd:
			return nil
		case asm.AtomicOpLoadAcquire, asm.AtomicOpStoreRelease:
			return HaveLoadAcquireStoreRelease
		}
		return HaveAtomics
	case class.IsALU():
		switch {
		case (op.ALUOp() == asm.Div || op.ALUOp() == asm.Mod) && ins.Offset != 0,
			op.ALUOp() == asm.Mov && ins.Offset != 0,
			class == asm.ALU64Class && op.ALUOp() == asm.End:
			return HaveV4ISA
		}
	case class == asm.Jump32Class:
		if op.JumpOp() == asm.JumpAlways {
			return HaveV4ISA
		}
		return HaveV3ISA
	case class == asm.JumpClass:
		switch op.JumpOp() {
		case asm.JLT, asm.JLE, asm.JSLT, asm.JSLE:
			return HaveV2ISA
		case asm.JCond:
			return HaveMayGoto
		}
	}
	return nil
}

// HaveInstructions reports whether the running kernel knows every
// instruction of insns: it runs the probe of each instruction-set
// extension the instructions use (HaveV2ISA, HaveV3ISA, HaveAtomics,
// HaveV4ISA, HaveMayGoto, HaveLoadAcquireStoreRelease) and returns the
// first error. Instructions of the original set need no probe and give
// nil. It does not check helpers (HaveProgramHelper) or what the verifier
// allows where (HaveContextStoreImm).
func HaveInstructions(insns asm.Instructions) error {
	for _, ins := range insns {
		probe := extension(ins)
		if probe == nil {
			continue
		}
		if err := probe(); err != nil {
			return err
		}
	}
	return nil
}
