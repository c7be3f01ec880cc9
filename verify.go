package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/purebpf/bpf/check"
	"github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/internal/core"
)

// Verify checks every program of the collection offline, without
// privileges and without loading anything (see check.Check), as the
// running kernel's verifier would (each rule that changed between 6.1 and
// 6.18 applies from the release that introduced it): it returns nil, or
// the *verifier.Error of each rejected program (joined, in name order),
// with the C source line, file and line number when the object has BTF
// line info. CO-RE relocations are applied first, against the running
// kernel's BTF (without it, programs that have some are refused with
// ErrCORE). The kernel stays the judge: Verify never accepts what the kernel
// rejects, but may reject (with check.ErrUnsupported as the cause)
// what it cannot prove.
func (cs *CollectionSpec) Verify() error {
	progs := make([]check.Program, 0, len(cs.Programs))
	var refused []error
	poisoned := map[string][]core.Fixup{}
	for name, p := range cs.Programs {
		if p == nil {
			return fmt.Errorf("verify: program %s: nil ProgramSpec", name)
		}
		rp, fixups, err := relocateCORE(p, nil) // what the running kernel would get
		if err != nil {
			refused = append(refused, fmt.Errorf("verify: %w", err))
			continue
		}
		poisoned[name] = fixups
		progs = append(progs, check.Program{
			Name: name, Type: p.Type, AttachType: p.AttachType, License: p.License,
			Instructions: rp.Instructions, Source: cs.sourceLines(name, p),
		})
	}
	ms := make(map[string]check.MapInfo, len(cs.Maps))
	for name, m := range cs.Maps {
		ms[name] = check.MapInfo{Type: m.Type, KeySize: m.KeySize, ValueSize: m.ValueSize, MaxEntries: m.MaxEntries}
	}
	if len(refused) > 0 {
		slices.SortFunc(refused, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return errors.Join(append(refused, cs.explainPoisoned(check.CheckPrograms(progs, ms), poisoned))...)
	}
	return cs.explainPoisoned(check.CheckPrograms(progs, ms), poisoned)
}

// sourceLines returns the C source line of each raw instruction of the
// program, from its BTF line info ("line text @ file.c:12", as the
// kernel's log shows it), or nil.
func (cs *CollectionSpec) sourceLines(name string, p *ProgramSpec) []string {
	pb := cs.ProgramBTF[name]
	if pb == nil || len(pb.LineInfo) == 0 || len(cs.BTF) == 0 || pb.RawLen != p.Instructions.RawLen() {
		return nil
	}
	spec, err := btf.Parse(cs.BTF, binary.NativeEndian)
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
