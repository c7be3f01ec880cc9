package btf

import (
	"encoding/binary"
	"fmt"
)

// FuncInfo says that the function with BTF type Type (a KindFunc) starts
// at instruction Insn.
type FuncInfo struct {
	// Insn is a byte offset within the ELF section as parsed from
	// .BTF.ext, and an instruction (raw slot) index once a loader has
	// placed the function into a program.
	Insn uint32
	Type TypeID
}

// LineInfo maps the instruction Insn to a source line.
type LineInfo struct {
	// Insn is as in FuncInfo.
	Insn uint32
	// FileNameOff and LineOff are offsets of the file name and of the
	// source text of the line in the .BTF string section.
	FileNameOff, LineOff uint32
	// LineCol is line<<10 | column.
	LineCol uint32
}

// Line returns the line number.
func (l LineInfo) Line() uint32 { return l.LineCol >> 10 }

// Column returns the column.
func (l LineInfo) Column() uint32 { return l.LineCol & 0x3ff }

// Ext is parsed .BTF.ext: function, line and CO-RE relocation records
// per ELF section name.
type Ext struct {
	Funcs map[string][]FuncInfo
	Lines map[string][]LineInfo
	// CORE holds the CO-RE relocation records (headers of 32 bytes or
	// more), nil when there are none; loaders must apply or refuse every
	// one of them.
	CORE map[string][]CORERelo
}

const (
	// FuncInfoSize and LineInfoSize are the record sizes the kernel
	// expects (bpf_func_info, bpf_line_info).
	FuncInfoSize = 8
	LineInfoSize = 16
)

