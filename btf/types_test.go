package btf_test

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/purebpf/bpf/btf"
)

var orders = []binary.ByteOrder{binary.LittleEndian, binary.BigEndian}

// everyKind is one type of every kind, in the order a Builder adds them
// (ids 1..): the references between them are to earlier ids or forward.
func everyKind() []btf.Type {
	return []btf.Type{
		/* 1 */ &btf.Int{Name: "int", Size: 4, Encoding: btf.IntSigned, Bits: 32},
		/* 2 */ &btf.Int{Name: "_Bool", Size: 1, Encoding: btf.IntBool, Bits: 8},
		/* 3 */ &btf.Int{Name: "char", Size: 1, Encoding: btf.IntChar | btf.IntSigned, Bits: 8},
		/* 4 */ &btf.Pointer{Target: 6},
		/* 5 */ &btf.Array{Type: 3, Index: 1, Nelems: 16},
		/* 6 */ &btf.Struct{Name: "task", Size: 32, Members: []btf.Member{
			{Name: "pid", Type: 1},
			{Name: "flags", Type: 1, BitOffset: 32, BitfieldSize: 3},
			{Name: "mode", Type: 1, BitOffset: 35, BitfieldSize: 5},
			{Name: "", Type: 7, BitOffset: 64},
			{Name: "parent", Type: 4, BitOffset: 128},
		}},
		/* 7 */ &btf.Union{Name: "", Size: 8, Members: []btf.Member{{Name: "a", Type: 1}, {Name: "b", Type: 12}}},
		/* 8 */ &btf.Enum{Name: "color", Size: 4, Values: []btf.EnumValue{{Name: "RED", Value: 0}, {Name: "BIG", Value: 0xffffffff}}},
		/* 9 */ &btf.Enum{Name: "delta", Size: 4, Signed: true, Values: []btf.EnumValue{{Name: "DOWN", Value: ^uint64(0)}, {Name: "UP", Value: 1}}},
		/* 10 */ &btf.Enum64{Name: "wide", Size: 8, Values: []btf.EnumValue{{Name: "W", Value: 1 << 40}}},
		/* 11 */ &btf.Fwd{Name: "sock", Union: false},
		/* 12 */ &btf.Typedef{Name: "u64", Type: 21},
		/* 13 */ &btf.Volatile{Type: 1},
		/* 14 */ &btf.Const{Type: 13},
		/* 15 */ &btf.Restrict{Type: 4},
		/* 16 */ &btf.FuncProto{Return: 1, Params: []btf.FuncParam{{Name: "t", Type: 4}, {Name: "n", Type: 1}}},
		/* 17 */ &btf.Func{Name: "run", Type: 16, Linkage: btf.FuncGlobal},
		/* 18 */ &btf.Var{Name: "counter", Type: 1, Linkage: btf.VarGlobal},
		/* 19 */ &btf.Datasec{Name: ".bss", Size: 4, Vars: []btf.VarSecinfo{{Type: 18, Offset: 0, Size: 4}}},
		/* 20 */ &btf.Float{Name: "double", Size: 8},
		/* 21 */ &btf.Int{Name: "unsigned long long", Size: 8, Bits: 64},
		/* 22 */ &btf.DeclTag{Value: "user", Type: 6, ComponentIdx: 4},
		/* 23 */ &btf.DeclTag{Value: "hot", Type: 17, ComponentIdx: -1},
		/* 24 */ &btf.TypeTag{Value: "rcu", Type: 6},
		/* 25 */ &btf.Pointer{Target: 24},
		/* 26 */ &btf.Fwd{Name: "sock", Union: true},
		/* 27 */ &btf.FuncProto{Return: 0, Params: []btf.FuncParam{{Name: "fmt", Type: 4}, {}}},
		/* 28 */ &btf.Enum64{Name: "swide", Size: 8, Signed: true, Values: []btf.EnumValue{{Name: "NEG", Value: ^uint64(41)}}},
		/* 29 */ &btf.Func{Name: "helper", Type: 27, Linkage: btf.FuncStatic},
		/* 30 */ &btf.Var{Name: "ext", Type: 1, Linkage: btf.VarExtern},
	}
}

func build(t *testing.T, types []btf.Type) *btf.Builder {
	t.Helper()
	b := btf.NewBuilder()
	for i, ty := range types {
		if id := b.Add(ty); id != btf.TypeID(i+1) {
			t.Fatalf("Add #%d gave id %d", i, id)
		}
	}
	return b
}

