package btf

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"testing"
)

func sectionOf(t *testing.T, path, name string) ([]byte, binary.ByteOrder) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.Section(name)
	if s == nil {
		t.Fatalf("%s has no %s", path, name)
	}
	b, err := s.Data()
	if err != nil {
		t.Fatal(err)
	}
	return b, f.ByteOrder
}

// TestMapsDatasec reads the BTF map definition of xdp1.o: a struct of
// pointers whose array lengths and pointee sizes are the attributes.
func TestMapsDatasec(t *testing.T) {
	for _, obj := range []string{"../../elf/testdata/features.o", "../../elf/testdata/features_bpfeb.o"} {
		raw, bo := sectionOf(t, obj, ".BTF")
		spec, err := Parse(raw, bo)
		if err != nil {
			t.Fatal(err)
		}
		ds, ok := spec.Datasec(".maps")
		if !ok || ds.Vlen != 4 {
			t.Fatalf("%s: datasec .maps %v, want 4 variables", obj, ds)
		}
		m, _ := spec.Member(ds, 0)
		v, _ := spec.Type(m.Type)
		name, _ := spec.Name(v)
		if v.Kind != KindVar || name != "inner_a" {
			t.Errorf("first variable %s %q, want var inner_a", v.Kind, name)
		}
		def, err := spec.Skip(TypeID(v.SizeOrType))
		if err != nil || def.Kind != KindStruct || def.Vlen != 4 {
			t.Fatalf("definition %v %v", def, err)
		}
		for i := range def.Vlen {
			mem, _ := spec.Member(def, i)
			mname, _ := spec.String(mem.NameOff)
			if mname == "value" {
				pt, _ := spec.Skip(mem.Type)
				if size, err := spec.Sizeof(TypeID(pt.SizeOrType)); err != nil || size != 8 {
					t.Errorf("value size %d (%v), want 8", size, err)
				}
			}
		}
		raw2, _ := sectionOf(t, obj, ".BTF.ext")
		ext, err := ParseExt(raw2, bo, spec)
		if err != nil {
			t.Fatal(err)
		}
		if len(ext.Funcs["xdp"]) != 3 || len(ext.Funcs[".text"]) != 3 || len(ext.Lines["xdp"]) == 0 {
			t.Errorf("func records %d in xdp, %d in .text, want 3 and 3; %d line records", len(ext.Funcs["xdp"]), len(ext.Funcs[".text"]), len(ext.Lines["xdp"]))
		}
		lines := 0
		for _, l := range ext.Lines["xdp"] {
			if l.Line() != 0 {
				lines++
			}
		}
		if lines == 0 {
			t.Error("no line record of xdp has a line number")
		}
	}
}

// TestForKernel checks that datasec sizes and variable offsets are filled
// in.
func TestForKernel(t *testing.T) {
	raw, bo := sectionOf(t, "../../elf/testdata/features.o", ".BTF")
	spec, err := Parse(raw, bo)
	if err != nil {
		t.Fatal(err)
	}
	out, err := spec.ForKernel(func(string) (uint32, bool) { return 1234, true }, func(sec, name string) (uint32, bool) { return 8, name == "inner_b" })
	if err != nil {
		t.Fatal(err)
	}
	fixed, err := Parse(out, bo)
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := fixed.Datasec(".maps")
	if ds.SizeOrType != 1234 {
		t.Errorf("datasec size %d, want 1234", ds.SizeOrType)
	}
	m, _ := fixed.Member(ds, 1)
	if m.Offset != 8 {
		t.Errorf("inner_b offset %d, want 8", m.Offset)
	}
	if spec.raw[0] != out[0] || &spec.raw[0] == &out[0] {
		t.Error("ForKernel modified the original or returned it")
	}
}

func TestMalformed(t *testing.T) {
	raw, bo := sectionOf(t, "../../elf/testdata/features.o", ".BTF")
	mutate := func(f func(b []byte)) []byte {
		b := append([]byte(nil), raw...)
		f(b)
		return b
	}
	for name, b := range map[string][]byte{
		"short":        raw[:10],
		"magic":        mutate(func(b []byte) { b[0] = 0 }),
		"version":      mutate(func(b []byte) { b[2] = 9 }),
		"header len":   mutate(func(b []byte) { bo.PutUint32(b[4:], 1<<30) }),
		"type len":     mutate(func(b []byte) { bo.PutUint32(b[12:], 1<<30) }),
		"str off":      mutate(func(b []byte) { bo.PutUint32(b[16:], 1<<31) }),
		"truncated":    raw[:len(raw)-1],
		"unknown kind": mutate(func(b []byte) { b[24+7] = 0x1f }),
	} {
		if _, err := Parse(b, bo); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error %v, want ErrInvalid", name, err)
		}
	}
	spec, _ := Parse(raw, bo)
	if _, err := spec.Type(TypeID(spec.NumTypes() + 1)); !errors.Is(err, ErrInvalid) {
		t.Errorf("type past the end: %v", err)
	}
	ext, _ := sectionOf(t, "../../elf/testdata/features.o", ".BTF.ext")
	for name, b := range map[string][]byte{
		"short":    ext[:12],
		"lengths":  append(append([]byte(nil), ext[:12]...), 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0),
		"truncate": ext[:len(ext)-3],
	} {
		if _, err := ParseExt(b, bo, spec); err == nil {
			t.Errorf("%s: .BTF.ext parsed", name)
		}
	}
}
