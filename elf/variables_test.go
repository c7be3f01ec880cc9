package elf

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/maps"
)

// TestVariables checks the variables package elf describes for vars.o:
// every variable of .data, .rodata, .bss and the custom sections, with
// its section, offset (from the symbol table), size and BTF type.
func TestVariables(t *testing.T) {
	spec, err := Open("testdata/vars.o")
	if err != nil {
		t.Fatal(err)
	}
	types, ok := btf.FromPublic(spec.BTF)
	if !ok {
		t.Fatal("vars.o: no BTF")
	}
	for _, tc := range []struct {
		name, section string
		offset, size  uint32
		typeName      string // the name after qualifiers and typedefs
		kind          btf.Kind
		cType         string // TypeName
	}{
		{"limit", ".rodata", 0, 4, "__u32", btf.KindTypedef, "const volatile __u32"},
		{"cfg", ".rodata", 4, 8, "config", btf.KindStruct, "const volatile struct config"},
		{"bad_mode", ".rodata", 12, 4, "__u32", btf.KindTypedef, "const volatile __u32"},
		{"counter", ".bss", 0, 8, "__u64", btf.KindTypedef, "__u64"},
		{"last_len", ".data", 0, 4, "__u32", btf.KindTypedef, "__u32"},
		{"delta", ".data", 8, 8, "__s64", btf.KindTypedef, "__s64"},
		{"custom", ".data.custom", 0, 8, "__u64", btf.KindTypedef, "__u64"},
		{"tuned", ".rodata.tuned", 0, 4, "__u32", btf.KindTypedef, "const volatile __u32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := spec.Variables[tc.name]
			if v == nil {
				t.Fatalf("no variable %s; have %v", tc.name, sortedKeys(spec.Variables))
			}
			if v.Name != tc.name || v.MapName != tc.section || v.Offset != tc.offset || v.Size != tc.size {
				t.Errorf("got %s+%d size %d (name %s), want %s+%d size %d", v.MapName, v.Offset, v.Size, v.Name, tc.section, tc.offset, tc.size)
			}
			if v.ReadOnly() != strings.HasPrefix(tc.section, ".rodata") {
				t.Errorf("ReadOnly() = %v", v.ReadOnly())
			}
			// Strip volatile/const (not typedefs) to the named type.
			id := btf.TypeID(v.TypeID)
			var typ btf.Type
			for {
				typ, err = types.Type(id)
				if err != nil {
					t.Fatal(err)
				}
				if typ.Kind != btf.KindVolatile && typ.Kind != btf.KindConst {
					break
				}
				id = btf.TypeID(typ.SizeOrType)
			}
			name, _ := types.Name(typ)
			if typ.Kind != tc.kind || name != tc.typeName {
				t.Errorf("type %s %q, want %s %q", typ.Kind, name, tc.kind, tc.typeName)
			}
			if got := v.TypeName(); got != tc.cType {
				t.Errorf("TypeName() = %q, want %q", got, tc.cType)
			}
			if size, err := types.Sizeof(btf.TypeID(v.TypeID)); err != nil || size != tc.size {
				t.Errorf("sizeof type = %d (%v), want %d", size, err, tc.size)
			}
		})
	}
	if n := len(spec.Variables); n != 8 {
		t.Errorf("%d variables, want 8: %v", n, sortedKeys(spec.Variables))
	}
	var cfg struct {
		Mark       uint32
		Port       uint16
		Proto, Pad uint8
	}
	if err := spec.Variables["cfg"].Get(&cfg); err != nil || cfg.Mark != 0x1234 || cfg.Port != 80 || cfg.Proto != 6 {
		t.Errorf("cfg = %+v (%v), want the initialiser {0x1234, 80, 6}", cfg, err)
	}
}

