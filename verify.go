package bpf

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/purebpf/bpf/internal/core"
	"github.com/purebpf/bpf/verifier"
)

// Verify checks every program of the collection offline, without
// privileges and without loading anything (see verifier.Check), as the
// running kernel's verifier would (each rule that changed between 6.1 and
// 6.18 applies from the release that introduced it): it returns nil, or
// the *verifier.Error of each rejected program (joined, in name order),
// with the C source line, file and line number when the object has BTF
// line info. CO-RE relocations are applied first, against the running
// kernel's BTF (without it, programs that have some are refused with
// ErrCORE). The kernel stays the judge: Verify never accepts what the kernel
// rejects, but may reject (with verifier.ErrUnsupported as the cause)
// what it cannot prove.
func (cs *CollectionSpec) Verify() error {
	progs := make([]verifier.Program, 0, len(cs.Programs))
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
		progs = append(progs, verifier.Program{
			Name: name, Type: p.Type, AttachType: p.AttachType, License: p.License,
			Instructions: rp.Instructions, Source: sourceLines(rp.Instructions),
		})
	}
	ms := make(map[string]verifier.MapInfo, len(cs.Maps))
	for name, m := range cs.Maps {
		ms[name] = verifier.MapInfo{Type: m.Type, KeySize: m.KeySize, ValueSize: m.ValueSize, MaxEntries: m.MaxEntries}
	}
	if len(refused) > 0 {
		slices.SortFunc(refused, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return errors.Join(append(refused, cs.explainPoisoned(verifier.CheckPrograms(progs, ms), poisoned))...)
	}
	return cs.explainPoisoned(verifier.CheckPrograms(progs, ms), poisoned)
}
