package elf

import (
	"cmp"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	pbtf "github.com/purebpf/bpf/btf"
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
		o.kraw = raw
	}
	if o.ext != nil {
		if err := o.placeCORE(); err != nil {
			return err
		}
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
	for i := range o.linked {
		lp := &o.linked[i]
		// Count the records first: one allocation per program for each.
		nf, nl := 0, 0
		for _, fn := range lp.funcs {
			start, end := uint32(fn.start*8), uint32(fn.end*8)
			funcs, lines := o.ext.Funcs[fn.sec.name], o.ext.Lines[fn.sec.name]
			from, _ := slices.BinarySearchFunc(funcs, start, func(f btf.FuncInfo, s uint32) int { return cmp.Compare(f.Insn, s) })
			to, _ := slices.BinarySearchFunc(funcs, end, func(f btf.FuncInfo, s uint32) int { return cmp.Compare(f.Insn, s) })
			nf += to - from
			from, _ = slices.BinarySearchFunc(lines, start, func(l btf.LineInfo, s uint32) int { return cmp.Compare(l.Insn, s) })
			to, _ = slices.BinarySearchFunc(lines, end, func(l btf.LineInfo, s uint32) int { return cmp.Compare(l.Insn, s) })
			nl += to - from
		}
		var fis []btf.FuncInfo
		var lis []btf.LineInfo
		if nf > 0 {
			fis = make([]btf.FuncInfo, 0, nf)
		}
		if nl > 0 {
			lis = make([]btf.LineInfo, 0, nl)
		}
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
				if fi.Insn == start {
					found = true
				}
				fis = append(fis, btf.FuncInfo{Insn: base + (fi.Insn-start)/8, Type: fi.Type})
			}
			if !found {
				complete = false
			}
			lines := o.ext.Lines[fn.sec.name]
			from, _ = slices.BinarySearchFunc(lines, start, func(l btf.LineInfo, s uint32) int { return cmp.Compare(l.Insn, s) })
			for _, li := range lines[from:] {
				if li.Insn >= end {
					break
				}
				li.Insn = base + (li.Insn-start)/8
				lis = append(lis, li)
			}
		}
		if !complete {
			fis = nil
		}
		slices.SortStableFunc(fis, func(a, b btf.FuncInfo) int { return int(a.Insn) - int(b.Insn) })
		slices.SortStableFunc(lis, func(a, b btf.LineInfo) int { return int(a.Insn) - int(b.Insn) })
		lp.fis, lp.lis = fis, lis
	}
	return nil
}

// publishBTF gives the spec, its programs and its maps the object's types
// as the kernel takes them (one *btf.Spec they all share), and anchors the
// func_info and line_info records of each program to its instructions
// (asm.Instruction.Func and Line). The lines' strings alias the types'
// string section, so the loader finds their offsets without a search.
func (o *object) publishBTF() error {
	if o.btf == nil {
		return nil
	}
	raw := o.kraw
	if raw == nil { // not host byte order: the section as it is
		var err error
		none := func(string) (uint32, bool) { return 0, false }
		if raw, err = o.btf.ForKernel(none, func(string, string) (uint32, bool) { return 0, false }); err != nil {
			return fmt.Errorf("section .BTF: %w", err)
		}
	}
	types, err := pbtf.Parse(raw)
	if err != nil {
		return fmt.Errorf("section .BTF: %w", err)
	}
	is, _ := btf.FromPublic(types)
	o.spec.BTF = types
	for _, p := range o.spec.Programs {
		if p != nil {
			p.BTF = types
		}
	}
	for _, m := range o.spec.Maps {
		if m != nil && (m.KeyType != 0 || m.ValueType != 0) {
			m.BTF = types
		}
	}
	for i := range o.linked {
		lp := &o.linked[i]
		p := o.spec.Programs[lp.key]
		if p == nil || len(lp.fis)+len(lp.lis) == 0 {
			continue
		}
		funcs := make([]asm.FuncInfo, len(lp.fis))
		lines := make([]asm.Line, len(lp.lis))
		fis, lis := lp.fis, lp.lis
		raw := uint32(0)
		for k := range p.Instructions {
			ins := &p.Instructions[k]
			for len(fis) > 0 && fis[0].Insn < raw {
				fis = fis[1:] // not at the start of an instruction
			}
			if len(fis) > 0 && fis[0].Insn == raw {
				f := &funcs[len(funcs)-len(fis)]
				f.Type, f.Name = pbtf.TypeID(fis[0].Type), ins.Symbol()
				if f.Name == "" && k == 0 {
					f.Name = p.Name
				}
				*ins = ins.WithFunc(f)
				fis = fis[1:]
			}
			for len(lis) > 0 && lis[0].Insn < raw {
				lis = lis[1:]
			}
			if len(lis) > 0 && lis[0].Insn == raw {
				l := &lines[len(lines)-len(lis)]
				li := lis[0]
				l.File, _ = is.StringAt(li.FileNameOff)
				l.Text, _ = is.StringAt(li.LineOff)
				l.Line, l.Column = li.Line(), li.Column()
				*ins = ins.WithLine(l)
				for len(lis) > 0 && lis[0].Insn == raw {
					lis = lis[1:] // one line per instruction
				}
			}
			raw += uint32(ins.Slots())
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
					TypeID: pbtf.TypeID(r.Type),
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
