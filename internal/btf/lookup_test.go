package btf

import (
	"encoding/binary"
	"errors"
	"testing"
)

// TestField resolves member paths through named and anonymous members,
// as the layout tests do on the kernel's UAPI unions.
func TestField(t *testing.T) {
	b := NewBuilder()
	u32 := b.Int("__u32", 4, 0, 32)
	u64 := b.Int("__u64", 8, 0, 64)
	tu32 := b.Ref(KindTypedef, "u32_t", u32)
	// struct { __u32 fd; __u32 rev; } tcx;
	tcx := b.Struct(false, "", 8, BuilderMember{"fd", u32, 0, 0}, BuilderMember{"rev", tu32, 32, 0})
	// union { struct tcx; __u64 raw; } (anonymous)
	anonU := b.Struct(true, "", 8, BuilderMember{"tcx", tcx, 0, 0}, BuilderMember{"raw", u64, 0, 0})
	// struct { __u32 prog_fd; __u32 flags:3, mode:5; <anon union> } link
	link := b.Struct(false, "", 16, BuilderMember{"prog_fd", u32, 0, 0}, BuilderMember{"flags", u32, 32, 3},
		BuilderMember{"mode", u32, 35, 5}, BuilderMember{"", anonU, 64, 0})
	// struct { __u32 map_type; __u32 key_size; } (anonymous, in the union)
	anonS := b.Struct(false, "", 8, BuilderMember{"map_type", u32, 0, 0}, BuilderMember{"key_size", u32, 32, 0})
	attr := b.Struct(true, "attr", 16, BuilderMember{"", anonS, 0, 0}, BuilderMember{"link", link, 0, 0})
	b.Struct(false, "attr", 4, BuilderMember{"decoy", u32, 0, 0}) // a struct with the union's name
	spec, err := Parse(b.Bytes(), binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	u, ok := spec.Named(KindUnion, "attr")
	if !ok || u.ID != attr {
		t.Fatalf("Named(union attr) = %d, %v; want %d", u.ID, ok, attr)
	}
	if _, ok := spec.Named(KindUnion, "nope"); ok {
		t.Error("Named found a missing union")
	}
	for _, tt := range []struct {
		path      string
		bitOff    uint32
		typ       TypeID
		bitfield  uint32
		errNoName bool
	}{
		{path: "map_type", bitOff: 0, typ: u32},
		{path: "key_size", bitOff: 32, typ: u32},
		{path: "link.prog_fd", bitOff: 0, typ: u32},
		{path: "link.flags", bitOff: 32, typ: u32, bitfield: 3},
		{path: "link.mode", bitOff: 35, typ: u32, bitfield: 5},
		{path: "link.tcx", bitOff: 64, typ: tcx},
		{path: "link.tcx.rev", bitOff: 96, typ: tu32},
		{path: "link.raw", bitOff: 64, typ: u64},
		{path: "link.nope", errNoName: true},
		{path: "nope", errNoName: true},
		{path: "map_type.x", errNoName: true},   // an int has no members
		{path: "link.flags.x", errNoName: true}, // nor has a bitfield
		{path: "link..fd", errNoName: true},
		{path: "", errNoName: true},
	} {
		f, err := spec.Field(u, tt.path)
		if tt.errNoName {
			if !errors.Is(err, ErrNoField) {
				t.Errorf("%s: %+v, %v; want ErrNoField", tt.path, f, err)
			}
			continue
		}
		if err != nil || f != (Field{BitOffset: tt.bitOff, Type: tt.typ, BitfieldSize: tt.bitfield}) {
			t.Errorf("%s: %+v, %v; want offset %d type %d bitfield %d", tt.path, f, err, tt.bitOff, tt.typ, tt.bitfield)
		}
	}
	f, err := spec.Field(u, "link.tcx")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := spec.Sizeof(f.Type); err != nil || n != 8 {
		t.Errorf("Sizeof(link.tcx) = %d, %v", n, err)
	}
}