// TestEveryKind writes one type of every kind, in both byte orders, and
// decodes each back.
func TestEveryKind(t *testing.T) {
	types := everyKind()
	b := build(t, types)
	for _, bo := range orders {
		raw, err := b.Marshal(bo)
		if err != nil {
			t.Fatal(err)
		}
		spec, err := btf.Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", bo, err)
		}
		if spec.NumTypes() != len(types) {
			t.Fatalf("%s: %d types, want %d", bo, spec.NumTypes(), len(types))
		}
		for i, want := range types {
			id := btf.TypeID(i + 1)
			got, err := spec.TypeByID(id)
			if err != nil {
				t.Fatalf("%s: type %d: %v", bo, id, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: type %d (%s) = %+v, want %+v", bo, id, want.Kind(), got, want)
			}
			if got.Kind() != want.Kind() || got.TypeName() != want.TypeName() {
				t.Errorf("%s: type %d: kind %s name %q", bo, id, got.Kind(), got.TypeName())
			}
		}
		if v, err := spec.TypeByID(0); err != nil || v.Kind() != btf.KindVoid {
			t.Errorf("TypeByID(0) = %v, %v", v, err)
		}
		if _, err := spec.TypeByID(btf.TypeID(len(types) + 1)); !errors.Is(err, btf.ErrInvalid) {
			t.Errorf("TypeByID past the end: %v", err)
		}
		// Marshal in the other order and back gives the same bytes.
		other, _ := spec.Marshal(orders[0])
		again, err := btf.Parse(other)
		if err != nil {
			t.Fatal(err)
		}
		if back, _ := again.Marshal(bo); !bytes.Equal(back, raw) {
			t.Errorf("%s: Marshal round trip through the other byte order differs", bo)
		}
	}
}

// TestLookups covers the name lookups on Builder-made BTF.
func TestLookups(t *testing.T) {
	b := build(t, everyKind())
	spec, err := b.Spec()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		ids     []btf.TypeID
		byName  error // of TypeByName
		anyName error // of NamedType[btf.Type]
	}{
		{"task", []btf.TypeID{6}, nil, nil},
		{"sock", []btf.TypeID{11, 26}, btf.ErrAmbiguous, nil},
		{"counter", []btf.TypeID{18}, nil, nil},
		{"missing", nil, btf.ErrNotFound, btf.ErrNotFound},
		{"", nil, btf.ErrNotFound, btf.ErrNotFound},
	} {
		id, _, err := spec.TypeByName(tt.name)
		if !errors.Is(err, tt.byName) || (err == nil && id != tt.ids[0]) {
			t.Errorf("TypeByName(%q) = %d, %v; want error %v", tt.name, id, err, tt.byName)
		}
		id, ty, err := btf.NamedType[btf.Type](spec, tt.name)
		if !errors.Is(err, tt.anyName) || (err == nil && (id != tt.ids[0] || ty.TypeName() != tt.name)) {
			t.Errorf("NamedType[Type](%q) = %d, %v; want error %v", tt.name, id, err, tt.anyName)
		}
		ids, types, err := spec.TypesByName(tt.name)
		if !reflect.DeepEqual(ids, tt.ids) || len(types) != len(ids) || err != nil {
			t.Errorf("TypesByName(%q) = %v, %d types, %v", tt.name, ids, len(types), err)
		}
	}
	if id, fwd, err := btf.NamedType[*btf.Fwd](spec, "sock"); err != nil || id != 11 || fwd.Union {
		t.Errorf("NamedType[*Fwd](sock) = %d %+v %v", id, fwd, err)
	}
	if id, ty, err := btf.NamedType[btf.Type](spec, "sock"); err != nil || id != 11 || ty.Kind() != btf.KindFwd {
		t.Errorf("NamedType[Type](sock) = %d %v %v", id, ty, err)
	}
	if _, _, err := btf.NamedType[*btf.Struct](spec, "sock"); !errors.Is(err, btf.ErrNotFound) {
		t.Errorf("NamedType[*Struct](sock): %v", err)
	}
	n := 0
	for id, ty := range spec.All() {
		n++
		if want, _ := spec.TypeByID(id); !reflect.DeepEqual(ty, want) {
			t.Errorf("All: type %d differs from TypeByID", id)
		}
	}
	if n != spec.NumTypes() {
		t.Errorf("All gave %d types of %d", n, spec.NumTypes())
	}
}

