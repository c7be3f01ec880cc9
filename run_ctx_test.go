package bpf_test

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
)

// markProgram increments skb->mark, sets skb->priority to 7 and returns
// TC_ACT_SHOT. It stores registers into the context: a store of an
// immediate (BPF_ST) through the context pointer needs Linux 6.4 (see
// TestContextStoreImm).
func markProgram(typ bpf.ProgramType) *bpf.ProgramSpec {
	return &bpf.ProgramSpec{Name: "mark", Type: typ, License: "GPL", Instructions: asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 8, asm.Word), // r2 = skb->mark
		asm.Add.Imm(asm.R2, 1),
		asm.StoreMem(asm.R1, 8, asm.R2, asm.Word), // skb->mark = r2
		asm.Mov.Imm(asm.R3, 7),
		asm.StoreMem(asm.R1, 32, asm.R3, asm.Word), // skb->priority = 7
		asm.Mov.Imm(asm.R0, int32(bpf.TCActShot)),
		asm.Return(),
	}}
}

func TestRunTCContext(t *testing.T) {
	for _, typ := range []bpf.ProgramType{bpf.SchedCLS, bpf.SchedACT} {
		t.Run(typ.String(), func(t *testing.T) {
			prog := mustLoad(t, markProgram(typ))
			ctx := &bpf.SKBContext{Mark: 41}
			res, err := prog.Run(bpf.RunOptions{Data: frame64, Context: ctx, ContextOut: ctx})
			if err != nil {
				t.Fatal(err)
			}
			if bpf.TCAction(res.ReturnValue) != bpf.TCActShot {
				t.Fatalf("verdict %v", bpf.TCAction(res.ReturnValue))
			}
			if ctx.Mark != 42 || ctx.Priority != 7 || res.ContextSize != 192 {
				t.Fatalf("context after the run: mark %d priority %d (size %d)", ctx.Mark, ctx.Priority, res.ContextSize)
			}
			// The same through raw bytes.
			raw := make([]byte, 192)
			if _, err := prog.Run(bpf.RunOptions{Data: frame64, ContextOut: raw}); err != nil {
				t.Fatal(err)
			}
			if raw[8] != 1 || raw[32] != 7 {
				t.Fatalf("raw context: mark byte %d priority byte %d", raw[8], raw[32])
			}
		})
	}
}

func TestRunSocketFilter(t *testing.T) {
	prog := mustLoad(t, &bpf.ProgramSpec{Name: "len", Type: bpf.SocketFilter, License: "GPL", Instructions: asm.Instructions{
		asm.LoadMem(asm.R0, asm.R1, 0, asm.Word), // r0 = skb->len
		asm.Return(),
	}})
	res, err := prog.Run(bpf.RunOptions{Data: frame64})
	if err != nil {
		t.Fatal(err)
	}
	// Socket filters see the packet from the network header on.
	if res.ReturnValue != 64-14 {
		t.Fatalf("skb->len %d, want 50", res.ReturnValue)
	}
}

func TestRunXDPMetadataContext(t *testing.T) {
	// r0 = data - data_meta: the size of the metadata area.
	prog := mustLoad(t, &bpf.ProgramSpec{Name: "meta", Type: bpf.XDP, License: "GPL", Instructions: asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word), // data
		asm.LoadMem(asm.R3, asm.R1, 8, asm.Word), // data_meta
		asm.Mov.Reg(asm.R0, asm.R2),
		asm.Sub.Reg(asm.R0, asm.R3),
		asm.Return(),
	}})
	data := append(make([]byte, 4), frame64...) // 4 bytes of metadata in front
	ctx := &bpf.XDPContext{Data: 4, DataEnd: uint32(len(data))}
	res, err := prog.Run(bpf.RunOptions{Data: data, Context: ctx, ContextOut: ctx})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != 4 {
		t.Fatalf("metadata size %d, want 4", res.ReturnValue)
	}
	if _, err := prog.Run(bpf.RunOptions{Data: frame64, Context: &bpf.XDPContext{EgressIfindex: 1}}); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("egress_ifindex in the input context: %v, want EINVAL", err)
	}
	if _, err := prog.Run(bpf.RunOptions{Data: frame64, Context: 42}); err == nil || !strings.Contains(err.Error(), "must be a *bpf.XDPContext") {
		t.Fatalf("bad context type: %v", err)
	}
}

func TestRunWithContextDoesNotAllocate(t *testing.T) {
	prog := mustLoad(t, markProgram(bpf.SchedCLS))
	ctx := &bpf.SKBContext{}
	opts := bpf.RunOptions{Data: frame64, Context: ctx, ContextOut: ctx}
	if allocs := testing.AllocsPerRun(1000, func() {
		if _, err := prog.Run(opts); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Fatalf("%v allocations per Run", allocs)
	}
}
