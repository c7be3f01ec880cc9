package btf_test

import (
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/purebpf/bpf/btf"
)

// FuzzParse parses arbitrary bytes as BTF, stand-alone and as split BTF
// on a fixed base, and, when they parse, walks every type: decoding,
// names, name lookups, sizes, formatting a zero value, and a Marshal round
// trip in both byte orders. Nothing may panic; every error must wrap
// ErrInvalid (or ErrNotFound/ErrAmbiguous for lookups).
func FuzzParse(f *testing.F) {
	for _, path := range objects(f) {
		if raw := objectBTF(f, path); raw != nil {
			f.Add(raw)
		}
	}
	b := btf.NewBuilder()
	for _, ty := range everyKind() {
		b.Add(ty)
	}
	for _, bo := range orders {
		raw, err := b.Marshal(bo)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	base, err := b.Spec()
	if err != nil {
		f.Fatal(err)
	}
	sb := btf.NewSplitBuilder(base)
	sb.Add(&btf.Struct{Name: "mod", Size: 8, Members: []btf.Member{{Name: "task", Type: 4}}})
	sb.Add(&btf.Typedef{Name: "task", Type: 6})
	split, err := sb.Marshal(binary.NativeEndian)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(split)
	f.Fuzz(func(t *testing.T, raw []byte) {
		spec, err := btf.Parse(raw)
		if err == nil {
			walk(t, spec, btf.Parse)
		} else if !errors.Is(err, btf.ErrInvalid) {
			t.Fatalf("Parse error %v does not wrap ErrInvalid", err)
		}
		spec, err = btf.ParseSplit(raw, base)
		if err == nil {
			walk(t, spec, func(raw []byte) (*btf.Spec, error) { return btf.ParseSplit(raw, base) })
		} else if !errors.Is(err, btf.ErrInvalid) {
			t.Fatalf("ParseSplit error %v does not wrap ErrInvalid", err)
		}
	})
}

var zero = make([]byte, 1<<12)

// walk decodes every type of spec and checks that parse(Marshal(spec))
// gives the same types.
func walk(t *testing.T, spec *btf.Spec, parse func([]byte) (*btf.Spec, error)) {
	types := make([]btf.Type, spec.NumTypes()+1)
	for id := btf.TypeID(0); int(id) <= spec.NumTypes(); id++ {
		ty, err := spec.TypeByID(id)
		if err != nil {
			if !errors.Is(err, btf.ErrInvalid) {
				t.Fatalf("TypeByID(%d): %v does not wrap ErrInvalid", id, err)
			}
			continue
		}
		types[id] = ty
		_ = spec.TypeName(btf.TypeID(id))
		if name := ty.TypeName(); name != "" {
			found := false
			ids, _, err := spec.TypesByName(name)
			for _, other := range ids {
				found = found || other == id
			}
			// Another type of the name may not decode (ErrInvalid).
			if !found && !errors.Is(err, btf.ErrInvalid) && ty.Kind() != btf.KindDeclTag && ty.Kind() != btf.KindTypeTag {
				t.Fatalf("type %d named %q is not found by name", id, name)
			}
			_, _, _ = spec.TypeByName(name)
		}
		if size, err := spec.Size(btf.TypeID(id)); err == nil && size <= uint32(len(zero)) {
			_ = spec.Format(io.Discard, btf.TypeID(id), zero[:size])
		}
	}
	for _, bo := range orders {
		out, err := spec.Marshal(bo)
		if err != nil {
			t.Fatal(err)
		}
		if spec.Base() != nil && bo.Uint16([]byte{1, 2}) != binary.NativeEndian.Uint16([]byte{1, 2}) {
			continue // split BTF must be in its base's byte order
		}
		back, err := parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal(%s)): %v", bo, err)
		}
		if back.NumTypes() != spec.NumTypes() {
			t.Fatalf("round trip %s: %d types, want %d", bo, back.NumTypes(), spec.NumTypes())
		}
		for id, want := range types {
			if want == nil {
				continue
			}
			got, err := back.TypeByID(btf.TypeID(id))
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("round trip %s: type %d = %+v, %v; want %+v", bo, id, got, err, want)
			}
		}
	}
}
