package bpf

import (
	"reflect"
	"testing"

	"github.com/purebpf/bpf/internal/sys"
)

// TestContextLayout checks the generated test-run contexts against
// internal/sys's mirrors of the same C structs, whose layout
// internal/sys's tests check against the UAPI headers and the kernel's
// BTF: same size, and every named field at the same offset with the
// same size and name.
func TestContextLayout(t *testing.T) {
	for _, tc := range []struct {
		ours, sys reflect.Type
	}{
		{reflect.TypeFor[XDPContext](), reflect.TypeFor[sys.XDPMD]()},
		{reflect.TypeFor[SKBContext](), reflect.TypeFor[sys.SKBuff]()},
	} {
		t.Run(tc.ours.Name(), func(t *testing.T) {
			if tc.ours.Size() != tc.sys.Size() {
				t.Errorf("size %d, internal/sys's %s has %d", tc.ours.Size(), tc.sys.Name(), tc.sys.Size())
			}
			named := func(typ reflect.Type) []reflect.StructField {
				var out []reflect.StructField
				for i := range typ.NumField() {
					if f := typ.Field(i); f.Name != "_" {
						out = append(out, f)
					}
				}
				return out
			}
			ours, theirs := named(tc.ours), named(tc.sys)
			if len(ours) != len(theirs) {
				t.Fatalf("%d fields, internal/sys's %s has %d", len(ours), tc.sys.Name(), len(theirs))
			}
			for i, f := range ours {
				g := theirs[i]
				if f.Name != g.Name || f.Offset != g.Offset || f.Type.Size() != g.Type.Size() {
					t.Errorf("field %d: %s at %d (%d bytes), internal/sys: %s at %d (%d bytes)", i, f.Name, f.Offset, f.Type.Size(), g.Name, g.Offset, g.Type.Size())
				}
			}
		})
	}
}
