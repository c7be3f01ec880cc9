package check

import (
	"fmt"
	"runtime"

	"github.com/purebpf/bpf/internal/kernel"
)

// KernelVersion is a Linux kernel release (major.minor.patch), such as
// KernelVersion{Major: 6, Minor: 12, Patch: 118}. The zero value means the
// running kernel's (Options.KernelVersion).
type KernelVersion struct {
	Major, Minor, Patch int
}

// String returns "major.minor.patch".
func (v KernelVersion) String() string { return kernel.Version(v).String() }

// ParseKernelVersion parses a kernel release as uname -r prints it, such
// as "6.18.44-fc-v1252" or "6.12.118+deb12-amd64"; distribution suffixes
// are ignored and a missing patch level is 0.
func ParseKernelVersion(release string) (KernelVersion, error) {
	v, err := kernel.ParseRelease(release)
	return KernelVersion(v), err
}

// OldestModelled is the oldest kernel the checker models (Debian 12's 6.1
// series). For an older kernel it rejects every program with Cause
// ErrUnsupported.
var OldestModelled = KernelVersion{Major: 6, Minor: 1}

// NewestModelled is the newest kernel series whose verifier the checker
// was compared with. Newer kernels are checked with its rules.
var NewestModelled = KernelVersion{Major: 6, Minor: 18}

// oldestModelled and newestModelled are what the checker uses: copies of
// OldestModelled and NewestModelled, which callers could change.
var (
	oldestModelled = kernel.Version(OldestModelled)
	newestModelled = kernel.Version(NewestModelled)
)

// feature is a verifier behaviour that appeared in a given kernel. Most
// features relax the verifier (a program the older kernel rejects, the
// newer one may accept), many by making it more precise (a branch it
// decides, a value it bounds). Dating one too late makes the checker
// reject more; dating a precision feature too early would make it decide
// branches the kernel walks, a false accept: so each is dated from sources
// read, and kernels between one read without it and one read with it are
// not modelled for the cases it decides (mapPtrNotNullKnown,
// byteSwapKnown, negUnknownBefore: ErrUnsupported, never a verdict). Two
// rules are modelled only from their release (featSockMapDelete, which
// restricts, and featVarStackScrub): for the cases they decide, a kernel
// without them gets ErrUnsupported, never an accept.
type feature struct {
	name string
	// since is the mainline release that introduced the behaviour.
	since kernel.Version
	// backports are stable releases of older series that have it (the
	// first release of the series known to have it).
	backports []kernel.Version
	// commit is the subject of the kernel commit, for the record.
	commit string
}

// has reports whether kernel v has feature f.
func (v kernelModel) has(f *feature) bool {
	if v.AtLeast(f.since) {
		return true
	}
	for _, b := range f.backports {
		if v.SameSeries(b) && v.AtLeast(b) {
			return true
		}
	}
	return false
}

// kernelModel is the kernel version the checker models.
type kernelModel struct{ kernel.Version }

