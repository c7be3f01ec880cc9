package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/cmd/bpfctl/internal/kallsyms"
	"github.com/purebpf/bpf/maps"
)

// openProgRef opens the program named by "ID", "id ID" or "pinned PATH" and
// returns the words after the reference.
func openProgRef(args []string) (*bpf.Program, []string, error) {
	if len(args) == 0 {
		return nil, nil, usagef("missing program (ID, id ID or pinned PATH)")
	}
	switch args[0] {
	case "id":
		if len(args) < 2 {
			return nil, nil, usagef("id needs a program id")
		}
		args = args[1:]
	case "pinned":
		if len(args) < 2 {
			return nil, nil, usagef("pinned needs a path")
		}
		p, err := bpf.LoadPinnedProgram(args[1])
		return p, args[2:], err
	}
	id, err := strconv.ParseUint(args[0], 0, 32)
	if err != nil {
		return nil, nil, usagef("%q is not a program id", args[0])
	}
	p, err := bpf.ProgramFromID(bpf.ProgramID(id))
	if err != nil {
		return nil, nil, fmt.Errorf("program %d: %w", id, err)
	}
	return p, args[1:], nil
}

// progJSON is a program as bpftool -j prog show prints it.
type progJSON struct {
	ID            uint32    `json:"id"`
	Type          string    `json:"type"`
	Name          string    `json:"name,omitempty"`
	Tag           string    `json:"tag"`
	GPLCompatible bool      `json:"gpl_compatible"`
	RunTimeNS     uint64    `json:"run_time_ns,omitempty"`
	RunCount      uint64    `json:"run_cnt,omitempty"`
	LoadedAt      int64     `json:"loaded_at"`
	UID           uint32    `json:"uid"`
	BytesXlated   uint32    `json:"bytes_xlated"`
	Jited         bool      `json:"jited"`
	BytesJited    uint32    `json:"bytes_jited,omitempty"`
	BytesMemlock  uint64    `json:"bytes_memlock"`
	MapIDs        []maps.ID `json:"map_ids,omitempty"`
	BTFID         uint32    `json:"btf_id,omitempty"`
	VerifiedInsns uint32    `json:"verified_insns,omitempty"`
}

func progShow(c *ctx, args []string) error {
	if len(args) > 0 {
		p, rest, err := openProgRef(args)
		if err != nil {
			return err
		}
		defer p.Close()
		if len(rest) > 0 {
			return usagef("unexpected %q", rest[0])
		}
		pj, err := describeProg(p)
		if err != nil {
			return err
		}
		if c.json {
			return c.writeJSON(pj)
		}
		c.out.Write(appendProgPlain(nil, pj))
		return nil
	}
	l := c.newLister()
	var buf []byte
	ids, err := bpf.ProgramIDs()
	if err != nil {
		return err
	}
	for _, id := range ids {
		p, err := bpf.ProgramFromID(id)
		if errors.Is(err, errNotExist) {
			continue // unloaded meanwhile
		}
		if err != nil {
			return fmt.Errorf("program %d: %w", id, err)
		}
		pj, err := describeProg(p)
		p.Close()
		if err != nil {
			return err
		}
		if c.json {
			if err := l.add(pj); err != nil {
				return err
			}
			continue
		}
		buf = appendProgPlain(buf[:0], pj)
		l.addPlain(buf)
	}
	return l.finish()
}

func describeProg(p *bpf.Program) (*progJSON, error) {
	info, err := p.Info()
	if err != nil {
		return nil, fmt.Errorf("program info: %w", err)
	}
	mem, _ := p.MemoryLocked()
	pj := &progJSON{
		ID:            uint32(info.ID),
		Type:          info.Type.String(),
		Name:          info.Name,
		Tag:           info.Tag,
		GPLCompatible: info.GPLCompatible,
		RunTimeNS:     uint64(info.RunTime),
		RunCount:      info.RunCount,
		UID:           info.CreatedByUID,
		BytesXlated:   info.XlatedSize,
		Jited:         info.JitedSize > 0,
		BytesJited:    info.JitedSize,
		BytesMemlock:  mem,
		MapIDs:        info.MapIDs,
		BTFID:         uint32(info.BTF),
		VerifiedInsns: info.VerifiedInstructions,
	}
	if !info.LoadTime.IsZero() {
		pj.LoadedAt = info.LoadTime.Unix()
	}
	return pj, nil
}

