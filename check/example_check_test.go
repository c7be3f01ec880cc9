package check_test

import (
	"errors"
	"fmt"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/check"
	"github.com/purebpf/bpf/maps"
	"github.com/purebpf/bpf/verifier"
)

// ExampleProgram finds the missing NULL check of a map lookup without
// loading anything into the kernel.
func ExampleProgram() {
	spec := &bpf.ProgramSpec{
		Name:    "count",
		Type:    bpf.XDP,
		License: "GPL",
		Instructions: asm.Instructions{
			asm.StoreImm(asm.R10, -4, 0, asm.Word), // key = 0
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -4),
			asm.LoadMapPtr(asm.R1, "counters"),
			asm.Call(asm.FnMapLookupElem),
			asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord), // no NULL check
			asm.Mov.Imm(asm.R0, 2),
			asm.Return(),
		},
	}
	counters := &maps.Spec{Name: "counters", Type: maps.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 64}
	err := check.Program(spec, map[string]*maps.Spec{"counters": counters}, check.Options{})
	var verr *verifier.Error
	if errors.As(err, &verr) {
		fmt.Println(verr.Index, verr.Register, verr.Message)
	}
	// Output: 6 r0 R0 invalid mem access 'map_value_or_null'
}

// ExampleCollection checks every program of a collection (here built by
// hand; usually from elf.Open) for a given kernel.
func ExampleCollection() {
	cs := &bpf.CollectionSpec{Programs: map[string]*bpf.ProgramSpec{
		"pass":   {Name: "pass", Type: bpf.XDP, License: "GPL", Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 2), asm.Return()}},
		"broken": {Name: "broken", Type: bpf.XDP, License: "GPL", Instructions: asm.Instructions{asm.Return()}},
	}}
	fmt.Println(check.Collection(cs, check.Options{KernelVersion: check.KernelVersion{Major: 6, Minor: 12, Patch: 118}}))
	// Output: program broken: rejected by the verifier at instruction 0 (exit): R0 !read_ok; hint: set r0, the program's return value, on every path before exit
}
