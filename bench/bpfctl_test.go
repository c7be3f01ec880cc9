package bench

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/internal/testenv"
)

// bpfctl benchmarks: the time from starting the process to its first byte
// on stdout, and to its exit, for "bpfctl prog list" (a CGO_ENABLED=0
// build) and "bpftool prog show", with benchPrograms extra programs loaded
// so that both have something to print.

// benchPrograms are the numbers of extra programs loaded, in increasing
// order.
var benchPrograms = []int{20, 200}

var (
	bpfctlOnce sync.Once
	bpfctlBin  string
	bpfctlErr  error
)

// bpfctlBinary builds cmd/bpfctl statically, once per test process.
func bpfctlBinary(b *testing.B) string {
	bpfctlOnce.Do(func() {
		dir, err := os.MkdirTemp("", "bpfctl-bench")
		if err != nil {
			bpfctlErr = err
			return
		}
		bpfctlBin = filepath.Join(dir, "bpfctl")
		cmd := exec.Command("go", "build", "-o", bpfctlBin, "github.com/purebpf/bpf/cmd/bpfctl")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			bpfctlErr = &buildError{err, string(out)}
		}
	})
	if bpfctlErr != nil {
		b.Fatal(bpfctlErr)
	}
	return bpfctlBin
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "go build cmd/bpfctl: " + e.err.Error() + "\n" + e.out }

// loadPrograms loads n small programs for the listings.
func loadPrograms(b *testing.B, n int) {
	for i := 0; i < n; i++ {
		p, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "bench_list", Type: bpf.XDP, License: "GPL",
			Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 2), asm.Return()}})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { p.Close() })
	}
}

// firstOutput runs the command and returns the time to its first byte of
// output and to its exit.
func firstOutput(b *testing.B, path string, args ...string) (first, total time.Duration) {
	cmd := exec.Command(path, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var one [1]byte
	if _, err := io.ReadFull(out, one[:]); err != nil {
		b.Fatalf("%s: no output: %v", path, err)
	}
	first = time.Since(start)
	io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		b.Fatalf("%s: %v", path, err)
	}
	return first, time.Since(start)
}

// BenchmarkBpfctlStartup runs bpfctl and bpftool alternately in every
// iteration, so that both see the same machine load, and reports the median
// over the iterations of each one's time to first output and to exit, and
// the ratio of the medians of the time to first output (bpfctl / bpftool;
// below 1 means bpfctl is faster).
func BenchmarkBpfctlStartup(b *testing.B) {
	bpftest.RequirePrivileged(b)
	testenv.RequireTool(b, "bpftool")
	bpftool, err := exec.LookPath("bpftool")
	if err != nil {
		b.Fatal(err)
	}
	modes := []struct {
		name          string
		bpfctl, btool []string
	}{
		{"plain", []string{"prog", "list"}, []string{"prog", "show"}},
		{"json", []string{"prog", "list", "--json"}, []string{"-j", "prog", "show"}},
	}
	loaded := 0
	for _, n := range benchPrograms {
		loadPrograms(b, n-loaded)
		loaded = n
		for _, m := range modes {
			b.Run(fmt.Sprintf("progs=%d/%s", n, m.name), func(b *testing.B) {
				bin := bpfctlBinary(b)
				var cf, ce, tf, te []time.Duration
				for b.Loop() {
					f, e := firstOutput(b, bin, m.bpfctl...)
					cf, ce = append(cf, f), append(ce, e)
					f, e = firstOutput(b, bpftool, m.btool...)
					tf, te = append(tf, f), append(te, e)
				}
				b.ReportMetric(median(cf), "bpfctl-first-ns")
				b.ReportMetric(median(tf), "bpftool-first-ns")
				b.ReportMetric(median(ce), "bpfctl-exit-ns")
				b.ReportMetric(median(te), "bpftool-exit-ns")
				b.ReportMetric(median(cf)/median(tf), "first-ratio")
			})
		}
	}
}

// BenchmarkBpfctlHelp is the floor of bpfctl's startup: a command that
// makes no system call of its own.
func BenchmarkBpfctlHelp(b *testing.B) {
	bin := bpfctlBinary(b)
	var d []time.Duration
	for b.Loop() {
		f, _ := firstOutput(b, bin, "help")
		d = append(d, f)
	}
	b.ReportMetric(median(d), "first-ns")
}

func median(d []time.Duration) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[len(s)/2].Nanoseconds())
}
