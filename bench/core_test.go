package bench

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	ciliumasm "github.com/cilium/ebpf/asm"
	ciliumbtf "github.com/cilium/ebpf/btf"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/elf"
	ib "github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/internal/core"
	"github.com/purebpf/bpf/internal/core/coretest"
	"github.com/purebpf/bpf/internal/testenv"
)

// coreObjects are the committed test objects that have CO-RE records,
// and those of the directories PUREBPF_CORE_OBJECTS lists (separated by
// colons: objects other projects built, *.o and *.elf, of the host's
// byte order), so that the differential test also runs on them.
func coreObjects(t testing.TB) []string {
	files, err := filepath.Glob("../elf/testdata/*.o")
	if err != nil {
		t.Fatal(err)
	}
	committed := len(files)
	for _, dir := range filepath.SplitList(os.Getenv("PUREBPF_CORE_OBJECTS")) {
		for _, pat := range []string{"*.o", "*.elf"} {
			m, _ := filepath.Glob(filepath.Join(dir, pat))
			files = append(files, m...)
		}
	}
	sort.Strings(files)
	var out []string
	for _, f := range files {
		spec, err := elf.Open(f)
		if err != nil {
			if len(files) > committed && !strings.HasPrefix(f, "../elf/testdata/") {
				t.Logf("%s: not parsed, left out: %v", f, err)
				continue
			}
			t.Fatalf("%s: %v", f, err)
		}
		if spec.ByteOrder != nil && spec.ByteOrder.Uint16([]byte{1, 0}) != binary.NativeEndian.Uint16([]byte{1, 0}) {
			continue
		}
		if !strings.HasPrefix(f, "../elf/testdata/") {
			if _, err := ebpf.LoadCollectionSpec(f); err != nil {
				t.Logf("%s: cilium/ebpf cannot parse it, left out: %v", f, err)
				continue
			}
		}
		for _, p := range spec.Programs {
			if len(p.CORERelocations) > 0 {
				out = append(out, f)
				break
			}
		}
	}
	if len(out) < 2 {
		t.Fatalf("only %d objects with CO-RE records: %v", len(out), out)
	}
	return out
}

// coreKindByName maps bpf.CORERelocation.Kind to the UAPI number.
func coreKindByName(t *testing.T, name string) ib.COREKind {
	for k := ib.COREFieldByteOffset; k <= ib.CORETypeMatches; k++ {
		if k.String() == name {
			return k
		}
	}
	t.Fatalf("unknown CO-RE kind %q", name)
	return 0
}

// noTargetMark prefixes a type-based relocation (type_id_target,
// type_size, type_matches) whose type the target lacks: libbpf's
// relo_core.c (bpf_core_calc_type_relo) and purebpf then give 0, while
// cilium/ebpf v0.22.0 poisons the instruction. The comparison accepts
// that one difference and counts it.
const noTargetMark = "no target type, 0 as libbpf: "

// relocated renders the instruction at each relocated raw offset as
// "op dst src off imm", or "poisoned" for an instruction the loader
// replaced by its invalid-call marker (the two loaders mark a poisoned
// LD_IMM64 differently: libbpf's and purebpf's way is two calls,
// cilium/ebpf's an LD_IMM64 of the marker into r10).
type relocated map[int]string

func insnText(op uint8, dst, src uint8, off int16, imm int64) string {
	return fmt.Sprintf("op %#02x dst r%d src r%d off %d imm %d", op, dst, src, off, imm)
}

