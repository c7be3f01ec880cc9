package elf

import (
	"fmt"

	pbtf "github.com/purebpf/bpf/btf"
)

// coreBTF gives every program that has CO-RE relocations the object's
// types they refer to (bpf.ProgramSpec.BTF), which the loader needs to
// apply them. The programs share one parsed copy.
func (o *object) coreBTF() error {
	var local *pbtf.Spec
	for _, p := range o.spec.Programs {
		if p == nil || len(p.CORERelocations) == 0 {
			continue
		}
		if local == nil {
			raw := o.spec.BTF
			if raw == nil { // not host byte order: the section as it is
				var err error
				none := func(string) (uint32, bool) { return 0, false }
				if raw, err = o.btf.ForKernel(none, func(string, string) (uint32, bool) { return 0, false }); err != nil {
					return fmt.Errorf("section .BTF: %w", err)
				}
			}
			var err error
			if local, err = pbtf.Parse(raw); err != nil {
				return fmt.Errorf("section .BTF: %w", err)
			}
		}
		p.BTF = local
	}
	return nil
}
