package elf

import (
	"cmp"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/internal/btf"
)

// loadBTF parses .BTF and .BTF.ext when the object has them.
func (o *object) loadBTF() error {
	var raw, rawExt []byte
	for _, s := range o.f.Sections {
		switch s.Name {
		case ".BTF", ".BTF.ext":
			data, err := o.sectionData(s)
			if err != nil {
				return err
			}
			if s.Name == ".BTF" {
				raw = data
			} else {
				rawExt = data
			}
		}
	}
	if raw == nil {
		if rawExt != nil && btf.HasCORE(rawExt, o.bo) {
			return fmt.Errorf("%w: section .BTF.ext has CO-RE relocations but the object has no .BTF to resolve them", ErrFormat)
		}
		return nil
	}
	spec, err := btf.Parse(raw, o.bo)
	if err != nil {
		return fmt.Errorf("section .BTF: %w", err)
	}
	o.btf = spec
	if rawExt != nil {
		ext, err := btf.ParseExt(rawExt, o.bo, spec)
		if err != nil {
			return fmt.Errorf("section .BTF.ext: %w", err)
		}
		o.ext = ext
	}
	return nil
}

// finishBTF prepares .BTF for the kernel and places the func_info and
// line_info records of every linked program. A program whose functions
// do not all have a func_info record gets none (the kernel wants all or
// nothing).
func (o *object) finishBTF() error {
	if o.btf == nil {
		return nil
	}
	if isHostOrder(o) {
		raw, err := o.btf.ForKernel(o.sectionSize, o.varOffset)
		if err != nil {
			return fmt.Errorf("section .BTF: %w", err)
		}
		o.spec.BTF = raw
	}
	if o.ext != nil {
		if err := o.placeCORE(); err != nil {
			return err
		}
	}
	if err := o.coreBTF(); err != nil {
		return err
	}
	if o.ext == nil {
		return nil
	}
	for _, fis := range o.ext.Funcs {
		slices.SortStableFunc(fis, func(a, b btf.FuncInfo) int { return cmp.Compare(a.Insn, b.Insn) })
	}
	for _, lis := range o.ext.Lines {
		slices.SortStableFunc(lis, func(a, b btf.LineInfo) int { return cmp.Compare(a.Insn, b.Insn) })
	}
	for _, lp := range o.linked {
		var fis []btf.FuncInfo
		var lis []btf.LineInfo
		complete := true
		for k, fn := range lp.funcs {
			base := uint32(lp.bases[k])
			start, end := uint32(fn.start*8), uint32(fn.end*8)
			found := false
			funcs := o.ext.Funcs[fn.sec.name]
			from, _ := slices.BinarySearchFunc(funcs, start, func(f btf.FuncInfo, s uint32) int { return cmp.Compare(f.Insn, s) })
			for _, fi := range funcs[from:] {
				if fi.Insn >= end {
					break
				}
				{
					if fi.Insn == start {
						found = true
					}
					fis = append(fis, btf.FuncInfo{Insn: base + (fi.Insn-start)/8, Type: fi.Type})
				}
			}
			if !found {
				complete = false
				break
			}
			lines := o.ext.Lines[fn.sec.name]
			from, _ = slices.BinarySearchFunc(lines, start, func(l btf.LineInfo, s uint32) int { return cmp.Compare(l.Insn, s) })
			for _, li := range lines[from:] {
				if li.Insn >= end {
					break
				}
				{
					li.Insn = base + (li.Insn-start)/8
					lis = append(lis, li)
				}
			}
		}
		if !complete {
			continue
		}
		slices.SortStableFunc(fis, func(a, b btf.FuncInfo) int { return int(a.Insn) - int(b.Insn) })
		slices.SortStableFunc(lis, func(a, b btf.LineInfo) int { return int(a.Insn) - int(b.Insn) })
		if o.spec.ProgramBTF == nil {
			o.spec.ProgramBTF = map[string]*bpf.ProgramBTF{}
		}
		o.spec.ProgramBTF[lp.key] = &bpf.ProgramBTF{
			FuncInfo: btf.AppendFuncInfos(make([]byte, 0, len(fis)*btf.FuncInfoSize), fis),
			LineInfo: btf.AppendLineInfos(make([]byte, 0, len(lis)*btf.LineInfoSize), lis),
			RawLen:   lp.rawLen,
		}
	}
	return nil
}

// placeCORE gives every linked program the CO-RE relocations of its
// functions, at the raw instruction indexes they have in the program.
// A record that lies in no function of a code section is an error: it
// would otherwise be dropped without a word.
func (o *object) placeCORE() error {
	if len(o.ext.CORE) == 0 {
		return nil
	}
	bySec := map[string]*section{}
	for _, sec := range o.sections {
		if sec != nil && sec.kind == kindProgram {
			bySec[sec.name] = sec
		}
	}
	for name, rs := range o.ext.CORE {
		sec := bySec[name]
		if sec == nil {
			return fmt.Errorf("%w: section .BTF.ext: %d CO-RE relocations for section %s, which holds no code", ErrFormat, len(rs), name)
		}
		for _, r := range rs {
			if _, _, ok := funcContaining(sec, int(r.Insn/8)); !ok {
				return fmt.Errorf("%w: section .BTF.ext: CO-RE %s relocation of %s at offset %d of section %s lies in no function", ErrFormat, r.Kind, o.btf.DescribeCORE(r), r.Insn, name)
			}
		}
	}
	for _, lp := range o.linked {
		var out []bpf.CORERelocation
		for k, fn := range lp.funcs {
			start, end := uint32(fn.start*8), uint32(fn.end*8)
			for _, r := range o.ext.CORE[fn.sec.name] {
				if r.Insn < start || r.Insn >= end {
					continue
				}
				out = append(out, bpf.CORERelocation{
					Insn:   lp.bases[k] + int(r.Insn-start)/8,
					Kind:   r.Kind.String(),
					Target: o.btf.DescribeCORE(r),
					TypeID: uint32(r.Type),
					Access: r.Access,
				})
			}
		}
		if len(out) == 0 {
			continue
		}
		slices.SortStableFunc(out, func(a, b bpf.CORERelocation) int { return cmp.Compare(a.Insn, b.Insn) })
		if p := o.spec.Programs[lp.key]; p != nil {
			p.CORERelocations = out
		}
	}
	return nil
}

func isHostOrder(o *object) bool {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], 1)
	return o.bo.Uint16(b[:]) == 1
}

// sectionSize gives ForKernel the size of an ELF section by name.
func (o *object) sectionSize(name string) (uint32, bool) {
	for _, s := range o.f.Sections {
		if s.Name == name {
			return uint32(s.Size), true
		}
	}
	return 0, false
}

// varOffset gives ForKernel the offset of a variable in a section.
func (o *object) varOffset(sec, name string) (uint32, bool) {
	if o.symIdx == nil {
		o.symIdx = make(map[[2]string]uint64)
		for i := 1; i < len(o.syms); i++ {
			s := &o.syms[i]
			if s.name != "" && s.section > 0 && s.section < len(o.f.Sections) && s.typ != elf.STT_SECTION {
				k := [2]string{o.f.Sections[s.section].Name, s.name}
				if _, dup := o.symIdx[k]; !dup {
					o.symIdx[k] = s.value
				}
			}
		}
	}
	v, ok := o.symIdx[[2]string{sec, name}]
	return uint32(v), ok
}
