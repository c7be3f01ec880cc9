package elf

import (
	"debug/elf"
	"fmt"

	"github.com/purebpf/bpf"
	pbtf "github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/internal/btf"
)

// loadVariables describes the variables of every global data section
// that became a map (CollectionSpec.Variables): from the section's BTF
// datasec when the object has one (name, type, size; the offset from the
// symbol table, since clang leaves datasec offsets to the loader), else
// from the section's sized object symbols (no type). A name defined in
// two sections is kept under its plain name for the first section (in ELF
// order) and as "section/name" for the others; variables of size 0 are
// left out.
func (o *object) loadVariables() error {
	for _, sec := range o.sections {
		if sec == nil || sec.kind != kindData || o.spec.Maps[sec.name] == nil {
			continue
		}
		type variable struct {
			name      string
			typ       btf.TypeID
			off, size uint64
		}
		var vars []variable
		ds, hasDatasec := btf.Type{}, false
		if o.btf != nil {
			ds, hasDatasec = o.btf.Datasec(sec.name)
		}
		if hasDatasec {
			for i := range ds.Vlen {
				m, err := o.btf.Member(ds, i)
				if err != nil {
					return fmt.Errorf("section %s: datasec: %w", sec.name, err)
				}
				v, err := o.btf.Type(m.Type)
				if err != nil {
					return fmt.Errorf("section %s: datasec: %w", sec.name, err)
				}
				if v.Kind != btf.KindVar {
					return fmt.Errorf("%w: section %s: datasec member %d is a %s, not a variable", ErrFormat, sec.name, i, v.Kind)
				}
				name, err := o.btf.Name(v)
				if err != nil {
					return fmt.Errorf("section %s: %w", sec.name, err)
				}
				off, ok := o.varOffset(sec.name, name)
				if !ok {
					return fmt.Errorf("%w: section %s: variable %s has BTF but no symbol", ErrFormat, sec.name, name)
				}
				size := uint64(m.Size)
				if size == 0 {
					n, err := o.btf.Sizeof(btf.TypeID(v.SizeOrType))
					if err != nil {
						return fmt.Errorf("section %s: variable %s: %w", sec.name, name, err)
					}
					size = uint64(n)
				}
				vars = append(vars, variable{name: name, typ: btf.TypeID(v.SizeOrType), off: uint64(off), size: size})
			}
		} else {
			for _, i := range sec.syms {
				sym := &o.syms[i]
				if sym.typ != elf.STT_OBJECT || sym.size == 0 || sym.name == "" {
					continue
				}
				vars = append(vars, variable{name: sym.name, off: sym.value, size: sym.size})
			}
		}
		for _, v := range vars {
			if v.size == 0 {
				continue // nothing to read or set (an empty struct or array)
			}
			if v.off > sec.size || v.size > sec.size-v.off {
				return fmt.Errorf("%w: section %s: variable %s at [%d,+%d) outside the %d-byte section", ErrFormat, sec.name, v.name, v.off, v.size, sec.size)
			}
			key := v.name
			if _, dup := o.spec.Variables[key]; dup {
				key = sec.name + "/" + v.name
			}
			_, err := o.spec.AddVariable(key, bpf.VariableSpec{
				Name: v.name, MapName: sec.name, Offset: uint32(v.off), Size: uint32(v.size), TypeID: pbtf.TypeID(v.typ),
			})
			if err != nil {
				return fmt.Errorf("%w: %w", ErrFormat, err)
			}
		}
	}
	return nil
}
