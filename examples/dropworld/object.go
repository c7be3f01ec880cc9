package main

import (
	_ "embed"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/examples/internal/cli"
)

// The clang builds of bpf/dropworld.c (make -C examples).
var (
	//go:embed bpf/dropworld.o
	objectDrop []byte
	//go:embed bpf/dropworld_pass.o
	objectPass []byte
)

// clangSpec returns dropworld as clang compiled it: the function
// dropworld in .text, typed XDP as "ip ... xdp obj dropworld.o sec .text"
// does.
func clangSpec(pass bool) (*bpf.ProgramSpec, error) {
	obj := objectDrop
	if pass {
		obj = objectPass
	}
	_, spec, err := cli.ObjectProgram(obj, "dropworld", bpf.XDP)
	return spec, err
}

// programSpec returns the build the flags ask for.
func programSpec(flags cli.Flags, pass bool) (*bpf.ProgramSpec, error) {
	if flags.Asm() {
		return Spec(pass), nil
	}
	return clangSpec(pass)
}
