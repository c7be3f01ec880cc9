package main

import (
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/examples/internal/frames"
	"github.com/purebpf/bpf/examples/internal/perpacket"
)

// BenchmarkPerPacket compares the kernel's ns/packet of layercoop_rx
// (XDP) and layercoop_tx (tc) between the clang and the asm build, on a
// TCP segment whose flow already has an entry.
func BenchmarkPerPacket(b *testing.B) {
	for _, prog := range []string{"rx", "tx"} {
		b.Run(prog, func(b *testing.B) {
			perpacket.Benchmark(b, frames.All()[0].Bytes, func(build string) (*bpf.Program, func(), error) {
				c, err := load(build == "asm", "")
				if err != nil {
					return nil, nil, err
				}
				if prog == "rx" {
					return c.rx, c.Close, nil
				}
				return c.tx, c.Close, nil
			})
		})
	}
}
