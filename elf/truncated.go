package elf

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
)

// checkTruncated explains an object cut short (a partial download or
// copy) before debug/elf reads it, which would only say EOF: it names
// what lies beyond the end of the data (the ELF identification or
// header, the section header table, the section name string table, or
// the section the cut falls into: the symbol table, a string table,
// relocations, or a section by name) and how long the file should be. It returns nil for anything else
// (including files that are not 64-bit ELF), which the parse then judges.
// The error wraps ErrFormat and io.ErrUnexpectedEOF.
func checkTruncated(data []byte) error {
	const identLen, hdrLen = 16, 64
	n := uint64(len(data))
	magic := elf.ELFMAG
	if n < uint64(len(magic)) {
		if string(data) != magic[:n] {
			return nil
		}
	} else if string(data[:len(magic)]) != magic {
		return nil
	}
	if n < identLen {
		return truncated(n, "the ELF identification", 0, identLen)
	}
	if elf.Class(data[elf.EI_CLASS]) != elf.ELFCLASS64 {
		return nil
	}
	var bo binary.ByteOrder
	switch elf.Data(data[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		bo = binary.BigEndian
	default:
		return nil
	}
	if n < hdrLen {
		return truncated(n, "the ELF header", 0, hdrLen)
	}
	shoff, shentsize := bo.Uint64(data[0x28:]), uint64(bo.Uint16(data[0x3a:]))
	shnum, shstrndx := uint64(bo.Uint16(data[0x3c:])), uint64(bo.Uint16(data[0x3e:]))
	if shoff == 0 || shnum == 0 || shentsize < hdrLen || shoff > 1<<48 {
		return nil
	}
	if shoff+shnum*shentsize > n {
		return truncated(n, fmt.Sprintf("the section header table (%d headers)", shnum), shoff, shnum*shentsize)
	}
	type shdr struct{ name, typ, off, size uint64 }
	header := func(i uint64) shdr {
		h := data[shoff+i*shentsize:]
		return shdr{name: uint64(bo.Uint32(h)), typ: uint64(bo.Uint32(h[4:])), off: bo.Uint64(h[0x18:]), size: bo.Uint64(h[0x20:])}
	}
	beyond := func(h shdr) bool {
		return elf.SectionType(h.typ) != elf.SHT_NOBITS && (h.off > n || h.size > n-h.off)
	}
	// The section the cut falls into (or, if it falls between sections,
	// the first one missing): the one beyond the end that starts first.
	// need is the length the file should have.
	first, need := uint64(0), uint64(0)
	for i := uint64(1); i < shnum; i++ {
		h := header(i)
		if !beyond(h) {
			continue
		}
		if first == 0 || h.off < header(first).off {
			first = i
		}
		if h.off <= 1<<48 && h.size <= 1<<48 {
			need = max(need, h.off+h.size)
		}
	}
	if first == 0 {
		return nil
	}
	h := header(first)
	var what string
	switch {
	case first == shstrndx:
		what = "the section name string table"
	case elf.SectionType(h.typ) == elf.SHT_SYMTAB:
		what = "the symbol table"
	case elf.SectionType(h.typ) == elf.SHT_STRTAB:
		what = "the string table"
	case elf.SectionType(h.typ) == elf.SHT_REL || elf.SectionType(h.typ) == elf.SHT_RELA:
		what = "the relocations"
	default:
		what = "section"
	}
	// The name, unless the section names are cut off too (clang writes
	// them last, before the section header table).
	name := ""
	if shstrndx < shnum && !beyond(header(shstrndx)) {
		if sh := header(shstrndx); elf.SectionType(sh.typ) != elf.SHT_NOBITS && h.name < sh.size {
			name = cString(data[sh.off+h.name : sh.off+sh.size])
		}
	}
	switch {
	case name != "":
		what = fmt.Sprintf("%s %s (section %d)", what, name, first)
	case what == "section":
		what = fmt.Sprintf("section %d", first)
	default:
		what = fmt.Sprintf("%s (section %d)", what, first)
	}
	return truncatedNeed(n, what, h.off, h.size, max(need, shoff+shnum*shentsize))
}

// truncated is the error for what, at [off,+size), beyond the end of an
// n-byte file.
func truncated(n uint64, what string, off, size uint64) error {
	return truncatedNeed(n, what, off, size, off+size)
}

// truncatedNeed is truncated for a file that needs need bytes.
func truncatedNeed(n uint64, what string, off, size, need uint64) error {
	if n == 0 {
		return fmt.Errorf("%w: empty file: %w", ErrFormat, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("%w: truncated object: %s at [%d,+%d) lies beyond the end of the %d-byte file (it needs at least %d bytes): %w",
		ErrFormat, what, off, size, n, need, io.ErrUnexpectedEOF)
}
