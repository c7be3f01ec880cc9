package bpf

import (
	"fmt"
	"strings"
)

// ProgramID is the kernel's id of a loaded program (bpf_prog_info.id). Ids
// are unique while the program is loaded and may be reused after it is
// unloaded.
type ProgramID uint32

// ProgramFlags are the BPF_F_* flags of a program load (prog_flags of
// BPF_PROG_LOAD). Each needs a kernel that knows it; older kernels refuse
// unknown flags with EINVAL.
type ProgramFlags uint32

// Program load flags, with the kernel release that introduced each.
const (
	// StrictAlignment makes the verifier check alignment as on
	// architectures without efficient unaligned access
	// (BPF_F_STRICT_ALIGNMENT, 4.12).
	StrictAlignment ProgramFlags = 1 << 0
	// AnyAlignment turns the alignment checks off (BPF_F_ANY_ALIGNMENT,
	// 5.0; test use, needs privileges).
	AnyAlignment ProgramFlags = 1 << 1
	// TestRandomHi32 makes the verifier fill the upper halves of 32-bit
	// results with random bits, to catch programs relying on zero
	// extension (BPF_F_TEST_RND_HI32, 5.3; test use).
	TestRandomHi32 ProgramFlags = 1 << 2
	// TestStateFrequency makes the verifier checkpoint its state at
	// every instruction (BPF_F_TEST_STATE_FREQ, 5.6; test use).
	TestStateFrequency ProgramFlags = 1 << 3
	// Sleepable marks a program that may sleep: it can call sleepable
	// helpers and kfuncs (BPF_F_SLEEPABLE, 5.10; fentry/fexit/fmod_ret,
	// LSM, iterators, uprobes; libbpf's ".s" sections).
	Sleepable ProgramFlags = 1 << 4
	// XDPHasFrags marks an XDP program that handles multi-buffer frames
	// (BPF_F_XDP_HAS_FRAGS, 5.18; libbpf's "xdp.frags" sections).
	XDPHasFrags ProgramFlags = 1 << 5
	// XDPDevBoundOnly binds an XDP program to the device given in
	// ProgramOptions.Ifindex without offloading it
	// (BPF_F_XDP_DEV_BOUND_ONLY, 6.3): it may call the device's XDP
	// metadata kfuncs and attaches only to that device.
	XDPDevBoundOnly ProgramFlags = 1 << 6
	// TestRegisterInvariants makes the verifier check its register
	// bounds invariants (BPF_F_TEST_REG_INVARIANTS, 6.7; test use).
	TestRegisterInvariants ProgramFlags = 1 << 7
)

var programFlagNames = [...]string{
	"StrictAlignment", "AnyAlignment", "TestRandomHi32", "TestStateFrequency",
	"Sleepable", "XDPHasFrags", "XDPDevBoundOnly", "TestRegisterInvariants",
}

// String returns the flags' names joined by "|" ("Sleepable|XDPHasFrags"),
// unknown bits in hex, and "0" for none.
func (f ProgramFlags) String() string {
	if f == 0 {
		return "0"
	}
	var parts []string
	for i, name := range programFlagNames {
		if f&(1<<i) != 0 {
			parts = append(parts, name)
			f &^= 1 << i
		}
	}
	if f != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(f)))
	}
	return strings.Join(parts, "|")
}
