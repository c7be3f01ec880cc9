package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/btf"
	ib "github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/internal/sys"
)

// btfObjects are the BTF objects a collection loaded (BPF_BTF_LOAD), by
// the *btf.Spec they hold, shared by its maps and programs. A program
// loaded alone loads its own.
type btfObjects struct {
	n     int
	specs [2]*btf.Spec // an object has one; room for a program's own
	fds   [2]*sys.FD   // nil: the kernel refused the types (or has no BTF)
	more  *btfObjects  // beyond two
}

// fd returns the loaded BTF object holding types (loading it on first
// use), or nil when the kernel refused it. A request that failed for
// another reason than the types (btfRefused) is an error.
func (o *btfObjects) fd(types *btf.Spec) (*sys.FD, error) {
	for i, s := range o.specs[:o.n] {
		if s == types {
			return o.fds[i], nil
		}
	}
	if o.n == len(o.specs) {
		if o.more == nil {
			o.more = new(btfObjects)
		}
		return o.more.fd(types)
	}
	fd, err := loadTypes(types)
	if err != nil {
		return nil, err
	}
	o.specs[o.n], o.fds[o.n] = types, fd
	o.n++
	return fd, nil
}

func (o *btfObjects) close() {
	if o == nil {
		return
	}
	for _, fd := range o.fds[:o.n] {
		if fd != nil {
			fd.Close()
		}
	}
	o.more.close()
}

// loadTypes loads types into the kernel in host byte order. It returns
// nil and no error when there are no types or the kernel refused them
// (btfRefused): what uses them then goes without.
func loadTypes(types *btf.Spec) (*sys.FD, error) {
	s, ok := ib.FromPublic(types)
	if !ok {
		return nil, nil
	}
	raw := s.Raw()
	if s.Base() != nil || !isHostOrder(s.ByteOrder()) {
		raw = s.Marshal(binary.NativeEndian)
	}
	return loadBTF(raw)
}

// loadBTF loads raw BTF into the kernel: nil and no error when the kernel
// refused the types (btfRefused).
func loadBTF(raw []byte) (*sys.FD, error) {
	attr := sys.BTFLoadAttr{BTF: sys.SlicePointer(raw), BTFSize: uint32(len(raw))}
	fd, err := sys.BTFLoad(&attr)
	if err != nil {
		if btfRefused(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("load BTF: %w", err)
	}
	return fd, nil
}

// btfRefused reports whether a BPF_BTF_LOAD error is the kernel refusing
// the types, after which maps and programs load without BTF (as libbpf
// does), rather than a failure of the request (ENOMEM, EINTR...), which
// fails the load that needed the types. Refusals: EINVAL (a kind, layout
// or the command itself it does not know, before 4.18), E2BIG (too large
// for it), EPERM/EACCES (BTF needs CAP_BPF, which an unprivileged caller
// loading a socket filter lacks, or a security module refuses BTF alone).
// A map or program that cannot do without its types then fails with the
// kernel's own reason.
func btfRefused(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.E2BIG) ||
		errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)
}

// programBTF is the BTF part of a program load: the loaded types and the
// bpf_func_info and bpf_line_info records encoded from the instructions'
// metadata (asm.Instruction.Func and Line).
type programBTF struct {
	fd                 *sys.FD
	own                bool // fd is this load's to close
	funcInfo, lineInfo []byte
	funcCnt, lineCnt   uint32
}