// TestSplitSpec builds split BTF on a Builder-made base.
func TestSplitSpec(t *testing.T) {
	base, err := build(t, everyKind()).Spec()
	if err != nil {
		t.Fatal(err)
	}
	sb := btf.NewSplitBuilder(base)
	mod := sb.Add(&btf.Struct{Name: "mod_ctx", Size: 16, Members: []btf.Member{{Name: "task", Type: 4}, {Name: "pid", Type: 1, BitOffset: 64}}})
	again := sb.Add(&btf.Typedef{Name: "task", Type: mod})
	if mod != btf.TypeID(base.NumTypes()+1) {
		t.Fatalf("first split id %d", mod)
	}
	for _, bo := range orders {
		raw, err := sb.Marshal(bo)
		if err != nil {
			t.Fatal(err)
		}
		var split *btf.Spec
		if bo.Uint16([]byte{1, 2}) == binary.NativeEndian.Uint16([]byte{1, 2}) {
			split, err = btf.ParseSplit(raw, base)
			if err != nil {
				t.Fatal(err)
			}
		} else {
			if _, err := btf.ParseSplit(raw, base); !errors.Is(err, btf.ErrInvalid) {
				t.Errorf("split BTF in the other byte order: %v", err)
			}
			continue
		}
		if split.Base() != base || split.FirstID() != mod || split.NumTypes() != base.NumTypes()+2 {
			t.Fatalf("split: base %p, first %d, %d types", split.Base(), split.FirstID(), split.NumTypes())
		}
		ty, err := split.TypeByID(mod)
		want := &btf.Struct{Name: "mod_ctx", Size: 16, Members: []btf.Member{{Name: "task", Type: 4}, {Name: "pid", Type: 1, BitOffset: 64}}}
		if err != nil || !reflect.DeepEqual(ty, want) {
			t.Errorf("split type %d = %+v, %v", mod, ty, err)
		}
		if ty, err := split.TypeByID(6); err != nil || ty.TypeName() != "task" {
			t.Errorf("base type 6 through the split = %v, %v", ty, err)
		}
		if ids, _, err := split.TypesByName("task"); !reflect.DeepEqual(ids, []btf.TypeID{6, again}) {
			t.Errorf("TypesByName(task) = %v, %v", ids, err)
		}
		if name := split.TypeName(mod); name != "struct mod_ctx" {
			t.Errorf("TypeName = %q", name)
		}
		if n, err := split.Size(again); err != nil || n != 16 {
			t.Errorf("Size(typedef task) = %d, %v", n, err)
		}
		if back, _ := split.Marshal(bo); !bytes.Equal(back, raw) {
			t.Error("Marshal of split BTF differs from its input")
		}
		n := 0
		for range split.All() {
			n++
		}
		if n != split.NumTypes() {
			t.Errorf("All on split: %d of %d", n, split.NumTypes())
		}
	}
}

// TestBuilderErrors checks values BTF cannot hold.
func TestBuilderErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		t    btf.Type
	}{
		{"void", &btf.Void{}},
		{"nil", nil},
		{"bitfield offset", &btf.Struct{Name: "s", Members: []btf.Member{{Name: "x", BitOffset: 1 << 24, BitfieldSize: 1}}}},
		{"too many members", &btf.Struct{Name: "s", Members: make([]btf.Member, 1<<16)}},
		{"too many values", &btf.Enum{Name: "e", Values: make([]btf.EnumValue, 1<<16)}},
	} {
		b := btf.NewBuilder()
		b.Add(tt.t)
		if _, err := b.Marshal(binary.LittleEndian); err == nil {
			t.Errorf("%s: Marshal succeeded", tt.name)
		}
	}
}

// objects are committed clang objects with .BTF.
func objects(t testing.TB) []string {
	var paths []string
	for _, g := range []string{"../elf/testdata/*.o", "../examples/*/bpf/*.o"} {
		m, _ := filepath.Glob(g)
		paths = append(paths, m...)
	}
	if len(paths) < 3 {
		t.Fatalf("only %d test objects", len(paths))
	}
	return paths
}

