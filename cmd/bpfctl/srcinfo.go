package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/btf"
)

// The func and line info the loader gave the kernel (BPF_PROG_LOAD's
// func_info and line_info, kernel 5.0+) come back through
// BPF_OBJ_GET_INFO_BY_FD together with the id of the program's BTF, whose
// string section holds the file names and source lines. bpftool prints
// them in prog dump xlated; srcInfo is what it needs of them.

// Kernel UAPI: bpf commands and the bpf_prog_info / bpf_btf_info fields
// read here (offsets in bytes).
const (
	cmdObjGetInfoByFD = 15
	cmdBTFGetFDByID   = 19

	progInfoXlatedLen       = 20  // __u32 xlated_prog_len
	progInfoXlatedInsns     = 32  // __aligned_u64 xlated_prog_insns
	progInfoNrJitedKsyms    = 104 // __u32 nr_jited_ksyms
	progInfoJitedKsyms      = 112 // __aligned_u64 jited_ksyms
	progInfoBTFID           = 128 // __u32 btf_id
	progInfoFuncInfoRecSize = 132 // __u32 func_info_rec_size
	progInfoFuncInfo        = 136 // __aligned_u64 func_info
	progInfoNrFuncInfo      = 144 // __u32 nr_func_info
	progInfoNrLineInfo      = 148 // __u32 nr_line_info
	progInfoLineInfo        = 152 // __aligned_u64 line_info
	progInfoLineInfoRecSize = 172 // __u32 line_info_rec_size
	progInfoSize            = 180 // up to and including jited_line_info_rec_size

	funcInfoMinSize = 8  // struct bpf_func_info: insn_off, type_id
	lineInfoMinSize = 16 // struct bpf_line_info: insn_off, file_name_off, line_off, line_col
)

// funcRecord is one struct bpf_func_info.
type funcRecord struct{ insnOff, typeID uint32 }

// lineRecord is one struct bpf_line_info.
type lineRecord struct{ insnOff, fileOff, lineOff, lineCol uint32 }

// srcInfo is a loaded program's func and line info with its BTF.
type srcInfo struct {
	funcs   []funcRecord
	lines   []lineRecord
	strings []byte // the BTF string section
	spec    *btf.Spec
}

