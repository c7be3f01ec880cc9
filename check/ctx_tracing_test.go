package check

import (
	"errors"
	"fmt"
	"testing"

	"github.com/purebpf/bpf/asm"
	bpffeatures "github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/testenv"
)

// ctxProbes returns programs that access the context of type typ at
// every offset of offs, with every size, as a load, a register store and
// an immediate store.
func ctxProbes(typ kernel.ProgramType, offs []int16) []genProg {
	var out []genProg
	for _, off := range offs {
		for _, size := range []asm.Size{asm.Byte, asm.Half, asm.Word, asm.DWord} {
			name := fmt.Sprintf("%s/%d/%d", typ, off, size.Sizeof())
			out = append(out,
				genProg{name: name + "/load", class: "ctx", typ: typ, license: "GPL", insns: asm.Instructions{
					asm.LoadMem(asm.R0, asm.R1, off, size), asm.Mov.Imm(asm.R0, 0), asm.Return()}},
				genProg{name: name + "/store", class: "ctx", typ: typ, license: "GPL", insns: asm.Instructions{
					asm.Mov.Imm(asm.R2, 0), asm.StoreMem(asm.R1, off, asm.R2, size), asm.Mov.Imm(asm.R0, 0), asm.Return()}},
				genProg{name: name + "/storeimm", class: "ctx", typ: typ, license: "GPL", insns: asm.Instructions{
					asm.StoreImm(asm.R1, off, 0, size), asm.Mov.Imm(asm.R0, 0), asm.Return()}},
			)
		}
	}
	return out
}

// span returns the offsets [from, to).
func span(from, to int16) []int16 {
	var s []int16
	for o := from; o < to; o++ {
		s = append(s, o)
	}
	return s
}

// concat joins offset lists.
func concat(lists ...[]int16) []int16 {
	var s []int16
	for _, l := range lists {
		s = append(s, l...)
	}
	return s
}

// TestTracingContextAgreesWithKernel loads every context access of the
// tracing program types around and inside their contexts and requires the
// offline verdict to be the kernel's, access by access.
func TestTracingContextAgreesWithKernel(t *testing.T) {
	env := loadEnv(t)
	regs := int16(ptRegsSize())
	if regs == 0 {
		t.Skip("the tracing contexts are modelled on amd64 only")
	}
	for _, tt := range []struct {
		typ  kernel.ProgramType
		offs []int16
	}{
		{kernel.Kprobe, span(-9, regs+9)},
		{kernel.TracePoint, concat(span(-32768, -32760), span(-9, 80), span(2030, 2060), span(8170, 8200), span(32700, 32767))},
		{kernel.RawTracepoint, span(-9, 12*8+9)},
		{kernel.PerfEvent, span(-9, regs+16+9)},
	} {
		t.Run(tt.typ.String(), func(t *testing.T) {
			if err := bpffeatures.HaveProgramType(tt.typ); err != nil {
				if errors.Is(err, bpffeatures.ErrNotSupported) {
					testenv.Skip(t, fmt.Sprintf("program type %s: %v", tt.typ, err))
				}
				t.Fatal(err)
			}
			var accepted, total int
			for _, p := range ctxProbes(tt.typ, tt.offs) {
				o := compare(t, env, p)
				total++
				if o.kernel == nil {
					accepted++
				}
				if o.falseAccept() || (o.falseReject() && !errors.Is(o.ours, ErrUnsupported)) {
					t.Errorf("%v", o)
				}
				// Tracepoint offsets from 2048 are modelled from 6.18 on.
				partly := tt.typ == kernel.TracePoint && p.insns[len(p.insns)-3].Offset >= 2048
				if o.ours != nil && errors.Is(o.ours, ErrUnsupported) && !partly {
					t.Errorf("%s: no verdict: %v", p.name, o.ours)
				}
			}
			t.Logf("%s: %d context accesses (%d accepted by the kernel), all verdicts the kernel's", tt.typ, total, accepted)
		})
	}
}
