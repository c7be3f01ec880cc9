package main

import (
	_ "embed"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/elf"
)

// The clang builds of bpf/xdp1.c (make -C examples): array or hash
// counters, dropping or passing.
var (
	//go:embed bpf/xdp1.o
	objectArrayDrop []byte
	//go:embed bpf/xdp1_pass.o
	objectArrayPass []byte
	//go:embed bpf/xdp1_hash.o
	objectHashDrop []byte
	//go:embed bpf/xdp1_hash_pass.o
	objectHashPass []byte
)

// clangSpec returns the object of the variant as a collection spec: the
// program xdp_prog1 and its map rxcnt.
func clangSpec(hash, pass bool) (*bpf.CollectionSpec, error) {
	obj := map[[2]bool][]byte{
		{false, false}: objectArrayDrop, {false, true}: objectArrayPass,
		{true, false}: objectHashDrop, {true, true}: objectHashPass,
	}[[2]bool{hash, pass}]
	return elf.Parse(obj)
}
