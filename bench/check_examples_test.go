package bench

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/check"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
)

// exampleObjects are the examples' committed objects (the ones the
// examples embed), host byte order.
func exampleObjects(tb testing.TB) []string {
	objs, err := filepath.Glob("../examples/*/bpf/*.o")
	if err != nil || len(objs) == 0 {
		tb.Fatalf("example objects: %v %v", objs, err)
	}
	objs = slices.DeleteFunc(objs, func(p string) bool { return strings.Contains(p, "bpfeb") })
	slices.Sort(objs)
	return objs
}

// exampleType is the program type an example gives the programs of its
// objects whose section does not name one (as its main.go does).
func exampleType(obj, section string) bpf.ProgramType {
	switch {
	case section == "tx":
		return bpf.SchedCLS
	case strings.Contains(obj, "_socket"):
		return bpf.SocketFilter
	}
	return bpf.XDP
}

// BenchmarkCheckExamples compares check.Program with the kernel's
// verification on every program of every example object: check/<object>/
// <program> runs the checker (the running kernel's rules), kernel/...
// loads the program (BPF_PROG_LOAD with log level 4, the object's maps
// created once, the program closed each iteration) and reports the
// kernel's own "verification time" as kernel-verify-ns/op (1 µs
// resolution); its ns/op is the whole load.
func BenchmarkCheckExamples(b *testing.B) {
	for _, obj := range exampleObjects(b) {
		cs, err := elf.Open(obj)
		if err != nil {
			b.Fatal(err)
		}
		names := make([]string, 0, len(cs.Programs))
		for name := range cs.Programs {
			names = append(names, name)
		}
		slices.Sort(names)
		base := strings.TrimSuffix(filepath.Base(obj), ".o")
		for _, name := range names {
			spec := cs.Programs[name]
			if spec.Type == bpf.UnspecifiedProgram {
				spec.Type = exampleType(obj, spec.Section)
			}
			if base == "xdp2skb_meta_nongpl" && name == "_tc_mark" {
				// Made to be rejected (a GPL-only helper without a
				// GPL license): nothing to time.
				continue
			}
			b.Run("check/"+base+"/"+name, func(b *testing.B) {
				if err := check.Program(spec, cs.Maps, check.Options{}); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if err := check.Program(spec, cs.Maps, check.Options{}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("kernel/"+base+"/"+name, func(b *testing.B) {
				testenv.RequirePrivileged(b)
				onlyMaps := cs.Copy()
				onlyMaps.Programs = nil
				for _, m := range onlyMaps.Maps {
					m.Pinning, m.PinPath = maps.PinNone, ""
				}
				coll, err := bpf.NewCollection(onlyMaps)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { coll.Close() })
				refs := map[string]bpf.MapFD{}
				for n, m := range coll.Maps {
					refs[n] = m
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
}
