package elf

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/btf"
)

// either stands for "a kfunc call or a PseudoBTFID load" (a kfunc both
// called and tested with bpf_ksym_exists).
const either = asm.Register(0xff)

// TestExterns checks what the parser makes of each kind of extern: the
// program's Externs, and how its instructions refer to them.
func TestExterns(t *testing.T) {
	spec, err := Open("testdata/externs.o")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		prog string
		// name kind weak typed kconfig-encoding size
		externs []string
		// Instruction forms: reference, src register.
		refs map[string]asm.Register
	}{
		{"kconfig", []string{
			"CONFIG_BPF_JIT kconfig false false 2 1",
			"CONFIG_BPF_SYSCALL kconfig false false 3 4",
			"CONFIG_DEFAULT_HOSTNAME kconfig false false 5 16",
			"CONFIG_HZ kconfig false false 1 4",
			"CONFIG_NET kconfig true false 4 1",
			"CONFIG_PUREBPF_ABSENT kconfig true false 1 8",
			"LINUX_HAS_BPF_COOKIE kconfig false false 2 1",
			"LINUX_HAS_SYSCALL_WRAPPER kconfig false false 2 1",
			"LINUX_KERNEL_VERSION kconfig false false 1 4",
		}, map[string]asm.Register{bpf.KconfigMap: asm.PseudoMapValue, "results": asm.PseudoMapFD}},
		{"ksyms", []string{
			"_stext ksym false false 0 0",
			"purebpf_absent_symbol ksym true false 0 0",
		}, map[string]asm.Register{"_stext": asm.PseudoBTFID, "purebpf_absent_symbol": asm.PseudoBTFID, "results": asm.PseudoMapFD}},
		{"typed_ksym", []string{
			"bpf_prog_active ksym false true 0 0",
		}, map[string]asm.Register{"bpf_prog_active": asm.PseudoBTFID, "results": asm.PseudoMapFD}},
		{"kfuncs", []string{
			"bpf_rcu_read_lock kfunc false false 0 0",
			"bpf_rcu_read_unlock kfunc true false 0 0",
			"purebpf_absent_kfunc kfunc true false 0 0",
		}, map[string]asm.Register{"bpf_rcu_read_lock": asm.PseudoKfuncCall, "bpf_rcu_read_unlock": either, "purebpf_absent_kfunc": either, "results": asm.PseudoMapFD}},
	}
	for _, tt := range tests {
		t.Run(tt.prog, func(t *testing.T) {
			p := spec.Programs[tt.prog]
			if p == nil {
				t.Fatalf("no program %s", tt.prog)
			}
			var got []string
			for _, e := range p.Externs {
				got = append(got, fmt.Sprintf("%s %s %v %v %d %d", e.Name, e.Kind, e.Weak, e.Typed, e.Kconfig, e.Size))
			}
			if !slices.Equal(got, tt.externs) {
				t.Errorf("externs\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.externs, "\n"))
			}
			seen := map[string]bool{}
			for _, ins := range p.Instructions {
				ref := ins.Reference()
				if ref == "" || ins.IsJump() {
					continue
				}
				want, ok := tt.refs[ref]
				if !ok {
					t.Errorf("unexpected reference %v -> %s", ins, ref)
					continue
				}
				seen[ref] = true
				switch {
				case want != either && ins.Src != want:
					t.Errorf("%v -> %s: src %d, want %d", ins, ref, ins.Src, want)
				case want == either && ins.Src != asm.PseudoKfuncCall && ins.Src != asm.PseudoBTFID:
					t.Errorf("%v -> %s: src %d, want a kfunc call or a PseudoBTFID load", ins, ref, ins.Src)
				}
			}
			for ref := range tt.refs {
				if !seen[ref] {
					t.Errorf("no reference to %s", ref)
				}
			}
		})
	}
	ms := spec.Maps[bpf.KconfigMap]
	if ms == nil || ms.ValueSize != 40 || ms.MaxEntries != 1 {
		t.Fatalf("kconfig map %+v, want one 40-byte value", ms)
	}
	// The kconfig values do not overlap and fit the map value.
	var ends []uint32
	for _, e := range spec.Programs["kconfig"].Externs {
		if e.Offset+e.Size > ms.ValueSize {
			t.Errorf("%s at [%d,+%d) outside the value", e.Name, e.Offset, e.Size)
		}
		for _, o := range spec.Programs["kconfig"].Externs {
			if o != e && e.Offset < o.Offset+o.Size && o.Offset < e.Offset+e.Size {
				t.Errorf("%s and %s overlap", e.Name, o.Name)
			}
		}
		ends = append(ends, e.Offset+e.Size)
	}
	if slices.Max(ends) != ms.ValueSize {
		t.Errorf("value size %d, last kconfig value ends at %d", ms.ValueSize, slices.Max(ends))
	}
}