func objectBTF(t testing.TB, path string) []byte {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sec := f.Section(".BTF")
	if sec == nil {
		return nil
	}
	raw, err := sec.Data()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// roundTrip checks that spec marshalled in both byte orders parses to the
// same types.
func roundTrip(t *testing.T, what string, spec *btf.Spec) {
	t.Helper()
	var all []btf.Type
	for _, ty := range spec.All() {
		all = append(all, ty)
	}
	if len(all) != spec.NumTypes() {
		t.Fatalf("%s: All decoded %d of %d types", what, len(all), spec.NumTypes())
	}
	for _, bo := range orders {
		raw, err := spec.Marshal(bo)
		if err != nil {
			t.Fatal(err)
		}
		back, err := btf.Parse(raw)
		if err != nil {
			t.Fatalf("%s %s: %v", what, bo, err)
		}
		if back.NumTypes() != len(all) {
			t.Fatalf("%s %s: %d types, want %d", what, bo, back.NumTypes(), len(all))
		}
		for id, ty := range back.All() {
			if !reflect.DeepEqual(ty, all[id-1]) {
				t.Fatalf("%s %s: type %d = %+v, want %+v", what, bo, id, ty, all[id-1])
			}
		}
	}
}

// TestRoundTripObjects marshals the BTF of every committed object.
func TestRoundTripObjects(t *testing.T) {
	for _, path := range objects(t) {
		raw := objectBTF(t, path)
		if raw == nil {
			continue
		}
		spec, err := btf.Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		roundTrip(t, path, spec)
	}
}

func kernel(t *testing.T) *btf.Spec {
	t.Helper()
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skipf("kernel BTF (CONFIG_DEBUG_INFO_BTF, 5.4+): %v", err)
	}
	k, err := btf.Kernel()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestRoundTripKernel marshals vmlinux's BTF in both byte orders.
func TestRoundTripKernel(t *testing.T) {
	roundTrip(t, "vmlinux", kernel(t))
}

// TestKernelTypes decodes types of every shape from vmlinux.
func TestKernelTypes(t *testing.T) {
	k := kernel(t)
	if k2, _ := btf.Kernel(); k2 != k {
		t.Error("Kernel() is not cached")
	}
	_, skb, err := btf.NamedType[*btf.Struct](k, "sk_buff")
	if err != nil {
		t.Fatal(err)
	}
	members := map[string]btf.Member{}
	for _, m := range skb.Members {
		members[m.Name] = m
	}
	for _, name := range []string{"len", "data_len", "tail", "head", "data"} {
		m, ok := members[name]
		if !ok {
			t.Errorf("struct sk_buff has no member %s", name)
			continue
		}
		if m.BitOffset >= 8*skb.Size {
			t.Errorf("sk_buff.%s at bit %d past the struct's %d bytes", name, m.BitOffset, skb.Size)
		}
		if _, err := k.TypeByID(m.Type); err != nil {
			t.Errorf("sk_buff.%s: %v", name, err)
		}
	}
	if len(members) < 20 || skb.Size < 100 {
		t.Errorf("struct sk_buff: %d size, %d named members", skb.Size, len(members))
	}

	_, fid, err := btf.NamedType[*btf.Enum](k, "bpf_func_id")
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]uint64{}
	for _, v := range fid.Values {
		values[v.Name] = v.Value
	}
	for name, want := range map[string]uint64{"BPF_FUNC_unspec": 0, "BPF_FUNC_map_lookup_elem": 1, "BPF_FUNC_map_update_elem": 2, "BPF_FUNC_trace_printk": 6} {
		if got, ok := values[name]; !ok || got != want {
			t.Errorf("enum bpf_func_id %s = %d (%v), want %d", name, got, ok, want)
		}
	}

	_, fn, err := btf.NamedType[*btf.Func](k, "bpf_prog_put")
	if err != nil {
		t.Fatal(err)
	}
	pt, err := k.TypeByID(fn.Type)
	if err != nil {
		t.Fatal(err)
	}
	proto, ok := pt.(*btf.FuncProto)
	if !ok || len(proto.Params) != 1 || proto.Params[0].Name != "prog" || proto.Return != 0 {
		t.Fatalf("bpf_prog_put's prototype: %+v", pt)
	}
	if name := k.TypeName(proto.Params[0].Type); name != "struct bpf_prog *" {
		t.Errorf("bpf_prog_put(%s prog)", name)
	}

	// Every kind the running kernel's BTF has decodes.
	kinds := map[btf.Kind]int{}
	for _, ty := range k.All() {
		kinds[ty.Kind()]++
	}
	for _, kind := range []btf.Kind{btf.KindInt, btf.KindPointer, btf.KindArray, btf.KindStruct, btf.KindUnion, btf.KindEnum, btf.KindFwd, btf.KindTypedef, btf.KindVolatile, btf.KindConst, btf.KindFunc, btf.KindFuncProto, btf.KindVar, btf.KindDatasec} {
		if kinds[kind] == 0 {
			t.Errorf("no %s in vmlinux", kind)
		}
	}
}

