package bpf_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/verifier"
)

// TestNewProgramNeedsFeature loads programs that need a feature newer than
// Linux 6.1: where the kernel has it (features says nil) the load works,
// where it does not the error matches ErrNotSupported and names the
// feature. Both halves are real assertions; which one runs depends on the
// kernel.
func TestNewProgramNeedsFeature(t *testing.T) {
	testenv.RequirePrivileged(t)
	for _, tt := range []struct {
		name     string
		typ      bpf.ProgramType
		probe    func() error
		verified bool // the verifier ran (its *verifier.Error is in the chain)
		insns    asm.Instructions
	}{
		{"cpu v4 sdiv", bpf.SocketFilter, features.HaveV4ISA, true, asm.Instructions{
			asm.Mov.Imm(asm.R0, -9),
			asm.SDiv.Imm(asm.R0, 3),
			asm.Return(),
		}},
		{"may_goto", bpf.SocketFilter, features.HaveMayGoto, true, asm.Instructions{
			asm.Mov.Imm(asm.R0, 0),
			asm.MayGoto("out"),
			asm.Mov.Imm(asm.R0, 1),
			asm.Return().WithSymbol("out"),
		}},
		{"load-acquire", bpf.SocketFilter, features.HaveLoadAcquireStoreRelease, true, asm.Instructions{
			asm.StoreImm(asm.RFP, -8, 3, asm.DWord),
			asm.LoadAcquire(asm.R0, asm.RFP, -8, asm.Word),
			asm.Return(),
		}},
		{"store of an immediate into the context", bpf.SchedCLS, features.HaveContextStoreImm, true, asm.Instructions{
			asm.StoreImm(asm.R1, 32, 7, asm.Word), // skb->priority = 7
			asm.Mov.Imm(asm.R0, 0),
			asm.Return(),
		}},
		{"program type beyond the kernel's", bpf.ProgramType(999), func() error { return features.HaveProgramType(999) }, false, asm.Instructions{
			asm.Mov.Imm(asm.R0, 0),
			asm.Return(),
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			probe := tt.probe()
			prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "needs", Type: tt.typ, License: "GPL", Instructions: tt.insns})
			if probe == nil {
				if err != nil {
					t.Fatalf("the kernel has the feature, yet: %+v", err)
				}
				prog.Close()
				return
			}
			if !errors.Is(probe, bpf.ErrNotSupported) {
				t.Fatalf("probe undecided: %v", probe)
			}
			if err == nil {
				prog.Close()
				t.Fatalf("loaded although %v", probe)
			}
			var fe *features.Error
			if !errors.Is(err, bpf.ErrNotSupported) || !errors.As(err, &fe) || !strings.Contains(err.Error(), fe.Feature) {
				t.Fatalf("error %v does not name the missing feature (%v)", err, probe)
			}
			var verr *verifier.Error
			if errors.As(err, &verr) != tt.verified {
				t.Fatalf("error %v: *verifier.Error in the chain: %v, want %v", err, !tt.verified, tt.verified)
			}
			t.Log(err)
		})
	}
}

// TestContextStoreImm: a store of an immediate into the context works
// from 6.4 on; before, the load fails naming the feature (and markProgram
// shows the register store every kernel takes).
func TestContextStoreImm(t *testing.T) {
	testenv.RequirePrivileged(t)
	testenv.SkipUnsupported(t, features.HaveContextStoreImm())
	prog := mustLoad(t, &bpf.ProgramSpec{Name: "prio", Type: bpf.SchedCLS, License: "GPL", Instructions: asm.Instructions{
		asm.StoreImm(asm.R1, 32, 7, asm.Word), // skb->priority = 7
		asm.Mov.Imm(asm.R0, 0),
		asm.Return(),
	}})
	ctx := &bpf.SKBContext{}
	if _, err := prog.Run(bpf.RunOptions{Data: frame64, Context: ctx, ContextOut: ctx}); err != nil {
		t.Fatal(err)
	}
	if ctx.Priority != 7 {
		t.Fatalf("skb->priority %d after the run, want 7", ctx.Priority)
	}
}