// ParseExt parses the .BTF.ext section raw. Section names are looked up in
// the string section of spec. Records larger than the known ones (newer
// toolchains) are accepted and their extra bytes ignored; smaller ones,
// truncated subsections and offsets that are not multiples of the
// instruction size are errors wrapping ErrInvalid.
func ParseExt(raw []byte, bo binary.ByteOrder, spec *Spec) (*Ext, error) {
	if len(raw) < 24 {
		return nil, fmt.Errorf("%w: .BTF.ext: %d bytes, shorter than the header", ErrInvalid, len(raw))
	}
	if m := bo.Uint16(raw); m != Magic {
		return nil, fmt.Errorf("%w: .BTF.ext: magic %#04x", ErrInvalid, m)
	}
	if raw[2] != 1 {
		return nil, fmt.Errorf("%w: .BTF.ext: version %d", ErrInvalid, raw[2])
	}
	hdrLen := bo.Uint32(raw[4:])
	if hdrLen < 24 || uint64(hdrLen) > uint64(len(raw)) {
		return nil, fmt.Errorf("%w: .BTF.ext: header length %d", ErrInvalid, hdrLen)
	}
	body := raw[hdrLen:]
	sub := func(what string, off, n uint32) ([]byte, error) {
		if uint64(off)+uint64(n) > uint64(len(body)) {
			return nil, fmt.Errorf("%w: .BTF.ext: %s [%d,+%d) outside the %d bytes of data", ErrInvalid, what, off, n, len(body))
		}
		return body[off : off+n], nil
	}
	fb, err := sub("func_info", bo.Uint32(raw[8:]), bo.Uint32(raw[12:]))
	if err != nil {
		return nil, err
	}
	lb, err := sub("line_info", bo.Uint32(raw[16:]), bo.Uint32(raw[20:]))
	if err != nil {
		return nil, err
	}
	ext := &Ext{Funcs: map[string][]FuncInfo{}, Lines: map[string][]LineInfo{}}
	err = walkInfo(fb, bo, spec, "func_info", FuncInfoSize, func(sec string, n int, rec func(int) []byte) error {
		fis := make([]FuncInfo, n)
		for i := range fis {
			r := rec(i)
			fis[i] = FuncInfo{Insn: bo.Uint32(r), Type: TypeID(bo.Uint32(r[4:]))}
			if fis[i].Insn%8 != 0 {
				return fmt.Errorf("%w: .BTF.ext: func_info of %s: offset %d is not a multiple of 8", ErrInvalid, sec, fis[i].Insn)
			}
		}
		ext.Funcs[sec] = append(ext.Funcs[sec], fis...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = walkInfo(lb, bo, spec, "line_info", LineInfoSize, func(sec string, n int, rec func(int) []byte) error {
		lis := make([]LineInfo, n)
		for i := range lis {
			r := rec(i)
			lis[i] = LineInfo{Insn: bo.Uint32(r), FileNameOff: bo.Uint32(r[4:]), LineOff: bo.Uint32(r[8:]), LineCol: bo.Uint32(r[12:])}
			if lis[i].Insn%8 != 0 {
				return fmt.Errorf("%w: .BTF.ext: line_info of %s: offset %d is not a multiple of 8", ErrInvalid, sec, lis[i].Insn)
			}
		}
		ext.Lines[sec] = append(ext.Lines[sec], lis...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if hdrLen >= 32 {
		cb, err := sub("core_relo", bo.Uint32(raw[24:]), bo.Uint32(raw[28:]))
		if err != nil {
			return nil, err
		}
		if err := parseCORE(cb, bo, spec, ext); err != nil {
			return nil, err
		}
	}
	return ext, nil
}

// HasCORE reports whether the .BTF.ext section raw declares CO-RE
// relocation records (a non-empty core_relo subsection), without needing
// the .BTF its strings live in. It is false for anything too short or
// malformed to say.
func HasCORE(raw []byte, bo binary.ByteOrder) bool {
	if len(raw) < 32 || bo.Uint16(raw) != Magic {
		return false
	}
	return bo.Uint32(raw[4:]) >= 32 && bo.Uint32(raw[28:]) > 0
}

// walkInfo iterates the per-section blocks of a func_info or line_info
// subsection: a record size, then {section name offset, count, records}.
func walkInfo(b []byte, bo binary.ByteOrder, spec *Spec, what string, minRec int, fn func(sec string, n int, rec func(int) []byte) error) error {
	if len(b) == 0 {
		return nil
	}
	if len(b) < 4 {
		return fmt.Errorf("%w: .BTF.ext: %s: truncated record size", ErrInvalid, what)
	}
	recSize := int(bo.Uint32(b))
	if recSize < minRec || recSize > 1<<16 {
		return fmt.Errorf("%w: .BTF.ext: %s: record size %d (at least %d)", ErrInvalid, what, recSize, minRec)
	}
	b = b[4:]
	for len(b) > 0 {
		if len(b) < 8 {
			return fmt.Errorf("%w: .BTF.ext: %s: truncated block header", ErrInvalid, what)
		}
		sec, err := spec.String(bo.Uint32(b))
		if err != nil {
			return fmt.Errorf(".BTF.ext: %s: section name: %w", what, err)
		}
		n := uint64(bo.Uint32(b[4:]))
		b = b[8:]
		if n*uint64(recSize) > uint64(len(b)) {
			return fmt.Errorf("%w: .BTF.ext: %s of %s: %d records of %d bytes past the end", ErrInvalid, what, sec, n, recSize)
		}
		recs := b
		if err := fn(sec, int(n), func(i int) []byte { return recs[i*recSize:] }); err != nil {
			return err
		}
		b = b[int(n)*recSize:]
	}
	return nil
}

// AppendFuncInfos appends the kernel encoding (bpf_func_info, native
// byte order) of fis, whose Insn fields are instruction indexes.
func AppendFuncInfos(b []byte, fis []FuncInfo) []byte {
	for _, f := range fis {
		b = binary.NativeEndian.AppendUint32(b, f.Insn)
		b = binary.NativeEndian.AppendUint32(b, uint32(f.Type))
	}
	return b
}

// AppendLineInfos appends the kernel encoding (bpf_line_info, native byte
// order) of lis, whose Insn fields are instruction indexes.
func AppendLineInfos(b []byte, lis []LineInfo) []byte {
	for _, l := range lis {
		b = binary.NativeEndian.AppendUint32(b, l.Insn)
		b = binary.NativeEndian.AppendUint32(b, l.FileNameOff)
		b = binary.NativeEndian.AppendUint32(b, l.LineOff)
		b = binary.NativeEndian.AppendUint32(b, l.LineCol)
	}
	return b
}
