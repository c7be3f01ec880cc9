package elf

import (
	"github.com/purebpf/bpf"
)

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