// newProgramBTF prepares the func_info and line_info of a program whose
// instructions insns encode as code (host byte order), with the types of
// spec.BTF: loaded from objs (a collection's) or, with objs nil, loaded
// for this load only. It returns none (a nil fd) when there is nothing
// to send, or when the records would not match the program's functions
// (a function without a FuncInfo on its first instruction, a FuncInfo on
// an instruction no call targets), which the kernel would refuse; the
// program then loads without them, as it does when the kernel refuses
// the types.
func newProgramBTF(spec *ProgramSpec, insns asm.Instructions, code []byte, objs *btfObjects) (pb programBTF, err error) {
	if spec.BTF == nil || !isHostOrder(spec.ByteOrder) {
		return pb, nil
	}
	types, ok := ib.FromPublic(spec.BTF)
	if !ok {
		return pb, nil
	}
	nf, nl, nextra := 0, 0, 0
	for _, ins := range insns {
		if ins.Func() != nil {
			nf++
			nl++ // a function's first instruction always gets a line record
		}
		if l := ins.Line(); l != nil {
			nl++
			if _, ok := types.StringOffset(l.File); !ok {
				nextra++
			}
			if _, ok := types.StringOffset(l.Text); !ok {
				nextra++
			}
		}
	}
	if nf == 0 || !funcsMatchCalls(insns, code) {
		return pb, nil
	}

	strOff := func(s string) uint32 { off, _ := types.StringOffset(s); return off }
	switch {
	case nextra > 0:
		// Strings of lines that are not in the types' string section
		// (lines made by hand) go into a copy of the types loaded for
		// this program only.
		var extra []string
		idx := map[string]int{}
		for _, ins := range insns {
			if l := ins.Line(); l != nil {
				for _, s := range [2]string{l.File, l.Text} {
					if _, ok := types.StringOffset(s); !ok {
						if _, dup := idx[s]; !dup {
							idx[s] = len(extra)
							extra = append(extra, s)
						}
					}
				}
			}
		}
		raw, extraOff := types.MarshalWithStrings(binary.NativeEndian, extra)
		strOff = func(s string) uint32 {
			if off, ok := types.StringOffset(s); ok {
				return off
			}
			return extraOff[idx[s]]
		}
		pb.fd, err = loadBTF(raw)
		pb.own = true
	case objs != nil:
		pb.fd, err = objs.fd(spec.BTF)
	default:
		pb.fd, err = loadTypes(spec.BTF)
		pb.own = true
	}
	if pb.fd == nil {
		return programBTF{}, err
	}
	pb.encode(insns, nf, nl, strOff)
	return pb, nil
}

// encode writes the records: a func_info record for each instruction
// with a Func (the first one at instruction 0: whatever was inserted
// before the entry function's first instruction belongs to it), a
// line_info record for each instruction with a Line, and one at the start
// of each function whose first instruction has none (the line of the
// next instruction that has one), since the kernel wants every function
// to start with a line.
func (pb *programBTF) encode(insns asm.Instructions, nf, nl int, strOff func(string) uint32) {
	buf := make([]byte, 0, nf*ib.FuncInfoSize+nl*ib.LineInfoSize)
	ne := binary.NativeEndian
	raw := uint32(0)
	for _, ins := range insns {
		if fn := ins.Func(); fn != nil {
			off := raw
			if pb.funcCnt == 0 {
				off = 0
			}
			buf = ne.AppendUint32(buf, off)
			buf = ne.AppendUint32(buf, uint32(fn.Type))
			pb.funcCnt++
		}
		raw += uint32(ins.Slots())
	}
	pb.funcInfo = buf
	lines := buf[len(buf):]
	raw = 0
	// The entry function starts at instruction 0 whatever precedes its
	// Func, so its line record is pending from the start.
	var start uint32  // the current function's first instruction
	pending := true   // it has no line record yet
	last := int64(-1) // the instruction of the last line record
	missing := false  // a function ended without a line record at its start
	funcs := 0
	for _, ins := range insns {
		if ins.Func() != nil {
			if funcs > 0 {
				missing = missing || pending
				start, pending = raw, true
			}
			funcs++
		}
		if l := ins.Line(); l != nil {
			lc := l.Line<<10 | l.Column&0x3ff
			file, text := strOff(l.File), strOff(l.Text)
			if pending && int64(start) > last && start < raw {
				lines = appendLine(lines, start, file, text, lc)
				pb.lineCnt++
			}
			pending = false
			lines = appendLine(lines, raw, file, text, lc)
			pb.lineCnt++
			last = int64(raw)
		}
		raw += uint32(ins.Slots())
	}
	if missing || pending {
		// The kernel wants a line record at the start of every function
		// ("missing bpf_line_info for func#N"); a function without any
		// line (made or edited by hand) has none, so the program goes
		// with func info only.
		pb.lineInfo, pb.lineCnt = nil, 0
		return
	}
	pb.lineInfo = lines
}

