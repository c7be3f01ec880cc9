// Package perpacket benchmarks the examples' builds (clang and Go asm)
// against each other in the kernel's test runs. It imports testing, so
// only the examples' tests may use it.
package perpacket

import (
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/internal/testenv"
)

// Benchmark measures the kernel's time per packet of each build of a
// program (test runs of 1,000,000 repetitions on frame) and reports it as
// the metric kernel-ns/pkt. load returns the program of a build and a
// function that releases it.
func Benchmark(b *testing.B, frame []byte, load func(build string) (*bpf.Program, func(), error)) {
	for _, build := range []string{"clang", "asm"} {
		b.Run(build, func(b *testing.B) {
			testenv.RequirePrivileged(b)
			prog, release, err := load(build)
			if err != nil {
				b.Fatal(err)
			}
			defer release()
			var total float64
			for b.Loop() {
				res, err := prog.Run(bpf.RunOptions{Data: frame, Repeat: 1_000_000})
				if err != nil {
					b.Fatal(err)
				}
				total += float64(res.Duration.Nanoseconds())
			}
			b.ReportMetric(total/float64(b.N), "kernel-ns/pkt")
		})
	}
}
