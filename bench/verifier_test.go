package bench

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/check"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
)

// verifierMaps are the maps the verifier benchmark programs use.
var verifierMaps = map[string]*maps.Spec{
	"array": {Type: maps.Array, KeySize: 4, ValueSize: 16, MaxEntries: 4},
	"hash":  {Type: maps.Hash, KeySize: 4, ValueSize: 16, MaxEntries: 16},
}

// verifierPrograms are the project's example programs (dropworld) and
// realistic programs in the tutorial's style (copies of those in
// check/projectprogs_test.go).
func verifierPrograms() []*bpf.ProgramSpec {
	return []*bpf.ProgramSpec{
		{Name: "dropworld", Type: bpf.XDP, License: "GPL", Instructions: asm.Instructions{
			asm.Mov.Imm(asm.R0, int32(bpf.XDPDrop)), asm.Return()}},
		{Name: "rewrite", Type: bpf.XDP, License: "GPL", Instructions: asm.Instructions{
			asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
			asm.LoadMem(asm.R3, asm.R1, 4, asm.Word),
			asm.Mov.Reg(asm.R4, asm.R2),
			asm.Add.Imm(asm.R4, 15),
			asm.Mov.Imm(asm.R0, 0),
			asm.JGT.Reg(asm.R4, asm.R3, "out"),
			asm.StoreImm(asm.R2, 0, 0xee, asm.Byte),
			asm.Mov.Imm(asm.R0, 3),
			asm.Return().WithSymbol("out"),
		}},
		{Name: "xdp1", Type: bpf.XDP, License: "GPL", Instructions: asm.Instructions{
			asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
			asm.LoadMem(asm.R3, asm.R1, 4, asm.Word),
			asm.Mov.Imm(asm.R0, 1),
			asm.Mov.Reg(asm.R4, asm.R2),
			asm.Add.Imm(asm.R4, 14),
			asm.JGT.Reg(asm.R4, asm.R3, "out"),
			asm.LoadMem(asm.R5, asm.R2, 12, asm.Half),
			asm.JNE.Imm(asm.R5, 0x0008, "out"),
			asm.Mov.Reg(asm.R4, asm.R2),
			asm.Add.Imm(asm.R4, 34),
			asm.JGT.Reg(asm.R4, asm.R3, "out"),
			asm.LoadMem(asm.R5, asm.R2, 23, asm.Byte),
			asm.And.Imm(asm.R5, 3),
			asm.StoreMem(asm.R10, -4, asm.R5, asm.Word),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -4),
			asm.LoadMapPtr(asm.R1, "array"),
			asm.Call(asm.FnMapLookupElem),
			asm.JEq.Imm(asm.R0, 0, "drop"),
			asm.Mov.Imm(asm.R1, 1),
			asm.AtomicAdd(asm.R0, 0, asm.R1, asm.DWord),
			asm.Mov.Imm(asm.R0, 1).WithSymbol("drop"),
			asm.Return().WithSymbol("out"),
		}},
		{Name: "tc_counter", Type: bpf.SchedCLS, License: "GPL", Instructions: asm.Instructions{
			asm.Mov.Reg(asm.R6, asm.R1),
			asm.LoadMem(asm.R7, asm.R6, 0, asm.Word),
			asm.LoadMem(asm.R1, asm.R6, 8, asm.Word),
			asm.And.Imm(asm.R1, 15),
			asm.StoreMem(asm.R10, -4, asm.R1, asm.Word),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -4),
			asm.LoadMapPtr(asm.R1, "hash"),
			asm.Call(asm.FnMapLookupElem),
			asm.JEq.Imm(asm.R0, 0, "create"),
			asm.AtomicAdd(asm.R0, 0, asm.R7, asm.DWord),
			asm.Mov.Imm(asm.R1, 1),
			asm.AtomicAdd(asm.R0, 8, asm.R1, asm.DWord),
			asm.Ja("out"),
			asm.StoreMem(asm.R10, -24, asm.R7, asm.DWord).WithSymbol("create"),
			asm.StoreImm(asm.R10, -16, 1, asm.DWord),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -4),
			asm.Mov.Reg(asm.R3, asm.R10),
			asm.Add.Imm(asm.R3, -24),
			asm.Mov.Imm(asm.R4, 0),
			asm.LoadMapPtr(asm.R1, "hash"),
			asm.Call(asm.FnMapUpdateElem),
			asm.Mov.Imm(asm.R0, 0).WithSymbol("out"),
			asm.Return(),
		}},
		{Name: "loop1000", Type: bpf.SchedCLS, License: "GPL", Instructions: asm.Instructions{
			asm.Mov.Reg(asm.R6, asm.R1),
			asm.Mov.Imm(asm.R7, 0), asm.Mov.Imm(asm.R8, 0),
			asm.LoadMem(asm.R1, asm.R6, 0, asm.Word).WithSymbol("top"),
			asm.Add.Reg(asm.R8, asm.R1),
			asm.Add.Imm(asm.R7, 1),
			asm.JLT.Imm(asm.R7, 1000, "top"),
			asm.Mov.Reg(asm.R0, asm.R8), asm.And.Imm(asm.R0, 1), asm.Return(),
		}},
	}
}

var verificationTime = regexp.MustCompile(`verification time (\d+) usec`)

// BenchmarkVerifier compares check.Program with the kernel's own
// verification of the same program. The kernel side loads the program with
// log level 4 (statistics) and reports the kernel's "verification time" as
// kernel-verify-ns/op (its resolution is 1 µs); ns/op of the kernel side is
// the whole load (system call, JIT, log).
func BenchmarkVerifier(b *testing.B) {
	for _, spec := range verifierPrograms() {
		// The running kernel's rules, as the kernel side is measured on it.
		opts := check.Options{}
		b.Run("check/"+spec.Name, func(b *testing.B) {
			if err := check.Program(spec, verifierMaps, opts); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := check.Program(spec, verifierMaps, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("kernel/"+spec.Name, func(b *testing.B) {
			testenv.RequirePrivileged(b)
			refs := map[string]bpf.MapFD{}
			for name, info := range verifierMaps {
				s := *info
				s.Name = name
				m, err := maps.New(&s)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { m.Close() })
				refs[name] = m
			}
			var usec int64
			for b.Loop() {
				prog, err := bpf.NewProgramWithOptions(spec, bpf.ProgramOptions{Maps: refs, LogLevel: bpf.LogLevelStats})
				if err != nil {
					b.Fatal(err)
				}
				m := verificationTime.FindStringSubmatch(prog.VerifierLog())
				prog.Close()
				if m == nil {
					b.Fatalf("no verification time in the log: %q", prog.VerifierLog())
				}
				n, _ := strconv.ParseInt(m[1], 10, 64)
				usec += n
			}
			b.ReportMetric(float64(usec)*1000/float64(b.N), "kernel-verify-ns/op")
		})
	}
}
