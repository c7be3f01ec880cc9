package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/purebpf/bpf/btf"
	ib "github.com/purebpf/bpf/internal/btf"
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
// LD_IMM64 counts two) of the named program, from the object's BTF line
// info, as the kernel's verifier log prints them ("text @ file.c:12"); an
// instruction without a record of its own has the line before it. It
// returns nil when the program has no line info, or when its instructions
// no longer have the raw length the line info describes.
func (cs *CollectionSpec) SourceLines(program string) []string {
	p := cs.Programs[program]
	if p == nil {
		return nil
	}
	return cs.sourceLines(program, p)
}

// sourceLines returns the C source line of each raw instruction of the
// program, from its BTF line info ("line text @ file.c:12", as the
// kernel's log shows it), or nil.
func (cs *CollectionSpec) sourceLines(name string, p *ProgramSpec) []string {
	pb := cs.ProgramBTF[name]
	if pb == nil || len(pb.LineInfo) == 0 || len(cs.BTF) == 0 || pb.RawLen != p.Instructions.RawLen() {
		return nil
	}
	spec, err := ib.Parse(cs.BTF, binary.NativeEndian)
	if err != nil {
		return nil
	}
	lines := make([]string, pb.RawLen)
	for off := 0; off+16 <= len(pb.LineInfo); off += 16 {
		rec := pb.LineInfo[off:]
		insn := int(binary.NativeEndian.Uint32(rec))
		file, _ := spec.String(binary.NativeEndian.Uint32(rec[4:]))
		text, _ := spec.String(binary.NativeEndian.Uint32(rec[8:]))
		line := binary.NativeEndian.Uint32(rec[12:]) >> 10
		if insn < 0 || insn >= len(lines) {
			continue
		}
		lines[insn] = fmt.Sprintf("%s @ %s:%d", strings.TrimSpace(text), filepath.Base(file), line)
	}
	// An instruction without a record belongs to the line before it.
	for i := 1; i < len(lines); i++ {
		if lines[i] == "" {
			lines[i] = lines[i-1]
		}
	}
	return lines
}