// bpfObjInfo runs BPF_OBJ_GET_INFO_BY_FD on fd with the buffer info.
func bpfObjInfo(fd int, info []byte) error {
	attr := struct {
		fd, len uint32
		info    uint64
	}{uint32(fd), uint32(len(info)), uint64(uintptr(unsafe.Pointer(&info[0])))}
	_, _, errno := unix.Syscall(unix.SYS_BPF, cmdObjGetInfoByFD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(info)
	if errno != 0 {
		return errno
	}
	return nil
}

// readSrcInfo reads the func and line info of p. A program loaded without
// BTF gives a nil srcInfo and no error.
func readSrcInfo(p *bpf.Program) (*srcInfo, error) {
	bo := binary.NativeEndian
	info := make([]byte, progInfoSize)
	if err := bpfObjInfo(p.FD(), info); err != nil {
		return nil, fmt.Errorf("program %s: info: %w", p.Name(), err)
	}
	btfID := bo.Uint32(info[progInfoBTFID:])
	nFunc, funcSize := bo.Uint32(info[progInfoNrFuncInfo:]), bo.Uint32(info[progInfoFuncInfoRecSize:])
	nLine, lineSize := bo.Uint32(info[progInfoNrLineInfo:]), bo.Uint32(info[progInfoLineInfoRecSize:])
	if btfID == 0 || (nFunc == 0 && nLine == 0) {
		return nil, nil
	}
	if (nFunc > 0 && funcSize < funcInfoMinSize) || (nLine > 0 && lineSize < lineInfoMinSize) {
		return nil, fmt.Errorf("program %s: kernel reports func/line info records of %d/%d bytes", p.Name(), funcSize, lineSize)
	}
	funcBuf := make([]byte, nFunc*funcSize+1)
	lineBuf := make([]byte, nLine*lineSize+1)
	clear(info)
	bo.PutUint32(info[progInfoNrFuncInfo:], nFunc)
	bo.PutUint32(info[progInfoFuncInfoRecSize:], funcSize)
	bo.PutUint64(info[progInfoFuncInfo:], uint64(uintptr(unsafe.Pointer(&funcBuf[0]))))
	bo.PutUint32(info[progInfoNrLineInfo:], nLine)
	bo.PutUint32(info[progInfoLineInfoRecSize:], lineSize)
	bo.PutUint64(info[progInfoLineInfo:], uint64(uintptr(unsafe.Pointer(&lineBuf[0]))))
	err := bpfObjInfo(p.FD(), info)
	runtime.KeepAlive(funcBuf)
	runtime.KeepAlive(lineBuf)
	if err != nil {
		return nil, fmt.Errorf("program %s: func and line info: %w", p.Name(), err)
	}
	si := &srcInfo{}
	for i := uint32(0); i < min(nFunc, bo.Uint32(info[progInfoNrFuncInfo:])); i++ {
		r := funcBuf[i*funcSize:]
		si.funcs = append(si.funcs, funcRecord{bo.Uint32(r), bo.Uint32(r[4:])})
	}
	for i := uint32(0); i < min(nLine, bo.Uint32(info[progInfoNrLineInfo:])); i++ {
		r := lineBuf[i*lineSize:]
		si.lines = append(si.lines, lineRecord{bo.Uint32(r), bo.Uint32(r[4:]), bo.Uint32(r[8:]), bo.Uint32(r[12:])})
	}
	raw, err := rawBTF(btfID)
	if err != nil {
		return nil, fmt.Errorf("program %s: %w", p.Name(), err)
	}
	if si.strings, err = btfStrings(raw); err != nil {
		return nil, fmt.Errorf("program %s: btf %d: %w", p.Name(), btfID, err)
	}
	if si.spec, err = btf.Parse(raw); err != nil {
		return nil, fmt.Errorf("program %s: btf %d: %w", p.Name(), btfID, err)
	}
	return si, nil
}

// rawBTF reads the BTF object id as the kernel holds it.
func rawBTF(id uint32) ([]byte, error) {
	attr := struct{ id, next, flags, pad uint32 }{id: id}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, cmdBTFGetFDByID, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	if errno != 0 {
		return nil, fmt.Errorf("btf %d: open: %w", id, errno)
	}
	defer unix.Close(int(fd))
	// struct bpf_btf_info: btf (u64), btf_size, id (u32), name (u64),
	// name_len, kernel_btf (u32).
	info := make([]byte, 32)
	if err := bpfObjInfo(int(fd), info); err != nil {
		return nil, fmt.Errorf("btf %d: info: %w", id, err)
	}
	size := binary.NativeEndian.Uint32(info[8:])
	if size == 0 {
		return nil, fmt.Errorf("btf %d: kernel reports 0 bytes", id)
	}
	raw := make([]byte, size)
	clear(info)
	binary.NativeEndian.PutUint64(info, uint64(uintptr(unsafe.Pointer(&raw[0]))))
	binary.NativeEndian.PutUint32(info[8:], size)
	err := bpfObjInfo(int(fd), info)
	runtime.KeepAlive(raw)
	if err != nil {
		return nil, fmt.Errorf("btf %d: read: %w", id, err)
	}
	return raw[:min(size, binary.NativeEndian.Uint32(info[8:]))], nil
}

// btfStrings returns the string section of raw BTF (struct btf_header:
// magic, version, flags, hdr_len, type_off, type_len, str_off, str_len).
func btfStrings(raw []byte) ([]byte, error) {
	bo := binary.NativeEndian
	if len(raw) < 24 || bo.Uint16(raw) != 0xeb9f {
		return nil, errors.New("not BTF in host byte order")
	}
	hdr, off, n := bo.Uint32(raw[4:]), bo.Uint32(raw[16:]), bo.Uint32(raw[20:])
	start := uint64(hdr) + uint64(off)
	if start+uint64(n) > uint64(len(raw)) {
		return nil, fmt.Errorf("string section [%d, +%d) beyond %d bytes", start, n, len(raw))
	}
	return raw[start : start+uint64(n)], nil
}

// str returns the string at off of the BTF string section, and whether
// off is in it.
func (si *srcInfo) str(off uint32) (string, bool) {
	if uint64(off) >= uint64(len(si.strings)) {
		return "", false
	}
	s := si.strings[off:]
	if i := strings.IndexByte(string(s), 0); i >= 0 {
		s = s[:i]
	}
	return string(s), true
}

// proto formats the function type id as bpftool does ("int
// xdp_prog1(struct xdp_md * ctx)"); "" when bpftool would print nothing.
func (si *srcInfo) proto(id uint32) string {
	b, ok := appendTypeOnly(nil, si.spec, btf.TypeID(id))
	if !ok {
		return ""
	}
	return string(b)
}

// appendTypeOnly appends the C spelling of a type as bpftool's btf
// dumper writes function signatures: every name followed by a space,
// pointers as "T * ", parameters without names squeezed.
func appendTypeOnly(b []byte, spec *btf.Spec, id btf.TypeID) ([]byte, bool) {
	if id == 0 {
		return append(b, "void "...), true
	}
	t, err := spec.TypeByID(id)
	if err != nil {
		return b, false
	}
	ok := true
	switch t := t.(type) {
	case *btf.Int:
		b = append(append(b, t.Name...), ' ')
	case *btf.Typedef:
		b = append(append(b, t.Name...), ' ')
	case *btf.Float:
		b = append(append(b, t.Name...), ' ')
	case *btf.Struct:
		b = append(append(append(b, "struct "...), t.Name...), ' ')
	case *btf.Union:
		b = append(append(append(b, "union "...), t.Name...), ' ')
	case *btf.Enum:
		b = append(append(append(b, "enum "...), t.Name...), ' ')
	case *btf.Enum64:
		b = append(append(append(b, "enum "...), t.Name...), ' ')
	case *btf.Fwd:
		kind := "struct "
		if t.Union {
			kind = "union "
		}
		b = append(append(append(b, kind...), t.Name...), ' ')
	case *btf.Array:
		if b, ok = appendTypeOnly(b, spec, t.Type); ok {
			b = fmt.Appendf(b, "[%d]", int32(t.Nelems))
		}
	case *btf.Pointer:
		if b, ok = appendTypeOnly(b, spec, t.Target); ok {
			b = append(b, "* "...)
		}
	case *btf.Volatile:
		b, ok = appendTypeOnly(append(b, "volatile "...), spec, t.Type)
	case *btf.Const:
		b, ok = appendTypeOnly(append(b, "const "...), spec, t.Type)
	case *btf.Restrict:
		b, ok = appendTypeOnly(append(b, "restrict "...), spec, t.Type)
	case *btf.FuncProto:
		b, ok = appendFunc(b, spec, t, "", false)
	case *btf.Func:
		pt, err := spec.TypeByID(t.Type)
		proto, isProto := pt.(*btf.FuncProto)
		if err != nil || !isProto {
			return b, false
		}
		b, ok = appendFunc(b, spec, proto, t.Name, true)
	case *btf.Var:
		if t.Linkage == btf.VarStatic {
			b = append(b, "static "...)
		}
		if b, ok = appendTypeOnly(b, spec, t.Type); ok {
			b = append(append(b, ' '), t.Name...)
		}
	case *btf.Datasec:
		b = fmt.Appendf(b, "section (%q) ", t.Name)
	default:
		return b, false
	}
	return b, ok
}

func appendFunc(b []byte, spec *btf.Spec, proto *btf.FuncProto, name string, named bool) ([]byte, bool) {
	b, ok := appendTypeOnly(b, spec, proto.Return)
	if !ok {
		return b, false
	}
	if named {
		b = append(b, name...)
	}
	b = append(b, '(')
	for i, p := range proto.Params {
		if i > 0 {
			b = append(b, ", "...)
		}
		if p.Type == 0 {
			b = append(b, "..."...)
			continue
		}
		if b, ok = appendTypeOnly(b, spec, p.Type); !ok {
			return b, false
		}
		switch {
		case p.Name != "":
			b = append(b, p.Name...)
		case len(b) > 0 && b[len(b)-1] == ' ':
			b = b[:len(b)-1]
		}
	}
	return append(b, ')'), true
}

// at returns the func record and the line record that start at
// instruction pc (nil when none), consuming them: records are sorted by
// instruction, and each is printed once, as bpftool does.
func (si *srcInfo) at(pc int, fi, li *int) (*funcRecord, *lineRecord) {
	var f *funcRecord
	var l *lineRecord
	if si == nil {
		return nil, nil
	}
	if *fi < len(si.funcs) && int(si.funcs[*fi].insnOff) == pc {
		f = &si.funcs[*fi]
		*fi++
	}
	for *li < len(si.lines) && int(si.lines[*li].insnOff) < pc {
		*li++
	}
	if *li < len(si.lines) && int(si.lines[*li].insnOff) == pc {
		l = &si.lines[*li]
		*li++
	}
	return f, l
}

// jitedKsyms reads the kernel addresses of a JIT-compiled program's
// functions (bpf_prog_info's jited_ksyms, by subprogram index); none for
// an interpreted program, or for a reader the kernel does not show
// addresses to.
func jitedKsyms(p *bpf.Program) ([]uint64, error) {
	bo := binary.NativeEndian
	info := make([]byte, progInfoSize)
	if err := bpfObjInfo(p.FD(), info); err != nil {
		return nil, fmt.Errorf("program %s: info: %w", p.Name(), err)
	}
	n := bo.Uint32(info[progInfoNrJitedKsyms:])
	if n == 0 {
		return nil, nil
	}
	ksyms := make([]uint64, n)
	clear(info)
	bo.PutUint32(info[progInfoNrJitedKsyms:], n)
	bo.PutUint64(info[progInfoJitedKsyms:], uint64(uintptr(unsafe.Pointer(&ksyms[0]))))
	err := bpfObjInfo(p.FD(), info)
	runtime.KeepAlive(ksyms)
	if err != nil {
		return nil, fmt.Errorf("program %s: jited symbols: %w", p.Name(), err)
	}
	return ksyms[:min(n, bo.Uint32(info[progInfoNrJitedKsyms:]))], nil
}
