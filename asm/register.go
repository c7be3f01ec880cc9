package asm

import "fmt"

// Register is an eBPF register number (0-10) as held in the dst and src
// nibbles of an instruction. In the src nibble of LD_IMM64, calls and
// may_goto the same nibble selects a pseudo source instead (PseudoMapFD...).
type Register uint8

// Registers. R0 holds return values, R1-R5 arguments, R6-R9 are callee
// saved, R10 is the read-only frame pointer.
const (
	R0 Register = iota
	R1
	R2
	R3
	R4
	R5
	R6
	R7
	R8
	R9
	R10
	// RFP is the frame pointer, R10.
	RFP = R10
)

// Pseudo sources: values of the src nibble with a special meaning.
const (
	// PseudoMapFD marks an LD_IMM64 whose immediate is a map fd
	// (BPF_PSEUDO_MAP_FD).
	PseudoMapFD Register = 1
	// PseudoMapValue marks an LD_IMM64 loading the address of a map value:
	// map fd in the low 32 bits, offset in the high 32 bits
	// (BPF_PSEUDO_MAP_VALUE, kernel 5.2).
	PseudoMapValue Register = 2
	// PseudoBTFID marks an LD_IMM64 of a kernel variable by BTF id
	// (BPF_PSEUDO_BTF_ID, kernel 5.10).
	PseudoBTFID Register = 3
	// PseudoFunc marks an LD_IMM64 of a BPF function address, relative like
	// a bpf-to-bpf call (BPF_PSEUDO_FUNC, kernel 5.13).
	PseudoFunc Register = 4
	// PseudoMapIdx marks an LD_IMM64 of a map given by its index in the
	// fd_array of the load attributes (BPF_PSEUDO_MAP_IDX, kernel 5.14).
	PseudoMapIdx Register = 5
	// PseudoMapIdxValue is PseudoMapValue with a map index
	// (BPF_PSEUDO_MAP_IDX_VALUE, kernel 5.14).
	PseudoMapIdxValue Register = 6

	// PseudoCall marks a bpf-to-bpf call (BPF_PSEUDO_CALL): the immediate
	// is the offset of the callee in raw slots, relative to the next slot.
	PseudoCall Register = 1
	// PseudoKfuncCall marks a call of a kernel function by BTF id
	// (BPF_PSEUDO_KFUNC_CALL, kernel 5.13); Offset selects the BTF object
	// (0 for vmlinux, else an index into fd_array).
	PseudoKfuncCall Register = 2
)

// String returns "r0".."r10", or "r?N" for out-of-range numbers.
func (r Register) String() string {
	if r <= R10 {
		return fmt.Sprintf("r%d", uint8(r))
	}
	return fmt.Sprintf("r?%d", uint8(r))
}
