package check

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/gplprobe"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/testenv"
)

// TestHelperTableMatchesKernel checks, for every helper Check models, that
// the running kernel lets exactly the program types of helpersByType call
// it (the table is probed on 6.18; the modelled helpers are callable by
// the same types since 6.1, except the current-task helpers in networking
// programs: currentTaskHelperAdded).
func TestHelperTableMatchesKernel(t *testing.T) {
	testenv.RequirePrivileged(t)
	kv, err := resolveVersion(kernel.Version{})
	if err != nil {
		t.Fatal(err)
	}
	ensureTables()
	for typ := range helpersByType {
		for fn := range helperProtos {
			got, err := gplprobe.Allowed(uint32(typ), int32(fn))
			if hooks := modelledHooks(typ); hooks != nil {
				// The helpers every modelled hook may call.
				got = true
				for _, at := range hooks {
					ok, e := gplprobe.AllowedAttach(uint32(typ), uint32(at), int32(fn))
					got, err = got && ok, e
					if err != nil {
						break
					}
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			want := helperAllowed(typ, fn)
			if f := currentTaskHelperAdded(typ, fn); want && f != nil && !kv.has(f) {
				if got {
					t.Logf("%s may call %s on %v, before %q (%v): the rule could relax earlier", typ, fn, kv, f.name, f.since)
				}
				// Kernels before the rule's release refuse it; the
				// checker calls it not modelled there.
				continue
			}
			if got != want {
				t.Errorf("%s may call %s: kernel %v, table %v", typ, fn, got, want)
			}
		}
	}
}

// TestHelperTableGenerated checks that helpers_gen.go is what go generate
// makes of the committed probe record (testdata/helpers.txt).
func TestHelperTableGenerated(t *testing.T) {
	record, err := os.ReadFile("testdata/helpers.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, err := gplprobe.Generate("helpers", record, "check", "testdata/helpers.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("helpers_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("helpers_gen.go differs from what testdata/helpers.txt generates: run go generate ./check")
	}
}

// TestCurrentTaskHelpersByVersion: an XDP program calling
// bpf_get_current_pid_tgid is accepted for the kernels that allow it and
// not modelled (ErrUnsupported, never a verdict) for older ones, which
// refuse it (6.1.192: "unknown func").
func TestCurrentTaskHelpersByVersion(t *testing.T) {
	insns := asm.Instructions{
		asm.Call(asm.FnGetCurrentPidTgid),
		asm.Mov.Imm(asm.R0, 2),
		asm.Return(),
	}
	for _, tt := range []struct {
		v    kernel.Version
		want error
	}{
		{kernel.V(6, 1, 192), ErrUnsupported},
		{kernel.V(6, 12, 118), nil},
		{kernel.V(6, 18, 0), nil},
	} {
		err := checkInsns(insns, progEnv{ProgramType: kernel.XDP, License: "GPL", KernelVersion: tt.v})
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%v: %v, want %v", tt.v, err, tt.want)
		}
	}
}

// TestCurrentCommByVersion: bpf_get_current_comm in an XDP program is
// refused by 6.12.118 and allowed by 6.18.44; between them the checker
// does not claim a verdict.
func TestCurrentCommByVersion(t *testing.T) {
	insns := asm.Instructions{
		asm.Mov.Reg(asm.R1, asm.RFP),
		asm.Add.Imm(asm.R1, -16),
		asm.Mov.Imm(asm.R2, 16),
		asm.Call(asm.FnGetCurrentComm),
		asm.Mov.Imm(asm.R0, 2),
		asm.Return(),
	}
	for _, tt := range []struct {
		v    kernel.Version
		want error
	}{
		{kernel.V(6, 12, 118), ErrUnsupported},
		{kernel.V(6, 18, 44), nil},
	} {
		err := checkInsns(insns, progEnv{ProgramType: kernel.XDP, License: "GPL", KernelVersion: tt.v})
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%v: %v, want %v", tt.v, err, tt.want)
		}
	}
}

// TestGlobalContextArgumentOfOtherTypes: a global function taking a
// pointer to a context struct the checker does not map to the program's
// type (here __sk_buff in a cgroup_skb program) gets no verdict: the
// kernel may take it as the context, and f(NULL) would then be refused.
func TestGlobalContextArgumentOfOtherTypes(t *testing.T) {
	insns := asm.Instructions{
		asm.Mov.Imm(asm.R1, 0),
		asm.CallFunc("f"),
		asm.Mov.Imm(asm.R0, 1),
		asm.Return(),
		asm.Mov.Imm(asm.R0, 0).WithSymbol("f"),
		asm.Return(),
	}
	proto := &globalProto{name: "f", args: []globalArg{{kind: globalMem, size: 192, ctxName: "__sk_buff"}}}
	for _, tt := range []struct {
		typ  kernel.ProgramType
		want error
	}{
		{kernel.CGroupSKB, ErrUnsupported},
		{kernel.SchedCLS, ErrRejected}, // the context, so NULL is refused
	} {
		err := checkInsns(insns, progEnv{ProgramType: tt.typ, License: "GPL", FuncInfo: []int{0, 4}, GlobalFuncs: map[int]*globalProto{4: proto}})
		if !errors.Is(err, tt.want) {
			t.Errorf("%v: %v, want %v", tt.typ, err, tt.want)
		}
	}
}
