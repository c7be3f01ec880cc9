package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

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

func progDump(c *ctx, args []string) error {
	if len(args) > 0 && args[0] == "xlated" {
		args = args[1:]
	}
	p, rest, err := openProgRef(args)
	if err != nil {
		return err
	}
	defer p.Close()
	if len(rest) > 0 {
		return usagef("unexpected %q", rest[0])
	}
	insns, err := p.XlatedInstructions()
	if err != nil {
		return fmt.Errorf("program %s: xlated instructions: %w", p.Name(), err)
	}
	lines := disasmLines(insns, resolveHelperCalls(insns), c.cl.has("opcodes"))
	if c.json {
		if lines == nil {
			lines = []insnJSON{}
		}
		return c.writeJSON(lines)
	}
	printListing(c, lines)
	return nil
}

func printListing(c *ctx, lines []insnJSON) {
	var b []byte
	for _, l := range lines {
		b = fmt.Appendf(b[:0], "%4d: (%s) %s\n", l.PC, l.Code, l.Disasm)
		if l.Raw != "" {
			b = append(b, "       "...)
			b = append(b, l.Raw...)
			b = append(b, '\n')
		}
		c.out.Write(b)
	}
}

// isHelperCall reports whether ins calls a kernel helper (not a subprogram
// or kfunc).
func isHelperCall(ins asm.Instruction) bool {
	return ins.OpCode == asm.CallOpCode && ins.Src == 0
}

// resolveHelperCalls finds the kernel functions xlated helper calls point
// to. Failure (no kallsyms access) leaves the calls unresolved.
func resolveHelperCalls(insns asm.Instructions) map[int32]string {
	var offs []int32
	for _, ins := range insns {
		if isHelperCall(ins) {
			offs = append(offs, int32(ins.Constant))
		}
	}
	if len(offs) == 0 {
		return nil
	}
	names, err := kallsyms.Resolve(kallsyms.DefaultPath, offs)
	if err != nil {
		return nil
	}
	return names
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