// purebpfRelocated relocates every program of spec with the engine
// NewProgram uses, the way NewProgram calls it.
func purebpfRelocated(t *testing.T, spec *bpf.CollectionSpec, target *ib.Spec) map[string]relocated {
	out := map[string]relocated{}
	for name, p := range spec.Programs {
		if len(p.CORERelocations) == 0 {
			continue
		}
		local, ok := ib.FromPublic(p.BTF)
		if !ok {
			t.Fatalf("%s: no ProgramSpec.BTF", name)
		}
		relos := make([]core.Relo, len(p.CORERelocations))
		for i, r := range p.CORERelocations {
			relos[i] = core.Relo{Insn: r.Insn, Type: ib.TypeID(r.TypeID), Access: r.Access, Kind: coreKindByName(t, r.Kind)}
		}
		insns, _, err := core.Relocate(local, relos, []*ib.Spec{target}, append(asm.Instructions(nil), p.Instructions...))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rel := relocated{}
		for _, r := range p.CORERelocations {
			i, ok := insns.IndexOfRaw(r.Insn)
			if !ok {
				t.Fatalf("%s: raw %d", name, r.Insn)
			}
			ins := insns[i]
			noTarget := false
			switch k := coreKindByName(t, r.Kind); k {
			case ib.CORETypeIDTarget, ib.CORETypeSize, ib.CORETypeMatches:
				f, err := core.Calculate(local, core.Relo{Insn: r.Insn, Type: ib.TypeID(r.TypeID), Access: r.Access, Kind: k}, []*ib.Spec{target})
				noTarget = err == nil && !f.Poison && f.Target == 0
			}
			if noTarget {
				rel[r.Insn] = noTargetMark + insnText(uint8(ins.OpCode), uint8(ins.Dst), uint8(ins.Src), ins.Offset, ins.Constant)
				continue
			}
			if core.IsPoison(ins) {
				rel[r.Insn] = "poisoned"
				continue
			}
			rel[r.Insn] = insnText(uint8(ins.OpCode), uint8(ins.Dst), uint8(ins.Src), ins.Offset, ins.Constant)
		}
		out[name] = rel
	}
	return out
}

// ciliumRelocated relocates every program of the object with
// cilium/ebpf's btf.CORERelocate and COREFixup.Apply, as its
// NewProgram does, except that local type ids are the object's own
// (purebpf loads the object's BTF as it is; cilium/ebpf builds new BTF
// for each program, whose ids would differ for reasons unrelated to
// CO-RE).
func ciliumRelocated(t *testing.T, obj string, target *ciliumbtf.Spec) map[string]relocated {
	cs, err := ebpf.LoadCollectionSpec(obj)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]relocated{}
	for name, p := range cs.Programs {
		insns := append(ciliumasm.Instructions(nil), p.Instructions...)
		var relos []*ciliumbtf.CORERelocation
		var at []int // instruction index
		var raw []int
		iter := insns.Iterate()
		for iter.Next() {
			if r := ciliumbtf.CORERelocationMetadata(iter.Ins); r != nil {
				relos = append(relos, r)
				at = append(at, iter.Index)
				raw = append(raw, int(iter.Offset))
			}
		}
		if len(relos) == 0 {
			continue
		}
		fixups, err := ciliumbtf.CORERelocate(relos, []*ciliumbtf.Spec{target}, binary.LittleEndian, cs.Types.TypeID)
		if err != nil {
			t.Fatalf("cilium: %s: %v", name, err)
		}
		rel := relocated{}
		for i, f := range fixups {
			ins := &insns[at[i]]
			if err := f.Apply(ins); err != nil {
				t.Fatalf("cilium: %s: %v", name, err)
			}
			if ins.Constant == ciliumbtf.COREBadRelocationSentinel && (ins.OpCode.JumpOp() == ciliumasm.Call || ins.OpCode.IsDWordLoad() && ins.Dst == ciliumasm.R10) {
				rel[raw[i]] = "poisoned"
				continue
			}
			rel[raw[i]] = insnText(uint8(ins.OpCode), uint8(ins.Dst), uint8(ins.Src), ins.Offset, ins.Constant)
		}
		out[name] = rel
	}
	return out
}