// TestExternBTF checks that the BTF given to the kernel has no extern
// linkage left, no function in a datasec and the kconfig offsets.
func TestExternBTF(t *testing.T) {
	spec, err := Open("testdata/externs.o")
	if err != nil {
		t.Fatal(err)
	}
	b, ok := btf.FromPublic(spec.BTF)
	if !ok {
		t.Fatal("externs.o: no BTF")
	}
	offsets := map[string]uint32{}
	for _, e := range spec.Programs["kconfig"].Externs {
		offsets[e.Name] = e.Offset
	}
	for id := btf.TypeID(1); int(id) <= b.NumTypes(); id++ {
		typ, err := b.Type(id)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := b.Name(typ)
		switch typ.Kind {
		case btf.KindFunc:
			if typ.Vlen > 1 {
				t.Errorf("func %s has linkage %d", name, typ.Vlen)
			}
		case btf.KindDatasec:
			for i := range typ.Vlen {
				m, _ := b.Member(typ, i)
				vt, _ := b.Type(m.Type)
				vn, _ := b.Name(vt)
				if vt.Kind != btf.KindVar {
					t.Errorf("datasec %s holds %s %s", name, vt.Kind, vn)
				}
				if name == ".kconfig" && m.Offset != offsets[vn] {
					t.Errorf(".kconfig %s at %d, want %d", vn, m.Offset, offsets[vn])
				}
			}
		}
	}
}

// TestExternErrors checks refusals of malformed extern references.
func TestExternErrors(t *testing.T) {
	o := &object{externs: &externTable{byName: map[string]*bpf.Extern{
		"CONFIG_X": {Name: "CONFIG_X", Kind: bpf.ExternKconfig, Size: 4},
		"k":        {Name: "k", Kind: bpf.ExternKsym},
	}}, syms: []symbol{{}, {name: "CONFIG_X"}, {name: "k"}, {name: "nobody"}}}
	fn := &function{name: "f"}
	tests := []struct {
		name string
		ins  asm.Instruction
		r    relocation
		want string
	}{
		{"kconfig past its bytes", asm.LoadImm64(asm.R1, 8), relocation{sym: 1, typ: rBPF64_64}, "outside its 4 bytes"},
		{"call of a variable", asm.Instruction{OpCode: asm.CallOpCode, Src: asm.PseudoCall, Constant: -1}, relocation{sym: 2, typ: rBPF64_32}, "not a function"},
		{"wrong type on call", asm.Instruction{OpCode: asm.CallOpCode, Src: asm.PseudoCall, Constant: -1}, relocation{sym: 2, typ: rBPF64_64}, "R_BPF_64_64"},
		{"unknown symbol", asm.LoadImm64(asm.R1, 0), relocation{sym: 3, typ: rBPF64_64}, "undefined symbol nobody"},
		{"pseudo src", asm.LoadMapPtr(asm.R1, "m"), relocation{sym: 2, typ: rBPF64_64}, "pseudo source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ins := tt.ins
			err := o.externReference(fn, &ins, tt.r)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