// appendProgPlain formats a program like bpftool prog show.
func appendProgPlain(b []byte, p *progJSON) []byte {
	b = strconv.AppendUint(b, uint64(p.ID), 10)
	b = append(b, ": "...)
	b = append(b, p.Type...)
	b = append(b, "  "...)
	if p.Name != "" {
		b = append(b, "name "...)
		b = append(b, p.Name...)
		b = append(b, "  "...)
	}
	b = append(b, "tag "...)
	b = append(b, p.Tag...)
	if p.GPLCompatible {
		b = append(b, "  gpl"...)
	}
	if p.RunTimeNS != 0 {
		b = fmt.Appendf(b, " run_time_ns %d run_cnt %d", p.RunTimeNS, p.RunCount)
	}
	b = append(b, '\n')
	if p.LoadedAt != 0 {
		b = append(b, "\tloaded_at "...)
		b = time.Unix(p.LoadedAt, 0).In(localZone()).AppendFormat(b, "2006-01-02T15:04:05-0700")
		b = append(b, "  uid "...)
		b = strconv.AppendUint(b, uint64(p.UID), 10)
		b = append(b, '\n')
	}
	b = append(b, "\txlated "...)
	b = strconv.AppendUint(b, uint64(p.BytesXlated), 10)
	b = append(b, 'B')
	if p.Jited {
		b = append(b, "  jited "...)
		b = strconv.AppendUint(b, uint64(p.BytesJited), 10)
		b = append(b, 'B')
	} else {
		b = append(b, "  not jited"...)
	}
	if p.BytesMemlock != 0 {
		b = append(b, "  memlock "...)
		b = strconv.AppendUint(b, p.BytesMemlock, 10)
		b = append(b, 'B')
	}
	if len(p.MapIDs) > 0 {
		b = append(b, "  map_ids "...)
		b = append(b, joinUint(p.MapIDs)...)
	}
	if p.BTFID != 0 {
		b = append(b, "\n\tbtf_id "...)
		b = strconv.AppendUint(b, uint64(p.BTFID), 10)
	}
	if p.VerifiedInsns != 0 {
		b = append(b, "\n\tverified_insns "...)
		b = strconv.AppendUint(b, uint64(p.VerifiedInsns), 10)
	}
	return append(b, '\n')
}

// insnJSON is one instruction of prog dump --json.
type insnJSON struct {
	PC     int    `json:"pc"`
	Code   string `json:"code"`
	Disasm string `json:"disasm"`
	Raw    string `json:"raw,omitempty"`
}

// xlatedJSON is one instruction of prog dump xlated --json, laid out as
// bpftool -j prints it: the function prototype on the first instruction of
// each function, the source line and (--linum) its position on the first
// instruction of each line record, and (--opcodes) the raw fields.
type xlatedJSON struct {
	Proto   string       `json:"proto,omitempty"`
	Src     *string      `json:"src,omitempty"`
	File    *string      `json:"file,omitempty"`
	LineNum uint32       `json:"line_num,omitempty"`
	LineCol uint32       `json:"line_col,omitempty"`
	Disasm  string       `json:"disasm"`
	Opcodes *opcodesJSON `json:"opcodes,omitempty"`
}

// opcodesJSON is bpftool's "opcodes" object: the code and registers as
// hex strings, off and imm as their bytes (imm of a 16-byte load: the 12
// bytes after the first instruction's offset).
type opcodesJSON struct {
	Code   string  `json:"code"`
	SrcReg string  `json:"src_reg"`
	DstReg string  `json:"dst_reg"`
	Off    hexJSON `json:"off"`
	Imm    hexJSON `json:"imm"`
}