// TestVariablesByteOrder reads a variable's initial value in the
// object's byte order, little- and big-endian.
func TestVariablesByteOrder(t *testing.T) {
	for _, obj := range []string{"testdata/features.o", "testdata/features_bpfeb.o"} {
		spec, err := Open(obj)
		if err != nil {
			t.Fatal(err)
		}
		calls := spec.Variables["calls"]
		if calls == nil || calls.MapName != ".data" || calls.Size != 8 {
			t.Fatalf("%s: calls = %v", obj, calls)
		}
		var v uint64
		if err := calls.Get(&v); err != nil || v != 7 {
			t.Errorf("%s: calls = %d (%v), want 7 in the object's byte order", obj, v, err)
		}
	}
}

// TestBTFMapAttr decodes integer attributes of BTF map definitions in
// both spellings (__uint arrays and __ulong enums, 64-bit ones included)
// and refuses a value an old clang truncated.
func TestBTFMapAttr(t *testing.T) {
	b := btf.NewBuilder()
	intT := b.Int("int", 4, btf.IntSigned, 32)
	idx := b.Int("__ARRAY_SIZE_TYPE__", 4, 0, 32)
	arr := b.Array(intT, idx, 33)
	ptr := b.Ref(btf.KindPointer, "", arr)
	enum64 := b.Enum("", 8, false, btf.BuilderEnumValue{Name: "__unique_value0", Value: 0x100000000000})
	enum32 := b.Enum("", 4, false, btf.BuilderEnumValue{Name: "__unique_value1", Value: 0xfffffff0})
	truncated := b.Raw(btf.KindEnum, "", 1, false, 8, b.String("__unique_value2"), 0)
	twoValues := b.Enum("", 4, false, btf.BuilderEnumValue{Name: "a", Value: 1}, btf.BuilderEnumValue{Name: "b", Value: 2})
	spec, err := btf.Parse(b.Bytes(), binary.NativeEndian)
	if err != nil {
		t.Fatal(err)
	}
	o := &object{btf: spec}
	for _, tc := range []struct {
		typ  btf.TypeID
		want uint64
		err  string
	}{
		{ptr, 33, ""},
		{enum64, 0x100000000000, ""},
		{enum32, 0xfffffff0, ""},
		{truncated, 0, "clang < 15"},
		{twoValues, 0, "2 values"},
		{intT, 0, "want a pointer to an array"},
	} {
		mt, err := spec.Skip(tc.typ)
		if err != nil {
			t.Fatal(err)
		}
		got, err := o.btfMapAttr("map_extra", mt)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrFormat) {
				t.Errorf("type %d: %d, %v; want an ErrFormat error saying %q", tc.typ, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("type %d: %#x, %v; want %#x", tc.typ, got, err, tc.want)
		}
	}

	// A whole definition: an arena map whose map_extra is 64 bits wide.
	arenaType := b.Array(intT, idx, uint32(maps.Arena))
	flags := b.Array(intT, idx, uint32(maps.FlagMmapable))
	pages := b.Array(intT, idx, 2)
	def := b.Struct(false, "", 32,
		btf.BuilderMember{Name: "type", Type: b.Ref(btf.KindPointer, "", arenaType)},
		btf.BuilderMember{Name: "map_flags", Type: b.Ref(btf.KindPointer, "", flags), BitOff: 64},
		btf.BuilderMember{Name: "max_entries", Type: b.Ref(btf.KindPointer, "", pages), BitOff: 128},
		btf.BuilderMember{Name: "map_extra", Type: enum64, BitOff: 192})
	if o.btf, err = btf.Parse(b.Bytes(), binary.NativeEndian); err != nil {
		t.Fatal(err)
	}
	ms, _, _, _, _, err := o.btfMapDef("arena", def, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ms.Type != maps.Arena || ms.MapExtra != 0x100000000000 || ms.MaxEntries != 2 || ms.Flags != maps.FlagMmapable {
		t.Errorf("arena spec %v map_extra %#x, want arena, 2 pages, mmapable, map_extra 0x100000000000", ms, ms.MapExtra)
	}
}
