package main

import (
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/examples/internal/cli"
	"github.com/purebpf/bpf/examples/internal/frames"
	"github.com/purebpf/bpf/examples/internal/perpacket"
)

// BenchmarkPerPacket compares the kernel's ns/packet of xdp_mark between
// the clang and the asm build (tc_mark logs every packet through
// trace_printk, which would measure the trace buffer).
func BenchmarkPerPacket(b *testing.B) {
	perpacket.Benchmark(b, frames.All()[0].Bytes, func(build string) (*bpf.Program, func(), error) {
		l, err := load(options{Flags: cli.Flags{Build: build}, license: "gpl"})
		if err != nil {
			return nil, nil, err
		}
		return l.xdp, l.Close, nil
	})
}