func appendLine(b []byte, insn, file, text, lineCol uint32) []byte {
	ne := binary.NativeEndian
	b = ne.AppendUint32(b, insn)
	b = ne.AppendUint32(b, file)
	b = ne.AppendUint32(b, text)
	return ne.AppendUint32(b, lineCol)
}

// funcsMatchCalls reports whether the instructions with a Func, the first
// of them counted at instruction 0 (what precedes the entry's first
// instruction belongs to it), are exactly the first instruction and the
// targets of the bpf-to-bpf calls and function pointer loads of code (the
// kernel's subprograms). code is in host byte order, the only one the
// kernel loads. Package check applies the same rule.
func funcsMatchCalls(insns asm.Instructions, code []byte) bool {
	starts := map[int]bool{}
	raw := 0
	for _, ins := range insns {
		if ins.Func() != nil {
			if len(starts) == 0 {
				starts[0] = true
			} else {
				starts[raw] = true
			}
		}
		raw += ins.Slots()
	}
	targets := map[int]bool{0: true}
	for i := 0; i+asm.InstructionSize <= len(code); i += asm.InstructionSize {
		op, regs := code[i], code[i+1]
		src := regs >> 4 // little-endian hosts: dst in the low nibble
		if !isHostOrder(binary.LittleEndian) {
			src = regs & 0xf
		}
		if op == 0x85 && src == 1 || op == 0x18 && src == 4 { // pseudo call, ld_imm64 pseudo func
			targets[i/asm.InstructionSize+1+int(int32(binary.NativeEndian.Uint32(code[i+4:])))] = true
		}
	}
	if len(starts) != len(targets) {
		return false
	}
	for s := range starts {
		if !targets[s] {
			return false
		}
	}
	return true
}

// setAttr puts the records into attr.
func (pb *programBTF) setAttr(attr *sys.ProgLoadAttr) {
	if pb.fd == nil {
		return
	}
	attr.ProgBTFFD = pb.fd.Uint()
	attr.FuncInfoRecSize, attr.FuncInfo, attr.FuncInfoCnt = ib.FuncInfoSize, sys.SlicePointer(pb.funcInfo), pb.funcCnt
	if pb.lineCnt > 0 {
		attr.LineInfoRecSize, attr.LineInfo, attr.LineInfoCnt = ib.LineInfoSize, sys.SlicePointer(pb.lineInfo), pb.lineCnt
	}
}

func (pb *programBTF) close() {
	if pb.fd != nil && pb.own {
		pb.fd.Close()
	}
}

// sourceLines returns the C source line of each raw instruction of insns
// from their line metadata ("line text @ file.c:12", as the kernel's log
// shows it; an instruction without a line takes the line before it, and
// those before the first line take the first, as the loader's line info
// says), or nil when they have none.
func sourceLines(insns asm.Instructions) []string {
	var lines []string
	raw, cur, lead := 0, "", 0
	for _, ins := range insns {
		if l := ins.Line(); l != nil {
			if lines == nil {
				lines = make([]string, insns.RawLen())
				lead = raw
			}
			cur = l.String()
		}
		for k := 0; lines != nil && k < ins.Slots(); k++ {
			lines[raw+k] = cur
		}
		raw += ins.Slots()
	}
	for i := 0; i < lead; i++ {
		lines[i] = lines[lead]
	}
	return lines
}
