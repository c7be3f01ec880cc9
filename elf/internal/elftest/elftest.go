// Package elftest writes small ELF relocatable files for tests: the shapes
// old toolchains and other loaders produced (zero-size symbols, SHT_RELA,
// EM_NONE, hand-written map sections), and deliberately broken files.
// It writes exactly what it is told; nothing is validated.
package elftest

import (
	"debug/elf"
	"encoding/binary"
)

// Section is a section to write. Its index is its position in
// File.Sections plus one (index 0 is the null section); relocation
// sections, .symtab, .strtab and .shstrtab come after them.
type Section struct {
	Name  string
	Type  elf.SectionType // SHT_PROGBITS if zero
	Flags elf.SectionFlag
	Data  []byte
	// Size overrides len(Data) in the header (for SHT_NOBITS, or to
	// make a header lie).
	Size uint64
	// Offset overrides the file offset in the header when not zero.
	Offset uint64
}

// Symbol is a symbol table entry. Section names the section it is
// defined in ("" for SHN_UNDEF); SectionIndex, when not zero, is used
// instead (for special or bogus indexes).
type Symbol struct {
	Name         string
	Value, Size  uint64
	Section      string
	SectionIndex uint16
	Bind         elf.SymBind
	Type         elf.SymType
}

// Reloc is a relocation applying to Section at Offset against Symbol (by
// name; SymbolIndex, when not zero, is used instead).
type Reloc struct {
	Section     string
	Offset      uint64
	Symbol      string
	SymbolIndex uint32
	Type        uint32 // R_BPF_64_64 (1) if zero
	// TypeNone writes type 0 (R_BPF_NONE), whatever Type says: what old
	// toolchains writing EM_NONE objects (OVS's datapath) emit for map
	// references.
	TypeNone bool
	Addend   int64 // RELA only
}

// File is an ELF64 relocatable file.
type File struct {
	ByteOrder binary.ByteOrder // little-endian if nil
	Machine   elf.Machine      // EM_BPF if zero; set EM_NONE with NoMachine
	NoMachine bool
	Type      elf.Type // ET_REL if zero
	Sections  []Section
	Symbols   []Symbol
	Relocs    []Reloc
	// RELA writes SHT_RELA sections (with addends) instead of SHT_REL.
	RELA bool
	// NoSymtab leaves out the symbol table.
	NoSymtab bool
}

// R_BPF relocation types.
const (
	R_BPF_64_64 = 1
	R_BPF_64_32 = 10
)

type shdr struct {
	name                 uint32
	typ                  elf.SectionType
	flags                elf.SectionFlag
	off, size            uint64
	link, info           uint32
	align, entsize       uint64
	data                 []byte
	offOverride, sizeSet bool
}

