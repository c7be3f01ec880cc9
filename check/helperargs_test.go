package check

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
)

// helperArg is one way of setting an argument register before a helper
// call, in helperArgsProgram's frame (R6 context, fp-32..fp-1 zeroed).
type helperArg struct {
	name string
	set  func(r asm.Register) asm.Instructions
}

var helperArgs = []helperArg{
	{"uninit", func(r asm.Register) asm.Instructions { return nil }},
	{"0", func(r asm.Register) asm.Instructions { return asm.Instructions{asm.Mov.Imm(r, 0)} }},
	{"1", func(r asm.Register) asm.Instructions { return asm.Instructions{asm.Mov.Imm(r, 1)} }},
	{"-1", func(r asm.Register) asm.Instructions { return asm.Instructions{asm.Mov.Imm(r, -1)} }},
	{"4", func(r asm.Register) asm.Instructions { return asm.Instructions{asm.Mov.Imm(r, 4)} }},
	{"16", func(r asm.Register) asm.Instructions { return asm.Instructions{asm.Mov.Imm(r, 16)} }},
	{"64", func(r asm.Register) asm.Instructions { return asm.Instructions{asm.Mov.Imm(r, 64)} }},
	{"ctx", func(r asm.Register) asm.Instructions { return asm.Instructions{asm.Mov.Reg(r, asm.R6)} }},
	{"ctx+4", func(r asm.Register) asm.Instructions {
		return asm.Instructions{asm.Mov.Reg(r, asm.R6), asm.Add.Imm(r, 4)}
	}},
	{"fp-32", func(r asm.Register) asm.Instructions {
		return asm.Instructions{asm.Mov.Reg(r, asm.R10), asm.Add.Imm(r, -32)}
	}},
	{"fp-8", func(r asm.Register) asm.Instructions {
		return asm.Instructions{asm.Mov.Reg(r, asm.R10), asm.Add.Imm(r, -8)}
	}},
	{"fp-40", func(r asm.Register) asm.Instructions { // not written
		return asm.Instructions{asm.Mov.Reg(r, asm.R10), asm.Add.Imm(r, -40)}
	}},
	{"fp", func(r asm.Register) asm.Instructions { return asm.Instructions{asm.Mov.Reg(r, asm.R10)} }},
	{"hash", func(r asm.Register) asm.Instructions { return asm.Instructions{asm.LoadMapPtr(r, "hash")} }},
	{"array", func(r asm.Register) asm.Instructions { return asm.Instructions{asm.LoadMapPtr(r, "array")} }},
	{"ring", func(r asm.Register) asm.Instructions { return asm.Instructions{asm.LoadMapPtr(r, "ring")} }},
	{"events", func(r asm.Register) asm.Instructions { return asm.Instructions{asm.LoadMapPtr(r, "events")} }},
	{"progs", func(r asm.Register) asm.Instructions { return asm.Instructions{asm.LoadMapPtr(r, "progs")} }},
	{"devices", func(r asm.Register) asm.Instructions { return asm.Instructions{asm.LoadMapPtr(r, "devices")} }},
	{"lpm", func(r asm.Register) asm.Instructions { return asm.Instructions{asm.LoadMapPtr(r, "lpm")} }},
	{"outer", func(r asm.Register) asm.Instructions { return asm.Instructions{asm.LoadMapPtr(r, "outer")} }},
}

func helperArgsProgram(fn asm.BuiltinFunc, args [5]int) asm.Instructions {
	insns := asm.Instructions{asm.Mov.Reg(asm.R6, asm.R1)}
	for off := int16(-32); off < 0; off += 8 {
		insns = append(insns, asm.StoreImm(asm.R10, off, 0, asm.DWord))
	}
	for n, a := range args {
		insns = append(insns, helperArgs[a].set(asm.R1+asm.Register(n))...)
	}
	return append(insns, asm.Call(fn), asm.Mov.Imm(asm.R0, 0), asm.Return())
}

// TestHelperArgumentsAgreeWithKernel calls every modelled helper from
// XDP and tc programs with arguments drawn (seeded) from scalars (0, 1,
// -1, sizes), the context, stack pointers (written, unwritten, out of
// range) and maps of several types: the checker may not accept a call
// the kernel rejects, nor claim ErrRejected for one it accepts.
func TestHelperArgumentsAgreeWithKernel(t *testing.T) {
	ensureTables()
	env := loadEnv(t)
	fns := make([]asm.BuiltinFunc, 0, len(helperProtos))
	for fn := range helperProtos {
		fns = append(fns, fn)
	}
	slices.Sort(fns)
	perHelper := 30
	if testing.Short() {
		perHelper = 8
	}
	r := rand.New(rand.NewPCG(16, 16))
	var n, agree, unsup int
	for _, typ := range []kernel.ProgramType{kernel.XDP, kernel.SchedCLS} {
		for _, fn := range fns {
			if !helperAllowed(typ, fn) {
				continue
			}
			for k := 0; k < perHelper; k++ {
				var args [5]int
				for i := range args {
					args[i] = r.IntN(len(helperArgs))
					// A dev map, like a program array, belongs to the
					// first program type that uses it (a load error
					// after verification the checker cannot see).
					for typ != kernel.XDP && helperArgs[args[i]].name == "devices" {
						args[i] = r.IntN(len(helperArgs))
					}
				}
				p := genProg{name: "helper", typ: typ, license: "GPL", insns: helperArgsProgram(fn, args)}
				err := checkInsns(p.insns, checkOpts(p))
				klog, kerr := env.kernelVerdict(p, 0)
				n++
				names := fmt.Sprintf("%s %s(%s, %s, %s, %s, %s)", typ, fn, helperArgs[args[0]].name, helperArgs[args[1]].name,
					helperArgs[args[2]].name, helperArgs[args[3]].name, helperArgs[args[4]].name)
				switch got := verdictOf(err); {
				case got == accept && kerr != nil:
					t.Errorf("%s: false accept (kernel: %s)", names, lastLine(klog))
				case got == reject && kerr == nil:
					t.Errorf("%s: false ErrRejected: %v", names, err)
				case got == unsupported:
					unsup++
				default:
					agree++
				}
			}
		}
	}
	t.Logf("%d helper calls: %d verdicts agree with the kernel, %d ErrUnsupported", n, agree, unsup)
}