// The version-dependent rules the checker applies. Versions were checked
// against the kernel sources of 6.1.158, 6.2.1, 6.3.8, 6.5, 6.6.57,
// 6.8.1, 6.9, 6.12.19, 6.13.7, 6.14, 6.17 and 6.18.35, the verifier
// messages in Debian's 6.1.192 and 6.12.118 kernel images, and the commits
// against the bpf and stable mailing lists; backports are the stable
// releases announced with the commit (or, marked "audited", the release
// that was read: an earlier one may already have it).
var (
	// ARG_PTR_TO_MAP_KEY/VALUE accept PTR_TO_MEM (ring buffer memory).
	featMemMapArg = &feature{name: "ring buffer memory as map key or value", since: kernel.V(6, 2, 0),
		commit: "bpf: Allow ringbuf memory to be used as map key"}
	// A BPF_ST of a non-zero immediate at the start of a stack slot is a
	// spilled constant (before: STACK_MISC bytes, an unknown value).
	featSTImmSpill = &feature{name: "BPF_ST immediates tracked on the stack", since: kernel.V(6, 3, 0),
		backports: []kernel.Version{kernel.V(6, 1, 36)},
		commit:    "bpf: track immediate values written to stack by BPF_ST instruction"}
	// Privileged programs may read uninitialised stack bytes directly.
	featUninitStackRead = &feature{name: "uninitialised stack reads", since: kernel.V(6, 3, 0),
		backports: []kernel.Version{kernel.V(6, 1, 100)},
		commit:    "bpf: Allow reads from uninit stack"}
	// Privileged reads (direct or by helpers) may reach below the deepest
	// stack slot written so far (before, "invalid read from stack" even
	// for uninitialised reads the previous feature allows).
	// (Applied to bpf-next in December 2023, after the 6.7 merge window.)
	featStackReadGrows = &feature{name: "stack reads below the written stack", since: kernel.V(6, 8, 0),
		backports: []kernel.Version{
			kernel.V(6, 6, 57),  // audited
			kernel.V(6, 1, 192), // audited: Debian's 6.1.192 has the commit's message, 6.1.158 not
		},
		commit: "bpf: fix accesses to uninit stack slots"}
	// BPF_ST (store immediate) into the context.
	featSTCtx = &feature{name: "BPF_ST into the context", since: kernel.V(6, 4, 0),
		commit: "bpf: allow ctx writes using BPF_ST_MEM instruction"}
	// A NULL-checked PTR_TO_MEM (ring buffer memory) compared with 0
	// decides the branch.
	featMemNotNull = &feature{name: "checked ring buffer memory is never NULL", since: kernel.V(6, 4, 0),
		commit: "bpf: mark PTR_TO_MEM as non-null register type; bpf: Teach the verifier to recognize rdonly_mem as not null."}
	// cpu v4: sign-extending loads and moves, signed division and modulo,
	// unconditional byte swaps.
	featCPUv4 = &feature{name: "cpu v4 instructions", since: kernel.V(6, 6, 0),
		commit: "bpf: Support new sign-extension load insns; bpf: Support new sign-extension mov insns; bpf: Support new unconditional bswap instruction; bpf: Support new signed div/mod instructions."}
	// cpu v4 gotol (JMP32|JA with a 32-bit offset), also in 6.1 stable.
	featGotol = &feature{name: "gotol (32-bit jump offsets)", since: kernel.V(6, 6, 0),
		backports: []kernel.Version{kernel.V(6, 1, 158)}, // audited
		commit:    "bpf: Support new 32bit offset jmp instruction"}
	// Branches between two non-constant scalars are decided from their
	// ranges, JEQ/JNE from disjoint ranges, JNE at a range's edge narrows
	// it, 32-bit comparisons no longer reset the 64-bit bounds, and 32-bit
	// bounds follow the 64-bit ones when the upper half is zero.
	featRangeBranches = &feature{name: "range-based branch decisions and 32-bit bounds", since: kernel.V(6, 8, 0),
		commit: "bpf: generalize is_branch_taken() to work with two registers; bpf: drop knowledge-losing __reg_combine_{32,64}_into_{64,32} logic; bpf: derive subreg bounds from full bounds when upper 32 bits are constant; bpf: make the verifier tracks the \"not equal\" for regs"}
	// The infinite-loop check compares states exactly (before, a state
	// whose stack is only covered by an earlier one's counted as a loop).
	featExactLoopCheck = &feature{name: "exact infinite-loop detection", since: kernel.V(6, 9, 0),
		commit: "bpf: make infinite loop detection in is_state_visited() exact"}
	// With the JIT, frames count 16-byte multiples toward the combined
	// stack limit (before, 32-byte multiples, at least 32).
	featJITStack16 = &feature{name: "JIT stack frames rounded to 16 bytes", since: kernel.V(6, 9, 0),
		commit: "bpf: Fix test verif_scale_strobemeta_subprogs failure due to llvm19"}
	// The may_goto instruction.
	featMayGoto = &feature{name: "may_goto", since: kernel.V(6, 9, 0),
		commit: "bpf: Introduce may_goto instruction"}
	// A lookup in an array map with a constant in-range key returns a
	// non-NULL value.
	featConstKeyNonNull = &feature{name: "constant-key array lookups are non-NULL", since: kernel.V(6, 14, 0),
		commit: "bpf: verifier: Support eliding map lookup nullness"}
	// Load-acquire and store-release atomics.
	featLoadAcquire = &feature{name: "load-acquire and store-release", since: kernel.V(6, 15, 0),
		commit: "bpf: Introduce load-acquire and store-release instructions"}
	// JEQ/JNE decided when the known bits disagree.
	// The current-task helpers in networking program types came in two
	// steps, bounded by the kernels the matrix runs (absent in Debian's
	// 6.1.192; pid_tgid and the cgroup ids present in 6.12.118, comm and
	// uid_gid not; all present in 6.18.44): a kernel in between is
	// checked as not modelled, never accepted. See currentTaskHelperAdded.
	featCurrentTaskIDs = &feature{name: "bpf_get_current_pid_tgid, _cgroup_id, _ancestor_cgroup_id in networking programs",
		since: kernel.V(6, 12, 0), commit: "(bounded by the kernels tested: absent in 6.1.192, present in 6.12.118)"}
	featCurrentCommUID = &feature{name: "bpf_get_current_comm and _uid_gid in networking programs",
		since: kernel.V(6, 18, 0), commit: "(bounded by the kernels tested: absent in 6.12.118, present in 6.18.44)"}
	// Deleting from a sockmap or sockhash only in the program types that
	// may update them (and sock_ops): before, any type could delete.
	// Bounded by the kernel tested (6.18.44 has it); earlier kernels are
	// not modelled for the types it refuses.
	featSockMapDelete = &feature{name: "sockmap deletes only where updates are allowed", since: kernel.V(6, 18, 0),
		commit: "bpf: Allow delete from sockmap/sockhash only if update is allowed (bounded by the kernels tested)"}
	// A variable-offset stack store over a spilled register scrubs the
	// slot to unknown data (before, the spill marks stayed with the
	// register forgotten). Bounded by the kernel tested (6.18.44 has it).
	featVarStackScrub = &feature{name: "variable-offset stack stores scrub spilled slots", since: kernel.V(6, 18, 0),
		commit: "(bounded by the kernels tested: present in 6.18.44)"}
	// Zeroed bytes next to a partial spill stay zero, and a read of only
	// zero bytes (or of part of a spilled zero) of a spill slot is 0
	// (before, unknown data).
	featPartialSpillZero = &feature{name: "zeroes kept by partial spills and restores", since: kernel.V(6, 8, 0),
		commit: "bpf: preserve STACK_ZERO slots on partial reg spills; bpf: preserve constant zero when doing partial register restore; bpf: track aligned STACK_ZERO cases as imprecise spilled registers (before, an aligned zero store was zeroed bytes, not a spill)"}
	// BPF_NEG computes 0 - dst on the bounds and known bits (before, the
	// result was unknown). Absent in the sources of 6.12.19, 6.13.7 and
	// 6.14, present in 6.17 and 6.18.35; 6.15 and 6.16 were not checked,
	// so a program that negates is not modelled on them (negUnknownBefore).
	featNegRange = &feature{name: "BPF_NEG range tracking", since: kernel.V(6, 17, 0),
		commit: "bpf: Add range tracking for BPF_NEG"}
	// A map pointer (CONST_PTR_TO_MAP) compared with 0 is never NULL.
	// Present in the sources of 6.17, 6.18.35 and Debian's 6.12.118;
	// absent in those of 6.6.57, 6.8.1, 6.9, 6.12.19, 6.13.7, 6.14 and
	// Debian's 6.1.192. The kernels in between are not known
	// (mapPtrNotNullKnown).
	featMapPtrNotNull = &feature{name: "map pointers are never NULL", since: kernel.V(6, 17, 0),
		backports: []kernel.Version{kernel.V(6, 12, 118)},
		commit:    "(reg_not_null() includes CONST_PTR_TO_MAP)"}
	// A program's return value is checked by its signed bounds (before,
	// by its known bits: tnum_in). Read in the sources of 6.8.1, 6.9 and
	// later (bounds) and 6.5, 6.6.57 and Debian's 6.1.192 (known bits).
	featRetvalRange = &feature{name: "return value checked by its bounds", since: kernel.V(6, 8, 0),
		commit: "bpf: enforce precise retval range on program exit"}
	// A 64-bit product is bounded from the products of the ranges' ends,
	// signed too (before, only when both factors are non-negative and fit
	// in 32 bits). Read in the sources of 6.14, 6.17 and 6.18.35 (present)
	// and 6.12.118 and 6.13.7 (absent).
	featMulRange = &feature{name: "overflow-checked multiplication bounds", since: kernel.V(6, 14, 0),
		commit: "bpf, verifier: Improve precision of BPF_MUL"}
	featTnumEq = &feature{name: "JEQ/JNE decided from known bits", since: kernel.V(6, 18, 0),
		backports: []kernel.Version{kernel.V(6, 12, 58)},
		commit:    "bpf: Use tnums for JEQ/JNE is_branch_taken logic"}
)