// TestObjectDatasec decodes the .maps datasec of a committed object.
func TestObjectDatasec(t *testing.T) {
	spec, err := btf.Parse(objectBTF(t, "../elf/testdata/features.o"))
	if err != nil {
		t.Fatal(err)
	}
	_, ds, err := btf.NamedType[*btf.Datasec](spec, ".maps")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Vars) != 4 {
		t.Fatalf(".maps has %d variables", len(ds.Vars))
	}
	v, err := spec.TypeByID(ds.Vars[0].Type)
	if err != nil {
		t.Fatal(err)
	}
	if vr, ok := v.(*btf.Var); !ok || vr.Name != "inner_a" || vr.Linkage != btf.VarGlobal {
		t.Errorf("first variable of .maps: %+v", v)
	}
}

// TestKernelConcurrent looks names up from several goroutines in a fresh
// kernel Spec, whose index the first of them builds (run with -race).
func TestKernelConcurrent(t *testing.T) {
	kernel(t)
	k, err := btf.Load("/sys/kernel/btf/vmlinux")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"sk_buff", "task_struct", "bpf_func_id", "net_device", "no_such_type"}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				name := names[(g+i)%len(names)]
				_, ty, err := btf.NamedType[btf.Type](k, name)
				if name == "no_such_type" {
					if !errors.Is(err, btf.ErrNotFound) {
						errs <- err
					}
					continue
				}
				if err != nil || ty.TypeName() != name {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestModules decodes the types of every loaded kernel module's BTF.
func TestModules(t *testing.T) {
	k := kernel(t)
	mods, err := btf.KernelModules()
	if err != nil {
		t.Fatal(err)
	}
	if len(mods) == 0 {
		t.Skip("no kernel module BTF (CONFIG_DEBUG_INFO_BTF_MODULES, 5.11+, and a loaded module)")
	}
	for _, name := range mods {
		m, err := btf.KernelModule(name)
		if err != nil {
			t.Fatal(err)
		}
		if m.Base() != k || m.FirstID() != btf.TypeID(k.NumTypes()+1) {
			t.Errorf("%s: base %p first id %d", name, m.Base(), m.FirstID())
		}
		n := 0
		for range m.All() {
			n++
		}
		if n != m.NumTypes() {
			t.Errorf("%s: decoded %d of %d types", name, n, m.NumTypes())
		}
	}
}

// TestMalformed feeds broken BTF: every failure wraps ErrInvalid, none
// panics.
func TestMalformed(t *testing.T) {
	good, err := build(t, everyKind()).Marshal(binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	typeLen := binary.LittleEndian.Uint32(good[12:])
	for _, tt := range []struct {
		name  string
		raw   []byte
		parse bool // Parse succeeds; decoding some type fails
	}{
		{"empty", nil, false},
		{"short header", good[:20], false},
		{"bad magic", mod(func(b []byte) []byte { b[0] = 0; return b }), false},
		{"bad version", mod(func(b []byte) []byte { b[2] = 9; return b }), false},
		{"header length", mod(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], 1<<30); return b }), false},
		{"type section past the end", mod(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[12:], 1<<20); return b }), false},
		{"truncated types", mod(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[12:], typeLen-4)
			return b
		}), false},
		{"unknown kind", mod(func(b []byte) []byte { b[24+7] = 31; return b }), false},
		{"name past the strings", mod(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[24:], 1<<30); return b }), true},
	} {
		spec, err := btf.Parse(tt.raw)
		if !tt.parse {
			if !errors.Is(err, btf.ErrInvalid) {
				t.Errorf("%s: Parse = %v, want ErrInvalid", tt.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if _, err := spec.TypeByID(1); !errors.Is(err, btf.ErrInvalid) {
			t.Errorf("%s: TypeByID(1) = %v, want ErrInvalid", tt.name, err)
		}
		n := 0
		for range spec.All() {
			n++
		}
		if n != 0 {
			t.Errorf("%s: All yielded %d types before the broken one", tt.name, n)
		}
	}
	if _, err := btf.ParseSplit(good, nil); !errors.Is(err, btf.ErrInvalid) {
		t.Errorf("ParseSplit without base: %v", err)
	}
}

// TestFormatSelfNesting formats malformed types whose values would be
// exponentially (or billions) many: an error, quickly.
func TestFormatSelfNesting(t *testing.T) {
	for _, tt := range []struct {
		name  string
		types []btf.Type
	}{
		{"struct of itself", []btf.Type{&btf.Struct{Name: "loop", Members: []btf.Member{{Type: 1}, {Type: 1}}}}},
		{"billions of empty elements", []btf.Type{&btf.Struct{Name: "empty"}, &btf.Array{Type: 1, Index: 1, Nelems: 1 << 31}}},
	} {
		spec, err := build(t, tt.types).Spec()
		if err != nil {
			t.Fatal(err)
		}
		id := btf.TypeID(len(tt.types))
		if err := spec.Format(io.Discard, id, nil); !errors.Is(err, btf.ErrInvalid) {
			t.Errorf("%s: Format = %v, want ErrInvalid", tt.name, err)
		}
	}
}

// TestKernelLazy opens vmlinux's BTF and finds struct sk_buff with a
// number of allocations independent of the kernel's 100 000+ types: the
// records are indexed, not decoded, and only sk_buff is.
func TestKernelLazy(t *testing.T) {
	kernel(t)
	var members int
	allocs := testing.AllocsPerRun(3, func() {
		spec, err := btf.Load("/sys/kernel/btf/vmlinux")
		if err != nil {
			t.Fatal(err)
		}
		_, skb, err := btf.NamedType[*btf.Struct](spec, "sk_buff")
		if err != nil {
			t.Fatal(err)
		}
		members = len(skb.Members)
	})
	// The Spec, its two tables, the members and their names.
	if limit := float64(2*members + 32); allocs > limit {
		t.Errorf("Load(vmlinux) + NamedType(sk_buff): %.0f allocations, want at most %.0f", allocs, limit)
	}
}

// TestEnumStrings checks the names of int encodings and linkages, which
// follow bpftool's.
func TestEnumStrings(t *testing.T) {
	for _, tt := range []struct {
		v    fmt.Stringer
		want string
	}{
		{btf.IntEncoding(0), "(none)"},
		{btf.IntSigned, "SIGNED"},
		{btf.IntChar, "CHAR"},
		{btf.IntBool, "BOOL"},
		{btf.IntSigned | btf.IntChar, "SIGNED|CHAR"},
		{btf.IntSigned | 0x10, "SIGNED|0x10"},
		{btf.FuncStatic, "static"},
		{btf.FuncGlobal, "global"},
		{btf.FuncExtern, "extern"},
		{btf.FuncLinkage(7), "linkage 7"},
		{btf.VarStatic, "static"},
		{btf.VarGlobal, "global"},
		{btf.VarExtern, "extern"},
		{btf.VarLinkage(3), "linkage 3"},
		{btf.KindFuncProto, "func_proto"},
	} {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%T(%d).String() = %q, want %q", tt.v, tt.v, got, tt.want)
		}
	}
}

// TestLoadFile loads BTF from a regular file (read) and from sysfs
// (mapped where the kernel allows), and names the file in errors.
func TestLoadFile(t *testing.T) {
	b := btf.NewBuilder()
	b.Add(&btf.Int{Name: "int", Size: 4, Encoding: btf.IntSigned, Bits: 32})
	raw, err := b.Marshal(binary.BigEndian)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "types.btf")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := btf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if id, _, err := btf.NamedType[*btf.Int](spec, "int"); err != nil || id != 1 {
		t.Errorf("NamedType[*Int](int) in %s = %d, %v", path, id, err)
	}
	if err := os.WriteFile(path, raw[:10], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := btf.Load(path); !errors.Is(err, btf.ErrInvalid) || !strings.Contains(err.Error(), path) {
		t.Errorf("Load of a truncated file: %v, want ErrInvalid naming %s", err, path)
	}
	if _, err := btf.Load(path + ".missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v", err)
	}
}
