package features

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
)

// helperRelease lists, in order, the highest helper id (enum bpf_func_id)
// of each mainline release that added helpers. Helper ids are assigned in
// the order helpers are merged, so a helper's release is the first whose
// highest id reaches it. Derived from the per-helper feature tags of
// ebpf-docs (git describe of each helper's commit), which are monotonic in
// the id unlike bcc's table; 6.1 checked against Debian 6.1's UAPI header
// (last helper user_ringbuf_drain, 209). No helpers were added after 6.2:
// new kernel functions are kfuncs.
var helperRelease = []struct {
	last    asm.BuiltinFunc
	release string
}{
	{2, "3.18"}, {3, "3.19"}, {11, "4.1"}, {16, "4.2"}, {22, "4.3"}, {25, "4.4"},
	{26, "4.5"}, {30, "4.6"}, {36, "4.8"}, {41, "4.9"}, {44, "4.10"}, {45, "4.11"},
	{47, "4.12"}, {50, "4.13"}, {53, "4.14"}, {57, "4.15"}, {59, "4.16"}, {64, "4.17"},
	{80, "4.18"}, {83, "4.19"}, {90, "4.20"}, {92, "5.0"}, {98, "5.1"}, {108, "5.2"},
	{109, "5.3"}, {110, "5.4"}, {115, "5.5"}, {118, "5.6"}, {124, "5.7"}, {135, "5.8"},
	{141, "5.9"}, {155, "5.10"}, {162, "5.11"}, {163, "5.12"}, {165, "5.13"}, {168, "5.14"},
	{175, "5.15"}, {179, "5.16"}, {185, "5.17"}, {193, "5.18"}, {203, "5.19"}, {207, "6.0"},
	{209, "6.1"}, {211, "6.2"},
}

// HelperSince returns the mainline release that introduced helper fn,
// such as "4.18" for asm.FnFibLookup, or "" for ids beyond purebpf's table.
func HelperSince(fn asm.BuiltinFunc) string {
	if fn <= 0 {
		return ""
	}
	for _, r := range helperRelease {
		if fn <= r.last {
			return r.release
		}
	}
	return ""
}

type helperKey struct {
	pt kernel.ProgramType
	fn asm.BuiltinFunc
}

var helpers cache[helperKey]

// HaveProgramHelper reports whether programs of type pt may call helper fn
// on the running kernel. The answer is an *Error when the program type is
// missing (HaveProgramType's answer), when the kernel does not know the
// helper (MinKernel is its release, see HelperSince), or when it knows the
// helper but does not offer it to pt (MinKernel empty: for example a
// helper of another program type, or bpf_lwt_seg6_* on a kernel built
// without CONFIG_IPV6_SEG6_BPF).
//
// It loads a program of type pt that calls fn and reads the verifier's
// verdict on the call; a verifier complaint about the call's arguments
// means the helper is there. Tracing, LSM, struct_ops and extension
// programs cannot be probed without a BTF attach target: for them the
// answer is an undecided error.
func HaveProgramHelper(pt kernel.ProgramType, fn asm.BuiltinFunc) error {
	if fn <= 0 {
		return fmt.Errorf("features: %v is not a helper", fn)
	}
	if err := HaveProgramType(pt); err != nil {
		return err
	}
	return helpers.get(helperKey{pt, fn}, probeHelper)
}

func probeHelper(k helperKey) error {
	name := fmt.Sprintf("helper %v for %v programs", k.fn, k.pt)
	if !k.fn.Known() {
		name = fmt.Sprintf("helper id %d for %v programs", int32(k.fn), k.pt)
	}
	switch k.pt {
	case kernel.Tracing, kernel.LSM, kernel.StructOps, kernel.Extension:
		return undecided(name, fmt.Errorf("%v programs need a BTF attach target to load", k.pt))
	}
	fd, log, _, err := probeProgram{
		typ:    k.pt,
		attach: expectedAttachType(k.pt),
		insns: asm.Instructions{
			asm.Call(k.fn),
			asm.Mov.Imm(asm.R0, 0),
			asm.Return(),
		},
		withLog: true,
	}.load()
	if err == nil {
		fd.Close()
		return nil
	}
	tag := "#" + strconv.Itoa(int(k.fn))
	switch {
	case logHas(log, "invalid func ", tag):
		// Beyond the kernel's __BPF_FUNC_MAX_ID.
		return &Error{Feature: name, MinKernel: HelperSince(k.fn)}
	case logHas(log, "unknown func ", tag), logHas(log, "program of this type cannot use helper", tag),
		logHas(log, "helper call is not allowed in probe"):
		// A known helper the program type does not get (the wording
		// differs between releases).
		return &Error{Feature: name}
	case errors.Is(err, unix.EACCES) || errors.Is(err, unix.EINVAL) && log != "":
		// The verifier accepted the call and rejected its arguments or
		// something after it.
		return nil
	}
	return undecided(name, err)
}

// logHas reports whether one line of the verifier log contains all of
// words.
func logHas(log string, words ...string) bool {
	for line := range strings.SplitSeq(log, "\n") {
		all := true
		for _, w := range words {
			if !strings.Contains(line, w) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
