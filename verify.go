package bpf

import (
	"errors"

	"github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/internal/core"
	"github.com/purebpf/bpf/verifier"
)

// This file holds what an offline checker (package check) needs to see a
// program as the kernel's verifier would: the instructions after CO-RE
// relocation, the explanation of poisoned instructions, and the C source
// lines. The root package cannot import package check (check imports it),
// so these are public methods of the object model.

// RelocatedProgram is a program with its CO-RE relocations applied for one
// kernel: the instructions NewProgramWithOptions hands the kernel's
// verifier. See ProgramSpec.RelocateCORE.
type RelocatedProgram struct {
	// Spec is a shallow copy of the program whose Instructions are
	// relocated (the original ProgramSpec itself when it has no CO-RE
	// relocations). Do not modify it: it may share everything but its
	// instructions with the original.
	Spec *ProgramSpec
	// poisoned are the relocations the kernel's types could not satisfy,
	// whose instruction became a poisoned helper call.
	poisoned []core.Fixup
}

// RelocateCORE applies the program's CO-RE relocations (CORERelocations)
// to a copy of its instructions, as NewProgramWithOptions does before it
// loads: against kernelTypes, or, when kernelTypes is nil, against the
// running kernel's BTF (vmlinux, then its modules'). spec is not modified.
//
// A relocation that the kernel's types cannot satisfy (and that is not an
// existence test) turns its instruction into an invalid helper call, as
// libbpf does: a verifier accepts the program if that instruction is
// unreachable; RelocatedProgram.ExplainRejection names the relocation if
// it rejects it. The error wraps ErrCORE: no BTF for the running kernel,
// no local BTF (ProgramSpec.BTF) to interpret the records, an ambiguous or
// malformed record.
func (spec *ProgramSpec) RelocateCORE(kernelTypes *btf.Spec) (*RelocatedProgram, error) {
	if spec == nil {
		return nil, errors.New("relocate CO-RE: nil ProgramSpec")
	}
	r, poisoned, err := relocateCORE(spec, kernelTypes)
	if err != nil {
		return nil, err
	}
	return &RelocatedProgram{Spec: r, poisoned: poisoned}, nil
}

// ExplainRejection returns err itself, unless err holds the
// *verifier.Error of a rejection of an instruction that a failed CO-RE
// relocation poisoned ("invalid func unknown#195896080"): then it returns
// an error naming the program and the relocation (its instruction, kind
// and C target), wrapping ErrCORE and err.
func (r *RelocatedProgram) ExplainRejection(err error) error {
	var verr *verifier.Error
	if r == nil || !errors.As(err, &verr) {
		return err
	}
	if cerr := poisonedError("verify", r.Spec, r.poisoned, verr); cerr != nil {
		return cerr
	}
	return err
}

// SourceLines returns the C source line of each raw instruction (an
// LD_IMM64 counts two) of the program, from the line info its
// instructions carry (asm.Instruction.Line), as the kernel's verifier log
// prints them ("text @ file.c:12"); an instruction without a line of its
// own has the line before it. It returns nil when no instruction has a
// line.
func (spec *ProgramSpec) SourceLines() []string {
	if spec == nil {
		return nil
	}
	return sourceLines(spec.Instructions)
}
