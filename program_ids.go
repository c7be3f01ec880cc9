package bpf

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/sys"
)

// ProgramIDs lists the ids of all programs loaded on the system, in
// increasing order (needs CAP_SYS_ADMIN). It costs one system call per
// program. Open one with ProgramFromID; a program unloaded in between
// gives an error matching os.ErrNotExist.
func ProgramIDs() ([]ProgramID, error) {
	raw, err := sys.IDs(sys.ProgGetNextIDCmd)
	ids := make([]ProgramID, len(raw))
	for i, id := range raw {
		ids[i] = ProgramID(id)
	}
	if err != nil {
		return ids, fmt.Errorf("list program ids: %w", sysAdminHint(err))
	}
	return ids, nil
}

// XlatedInstructions returns the program as the kernel runs it before
// JIT compilation (what `bpftool prog dump xlated` prints): map references
// appear as map ids, and helper calls carry the kernel's call offsets
// instead of helper ids (see Instruction.String). Needs CAP_SYS_ADMIN for
// the raw offsets; without it the kernel zeroes them.
//
// Subprograms (bpf-to-bpf calls, and callbacks passed to bpf_loop,
// bpf_for_each_map_elem or bpf_timer_set_callback by an LD_IMM64 of
// BPF_PSEUDO_FUNC) are returned in the instruction set's encoding, with
// the relative target in the immediate, where the dump of a JIT-compiled
// program has it in the offset (calls) or carries the subprogram's index
// beside it (function loads). Each subprogram's first instruction gets
// the symbol "subprog_<raw index>", and the calls and loads of it refer
// to that symbol.
func (p *Program) XlatedInstructions() (asm.Instructions, error) {
	var info sys.ProgInfo
	if err := sys.ProgInfoByFD(p.fd, &info); err != nil {
		return nil, fmt.Errorf("instructions of program %s: %w", p.name, p.fd.Closed(err))
	}
	if info.XlatedProgLen == 0 {
		return nil, fmt.Errorf("instructions of program %s: the kernel does not show them (needs CAP_SYS_ADMIN): %w", p.name, unix.EPERM)
	}
	buf := make([]byte, info.XlatedProgLen)
	info2 := sys.ProgInfo{XlatedProgLen: info.XlatedProgLen, XlatedProgInsns: sys.SlicePointer(buf)}
	if err := sys.ProgInfoByFD(p.fd, &info2); err != nil {
		return nil, fmt.Errorf("instructions of program %s: %w", p.name, p.fd.Closed(err))
	}
	buf = buf[:min(len(buf), int(info2.XlatedProgLen))]
	normalizeXlated(buf, binary.NativeEndian)
	insns, err := asm.Decode(buf, binary.NativeEndian)
	if err != nil {
		return nil, fmt.Errorf("instructions of program %s: %w", p.name, err)
	}
	labelSubprograms(insns)
	return insns, nil
}

// MemoryLocked returns the memory the kernel accounts to the program, in
// bytes (the memlock of bpftool), read from /proc/self/fdinfo.
func (p *Program) MemoryLocked() (uint64, error) {
	var v [1]uint64
	if err := sys.FDInfo(p.fd, []string{"memlock"}, v[:]); err != nil {
		return 0, fmt.Errorf("memlock of program %s: %w", p.name, p.fd.Closed(err))
	}
	return v[0], nil
}