// Bytes renders the file.
func (f *File) Bytes() []byte {
	bo := f.ByteOrder
	if bo == nil {
		bo = binary.LittleEndian
	}
	shstr := []byte{0}
	addName := func(tab *[]byte, s string) uint32 {
		off := uint32(len(*tab))
		*tab = append(append(*tab, s...), 0)
		return off
	}
	secIndex := map[string]int{}
	hdrs := []shdr{{}}
	for _, s := range f.Sections {
		typ := s.Type
		if typ == 0 {
			typ = elf.SHT_PROGBITS
		}
		size := uint64(len(s.Data))
		if s.Size != 0 {
			size = s.Size
		}
		secIndex[s.Name] = len(hdrs)
		hdrs = append(hdrs, shdr{name: addName(&shstr, s.Name), typ: typ, flags: s.Flags, size: size, data: s.Data, align: 8, off: s.Offset, offOverride: s.Offset != 0})
	}
	// Symbol and string tables.
	strtab := []byte{0}
	symIndex := map[string]uint32{}
	var symtab []byte
	symtab = append(symtab, make([]byte, 24)...)
	firstGlobal := uint32(1)
	for i, s := range f.Symbols {
		e := make([]byte, 24)
		var nameOff uint32
		if s.Name != "" {
			nameOff = addName(&strtab, s.Name)
			if _, ok := symIndex[s.Name]; !ok {
				symIndex[s.Name] = uint32(i + 1)
			}
		}
		bo.PutUint32(e, nameOff)
		e[4] = byte(s.Bind)<<4 | byte(s.Type)&0xf
		shndx := uint16(0)
		if s.Section != "" {
			shndx = uint16(secIndex[s.Section])
		}
		if s.SectionIndex != 0 {
			shndx = s.SectionIndex
		}
		bo.PutUint16(e[6:], shndx)
		bo.PutUint64(e[8:], s.Value)
		bo.PutUint64(e[16:], s.Size)
		symtab = append(symtab, e...)
		if s.Bind == elf.STB_LOCAL {
			firstGlobal = uint32(i + 2)
		}
	}
	// Relocation sections, one per target section, in order of first use.
	var relOrder []string
	relData := map[string][]byte{}
	for _, r := range f.Relocs {
		if _, ok := relData[r.Section]; !ok {
			relOrder = append(relOrder, r.Section)
			relData[r.Section] = []byte{}
		}
		sym := r.SymbolIndex
		if sym == 0 {
			sym = symIndex[r.Symbol]
		}
		typ := r.Type
		if typ == 0 {
			typ = R_BPF_64_64
		}
		if r.TypeNone {
			typ = 0
		}
		e := make([]byte, 16, 24)
		bo.PutUint64(e, r.Offset)
		bo.PutUint64(e[8:], uint64(sym)<<32|uint64(typ))
		if f.RELA {
			e = e[:24]
			bo.PutUint64(e[16:], uint64(r.Addend))
		}
		relData[r.Section] = append(relData[r.Section], e...)
	}
	symtabIdx := len(hdrs) + len(relOrder)
	for _, target := range relOrder {
		prefix, typ, ent := ".rel", elf.SHT_REL, uint64(16)
		if f.RELA {
			prefix, typ, ent = ".rela", elf.SHT_RELA, 24
		}
		hdrs = append(hdrs, shdr{name: addName(&shstr, prefix+target), typ: typ, data: relData[target], size: uint64(len(relData[target])),
			link: uint32(symtabIdx), info: uint32(secIndex[target]), align: 8, entsize: ent})
	}
	if !f.NoSymtab {
		hdrs = append(hdrs, shdr{name: addName(&shstr, ".symtab"), typ: elf.SHT_SYMTAB, data: symtab, size: uint64(len(symtab)),
			link: uint32(symtabIdx + 1), info: firstGlobal, align: 8, entsize: 24})
	}
	strIdx := len(hdrs)
	hdrs = append(hdrs, shdr{name: addName(&shstr, ".strtab"), typ: elf.SHT_STRTAB, data: strtab, size: uint64(len(strtab)), align: 1})
	shstrIdx := len(hdrs)
	nameOff := addName(&shstr, ".shstrtab")
	hdrs = append(hdrs, shdr{name: nameOff, typ: elf.SHT_STRTAB, align: 1})
	hdrs[shstrIdx].data, hdrs[shstrIdx].size = shstr, uint64(len(shstr))
	_ = strIdx

	// Layout: header, section contents, section headers.
	out := make([]byte, 64)
	for i := 1; i < len(hdrs); i++ {
		h := &hdrs[i]
		for len(out)%8 != 0 {
			out = append(out, 0)
		}
		if !h.offOverride {
			h.off = uint64(len(out))
		}
		if h.typ != elf.SHT_NOBITS {
			out = append(out, h.data...)
		}
	}
	for len(out)%8 != 0 {
		out = append(out, 0)
	}
	shoff := uint64(len(out))
	for _, h := range hdrs {
		e := make([]byte, 64)
		bo.PutUint32(e, h.name)
		bo.PutUint32(e[4:], uint32(h.typ))
		bo.PutUint64(e[8:], uint64(h.flags))
		bo.PutUint64(e[24:], h.off)
		bo.PutUint64(e[32:], h.size)
		bo.PutUint32(e[40:], h.link)
		bo.PutUint32(e[44:], h.info)
		bo.PutUint64(e[48:], h.align)
		bo.PutUint64(e[56:], h.entsize)
		out = append(out, e...)
	}
	// ELF header.
	copy(out, elf.ELFMAG)
	out[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	if bo == binary.BigEndian {
		out[elf.EI_DATA] = byte(elf.ELFDATA2MSB)
	} else {
		out[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	}
	out[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	typ := f.Type
	if typ == 0 {
		typ = elf.ET_REL
	}
	machine := f.Machine
	if machine == 0 && !f.NoMachine {
		machine = elf.EM_BPF
	}
	bo.PutUint16(out[16:], uint16(typ))
	bo.PutUint16(out[18:], uint16(machine))
	bo.PutUint32(out[20:], uint32(elf.EV_CURRENT))
	bo.PutUint64(out[40:], shoff)
	bo.PutUint16(out[52:], 64)
	bo.PutUint16(out[58:], 64)
	bo.PutUint16(out[60:], uint16(len(hdrs)))
	bo.PutUint16(out[62:], uint16(shstrIdx))
	return out
}