func progDump(c *ctx, args []string) error {
	if len(args) > 0 && args[0] == "xlated" {
		args = args[1:]
	}
	p, rest, err := openProgRef(args)
	if err != nil {
		return err
	}
	defer p.Close()
	opcodes, linum := c.cl.has("opcodes"), c.cl.has("linum")
	// bpftool's spelling: keywords after the program.
	for _, w := range rest {
		switch w {
		case "opcodes":
			opcodes = true
		case "linum":
			linum = true
		default:
			return usagef("unexpected %q", w)
		}
	}
	insns, err := p.XlatedInstructions()
	if err != nil {
		return fmt.Errorf("program %s: xlated instructions: %w", p.Name(), err)
	}
	var raw []byte
	if opcodes {
		if raw, err = rawXlated(p); err != nil {
			return err
		}
	}
	si, err := readSrcInfo(p)
	if err != nil {
		return err
	}
	// The symbol table (large: read only for programs with calls to
	// resolve); without it calls stay unresolved, as in bpftool.
	var syms []byte
	for _, ins := range insns {
		if isHelperCall(ins) || ins.IsFunctionCall() {
			syms, _ = kallsyms.Read(kallsyms.DefaultPath)
			break
		}
	}
	lines := disasmLines(insns, resolveHelperCalls(syms, insns), false)
	if err := nameSubprogramCalls(p, syms, insns, lines); err != nil {
		return err
	}
	var fi, li int
	if c.json {
		out := make([]xlatedJSON, 0, len(lines))
		for _, l := range lines {
			x := xlatedJSON{Disasm: "(" + l.Code + ") " + l.Disasm}
			f, lr := si.at(l.PC, &fi, &li)
			if f != nil {
				x.Proto = si.proto(f.typeID)
			}
			if lr != nil {
				if s, ok := si.str(lr.lineOff); ok {
					s = strings.TrimLeft(s, " \t\n\v\f\r")
					x.Src = &s
				}
				if linum {
					if s, ok := si.str(lr.fileOff); ok {
						x.File = &s
					}
					x.LineNum, x.LineCol = lr.lineCol>>10, lr.lineCol&0x3ff
				}
			}
			if opcodes {
				x.Opcodes = rawOpcodes(raw, l.PC)
			}
			out = append(out, x)
		}
		return c.writeJSON(out)
	}
	var b []byte
	for _, l := range lines {
		b = b[:0]
		f, lr := si.at(l.PC, &fi, &li)
		if f != nil {
			if s := si.proto(f.typeID); s != "" {
				b = append(append(b, s...), ":\n"...)
			}
		}
		if lr != nil {
			if s, ok := si.str(lr.lineOff); ok {
				b = append(append(b, "; "...), strings.TrimLeft(s, " \t\n\v\f\r")...)
				if linum {
					file, _ := si.str(lr.fileOff)
					b = fmt.Appendf(b, " [file:%s line_num:%d line_col:%d]", file, lr.lineCol>>10, lr.lineCol&0x3ff)
				}
				b = append(b, '\n')
			}
		}
		b = fmt.Appendf(b, "%4d: (%s) %s\n", l.PC, l.Code, l.Disasm)
		if opcodes {
			b = append(b, "       "...)
			b = appendRawHex(b, raw, l.PC)
			b = append(b, '\n')
		}
		c.out.Write(b)
	}
	return nil
}

// rawXlated reads the program's xlated instructions as the kernel reports
// them (bpf_prog_info's xlated_prog_insns), for --opcodes.
func rawXlated(p *bpf.Program) ([]byte, error) {
	bo := binary.NativeEndian
	info := make([]byte, progInfoSize)
	if err := bpfObjInfo(p.FD(), info); err != nil {
		return nil, fmt.Errorf("program %s: info: %w", p.Name(), err)
	}
	n := bo.Uint32(info[progInfoXlatedLen:])
	if n == 0 {
		return nil, nil
	}
	raw := make([]byte, n)
	clear(info)
	bo.PutUint32(info[progInfoXlatedLen:], n)
	bo.PutUint64(info[progInfoXlatedInsns:], uint64(uintptr(unsafe.Pointer(&raw[0]))))
	err := bpfObjInfo(p.FD(), info)
	runtime.KeepAlive(raw)
	if err != nil {
		return nil, fmt.Errorf("program %s: xlated instructions: %w", p.Name(), err)
	}
	return raw[:min(n, bo.Uint32(info[progInfoXlatedLen:]))], nil
}

// rawInsn returns the bytes of the instruction at pc: 8, or 16 for a
// 64-bit immediate load.
func rawInsn(raw []byte, pc int) []byte {
	off := pc * asm.InstructionSize
	if off+asm.InstructionSize > len(raw) {
		return nil
	}
	n := asm.InstructionSize
	if asm.OpCode(raw[off]) == asm.LdImmDW && off+2*asm.InstructionSize <= len(raw) {
		n *= 2
	}
	return raw[off : off+n]
}

// appendRawHex appends the instruction at pc as bpftool's opcodes line:
// bytes separated by spaces, the two halves of a 16-byte load by one more.
func appendRawHex(b, raw []byte, pc int) []byte {
	ins := rawInsn(raw, pc)
	for i := 0; i < len(ins); i += asm.InstructionSize {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendHex(b, ins[i:i+asm.InstructionSize], " ")
	}
	return b
}

func rawOpcodes(raw []byte, pc int) *opcodesJSON {
	ins := rawInsn(raw, pc)
	if ins == nil {
		return nil
	}
	lo, hi := ins[1]&0xf, ins[1]>>4 // dst_reg, src_reg: the bitfield order of a little-endian host
	if binary.NativeEndian.Uint16([]byte{0, 1}) == 1 {
		lo, hi = hi, lo
	}
	return &opcodesJSON{
		Code:   fmt.Sprintf("0x%02x", ins[0]),
		SrcReg: fmt.Sprintf("0x%x", hi),
		DstReg: fmt.Sprintf("0x%x", lo),
		Off:    hexJSON(ins[2:4]),
		Imm:    hexJSON(ins[4:]),
	}
}

