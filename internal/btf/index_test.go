package btf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"slices"
	"sync"
	"testing"
)

// linearByName is the scan the index replaces: the reference for it.
func linearByName(s *Spec, name string, ess bool) []TypeID {
	var ids []TypeID
	for id := TypeID(1); int(id) <= s.NumTypes(); id++ {
		t, err := s.Type(id)
		if err != nil {
			continue
		}
		n, err := s.StringBytes(t.NameOff)
		if err != nil || len(n) == 0 {
			continue
		}
		if ess {
			n, _ = essential(n)
		}
		if string(n) == name {
			ids = append(ids, id)
		}
	}
	return ids
}

func kernelOrSkip(t *testing.T) *Spec {
	t.Helper()
	if _, err := os.Stat(VmlinuxPath); err != nil {
		t.Skipf("kernel BTF (CONFIG_DEBUG_INFO_BTF, 5.4+): %v", err)
	}
	s, err := Kernel()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestIndexMatchesScan looks up every name of vmlinux (exact and
// essential) and compares with a linear scan, computed for all names in
// one pass.
func TestIndexMatchesScan(t *testing.T) {
	s, err := LoadKernel()
	if os.IsNotExist(errors.Unwrap(err)) {
		t.Skipf("kernel BTF (CONFIG_DEBUG_INFO_BTF, 5.4+): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	exact := map[string][]TypeID{}
	ess := map[string][]TypeID{}
	for id := TypeID(1); int(id) <= s.NumTypes(); id++ {
		tt, _ := s.Type(id)
		n, err := s.String(tt.NameOff)
		if err != nil || n == "" {
			continue
		}
		exact[n] = append(exact[n], id)
		ess[EssentialName(n)] = append(ess[EssentialName(n)], id)
	}
	if len(exact) < 1000 {
		t.Fatalf("only %d names in vmlinux", len(exact))
	}
	for n, want := range exact {
		if got := s.ByName(n); !slices.Equal(got, want) {
			t.Fatalf("ByName(%q) = %v, scan %v", n, got, want)
		}
	}
	for n, want := range ess {
		if got := s.ByEssentialName(n); !slices.Equal(got, want) {
			t.Fatalf("ByEssentialName(%q) = %v, scan %v", n, got, want)
		}
	}
	for _, n := range []string{"", "no_such_type_xyz", "sk_buf", "sk_bufff", "task_struct___", "___"} {
		if got, want := s.ByName(n), linearByName(s, n, false); !slices.Equal(got, want) || len(got) != 0 {
			t.Errorf("ByName(%q) = %v, scan %v", n, got, want)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { s.ByName("no_such_type_xyz") }); allocs != 0 {
		t.Errorf("missing-name lookup: %v allocs, want 0", allocs)
	}
}

// TestIndexFlavours checks names with ___flavour suffixes, duplicates and
// the order of results on Builder-made BTF.
func TestIndexFlavours(t *testing.T) {
	b := NewBuilder()
	i32 := b.Int("int", 4, IntSigned, 32)
	ts := b.Struct(false, "task_struct", 8, BuilderMember{"pid", i32, 0, 0})
	tsOld := b.Struct(false, "task_struct___old", 8, BuilderMember{"pid", i32, 32, 0})
	fwd := b.Fwd("task_struct", false)
	td := b.Ref(KindTypedef, "task_struct___new___x", ts)
	odd := b.Ref(KindTypedef, "___odd", ts)
	spec, err := Parse(b.Bytes(), binary.NativeEndian)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		essential bool
		want      []TypeID
	}{
		{"task_struct", false, []TypeID{ts, fwd}},
		{"task_struct", true, []TypeID{ts, tsOld, fwd, td}},
		{"task_struct___old", false, []TypeID{tsOld}},
		{"task_struct___old", true, nil},
		{"___odd", false, []TypeID{odd}},
		{"___odd", true, []TypeID{odd}},
		{"int", true, []TypeID{i32}},
		{"missing", false, nil},
		{"", false, nil},
	} {
		got := spec.ByName(tt.name)
		if tt.essential {
			got = spec.ByEssentialName(tt.name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("essential %v %q: %v, want %v", tt.essential, tt.name, got, tt.want)
		}
		if want := linearByName(spec, tt.name, tt.essential); !slices.Equal(got, want) {
			t.Errorf("essential %v %q: %v, scan %v", tt.essential, tt.name, got, want)
		}
	}
	if ty, ok := spec.Named(KindForward, "task_struct"); !ok || ty.ID != fwd {
		t.Errorf("Named(fwd task_struct) = %d %v", ty.ID, ok)
	}
}

// TestIndexConcurrent looks names up from several goroutines while the
// index is being built (run with -race).
func TestIndexConcurrent(t *testing.T) {
	b := NewBuilder()
	var ids []TypeID
	for i := range 500 {
		ids = append(ids, b.Int("t"+string(rune('a'+i%26))+string(rune('a'+i/26)), 4, 0, 32))
	}
	spec, err := Parse(b.Bytes(), binary.NativeEndian)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < 500; i += 3 {
				name := "t" + string(rune('a'+i%26)) + string(rune('a'+i/26))
				if got := spec.ByName(name); len(got) != 1 || got[0] != ids[i] {
					errs <- name
					return
				}
				if got := spec.ByEssentialName(name); len(got) != 1 {
					errs <- name
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for n := range errs {
		t.Errorf("concurrent lookup of %s failed", n)
	}
}

// TestSplit builds a base and split BTF on it: ids and string offsets of
// the split continue the base's, and every lookup crosses the boundary.
func TestSplit(t *testing.T) {
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		b := NewBuilder()
		u32 := b.Int("u32", 4, 0, 32)
		sk := b.Struct(false, "sock", 8, BuilderMember{"a", u32, 0, 0}, BuilderMember{"b", u32, 32, 0})
		base, err := Parse(b.BytesIn(bo), bo)
		if err != nil {
			t.Fatal(err)
		}
		sb := NewSplitBuilder(base)
		if sb.NextID() != 3 {
			t.Fatalf("first split id %d, want 3", sb.NextID())
		}
		ptr := sb.Ref(KindPointer, "", sk)
		mod := sb.Struct(false, "mod_state", 16, BuilderMember{"sk", ptr, 0, 0}, BuilderMember{"n", u32, 64, 0})
		dup := sb.Struct(false, "sock", 4, BuilderMember{"x", u32, 0, 0})
		raw := sb.BytesIn(bo)
		split, err := ParseSplit(raw, bo, base)
		if err != nil {
			t.Fatal(err)
		}
		if split.NumTypes() != 5 || split.FirstID() != 3 || split.Base() != base || split.StringBase() != uint32(len(base.strings)) {
			t.Fatalf("split: %d types, first %d, string base %d", split.NumTypes(), split.FirstID(), split.StringBase())
		}
		if got := split.ByName("sock"); !slices.Equal(got, []TypeID{sk, dup}) {
			t.Errorf("ByName(sock) = %v", got)
		}
		if got := split.ByEssentialName("sock"); !slices.Equal(got, []TypeID{sk, dup}) {
			t.Errorf("ByEssentialName(sock) = %v", got)
		}
		m, ok := split.Named(KindStruct, "mod_state")
		if !ok || m.ID != mod {
			t.Fatalf("Named(mod_state) = %v %v", m.ID, ok)
		}
		if n, err := split.Name(m); err != nil || n != "mod_state" {
			t.Errorf("name %q %v", n, err)
		}
		f, err := split.Field(m, "sk")
		if err != nil || f.Type != ptr {
			t.Fatalf("field sk: %+v %v", f, err)
		}
		pt, _ := split.Type(ptr)
		f, err = split.Field(mustType(t, split, TypeID(pt.SizeOrType)), "b")
		if err != nil || f.BitOffset != 32 {
			t.Errorf("sock.b through the split: %+v %v", f, err)
		}
		if n, err := split.Sizeof(mod); err != nil || n != 16 {
			t.Errorf("Sizeof(mod_state) = %d %v", n, err)
		}
		// The member name "n" is in the split's strings, "a" in the base's.
		mem, _ := split.Member(m, 1)
		if n, _ := split.String(mem.NameOff); n != "n" || mem.NameOff < split.StringBase() {
			t.Errorf("member 1 name %q at %d", n, mem.NameOff)
		}
		if _, err := split.Type(6); !errors.Is(err, ErrInvalid) {
			t.Errorf("Type(6) = %v, want ErrInvalid", err)
		}
		if !bytes.Equal(split.Marshal(bo), raw) {
			t.Error("Marshal of the split differs from its input")
		}
		other := binary.ByteOrder(binary.BigEndian)
		if bo == binary.BigEndian {
			other = binary.LittleEndian
		}
		if _, err := ParseSplit(sb.BytesIn(other), other, base); !errors.Is(err, ErrInvalid) {
			t.Errorf("split in the other byte order: %v", err)
		}
	}
}

func mustType(t *testing.T, s *Spec, id TypeID) Type {
	t.Helper()
	ty, err := s.Type(id)
	if err != nil {
		t.Fatal(err)
	}
	return ty
}

// TestKernelModules parses the BTF of every loaded module on vmlinux's.
func TestKernelModules(t *testing.T) {
	k := kernelOrSkip(t)
	mods, err := KernelModules()
	if err != nil {
		t.Fatal(err)
	}
	if len(mods) == 0 {
		t.Skip("no kernel module BTF (CONFIG_DEBUG_INFO_BTF_MODULES, 5.11+, and a loaded module)")
	}
	for _, name := range mods {
		m, err := KernelModule(name)
		if err != nil {
			t.Fatalf("module %s: %v", name, err)
		}
		if m.FirstID() != TypeID(k.NumTypes())+1 || m.Base() != k {
			t.Errorf("module %s: first id %d on %d types", name, m.FirstID(), k.NumTypes())
		}
		for id := m.FirstID(); int(id) <= m.NumTypes(); id++ {
			ty, err := m.Type(id)
			if err != nil {
				t.Fatalf("module %s type %d: %v", name, id, err)
			}
			if _, err := m.Name(ty); err != nil {
				t.Fatalf("module %s type %d: %v", name, id, err)
			}
		}
		if again, _ := KernelModule(name); again != m {
			t.Errorf("module %s: not cached", name)
		}
	}
	if _, err := KernelModule("../vmlinux"); !errors.Is(err, ErrNoModule) {
		t.Errorf("KernelModule(../vmlinux) = %v, want ErrNoModule", err)
	}
	if _, err := KernelModule("no_such_module_xyz"); !errors.Is(err, ErrNoModule) {
		t.Errorf("KernelModule(no_such_module_xyz) = %v, want ErrNoModule", err)
	}
}

// TestKernelCached checks that Kernel is cached and LoadKernel is not,
// and that both find struct sk_buff.
func TestKernelCached(t *testing.T) {
	k := kernelOrSkip(t)
	if k2, _ := Kernel(); k2 != k {
		t.Error("Kernel() not cached")
	}
	l, err := LoadKernel()
	if err != nil {
		t.Fatal(err)
	}
	if l == k {
		t.Error("LoadKernel returned the cached Spec")
	}
	for _, s := range []*Spec{k, l} {
		if ty, ok := s.Named(KindStruct, "sk_buff"); !ok || ty.Vlen == 0 {
			t.Errorf("struct sk_buff: %v %v", ty, ok)
		}
	}
}

// TestFieldSelfNesting searches a struct whose anonymous members are the
// struct itself: an error, not an exponential search.
func TestFieldSelfNesting(t *testing.T) {
	b := NewBuilder()
	self := b.NextID()
	b.Struct(false, "loop", 0, BuilderMember{"", self, 0, 0}, BuilderMember{"", self, 0, 0}, BuilderMember{"", self, 0, 0})
	spec, err := Parse(b.Bytes(), binary.NativeEndian)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spec.Field(mustType(t, spec, self), "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Field in a self-nesting struct: %v, want ErrInvalid", err)
	}
}

// TestHashes checks that the three hash functions agree on every length
// around the word size, with the name at the end of the buffer or not.
func TestHashes(t *testing.T) {
	for n := range 40 {
		name := make([]byte, n)
		for i := range name {
			name[i] = byte('a' + i%26)
		}
		want := hashString(string(name))
		if got := hashBytes(name); got != want {
			t.Errorf("length %d: hashBytes %x, hashString %x", n, got, want)
		}
		for _, tail := range []string{"", "xyzxyzxyzxyz"} {
			b := append(append(bytes.Clone(name), 0), tail...)
			h, l := hashCString(b)
			if h != want || l != n {
				t.Errorf("length %d, tail %q: hashCString %x (length %d), hashString %x", n, tail, h, l, want)
			}
		}
		if _, l := hashCString(name); l != -1 {
			t.Errorf("length %d without NUL: length %d", n, l)
		}
	}
}
