package main

import (
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/examples/internal/frames"
	"github.com/purebpf/bpf/examples/internal/perpacket"
)

// BenchmarkPerPacket compares the kernel's ns/packet of the clang and the
// asm build (array counters, drop) on a TCP segment.
func BenchmarkPerPacket(b *testing.B) {
	perpacket.Benchmark(b, frames.All()[0].Bytes, func(build string) (*bpf.Program, func(), error) {
		p, err := load(build == "asm", false, false)
		if err != nil {
			return nil, nil, err
		}
		return p.prog, p.Close, nil
	})
}
