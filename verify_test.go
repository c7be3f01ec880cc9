package bpf_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/check"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/verifier"
)

// TestRelocateCORE relocates each program of core_kinds.o for the running
// kernel: the spec keeps its instructions, a program without relocations
// is returned as is, and only the unguarded read of a type the kernel
// lacks is explained as a CO-RE failure when a verifier rejects it.
func TestRelocateCORE(t *testing.T) {
	kernelBTF(t)
	spec, err := elf.Open("elf/testdata/core_kinds.o")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		program string
		// explained is the relocation the rejection must name, or "" when
		// the checker accepts the relocated program.
		explained string
	}{
		{"core_values", ""},
		{"core_guarded", ""},
		{"core_blob_read", ""},
		{"core_unguarded", "instruction 8: field_byte_offset of struct core_blob.gone"},
	} {
		t.Run(tt.program, func(t *testing.T) {
			p := spec.Programs[tt.program]
			if p == nil {
				t.Fatalf("no program %s in core_kinds.o", tt.program)
			}
			before := p.Copy()
			r, err := p.RelocateCORE(nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.CORERelocations) > 0 && r.Spec == p {
				t.Error("RelocateCORE returned the spec itself for a program with relocations")
			}
			if !equalInsns(p.Instructions, before.Instructions) {
				t.Error("RelocateCORE modified the spec's instructions")
			}
			err = check.Program(p, spec.Maps, check.Options{})
			switch {
			case tt.explained == "" && err != nil:
				t.Errorf("check: %v", err)
			case tt.explained != "" && (!errors.Is(err, bpf.ErrCORE) || !strings.Contains(err.Error(), tt.explained)):
				t.Errorf("check = %v; want ErrCORE naming %q", err, tt.explained)
			}
		})
	}
}

// TestExplainRejection: errors that are not a rejection of a poisoned
// instruction come back unchanged.
func TestExplainRejection(t *testing.T) {
	plain := &bpf.ProgramSpec{Name: "plain", Type: bpf.XDP, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}}
	r, err := plain.RelocateCORE(nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Spec != plain {
		t.Error("a program without CO-RE relocations is copied")
	}
	other := errors.New("other")
	verr := &verifier.Error{Program: "plain", Index: 1, Message: "R0 !read_ok"}
	for _, err := range []error{nil, other, verr} {
		if got := r.ExplainRejection(err); got != err {
			t.Errorf("ExplainRejection(%v) = %v, want it unchanged", err, got)
		}
	}
	var nilSpec *bpf.ProgramSpec
	if _, err := nilSpec.RelocateCORE(nil); err == nil {
		t.Error("RelocateCORE of a nil spec: no error")
	}
}

// TestSourceLines reads the C source line of every raw instruction of a
// committed object's program from the line info its instructions carry
// (and nil for a missing program).
func TestSourceLines(t *testing.T) {
	spec, err := elf.OpenWithOptions(collObject("tcpfilter"), elf.Options{DefaultType: bpf.XDP})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		program string
		want    bool
	}{
		{"tcpfilter", true},
		{"nosuchprogram", false},
	} {
		t.Run(tt.program, func(t *testing.T) {
			lines := spec.Programs[tt.program].SourceLines()
			if !tt.want {
				if lines != nil {
					t.Errorf("SourceLines = %q, want nil", lines)
				}
				return
			}
			if n := spec.Programs[tt.program].Instructions.RawLen(); len(lines) != n {
				t.Fatalf("%d lines for %d raw instructions", len(lines), n)
			}
			for i, l := range lines {
				if !strings.Contains(l, " @ tcpfilter.c:") {
					t.Errorf("instruction %d: line %q does not name tcpfilter.c", i, l)
				}
			}
		})
	}
}
