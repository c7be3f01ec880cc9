package main

import (
	_ "embed"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/examples/internal/cli"
)

// The clang builds of bpf/portfilter.c (make -C examples).
var (
	//go:embed bpf/portfilter.o
	object []byte
	//go:embed bpf/portfilter_icmp.o
	objectICMP []byte
)

// programSpec returns the build the flags ask for. Section "filter" has no
// conventional type: it is typed XDP, as "ip ... xdp obj portfilter.o sec
// filter" does.
func programSpec(flags cli.Flags, dropICMP bool) (*bpf.ProgramSpec, error) {
	if flags.Asm() {
		return asmSpec(dropICMP), nil
	}
	obj := object
	if dropICMP {
		obj = objectICMP
	}
	_, spec, err := cli.ObjectProgram(obj, "portfilter", bpf.XDP)
	return spec, err
}
