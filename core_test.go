package bpf_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/testenv"
)

// TestCORERefused: a program with CO-RE relocations is refused before the
// kernel sees it (no privileges needed), naming the program, the
// instruction, the kind and the field, and it does not match
// ErrNotSupported (the kernel is not what lacks the feature).
func TestCORERefused(t *testing.T) {
	spec := &bpf.ProgramSpec{
		Name: "reads_parent", Type: bpf.Kprobe, License: "GPL",
		Instructions: asm.Instructions{
			asm.LoadMem(asm.R0, asm.R1, 2552, asm.DWord),
			asm.Mov.Imm(asm.R0, 0),
			asm.Return(),
		},
		CORERelocations: []bpf.CORERelocation{{
			Insn: 0, Kind: "field_byte_offset", Target: "struct task_struct.real_parent", TypeID: 7, Access: "0:57",
		}},
	}
	_, err := bpf.NewProgram(spec)
	if !errors.Is(err, bpf.ErrCORE) {
		t.Fatalf("NewProgram = %v, want ErrCORE", err)
	}
	if errors.Is(err, bpf.ErrNotSupported) {
		t.Errorf("%v matches ErrNotSupported; purebpf, not the kernel, lacks CO-RE", err)
	}
	for _, want := range []string{"program reads_parent", "instruction 0", "field_byte_offset", "struct task_struct.real_parent", `"0:57"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	// Copy keeps the relocations (and does not share them).
	c := spec.Copy()
	if len(c.CORERelocations) != 1 {
		t.Fatalf("Copy dropped the CO-RE relocations")
	}
	c.CORERelocations[0].Insn = 9
	if spec.CORERelocations[0].Insn != 0 {
		t.Error("Copy shares the CO-RE relocations with the original")
	}
	if _, err := bpf.NewProgram(c); !errors.Is(err, bpf.ErrCORE) {
		t.Errorf("NewProgram(copy) = %v, want ErrCORE", err)
	}
}

// TestCOREObject loads core.o (clang's CO-RE records through a
// preserve_access_index struct): the collection is refused naming
// xdp_core and each record; Verify refuses it too; the object's other
// program, which has no CO-RE record, loads and runs.
func TestCOREObject(t *testing.T) {
	spec, err := elf.Open("elf/testdata/core.o")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(spec.Programs["xdp_core"].CORERelocations); n != 5 {
		t.Fatalf("xdp_core has %d CO-RE relocations, want 5", n)
	}
	if n := len(spec.Programs["xdp_plain"].CORERelocations); n != 0 {
		t.Fatalf("xdp_plain has %d CO-RE relocations, want 0", n)
	}
	err = spec.Verify()
	if !errors.Is(err, bpf.ErrCORE) || !strings.Contains(err.Error(), "xdp_core") {
		t.Errorf("Verify = %v, want ErrCORE naming xdp_core", err)
	}
	_, err = bpf.NewCollection(spec)
	if !errors.Is(err, bpf.ErrCORE) {
		t.Fatalf("NewCollection = %v, want ErrCORE", err)
	}
	for _, want := range []string{
		"program xdp_core",
		"instruction 1: field_byte_offset of struct xdp_md___local.data_end",
		"instruction 3: field_exists of struct xdp_md___local.ingress_ifindex",
		"instruction 5: type_size of struct xdp_md___local",
		"1 more",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}

	testenv.RequirePrivileged(t)
	prog, err := bpf.NewProgram(spec.Programs["xdp_plain"])
	if err != nil {
		t.Fatalf("xdp_plain (no CO-RE): %v", err)
	}
	defer prog.Close()
	res, err := prog.Run(&bpf.RunOptions{Data: make([]byte, 64)})
	if err != nil {
		t.Fatal(err)
	}
	if bpf.XDPAction(res.ReturnValue) != bpf.XDPPass {
		t.Errorf("xdp_plain on 64 bytes: %v, want XDP_PASS", bpf.XDPAction(res.ReturnValue))
	}
}
