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
