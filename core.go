package bpf

import (
	"errors"
	"fmt"
)

// CORERelocation is a CO-RE ("compile once, run everywhere") relocation
// that clang recorded for one instruction of a program in the object's
// .BTF.ext: the instruction was compiled against the object's idea of a
// kernel type, and a loader must rewrite it (a field offset, a size, an
// existence test, an enum value) for the kernel it runs on.
//
// purebpf does not apply CO-RE relocations yet, so NewProgram refuses a
// program that has any (errors.Is(err, ErrCORE)), naming the instruction,
// the kind and the field: loading the instructions unchanged would read
// the wrong fields on every kernel whose layout differs from the one the
// object was compiled against.
type CORERelocation struct {
	// Insn is the raw instruction index (8-byte slots, as
	// asm.Instructions.RawOffsets counts) within Instructions.
	Insn int
	// Kind is the relocation kind as the kernel UAPI names it
	// (enum bpf_core_relo_kind without the BPF_CORE_ prefix, lower
	// case): "field_byte_offset", "field_exists", "type_size",
	// "enumval_value", ...
	Kind string
	// Target says in C terms what the relocation is about:
	// "struct task_struct.real_parent", "struct xdp_md", or
	// "enum xdp_action::XDP_PASS".
	Target string
	// TypeID is the local BTF type id (in CollectionSpec.BTF) the access
	// starts from, and Access the raw access string ("0:1:3").
	TypeID uint32
	Access string
}

func (r CORERelocation) String() string {
	return fmt.Sprintf("instruction %d: %s of %s (local type %d, access %q)", r.Insn, r.Kind, r.Target, r.TypeID, r.Access)
}

// ErrCORE is wrapped by the error of loading a program that carries CO-RE
// relocations (ProgramSpec.CORERelocations), which purebpf cannot apply
// yet. It is a limitation of purebpf, not of the kernel, so it does not
// match ErrNotSupported.
var ErrCORE = errors.New("CO-RE relocations are not applied by purebpf yet")

// checkCORE refuses a program that carries CO-RE relocations, naming each
// one (up to a few) so that the user sees which accesses are at stake.
func checkCORE(spec *ProgramSpec) error {
	rs := spec.CORERelocations
	if len(rs) == 0 {
		return nil
	}
	const shown = 4
	errs := make([]error, 0, min(len(rs), shown)+1)
	for _, r := range rs[:min(len(rs), shown)] {
		errs = append(errs, errors.New(r.String()))
	}
	if len(rs) > shown {
		errs = append(errs, fmt.Errorf("and %d more CO-RE relocations", len(rs)-shown))
	}
	return fmt.Errorf("load %s: %w: %d relocations would be left as compiled, against the object's own idea of kernel types (wrong wherever this kernel's layout differs):\n%w", spec.describe(), ErrCORE, len(rs), errors.Join(errs...))
}
