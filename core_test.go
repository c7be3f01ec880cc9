package bpf_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/check"
	"github.com/purebpf/bpf/elf"
	ib "github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/internal/core/coretest"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
)

// TestCORENoLocalBTF: relocations without the object's types to
// interpret them are refused before the kernel sees the program (no
// privileges needed), naming the program, and not as ErrNotSupported.
func TestCORENoLocalBTF(t *testing.T) {
	spec := &bpf.ProgramSpec{
		Name: "reads_parent", Type: bpf.Kprobe, License: "GPL",
		Instructions: asm.Instructions{
			asm.LoadMem(asm.R0, asm.R1, 2552, asm.DWord),
			asm.Mov.Imm(asm.R0, 0),
			asm.Return(),
		},
		CORERelocations: []bpf.CORERelocation{{
			Insn: 0, Kind: "field_byte_offset", Target: "struct task_struct.real_parent", TypeID: 7, Access: "0:57",
		}},
	}
	_, err := bpf.NewProgram(spec)
	if !errors.Is(err, bpf.ErrCORE) || errors.Is(err, bpf.ErrNotSupported) {
		t.Fatalf("NewProgram = %v, want ErrCORE (and not ErrNotSupported)", err)
	}
	for _, want := range []string{"program reads_parent", "no local BTF"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	// Copy keeps the relocations (and does not share them).
	c := spec.Copy()
	c.CORERelocations[0].Insn = 9
	if spec.CORERelocations[0].Insn != 0 {
		t.Error("Copy shares the CO-RE relocations with the original")
	}
}

// TestCOREObject: core.o's xdp_core is relocated for this kernel: struct
// xdp_md is 24 bytes here, 16 in the object's flavour, and the program
// adds that size to the packet length, so a 40-byte packet passes only
// if type_size was relocated. The spec is not modified, and Verify
// relocates too.
func TestCOREObject(t *testing.T) {
	kernelBTF(t)
	spec, err := elf.Open("elf/testdata/core.o")
	if err != nil {
		t.Fatal(err)
	}
	if err := check.Collection(spec, check.Options{}); err != nil {
		t.Errorf("Verify: %v", err)
	}
	before := spec.Programs["xdp_core"].Copy()
	testenv.RequirePrivileged(t)
	coll, err := bpf.NewCollection(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer coll.Close()
	if got := spec.Programs["xdp_core"].Instructions; !equalInsns(got, before.Instructions) {
		t.Error("NewCollection modified the spec's instructions")
	}
	for _, tt := range []struct {
		size int
		want bpf.XDPAction
	}{{40, bpf.XDPPass}, {30, bpf.XDPDrop}} {
		res, err := coll.Programs["xdp_core"].Run(bpf.RunOptions{Data: make([]byte, tt.size)})
		if err != nil {
			t.Fatal(err)
		}
		if got := bpf.XDPAction(res.ReturnValue); got != tt.want {
			t.Errorf("xdp_core on %d bytes: %v, want %v", tt.size, got, tt.want)
		}
	}
}

func equalInsns(a, b asm.Instructions) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// kernelBTF returns the running kernel's BTF, skipping without it.
func kernelBTF(t *testing.T) *ib.Spec {
	t.Helper()
	k, err := ib.Kernel()
	if err != nil {
		testenv.Skip(t, "kernel BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF, Linux 5.4+): "+err.Error())
	}
	return k
}

// coreKinds loads core_kinds.o's programs except core_unguarded (with
// kernelTypes, or against the running kernel when nil), runs
// core_values and core_blob_read with blob in the "blob" map, and
// returns the "values" map and the collection.
func coreKinds(t *testing.T, spec *bpf.CollectionSpec, kernelTypes *btf.Spec, blob []byte) (map[uint32]uint64, *bpf.Collection) {
	t.Helper()
	spec = spec.Copy()
	delete(spec.Programs, "core_unguarded")
	coll, err := bpf.NewCollectionWithOptions(spec, bpf.CollectionOptions{Programs: bpf.ProgramOptions{KernelTypes: kernelTypes}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { coll.Close() })
	if err := coll.Maps["blob"].Update(uint32(0), blob, maps.UpdateAny); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"core_values", "core_blob_read"} {
		res, err := coll.Programs[p].Run(bpf.RunOptions{Data: make([]byte, 64)})
		if err != nil {
			t.Fatal(err)
		}
		if bpf.XDPAction(res.ReturnValue) != bpf.XDPPass {
			t.Fatalf("%s returned %d", p, res.ReturnValue)
		}
	}
	vals := map[uint32]uint64{}
	for i := uint32(0); i < 32; i++ {
		var v uint64
		if err := coll.Maps["values"].Lookup(i, &v); err != nil {
			t.Fatal(err)
		}
		vals[i] = v
	}
	return vals, coll
}

// checkValues compares the "values" slots with want.
func checkValues(t *testing.T, got map[uint32]uint64, want map[uint32]uint64, what map[uint32]string) {
	t.Helper()
	for i, w := range want {
		if got[i] != w {
			t.Errorf("values[%d] (%s) = %#x, want %#x", i, what[i], got[i], w)
		}
	}
}

// valueNames says what core_kinds.c stores in each slot.
var valueNames = map[uint32]string{
	0: "field_byte_offset task_struct.real_parent", 1: "field_byte_size task_struct.comm",
	2: "field_exists task_struct___mine.real_parent", 3: "field_exists task_struct___mine.no_such_field",
	4: "field_signed task_struct.pid", 5: "field_signed task_struct.flags",
	6: "type_exists task_struct", 7: "type_exists core_blob", 8: "type_size task_struct",
	9: "type_id_local task_struct", 10: "type_id_target task_struct",
	11: "enumval_exists XDP_TX___mine", 12: "enumval_exists XDP_NOPE___mine", 13: "enumval_value XDP_REDIRECT",
	14: "field_byte_offset task_struct___mine.pid", 15: "field_byte_size sk_buff.pkt_type",
	16: "field_lshift_u64 sk_buff.pkt_type", 17: "field_rshift_u64 sk_buff.pkt_type", 18: "field_byte_offset sk_buff.pkt_type",
	19: "type_exists xdp_md",
	20: "core_blob.a (direct load)", 21: "core_blob.b", 22: "core_blob.c", 23: "bitfield bf_u", 24: "bitfield bf_s",
	25: "bitfield bf_s (probe read)", 26: "BPF_CORE_READ core_blob.b",
}

// localTypeID is the object's type id a relocation of prog at slot
// starts from.
func localTypeID(t *testing.T, spec *bpf.CollectionSpec, prog, target string) uint64 {
	for _, r := range spec.Programs[prog].CORERelocations {
		if r.Target == target && r.Kind == "type_id_local" {
			return uint64(r.TypeID)
		}
	}
	t.Fatalf("%s has no type_id_local relocation of %s", prog, target)
	return 0
}

// TestCOREKindsThisKernel runs core_kinds.o against the running kernel's
// BTF and compares each stored value with the kernel's types as the BTF
// reader (not the CO-RE engine) finds them.
func TestCOREKindsThisKernel(t *testing.T) {
	k := kernelBTF(t)
	spec, err := elf.Open("elf/testdata/core_kinds.o")
	if err != nil {
		t.Fatal(err)
	}
	task, ok := k.Named(ib.KindStruct, "task_struct")
	if !ok {
		t.Fatal("no struct task_struct in the kernel's BTF")
	}
	skb, _ := k.Named(ib.KindStruct, "sk_buff")
	field := func(t0 ib.Type, path string) ib.Field {
		f, err := k.Field(t0, path)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	size := func(id ib.TypeID) uint64 {
		n, err := k.Sizeof(id)
		if err != nil {
			t.Fatal(err)
		}
		return uint64(n)
	}
	signed := func(id ib.TypeID) uint64 {
		it, _ := k.Skip(id)
		if info, err := k.Int(it); err == nil && info.Encoding&ib.IntSigned != 0 {
			return 1
		}
		return 0
	}
	pkt := field(skb, "pkt_type")
	pktByte := pkt.BitOffset / 8
	want := map[uint32]uint64{
		0: uint64(field(task, "real_parent").BitOffset / 8), 1: size(field(task, "comm").Type),
		2: 1, 3: 0, 4: signed(field(task, "pid").Type), 5: signed(field(task, "flags").Type),
		6: 1, 7: 0, 8: uint64(task.SizeOrType),
		9: localTypeID(t, spec, "core_values", "struct task_struct"), 10: uint64(task.ID),
		11: 1, 12: 0, 13: 4, 14: uint64(field(task, "pid").BitOffset / 8),
		15: 1, 16: uint64(64 - (pkt.BitOffset + pkt.BitfieldSize - pktByte*8)), 17: uint64(64 - pkt.BitfieldSize), 18: uint64(pktByte), 19: 1,
		20: 0xdead, // core_blob is not a kernel type: only the guard ran
	}
	// Verify relocates for this kernel too: only the unguarded read of
	// core_blob (not a kernel type) is rejected, naming the relocation.
	err = check.Collection(spec, check.Options{})
	if !errors.Is(err, bpf.ErrCORE) || !strings.Contains(err.Error(), "verify program core_unguarded") ||
		!strings.Contains(err.Error(), "instruction 8: field_byte_offset of struct core_blob.gone: no type core_blob in the kernel's BTF") {
		t.Errorf("Verify = %v, want ErrCORE naming core_unguarded's relocation", err)
	}
	for _, p := range []string{"core_values", "core_blob_read", "core_guarded"} {
		if err != nil && strings.Contains(err.Error(), p) {
			t.Errorf("Verify rejects %s: %v", p, err)
		}
	}

	testenv.RequirePrivileged(t)
	got, coll := coreKinds(t, spec, nil, make([]byte, 64))
	checkValues(t, got, want, valueNames)

	res, err := coll.Programs["core_guarded"].Run(bpf.RunOptions{Data: make([]byte, 64)})
	if err != nil || res.ReturnValue != 7 {
		t.Errorf("core_guarded = %v, %v; want 7 (the poisoned load is dead code)", res.ReturnValue, err)
	}
	_, err = bpf.NewProgramWithOptions(spec.Programs["core_unguarded"], bpf.ProgramOptions{Maps: map[string]bpf.MapFD{"blob": coll.Maps["blob"]}})
	wantPoisoned(t, err, "instruction 8: field_byte_offset of struct core_blob.gone: no type core_blob in the kernel's BTF")

	// type_matches: clang 14 cannot emit it, so relabel the type_exists
	// record of xdp_md; the object's xdp_md is this kernel's.
	if got := typeMatches(t, spec, nil); got != 1 {
		t.Errorf("type_matches xdp_md on this kernel = %d, want 1", got)
	}
}

// typeMatches relabels core_values' type_exists relocation of xdp_md
// as type_matches, loads and runs it, and returns slot 19.
func typeMatches(t *testing.T, spec *bpf.CollectionSpec, kernelTypes *btf.Spec) uint64 {
	t.Helper()
	spec = spec.Copy()
	p := spec.Programs["core_values"].Copy()
	spec.Programs = map[string]*bpf.ProgramSpec{"core_values": p}
	found := false
	for i, r := range p.CORERelocations {
		if r.Kind == "type_exists" && r.Target == "struct xdp_md" {
			p.CORERelocations[i].Kind = "type_matches"
			found = true
		}
	}
	if !found {
		t.Fatal("core_values has no type_exists relocation of xdp_md")
	}
	coll, err := bpf.NewCollectionWithOptions(spec, bpf.CollectionOptions{Programs: bpf.ProgramOptions{KernelTypes: kernelTypes}})
	if err != nil {
		t.Fatal(err)
	}
	defer coll.Close()
	if _, err := coll.Programs["core_values"].Run(bpf.RunOptions{Data: make([]byte, 64)}); err != nil {
		t.Fatal(err)
	}
	var v uint64
	if err := coll.Maps["values"].Lookup(uint32(19), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func wantPoisoned(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, bpf.ErrCORE) || !strings.Contains(err.Error(), what) || !strings.Contains(err.Error(), "program core_unguarded") {
		t.Errorf("loading core_unguarded: %v\nwant ErrCORE naming the program and %q", err, what)
	}
}

// otherKernel parses coretest.OtherKernel as public BTF.
func otherKernel(t *testing.T) (*btf.Spec, ib.TypeID) {
	s, err := btf.Parse(coretest.OtherKernel())
	if err != nil {
		t.Fatal(err)
	}
	return s, coretest.TaskStruct
}

// TestCOREKindsOtherKernel applies core_kinds.o's relocations to the
// synthetic kernel (KernelTypes): every stored value is the synthetic
// layout's, the blob is read at its moved offsets and shifted bitfields,
// and the unguarded read of the missing field fails naming it.
func TestCOREKindsOtherKernel(t *testing.T) {
	other, task := otherKernel(t)
	spec, err := elf.Open("elf/testdata/core_kinds.o")
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint32]uint64{
		0: 40, 1: 32, 2: 1, 3: 0, 4: 1, 5: 1, 6: 1, 7: 1, 8: 96,
		9: localTypeID(t, spec, "core_values", "struct task_struct"), 10: uint64(task),
		11: 1, 12: 0, 13: 40, 14: 48,
		15: 1, 16: 64 - (37 + 3 - 32), 17: 61, 18: 4, 19: 1,
		20: 0x11111111, 21: 0x22, 22: 0x3333333344444444, 23: 21,
		24: 0xfffffffffffffffd, 25: 0xfffffffffffffffd, 26: 0x22,
	}
	testenv.RequirePrivileged(t)
	got, coll := coreKinds(t, spec, other, coretest.OtherBlob())
	checkValues(t, got, want, valueNames)

	res, err := coll.Programs["core_guarded"].Run(bpf.RunOptions{Data: make([]byte, 64)})
	if err != nil || res.ReturnValue != 7 {
		t.Errorf("core_guarded = %v, %v; want 7 (gone is missing)", res.ReturnValue, err)
	}
	_, err = bpf.NewProgramWithOptions(spec.Programs["core_unguarded"], bpf.ProgramOptions{
		Maps: map[string]bpf.MapFD{"blob": coll.Maps["blob"]}, KernelTypes: other,
	})
	wantPoisoned(t, err, "instruction 8: field_byte_offset of struct core_blob.gone: no such field in the kernel's BTF")

	if got := typeMatches(t, spec, other); got != 0 {
		t.Errorf("type_matches xdp_md on the synthetic kernel = %d, want 0 (members missing)", got)
	}
}
