package main

import (
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/examples/internal/cli"
	"github.com/purebpf/bpf/examples/internal/frames"
	"github.com/purebpf/bpf/examples/internal/perpacket"
)

// BenchmarkPerPacket compares the kernel's ns/packet of the clang and the
// asm build on a TCP segment to port 80.
func BenchmarkPerPacket(b *testing.B) {
	perpacket.Benchmark(b, frames.All()[0].Bytes, func(build string) (*bpf.Program, func(), error) {
		spec, err := programSpec(cli.Flags{Build: build}, protoTCP)
		if err != nil {
			return nil, nil, err
		}
		prog, err := bpf.NewProgram(spec)
		if err != nil {
			return nil, nil, err
		}
		return prog, func() { prog.Close() }, nil
	})
}
