package main

import (
	_ "embed"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/examples/internal/cli"
)

// The clang builds of bpf/tcpfilter.c (make -C examples).
var (
	//go:embed bpf/tcpfilter.o
	objectTCP []byte
	//go:embed bpf/tcpfilter_icmp.o
	objectICMP []byte
)

// programSpec returns the build the flags ask for, passing proto.
func programSpec(flags cli.Flags, proto int32) (*bpf.ProgramSpec, error) {
	if flags.Asm() {
		return asmSpec(proto), nil
	}
	obj := objectTCP
	if proto == protoICMP {
		obj = objectICMP
	}
	_, spec, err := cli.ObjectProgram(obj, "tcpfilter", bpf.XDP)
	return spec, err
}