// isHelperCall reports whether ins calls a kernel helper (not a subprogram
// or kfunc).
func isHelperCall(ins asm.Instruction) bool {
	return ins.OpCode == asm.CallOpCode && ins.Src == 0
}

// resolveHelperCalls finds the kernel functions xlated helper calls point
// to in the kallsyms contents syms. No symbols (no kallsyms access) leave
// the calls unresolved.
func resolveHelperCalls(syms []byte, insns asm.Instructions) map[int32]string {
	var offs []int32
	for _, ins := range insns {
		if isHelperCall(ins) {
			offs = append(offs, int32(ins.Constant))
		}
	}
	if len(offs) == 0 || syms == nil {
		return nil
	}
	names, err := kallsyms.ResolveData(syms, offs)
	if err != nil {
		return nil
	}
	return names
}

// nameSubprogramCalls appends to each bpf-to-bpf call of a JIT-compiled
// program the symbol of the subprogram it calls, as bpftool does ("call
// pc+4#bpf_prog_<tag>_<name>", or the address when kallsyms has no
// symbol): the kernel keeps the subprogram's index in the call's
// immediate, and its address in bpf_prog_info's jited_ksyms.
func nameSubprogramCalls(p *bpf.Program, syms []byte, insns asm.Instructions, lines []insnJSON) error {
	calls := false
	for _, ins := range insns {
		if ins.IsFunctionCall() {
			calls = true
			break
		}
	}
	if !calls {
		return nil
	}
	ksyms, err := jitedKsyms(p)
	if err != nil || len(ksyms) == 0 {
		return err // an interpreted program: bpftool prints the offset only
	}
	raw, err := rawXlated(p)
	if err != nil {
		return err
	}
	names := kallsyms.LookupData(syms, ksyms)
	for i := range lines {
		ins := rawInsn(raw, lines[i].PC)
		if ins == nil || asm.OpCode(ins[0]) != asm.CallOpCode || rawSrc(ins) != asm.PseudoCall {
			continue
		}
		idx := binary.NativeEndian.Uint32(ins[4:])
		if uint64(idx) >= uint64(len(ksyms)) {
			continue
		}
		if name, ok := names[ksyms[idx]]; ok {
			lines[i].Disasm += "#" + name
		} else {
			lines[i].Disasm += fmt.Sprintf("#0x%x", ksyms[idx])
		}
	}
	return nil
}

// rawSrc is the source register of a raw instruction (the bitfield's
// nibble depends on the host's byte order).
func rawSrc(ins []byte) asm.Register {
	if binary.NativeEndian.Uint16([]byte{0, 1}) == 1 {
		return asm.Register(ins[1] & 0xf)
	}
	return asm.Register(ins[1] >> 4)
}

// disasmLines renders insns like bpftool prog dump xlated, naming resolved
// helper calls after the kernel function they jump to.
func disasmLines(insns asm.Instructions, helpers map[int32]string, opcodes bool) []insnJSON {
	var out []insnJSON
	pc := 0
	for _, ins := range insns {
		text := ins.String()
		if isHelperCall(ins) {
			if name, ok := helpers[int32(ins.Constant)]; ok {
				text = "call " + name + "#" + strconv.Itoa(int(int32(ins.Constant)))
			}
		}
		l := insnJSON{PC: pc, Code: fmt.Sprintf("%02x", uint8(ins.OpCode)), Disasm: text}
		if opcodes {
			if raw, err := (asm.Instructions{ins}).Encode(binary.NativeEndian); err == nil {
				l.Raw = string(appendHex(nil, raw, " "))
			}
		}
		out = append(out, l)
		pc += ins.Slots()
	}
	return out
}

var (
	zoneOnce sync.Once
	zone     *time.Location
)

// localZone is time.Local, read from /etc/localtime with raw system calls
// when TZ is unset: the time package's own loading goes through os.Open,
// whose first use sets up the runtime's poller (several more system calls
// before the first line of prog list).
func localZone() *time.Location {
	zoneOnce.Do(func() {
		zone = time.Local
		if _, set := os.LookupEnv("TZ"); set {
			return
		}
		fd, err := unix.Open("/etc/localtime", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			zone = time.UTC // what the time package does without the file
			return
		}
		defer unix.Close(fd)
		data := make([]byte, 0, 4096)
		for {
			n, err := unix.Read(fd, data[len(data):cap(data)])
			if err != nil {
				return
			}
			if n == 0 {
				break
			}
			data = data[:len(data)+n]
			if len(data) == cap(data) {
				data = append(data, 0)[:len(data)]
			}
		}
		if loc, err := time.LoadLocationFromTZData("Local", data); err == nil {
			zone = loc
		}
	})
	return zone
}
