package bpf

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/btf"
	ib "github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/internal/core"
	"github.com/purebpf/bpf/verifier"
)

// CORERelocation is a CO-RE ("compile once, run everywhere") relocation
// that clang recorded for one instruction of a program in the object's
// .BTF.ext: the instruction was compiled against the object's idea of a
// kernel type (ProgramSpec.BTF), and the loader rewrites it (a field
// offset, a size, an existence test, an enum value) for the kernel it
// runs on.
//
// NewProgramWithOptions applies them, as libbpf does, to a copy of the
// instructions against the running kernel's BTF or
// ProgramOptions.KernelTypes. A relocation whose field, type or enum
// value the kernel lacks (and that is not an existence test) turns its
// instruction into an invalid helper call: the program still loads if
// that instruction is unreachable (guarded by an existence test), and
// otherwise fails with an error wrapping ErrCORE that names the
// relocation. Records that cannot be applied at all (ambiguous
// candidates, an instruction that does not hold the value the record
// says) fail the load with ErrCORE.
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
	// TypeID is the local BTF type id (in ProgramSpec.BTF, the object's
	// .BTF) the access starts from, and Access the raw access string
	// ("0:1:3").
	TypeID btf.TypeID
	Access string
}

// String describes the relocation for messages: its instruction, kind,
// target in C terms, local type id and access string.
func (r CORERelocation) String() string {
	return fmt.Sprintf("instruction %d: %s of %s (local type %d, access %q)", r.Insn, r.Kind, r.Target, r.TypeID, r.Access)
}

// ErrCORE is wrapped by the error of loading (or verifying) a program
// whose CO-RE relocations (ProgramSpec.CORERelocations) cannot be applied:
// no BTF for the running kernel, a relocation the kernel's types cannot
// satisfy on a reachable instruction, an ambiguous or malformed record.
// It does not match ErrNotSupported.
var ErrCORE = errors.New("CO-RE relocation cannot be applied")

// coreKinds maps CORERelocation.Kind back to the UAPI number.
// Built on first use, not when a program linking the package starts.
var coreKinds = sync.OnceValue(func() map[string]ib.COREKind {
	m := map[string]ib.COREKind{}
	for k := ib.COREFieldByteOffset; k <= ib.CORETypeMatches; k++ {
		m[k.String()] = k
	}
	return m
})

// coreTargets returns the kernel types CO-RE relocations are applied
// against: the caller's, or the running kernel's BTF.
func coreTargets(spec *ProgramSpec, kernelTypes *btf.Spec) ([]*ib.Spec, error) {
	if kernelTypes != nil {
		s, ok := ib.FromPublic(kernelTypes)
		if !ok || s == nil {
			return nil, fmt.Errorf("%s: %w: KernelTypes holds no types", spec.describe(), ErrCORE)
		}
		return []*ib.Spec{s}, nil
	}
	s, err := ib.Kernel()
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %d relocations need the running kernel's BTF (%s, CONFIG_DEBUG_INFO_BTF, Linux 5.4+) or KernelTypes: %w", spec.describe(), ErrCORE, len(spec.CORERelocations), ib.VmlinuxPath, err)
	}
	// Modules are searched after vmlinux, as libbpf does: the engine
	// looks at them only for types vmlinux does not have.
	mods, err := kernelModuleBTFs()
	if err != nil {
		return nil, fmt.Errorf("%s: %w: module BTF: %w", spec.describe(), ErrCORE, err)
	}
	targets := []*ib.Spec{s}
	for _, m := range mods {
		targets = append(targets, m.spec)
	}
	return targets, nil
}

// relocateCORE returns spec itself when it has no CO-RE relocations, or
// a shallow copy whose instructions are relocated for kernelTypes (nil:
// the running kernel), with the fixups of the relocations that poisoned
// their instruction. spec is not modified.
func relocateCORE(spec *ProgramSpec, kernelTypes *btf.Spec) (*ProgramSpec, []core.Fixup, error) {
	if len(spec.CORERelocations) == 0 {
		return spec, nil, nil
	}
	local, ok := ib.FromPublic(spec.BTF)
	if !ok {
		return nil, nil, fmt.Errorf("%s: %w: %d relocations but no local BTF (ProgramSpec.BTF) to interpret them", spec.describe(), ErrCORE, len(spec.CORERelocations))
	}
	targets, err := coreTargets(spec, kernelTypes)
	if err != nil {
		return nil, nil, err
	}
	relos := make([]core.Relo, len(spec.CORERelocations))
	for i, r := range spec.CORERelocations {
		k, ok := coreKinds()[r.Kind]
		if !ok {
			return nil, nil, fmt.Errorf("%s: %w: %v: unknown kind", spec.describe(), ErrCORE, r)
		}
		relos[i] = core.Relo{Insn: r.Insn, Type: ib.TypeID(r.TypeID), Access: r.Access, Kind: k}
	}
	insns, fixups, err := core.Relocate(local, relos, targets, append(asm.Instructions(nil), spec.Instructions...))
	if err != nil {
		var ce *core.Error
		if errors.As(err, &ce) {
			for _, r := range spec.CORERelocations {
				if r.Insn == ce.Relo.Insn && r.Access == ce.Relo.Access && coreKinds()[r.Kind] == ce.Relo.Kind {
					return nil, nil, fmt.Errorf("%s: %w: instruction %d: %s of %s: %w", spec.describe(), ErrCORE, r.Insn, r.Kind, r.Target, ce.Err)
				}
			}
		}
		return nil, nil, fmt.Errorf("%s: %w: %w", spec.describe(), ErrCORE, err)
	}
	var poisoned []core.Fixup
	for _, f := range fixups {
		if f.Poison {
			poisoned = append(poisoned, f)
		}
	}
	c := *spec
	c.Instructions = insns
	return &c, poisoned, nil
}

// poisonedError turns the verifier's rejection of a poisoned instruction
// ("invalid func unknown#195896080") into an error naming the CO-RE
// relocation behind it, or returns nil if verr is about something else.
func poisonedError(verb string, spec *ProgramSpec, poisoned []core.Fixup, verr *verifier.Error) error {
	if len(poisoned) == 0 || verr == nil || !strings.Contains(verr.Message+" "+verr.Instruction, fmt.Sprint(core.PoisonImm)) {
		return nil
	}
	var hit []core.Fixup
	for _, f := range poisoned {
		if f.Relo.Insn == verr.Index {
			hit = append(hit, f)
		}
	}
	if len(hit) == 0 {
		hit = poisoned
	}
	errs := make([]error, 0, len(hit))
	for _, f := range hit {
		errs = append(errs, fmt.Errorf("instruction %d: %s of %s: %s", f.Relo.Insn, f.Relo.Kind, describeRelo(spec, f.Relo), f.Reason))
	}
	return fmt.Errorf("%s %s: %w: the verifier reached an instruction whose relocation failed:\n%w\n(%w)", verb, spec.describe(), ErrCORE, errors.Join(errs...), unnamed{verr})
}

// describeRelo finds the C description elf recorded for r.
func describeRelo(spec *ProgramSpec, r core.Relo) string {
	for _, c := range spec.CORERelocations {
		if c.Insn == r.Insn && c.Access == r.Access && coreKinds()[c.Kind] == r.Kind {
			return c.Target
		}
	}
	return fmt.Sprintf("type %d (access %q)", r.Type, r.Access)
}
