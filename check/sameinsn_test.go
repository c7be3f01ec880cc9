package check

import (
	"testing"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
)

// TestSameInsnDifferentPointers compares with the kernel one load or
// store instruction reached through the context on one path and through
// the stack (or the context again) on another: the kernel refuses
// "same insn cannot be used with different pointers" when one of the two
// is the context (the mutation differential found the checker accepting
// it: seed 7, testdata/progs/skb_misc.o).
func TestSameInsnDifferentPointers(t *testing.T) {
	env := loadEnv(t)
	// r2 is the context or a stack slot, chosen by a random number; the
	// instruction at "use" goes through r2.
	prog := func(use asm.Instruction, otherIsStack bool) asm.Instructions {
		other := asm.Instructions{asm.Mov.Reg(asm.R2, asm.R6)}
		if otherIsStack {
			other = asm.Instructions{
				asm.StoreImm(asm.R10, -8, 0, asm.DWord),
				asm.Mov.Reg(asm.R2, asm.R10),
				asm.Add.Imm(asm.R2, -8),
			}
		}
		insns := asm.Instructions{
			asm.Mov.Reg(asm.R6, asm.R1),
			asm.Call(asm.FnGetPrandomU32),
			asm.Mov.Reg(asm.R2, asm.R6),
			asm.JGT.Imm(asm.R0, 10, "use"),
		}
		insns = append(insns, other...)
		insns = append(insns, use.WithSymbol("use"), asm.Mov.Imm(asm.R0, 0), asm.Return())
		return insns
	}
	for _, tt := range []struct {
		name         string
		use          asm.Instruction
		otherIsStack bool
		wantReject   bool
	}{
		{"load ctx or stack", asm.LoadMem(asm.R3, asm.R2, 0, asm.Word), true, true},
		{"store ctx or stack", asm.StoreMem(asm.R2, 0, asm.R6, asm.Word), true, true},
		{"load ctx on both", asm.LoadMem(asm.R3, asm.R2, 0, asm.Word), false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "store ctx or stack" {
				// __sk_buff.mark (offset 8) is writable; a pointer
				// stored there is not, so store a scalar.
				tt.use = asm.StoreMem(asm.R2, 8, asm.R0, asm.Word)
			}
			o := compare(t, env, genProg{name: "sameinsn", class: "sameinsn", typ: kernel.SchedCLS, license: "GPL", insns: prog(tt.use, tt.otherIsStack)})
			if o.falseAccept() || o.falseReject() {
				t.Fatalf("%v", o)
			}
			if (o.kernel != nil) != tt.wantReject {
				t.Fatalf("kernel: %v (log %q), want rejected %v", o.kernel, lastLine(o.klog), tt.wantReject)
			}
		})
	}
}