// TestCOREDifferential: for every committed object with CO-RE records,
// the instructions purebpf relocates are identical to cilium/ebpf's
// v0.22.0, against this kernel's BTF and against the synthetic "other
// kernel" of the package bpf tests (fields moved, a flavoured type name,
// a field missing, bitfields shifted, enum values changed). Neither
// loader touches the other instructions.
func TestCOREDifferential(t *testing.T) {
	kernel, err := ib.Kernel()
	if err != nil {
		testenv.Skip(t, "kernel BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF, Linux 5.4+): "+err.Error())
	}
	ckernel, err := ciliumbtf.LoadKernelSpec()
	if err != nil {
		t.Fatal(err)
	}
	raw := coretest.OtherKernel()
	other, err := ib.Parse(raw, binary.NativeEndian)
	if err != nil {
		t.Fatal(err)
	}
	cother, err := ciliumbtf.LoadSpecFromReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	targets := []struct {
		name   string
		ours   *ib.Spec
		theirs *ciliumbtf.Spec
	}{{"this kernel", kernel, ckernel}, {"synthetic kernel", other, cother}}
	for _, obj := range coreObjects(t) {
		spec, err := elf.Open(obj)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range targets {
			t.Run(filepath.Base(obj)+"/"+tg.name, func(t *testing.T) {
				ours := purebpfRelocated(t, spec, tg.ours)
				theirs := ciliumRelocated(t, obj, tg.theirs)
				for name := range ours {
					// A .text function nothing calls is an entry
					// point for purebpf, nothing for cilium/ebpf.
					if _, ok := theirs[name]; !ok && spec.Programs[name].Section == ".text" {
						t.Logf("%s: a .text function cilium/ebpf does not load as a program, left out", name)
						delete(ours, name)
					}
				}
				if len(ours) != len(theirs) {
					t.Fatalf("programs with relocations: purebpf %d, cilium %d", len(ours), len(theirs))
				}
				n, poisoned, libbpfRule := 0, 0, 0
				for name, o := range ours {
					c := theirs[name]
					if len(o) != len(c) {
						t.Errorf("%s: purebpf relocates %d instructions, cilium %d", name, len(o), len(c))
					}
					for raw, text := range o {
						n++
						if text == "poisoned" {
							poisoned++
						}
						if strings.HasPrefix(text, noTargetMark) && c[raw] == "poisoned" {
							libbpfRule++
							continue
						}
						if c[raw] != strings.TrimPrefix(text, noTargetMark) {
							t.Errorf("%s: raw instruction %d: purebpf %s, cilium %s", name, raw, text, c[raw])
						}
					}
				}
				t.Logf("%d relocated instructions identical (%d poisoned); %d type-based relocations without a target type are 0 (libbpf's rule) where cilium/ebpf poisons them", n-libbpfRule, poisoned, libbpfRule)
			})
		}
	}
}

// BenchmarkCORENewCollection compares NewCollection of core_kinds.o (18
// programs' worth of CO-RE relocations against this kernel's BTF, three
// XDP programs, two maps) and Close: purebpf, which reads the kernel's
// BTF once per process, against cilium/ebpf as users call it (it reads
// the kernel's BTF again for every collection) and given the kernel's
// types loaded once (KernelTypes), which leaves the relocation and load
// work on both sides.
func BenchmarkCORENewCollection(b *testing.B) {
	testenv.RequirePrivileged(b)
	const obj = "../elf/testdata/core_kinds.o"
	spec, err := elf.Open(obj)
	if err != nil {
		b.Fatal(err)
	}
	// core_unguarded reads a field this kernel lacks: both refuse it.
	delete(spec.Programs, "core_unguarded")
	cs, err := ebpf.LoadCollectionSpec(obj)
	if err != nil {
		b.Fatal(err)
	}
	delete(cs.Programs, "core_unguarded")
	// cilium/ebpf v0.22.0 reads the kernel's BTF again on every
	// NewCollection unless given it: the "cilium-kerneltypes" variant
	// hands it the kernel's types loaded once, as purebpf keeps them.
	kernelTypes, err := ciliumbtf.LoadKernelSpec()
	if err != nil {
		b.Fatal(err)
	}
	runVariants(b, []variant{
		{"purebpf", func() error {
			c, err := bpf.NewCollection(spec)
			if err != nil {
				return err
			}
			return c.Close()
		}},
		{"cilium", func() error {
			c, err := ebpf.NewCollection(cs)
			if err != nil {
				return err
			}
			c.Close()
			return nil
		}},
		{"cilium-kerneltypes", func() error {
			c, err := ebpf.NewCollectionWithOptions(cs, ebpf.CollectionOptions{Programs: ebpf.ProgramOptions{KernelTypes: kernelTypes}})
			if err != nil {
				return err
			}
			c.Close()
			return nil
		}},
	})
}