// cpuBoundSince is the first kernel that may bound the result of
// bpf_get_smp_processor_id by the machine's CPU count (absent in the
// sources of 6.1, 6.2.1, 6.3.8 and 6.5; present in those of a 6.6 stable
// release, 6.8 and later): the checker cannot know that count, so a path
// after the call gives no rejection (state.imprecise).
var cpuBoundSince = kernel.V(6, 6, 0)

// mapPtrNotNullKnown reports whether the rule of featMapPtrNotNull is
// known for kernel v: present, or absent in a source that was read (up to
// 6.1.192, 6.6.57 and 6.12.19 in the stable series that may have taken the
// backport; 6.7 to 6.11 and 6.13 to 6.14, series that ended before it).
func mapPtrNotNullKnown(v kernelModel) bool {
	switch {
	case v.has(featMapPtrNotNull):
		return true
	case v.SameSeries(kernel.V(6, 1, 0)):
		return !v.AtLeast(kernel.V(6, 1, 193))
	case v.SameSeries(kernel.V(6, 6, 0)):
		return !v.AtLeast(kernel.V(6, 6, 58))
	case v.SameSeries(kernel.V(6, 12, 0)):
		return !v.AtLeast(kernel.V(6, 12, 20))
	}
	return v.Less(kernel.V(6, 15, 0))
}

