package bpf_test

import (
	"encoding/binary"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/bpftest/packet"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/testenv"
)

var (
	// bpftool names helpers and jited subprograms with kallsyms; compare
	// calls by number only.
	xlatedHelperName = regexp.MustCompile(`call [^#\s]+#(-?[0-9]+)`)
	xlatedJitedCall  = regexp.MustCompile(`call pc([+-][0-9]+)#\S*`)
	xlatedLine       = regexp.MustCompile(`^ *[0-9]+: \(`)
)

// TestXlatedCallbacks loads a program passing callbacks to bpf_loop,
// bpf_for_each_map_elem and bpf_timer_set_callback, runs it, and reads
// back what the kernel runs: function loads and subprogram calls decode,
// point at subprogram starts, and the listing is bpftool's.
func TestXlatedCallbacks(t *testing.T) {
	testenv.RequirePrivileged(t)
	for _, fn := range []asm.BuiltinFunc{asm.FnLoop, asm.FnForEachMapElem, asm.FnTimerInit, asm.FnTimerSetCallback} {
		testenv.SkipUnsupported(t, features.HaveProgramHelper(bpf.XDP, fn))
	}
	testenv.RequireTool(t, "bpftool")
	c := loadObject(t, "elf/testdata/callbacks.o")
	prog := c.Programs["xdp_callbacks"]
	if got := collRun(t, prog, packet.UDPv4(collCli, collHTTP, nil)); got != uint32(bpf.XDPPass) {
		t.Fatalf("returned %d", got)
	}
	var acc uint64
	if err := c.Maps["results"].Lookup(uint32(0), &acc); err != nil {
		t.Fatal(err)
	}
	if acc != 0+1+2+3+4+4*1+100 {
		t.Errorf("callbacks computed %d, want 114", acc)
	}

	insns, err := prog.XlatedInstructions()
	if err != nil {
		t.Fatal(err)
	}
	syms, err := insns.SymbolOffsets()
	if err != nil {
		t.Fatal(err)
	}
	offs := insns.RawOffsets()
	loads := map[string]bool{}
	calls := 0
	for i, ins := range insns {
		if !ins.IsLoadOfFunctionPointer() && !ins.IsFunctionCall() {
			continue
		}
		target := offs[i] + 1 + int(int32(ins.Constant))
		if syms[ins.Reference()] != target || target <= offs[i] && ins.IsLoadOfFunctionPointer() {
			t.Errorf("instruction %d (%v) refers to %q at %d, targets %d", offs[i], ins, ins.Reference(), syms[ins.Reference()], target)
		}
		if uint64(ins.Constant)>>32 != 0 {
			t.Errorf("instruction %d (%v): upper immediate %#x left", offs[i], ins, ins.Constant)
		}
		if ins.IsLoadOfFunctionPointer() {
			loads[ins.Reference()] = true
		} else {
			calls++
		}
	}
	// Three callbacks; the kernel inlines bpf_loop into a loop that calls
	// its callback.
	if len(loads) != 3 || calls == 0 {
		t.Errorf("%d function loads of %d callbacks, %d calls; want 3 callbacks, inlined bpf_loop calling one\n%s", len(loads), len(loads), calls, insns)
	}
	// The instructions encode (references resolved through the symbols)
	// and decode to the same program.
	raw, err := insns.Encode(binary.NativeEndian)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := asm.Decode(raw, binary.NativeEndian); err != nil || again.String() != insns.String() {
		t.Errorf("encode and decode: %v\n%s\nwant\n%s", err, again, insns)
	}

	info, err := prog.Info()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bpftool", "prog", "dump", "xlated", "id", strconv.Itoa(int(info.ID))).CombinedOutput()
	if err != nil {
		t.Fatalf("bpftool: %v\n%s", err, out)
	}
	var want []string
	for _, l := range strings.Split(string(out), "\n") {
		if xlatedLine.MatchString(l) { // not BTF source or function lines
			want = append(want, xlatedJitedCall.ReplaceAllString(xlatedHelperName.ReplaceAllString(l, "call $1#"), "call pc$1"))
		}
	}
	got := strings.Split(strings.TrimSuffix(xlatedHelperName.ReplaceAllString(insns.String(), "call $1#"), "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("listing differs from bpftool's\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
