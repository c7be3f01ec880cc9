package btf

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzParseExt parses arbitrary bytes as a .BTF.ext section against the
// .BTF of a committed object, little-endian (core.o, which has CO-RE
// records) and big-endian (features_bpfeb.o). Nothing may panic; an error
// must wrap ErrInvalid; a parsed section's records all sit on instruction
// boundaries and every CO-RE record can be described against the spec.
func FuzzParseExt(f *testing.F) {
	type object struct {
		spec *Spec
		bo   binary.ByteOrder
	}
	var objs [2]object
	for i, path := range []string{"../../elf/testdata/core.o", "../../elf/testdata/features_bpfeb.o"} {
		raw, bo := fuzzSection(f, path, ".BTF")
		spec, err := Parse(raw, bo)
		if err != nil {
			f.Fatalf("%s: %v", path, err)
		}
		objs[i] = object{spec, bo}
		ext, _ := fuzzSection(f, path, ".BTF.ext")
		f.Add(ext, i == 1)
	}
	f.Fuzz(func(t *testing.T, raw []byte, big bool) {
		o := objs[0]
		if big {
			o = objs[1]
		}
		_ = HasCORE(raw, o.bo)
		ext, err := ParseExt(raw, o.bo, o.spec)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseExt error %v does not wrap ErrInvalid", err)
			}
			return
		}
		for sec, fis := range ext.Funcs {
			for _, fi := range fis {
				if fi.Insn%8 != 0 {
					t.Errorf("func_info of %s at byte %d: not an instruction boundary", sec, fi.Insn)
				}
			}
			_ = AppendFuncInfos(nil, fis)
		}
		for sec, lis := range ext.Lines {
			for _, li := range lis {
				if li.Insn%8 != 0 {
					t.Errorf("line_info of %s at byte %d: not an instruction boundary", sec, li.Insn)
				}
			}
			_ = AppendLineInfos(nil, lis)
		}
		for _, relos := range ext.CORE {
			for _, r := range relos {
				_ = o.spec.DescribeCORE(r)
			}
		}
	})
}

// fuzzSection reads section name of the ELF object at path.
func fuzzSection(f *testing.F, path, name string) ([]byte, binary.ByteOrder) {
	f.Helper()
	ef, err := elf.Open(path)
	if err != nil {
		f.Fatal(err)
	}
	defer ef.Close()
	s := ef.Section(name)
	if s == nil {
		f.Fatalf("%s has no %s", path, name)
	}
	b, err := s.Data()
	if err != nil {
		f.Fatal(err)
	}
	return b, ef.ByteOrder
}
