package elf

import (
	"debug/elf"
	"encoding/binary"
	"fmt"

	"github.com/purebpf/bpf/internal/btf"
)

// btfFuncGlobal is BTF_FUNC_GLOBAL, a FUNC type's linkage (in its vlen
// bits).
const btfFuncGlobal = 1

// staticHiddenFuncs gives the BTF functions of global subprograms with
// hidden visibility (__hidden, as libbpf's usdt.bpf.h declares
// bpf_usdt_arg) static linkage in the BTF sent to the kernel, as libbpf
// does. The verifier checks a global function once, on its own, against
// its BTF prototype (a pointer argument may then be NULL), but a static
// one in the context of each call; hidden functions are written for the
// latter, and cannot be called from outside the object anyway.
func (o *object) staticHiddenFuncs() error {
	raw := o.kraw
	if raw == nil {
		return nil
	}
	hidden := map[string]bool{}
	for _, sym := range o.syms {
		if sym.hidden && sym.typ == elf.STT_FUNC && sym.bind != elf.STB_LOCAL &&
			sym.section > 0 && sym.section < len(o.f.Sections) && o.f.Sections[sym.section].Name == ".text" {
			hidden[sym.name] = true
		}
	}
	if len(hidden) == 0 {
		return nil
	}
	bo := o.bo
	types, strs, err := btfSections(raw, bo)
	if err != nil || types == nil {
		return err
	}
	for off := 0; off < len(types); {
		if len(types)-off < btfTypeHeaderLen {
			return fmt.Errorf("%w: section .BTF: truncated type", ErrFormat)
		}
		info := bo.Uint32(types[off+4:])
		kind, vlen := btf.Kind(info>>24&0x1f), int(info&0xffff)
		n, ok := extraLen(kind, vlen)
		if !ok || len(types)-off-btfTypeHeaderLen < n {
			return fmt.Errorf("%w: section .BTF: type of kind %s at offset %d", ErrFormat, kind, off)
		}
		if kind == btf.KindFunc && vlen == btfFuncGlobal {
			if nameOff := bo.Uint32(types[off:]); int(nameOff) < len(strs) && hidden[cString(strs[nameOff:])] {
				bo.PutUint32(types[off+4:], info&^0xffff|btfFuncStatic)
			}
		}
		off += btfTypeHeaderLen + n
	}
	return nil
}

// btfSections returns the type and string sections of raw BTF (as the
// loader prepared it for the kernel), aliasing raw; nil for data shorter
// than a header.
func btfSections(raw []byte, bo binary.ByteOrder) (types, strs []byte, err error) {
	if len(raw) < 24 {
		return nil, nil, nil
	}
	hdrLen := bo.Uint32(raw[4:])
	typeOff, typeLen := bo.Uint32(raw[8:]), bo.Uint32(raw[12:])
	strOff, strLen := bo.Uint32(raw[16:]), bo.Uint32(raw[20:])
	tStart, sStart := uint64(hdrLen)+uint64(typeOff), uint64(hdrLen)+uint64(strOff)
	if tStart+uint64(typeLen) > uint64(len(raw)) || sStart+uint64(strLen) > uint64(len(raw)) {
		return nil, nil, fmt.Errorf("%w: section .BTF: type or string section outside the data", ErrFormat)
	}
	return raw[tStart : tStart+uint64(typeLen)], raw[sStart : sStart+uint64(strLen)], nil
}
