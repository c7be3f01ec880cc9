package elf

import (
	"fmt"

	"github.com/purebpf/bpf"
	pbtf "github.com/purebpf/bpf/btf"
)

// coreBTF gives every program that has CO-RE relocations, or externs
// whose declarations the loader checks against the kernel's, the object's
// types they refer to (bpf.ProgramSpec.BTF). The programs share one
// parsed copy.
func (o *object) coreBTF() error {
	var local *pbtf.Spec
	for _, p := range o.spec.Programs {
		if p == nil || len(p.CORERelocations) == 0 && !hasTypedExterns(p) {
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

// hasTypedExterns reports whether p uses externs with a declaration in
// the object's types (kfuncs, typed ksyms).
func hasTypedExterns(p *bpf.ProgramSpec) bool {
	for _, e := range p.Externs {
		if e != nil && e.TypeID != 0 {
			return true
		}
	}
	return false
}