// byteSwapTracked reports whether kernel v keeps the known bits of a byte
// swap, swapped (scalar_byte_swap; before, the result was unknown): read
// in the sources of 6.18.35 (present) and 6.17 (absent), seen in the
// running 6.18.44. Whether 6.18.0 to 6.18.34, and 6.19 and later, have it
// is not known (byteSwapKnown): not a feature of the table, whose rules
// hold from a release on.
func byteSwapTracked(v kernelModel) bool {
	return v.SameSeries(kernel.V(6, 18, 0)) && v.AtLeast(kernel.V(6, 18, 35))
}

// byteSwapKnown reports whether the BPF_END rule of kernel v is known.
func byteSwapKnown(v kernelModel) bool { return byteSwapTracked(v) || v.Less(kernel.V(6, 18, 0)) }

// negUnknownBefore is the first kernel whose BPF_NEG rule is not known
// (see featNegRange).
var negUnknownBefore = kernel.V(6, 15, 0)

// features lists the rules above (for documentation and tests).
var features = []*feature{
	featMemMapArg, featSTImmSpill, featUninitStackRead, featStackReadGrows, featSTCtx, featMemNotNull, featCPUv4, featGotol,
	featRangeBranches, featExactLoopCheck, featJITStack16, featMayGoto, featConstKeyNonNull, featLoadAcquire,
	featTnumEq, featNegRange, featMapPtrNotNull, featRetvalRange, featMulRange, featCurrentTaskIDs, featCurrentCommUID, featSockMapDelete, featVarStackScrub, featPartialSpillZero,
	featCallbackIter,
}

// resolveVersion returns the kernel the checker models: Options.KernelVersion,
// or the running kernel's. Without one (off Linux) it is the oldest
// modelled kernel, the strictest.
func resolveVersion(v kernel.Version) (kernelModel, error) {
	if v.IsZero() {
		r, err := kernel.RunningVersion()
		if runtime.GOOS != "linux" || err != nil {
			r = oldestModelled
		}
		v = r
	}
	if v.Less(oldestModelled) {
		return kernelModel{v}, fmt.Errorf("kernel %v is older than %v, the oldest modelled", v, oldestModelled)
	}
	return kernelModel{v}, nil
}
