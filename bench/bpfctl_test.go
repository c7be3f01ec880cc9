package bench

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/bpftest"
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

func BenchmarkBpfctlStartup(b *testing.B) {
	bpftest.RequirePrivileged(b)
	cases := []struct {
		name string
		path func(b *testing.B) string
		args []string
	}{
		{"bpfctl-prog-list", bpfctlBinary, []string{"prog", "list"}},
		{"bpftool-prog-show", lookPath("bpftool"), []string{"prog", "show"}},
		{"bpfctl-prog-list-json", bpfctlBinary, []string{"prog", "list", "--json"}},
		{"bpftool-prog-show-json", lookPath("bpftool"), []string{"-j", "prog", "show"}},
		{"bpfctl-help", bpfctlBinary, []string{"help"}},
	}
	loaded := 0
	for _, n := range benchPrograms {
		loadPrograms(b, n-loaded)
		loaded = n
		for _, c := range cases {
			b.Run(fmt.Sprintf("progs=%d/%s", n, c.name), func(b *testing.B) {
				path := c.path(b)
				var first, total time.Duration
				for b.Loop() {
					f, t := firstOutput(b, path, c.args...)
					first += f
					total += t
				}
				b.ReportMetric(float64(first.Nanoseconds())/float64(b.N), "ns-to-first-output")
				b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns-to-exit")
			})
		}
	}
}

func lookPath(name string) func(b *testing.B) string {
	return func(b *testing.B) string {
		p, err := exec.LookPath(name)
		if err != nil {
			b.Skipf("%s not installed", name)
		}
		return p
	}
}
