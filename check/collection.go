package check

import (
	"errors"
	"sort"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
)

// Program is one program of a collection, as CheckPrograms needs it.
type Program struct {
	Name         string
	Type         kernel.ProgramType
	AttachType   kernel.AttachType
	License      string
	Instructions asm.Instructions
	// Source is the optional per-raw-instruction source line (see
	// Options.Source).
	Source []string
}

// CheckPrograms checks every program, for the running kernel (see
// Options.KernelVersion), against the collection's maps (by name, as the
// programs' map loads refer to them) and returns nil, or the
// rejections joined with errors.Join (each an *verifier.Error; errors.As finds the
// first), in program name order.
func CheckPrograms(progs []Program, maps map[string]MapInfo) error {
	sorted := append([]Program(nil), progs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var errs []error
	for _, p := range sorted {
		err := Check(p.Instructions, Options{
			Program:     p.Name,
			ProgramType: p.Type,
			AttachType:  p.AttachType,
			License:     p.License,
			Maps:        maps,
			Source:      p.Source,
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
