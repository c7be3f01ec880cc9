package check

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
)

// verdict is the outcome of a load or a Check.
type verdict string

const (
	accept      verdict = "accept"
	reject      verdict = "reject"      // ErrRejected
	unsupported verdict = "unsupported" // ErrUnsupported (Check only)
)

// Kernels the table below gives verdicts for: Debian 12's 6.1 (and the
// first 6.1 release, before the stable backports), the 6.12 LTS before and
// after the 6.12.58 backport, and 6.18.
var (
	k610   = kernel.V(6, 1, 0)
	k61    = kernel.V(6, 1, 192)
	k6120  = kernel.V(6, 12, 19)
	k612   = kernel.V(6, 12, 118)
	k618   = kernel.V(6, 18, 44)
	series = []kernel.Version{k610, k61, k6120, k612, k618}
)

// versionCase is a program whose verdict depends on the kernel version.
type versionCase struct {
	name  string
	typ   kernel.ProgramType
	insns asm.Instructions
	// check is Check's verdict on each kernel of series, in order.
	check [5]verdict
	// kernel is the kernel's verdict where Check says unsupported (by
	// index of series), when it is known.
	kernel map[int]verdict
}

// Building blocks.
var (
	// r0 = value of "array" at key 0, or NULL (the key, 0, at fp-4).
	lookupArray0 = asm.Instructions{
		asm.StoreImm(asm.R10, -4, 0, asm.Word),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -4),
		asm.LoadMapPtr(asm.R1, "array"),
		asm.Call(asm.FnMapLookupElem),
	}
	exit0  = asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}
	out0   = asm.Instructions{asm.Mov.Imm(asm.R0, 0).WithSymbol("out"), asm.Return()}
	badR9  = asm.Instructions{asm.Mov.Reg(asm.R0, asm.R9).WithSymbol("bad"), asm.Return()} // R9 !read_ok
	random = asm.Call(asm.FnGetPrandomU32)
)

func cat(parts ...asm.Instructions) asm.Instructions {
	var all asm.Instructions
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// versionCases: each rule of version.go, with the verdicts the kernels
// give (read from their sources; see the feature comments).
var versionCases = []versionCase{
	{
		name:  "constant-key array lookup used without NULL check",
		typ:   kernel.SchedCLS,
		insns: cat(lookupArray0, asm.Instructions{asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord)}, exit0),
		check: [5]verdict{reject, reject, reject, reject, accept},
	},
	{
		name:  "BPF_ST into the context",
		typ:   kernel.SchedCLS,
		insns: cat(asm.Instructions{asm.StoreImm(asm.R1, skbPriority, 7, asm.Word)}, exit0),
		check: [5]verdict{reject, reject, accept, accept, accept},
	},
	{
		name:  "sdiv",
		typ:   kernel.SchedCLS,
		insns: asm.Instructions{asm.Mov.Imm(asm.R0, 7), asm.SDiv.Imm(asm.R0, 2), asm.Return()},
		check: [5]verdict{reject, reject, accept, accept, accept},
	},
	{
		name:  "movsx",
		typ:   kernel.SchedCLS,
		insns: asm.Instructions{asm.Mov.Imm(asm.R1, 200), asm.MovSX8.Reg(asm.R0, asm.R1), asm.Return()},
		check: [5]verdict{reject, reject, accept, accept, accept},
	},
	{
		name: "ldsx",
		typ:  kernel.SchedCLS,
		insns: asm.Instructions{
			asm.StoreImm(asm.R10, -8, 0, asm.DWord),
			asm.LoadMemSX(asm.R0, asm.R10, -8, asm.Byte),
			asm.Return(),
		},
		check: [5]verdict{reject, reject, accept, accept, accept},
	},
	{
		name:  "bswap",
		typ:   kernel.SchedCLS,
		insns: asm.Instructions{asm.Mov.Imm(asm.R0, 1), asm.Swap(asm.R0, asm.Word), asm.Return()},
		check: [5]verdict{reject, reject, accept, accept, accept},
	},
	{
		name:  "gotol (in 6.1 stable)",
		typ:   kernel.SchedCLS,
		insns: asm.Instructions{asm.JaLong("l"), asm.Mov.Imm(asm.R0, 0).WithSymbol("l"), asm.Return()},
		check: [5]verdict{reject, accept, accept, accept, accept},
	},
	{
		// A may_goto that skips an instruction: "may_goto +0" is refused
		// before 6.15 ("invalid may_goto off 0", seen on 6.12.118).
		name: "may_goto",
		typ:  kernel.SchedCLS,
		insns: asm.Instructions{asm.MayGoto("l"), asm.Mov.Imm(asm.R0, 1), asm.Return(),
			asm.Mov.Imm(asm.R0, 0).WithSymbol("l"), asm.Return()},
		check:  [5]verdict{reject, reject, unsupported, unsupported, unsupported},
		kernel: map[int]verdict{2: accept, 3: accept, 4: accept},
	},
	{
		name: "load-acquire",
		typ:  kernel.SchedCLS,
		insns: asm.Instructions{
			asm.StoreImm(asm.R10, -8, 0, asm.DWord),
			asm.LoadAcquire(asm.R0, asm.R10, -8, asm.DWord),
			asm.Return(),
		},
		check:  [5]verdict{reject, reject, reject, reject, unsupported},
		kernel: map[int]verdict{4: accept},
	},
	{
		name: "uninitialised byte of a written stack slot",
		typ:  kernel.SchedCLS,
		insns: asm.Instructions{
			asm.StoreImm(asm.R10, -1, 1, asm.Byte),
			asm.LoadMem(asm.R0, asm.R10, -8, asm.Byte),
			asm.Return(),
		},
		check: [5]verdict{reject, accept, accept, accept, accept},
	},
	{
		name:  "read below the written stack",
		typ:   kernel.SchedCLS,
		insns: asm.Instructions{asm.LoadMem(asm.R0, asm.R10, -8, asm.DWord), asm.Return()},
		check: [5]verdict{reject, accept, accept, accept, accept},
	},
	{
		name: "helper reads a key below the written stack",
		typ:  kernel.SchedCLS,
		insns: cat(asm.Instructions{
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -8),
			asm.LoadMapPtr(asm.R1, "hash"),
			asm.Call(asm.FnMapLookupElem),
		}, exit0),
		check: [5]verdict{reject, accept, accept, accept, accept},
	},
	{
		name: "BPF_ST constant read back from the stack as an offset",
		typ:  kernel.SchedCLS,
		insns: cat(asm.Instructions{asm.StoreImm(asm.R10, -16, 4, asm.DWord)}, lookupArray0, asm.Instructions{
			asm.JEq.Imm(asm.R0, 0, "out"),
			asm.LoadMem(asm.R1, asm.R10, -16, asm.DWord),
			asm.Add.Reg(asm.R0, asm.R1),
			asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
		}, out0),
		check: [5]verdict{reject, accept, accept, accept, accept},
	},
	{
		name: "branch between two ranges that cannot meet",
		typ:  kernel.SchedCLS,
		insns: cat(asm.Instructions{
			random, asm.Mov.Reg(asm.R6, asm.R0), asm.And.Imm(asm.R6, 255),
			random, asm.Mov.Reg(asm.R7, asm.R0), asm.And.Imm(asm.R7, 31), asm.Add.Imm(asm.R7, 256),
			asm.JGT.Reg(asm.R6, asm.R7, "bad"),
		}, exit0, badR9),
		check: [5]verdict{reject, reject, accept, accept, accept},
	},
	{
		name: "JEQ with a constant outside the range",
		typ:  kernel.SchedCLS,
		insns: cat(asm.Instructions{
			random, asm.And.Imm(asm.R0, 255), asm.JEq.Imm(asm.R0, 300, "bad"),
		}, exit0, badR9),
		check: [5]verdict{reject, reject, accept, accept, accept},
	},
	{
		name: "JNE narrows a range at its edge",
		typ:  kernel.SchedCLS,
		insns: cat(asm.Instructions{random, asm.Mov.Reg(asm.R7, asm.R0), asm.And.Imm(asm.R7, 1)}, lookupArray0, asm.Instructions{
			asm.JEq.Imm(asm.R0, 0, "out"),
			asm.JEq.Imm(asm.R7, 0, "out"),
			asm.Sub.Imm(asm.R7, 1),
			asm.Add.Reg(asm.R0, asm.R7),
			asm.LoadMem(asm.R1, asm.R0, 0, asm.Byte),
		}, out0),
		check: [5]verdict{reject, reject, accept, accept, accept},
	},
	{
		name: "JEQ decided by disagreeing known bits (6.12.58 backport)",
		typ:  kernel.SchedCLS,
		insns: cat(asm.Instructions{
			random,
			asm.Mov.Reg32(asm.R0, asm.R0),
			asm.RSh.Imm(asm.R0, 30),
			asm.LSh.Imm(asm.R0, 30),
			asm.Mov.Reg(asm.R1, asm.R0),
			asm.Add.Imm(asm.R1, 1024),
			asm.JEq.Reg(asm.R1, asm.R0, "bad"),
		}, exit0, badR9),
		check: [5]verdict{reject, reject, reject, accept, accept},
	},
	{
		name: "combined stack of 168 and 336 bytes",
		typ:  kernel.SchedCLS,
		insns: asm.Instructions{
			asm.StoreImm(asm.R10, -168, 0, asm.DWord),
			asm.CallFunc("sub"),
			asm.Return(),
			asm.StoreImm(asm.R10, -336, 0, asm.DWord).WithSymbol("sub"),
			asm.Mov.Imm(asm.R0, 0),
			asm.Return(),
		},
		check: [5]verdict{reject, reject, accept, accept, accept},
	},
	{
		name: "ring buffer memory as a map key",
		typ:  kernel.SchedCLS,
		insns: cat(asm.Instructions{
			asm.LoadMapPtr(asm.R1, "ring"), asm.Mov.Imm(asm.R2, 8), asm.Mov.Imm(asm.R3, 0),
			asm.Call(asm.FnRingbufReserve),
			asm.JEq.Imm(asm.R0, 0, "out"),
			asm.Mov.Reg(asm.R6, asm.R0),
			asm.StoreImm(asm.R6, 0, 0, asm.DWord),
			asm.Mov.Reg(asm.R2, asm.R6),
			asm.LoadMapPtr(asm.R1, "hash"),
			asm.Call(asm.FnMapLookupElem),
			asm.Mov.Reg(asm.R1, asm.R6), asm.Mov.Imm(asm.R2, 0),
			asm.Call(asm.FnRingbufDiscard),
		}, out0),
		check: [5]verdict{reject, reject, accept, accept, accept},
	},
	{
		name: "checked ring buffer memory compared with 0 again",
		typ:  kernel.SchedCLS,
		insns: cat(asm.Instructions{
			asm.LoadMapPtr(asm.R1, "ring"), asm.Mov.Imm(asm.R2, 8), asm.Mov.Imm(asm.R3, 0),
			asm.Call(asm.FnRingbufReserve),
			asm.JEq.Imm(asm.R0, 0, "out"),
			asm.Mov.Reg(asm.R6, asm.R0),
			asm.JEq.Imm(asm.R6, 0, "leak"),
			asm.Mov.Reg(asm.R1, asm.R6), asm.Mov.Imm(asm.R2, 0),
			asm.Call(asm.FnRingbufDiscard),
		}, out0, asm.Instructions{asm.Mov.Imm(asm.R0, 0).WithSymbol("leak"), asm.Return()}),
		check: [5]verdict{reject, reject, accept, accept, accept},
	},
	{
		name: "loop whose counter lives on the stack",
		typ:  kernel.SchedCLS,
		insns: asm.Instructions{
			random,
			asm.And.Imm(asm.R0, 0xff),
			asm.StoreMem(asm.R10, -8, asm.R0, asm.DWord),
			asm.Mov.Imm(asm.R0, 0),
			asm.LoadMem(asm.R0, asm.R10, -8, asm.DWord).WithSymbol("loop"),
			asm.JGT.Imm(asm.R0, 10, "out"),
			asm.Add.Imm(asm.R0, 1),
			asm.StoreMem(asm.R10, -8, asm.R0, asm.DWord),
			asm.Mov.Imm(asm.R0, 0),
			asm.Ja("loop"),
			asm.Mov.Imm(asm.R0, 0).WithSymbol("out"),
			asm.Return(),
		},
		check: [5]verdict{unsupported, unsupported, accept, accept, accept},
		// "bpf: make infinite loop detection in is_state_visited() exact"
		// gives this program as a false "infinite loop detected".
		kernel: map[int]verdict{0: reject, 1: reject},
	},
	{
		name: "NULL check against a register holding 0",
		typ:  kernel.SchedCLS,
		insns: cat(asm.Instructions{
			asm.StoreImm(asm.R10, -4, 0, asm.Word),
			asm.Mov.Reg(asm.R2, asm.R10), asm.Add.Imm(asm.R2, -4),
			asm.LoadMapPtr(asm.R1, "hash"),
			asm.Call(asm.FnMapLookupElem),
			asm.Mov.Imm(asm.R2, 0),
			asm.JNE.Reg(asm.R0, asm.R2, "ok"),
			asm.Mov.Imm(asm.R0, 0), asm.Return(),
			asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord).WithSymbol("ok"),
		}, exit0),
		check: [5]verdict{reject, reject, reject, reject, reject},
	},
	{
		name: "JSET not taken keeps only the known bits",
		typ:  kernel.SchedCLS,
		insns: cat(asm.Instructions{
			random, asm.Mov.Reg(asm.R6, asm.R0), asm.And.Imm(asm.R6, 255),
			asm.JGT.Imm(asm.R6, 5, "out"),
			asm.JLT.Imm(asm.R6, 1, "out"),
			asm.JSet.Imm(asm.R6, 4, "out"),
		}, lookupArray0, asm.Instructions{
			asm.JEq.Imm(asm.R0, 0, "out"),
			asm.Add.Reg(asm.R0, asm.R6),
			asm.LoadMem(asm.R1, asm.R0, -1, asm.Byte),
		}, out0),
		check: [5]verdict{reject, reject, reject, reject, reject},
	},
	{
		name: "__sk_buff.sk read and NULL-checked",
		typ:  kernel.SchedCLS,
		insns: cat(asm.Instructions{
			asm.LoadMem(asm.R2, asm.R1, skbSK, asm.DWord),
			asm.JEq.Imm(asm.R2, 0, "out"),
			asm.Mov.Imm(asm.R0, 1),
			asm.Return(),
		}, out0),
		check: [5]verdict{accept, accept, accept, accept, accept},
	},
}

func verdictOf(err error) verdict {
	switch {
	case err == nil:
		return accept
	case errors.Is(err, ErrUnsupported):
		return unsupported
	}
	return reject
}

// TestKernelVersionRules checks Check's verdict on each version-dependent
// rule for 6.1 (first and Debian's release), 6.12 (before and after a
// stable backport) and 6.18.
func TestKernelVersionRules(t *testing.T) {
	for _, tc := range versionCases {
		t.Run(tc.name, func(t *testing.T) {
			for i, v := range series {
				err := checkInsns(tc.insns, progEnv{ProgramType: tc.typ, License: "GPL", Maps: testMaps, KernelVersion: v})
				if got := verdictOf(err); got != tc.check[i] {
					t.Errorf("Linux %v: %s (%v), want %s", v, got, err, tc.check[i])
				}
			}
		})
	}
}

// TestKernelVersionFeatures checks the rule table: every rule is dated,
// described and applies from its release on (and from its stable
// backports on), not before.
func TestKernelVersionFeatures(t *testing.T) {
	has := func(v kernel.Version, f *feature) bool { return kernelModel{v}.has(f) }
	for _, f := range features {
		if f.name == "" || f.commit == "" || !oldestModelled.Less(f.since) {
			t.Errorf("feature %+v: incomplete, or not newer than %v", f, oldestModelled)
		}
		if !has(f.since, f) || !has(kernel.V(7, 0, 0), f) {
			t.Errorf("%s: absent from %v or 7.0", f.name, f.since)
		}
		previous := kernel.V(f.since.Major, f.since.Minor-1, 999)
		backported := false
		for _, b := range f.backports {
			backported = backported || b.SameSeries(previous)
			if !has(b, f) || has(kernel.V(b.Major, b.Minor, b.Patch-1), f) {
				t.Errorf("%s: backport %v not applied from its release", f.name, b)
			}
		}
		if has(previous, f) != backported {
			t.Errorf("%s: present in %v: %v", f.name, previous, !backported)
		}
		if has(oldestModelled, f) {
			t.Errorf("%s: already in %v, so not version-dependent", f.name, oldestModelled)
		}
	}
}

// TestKernelVersionOutOfRange checks that kernels before 6.1 are not
// modelled and that the zero version means the running kernel.
func TestKernelVersionOutOfRange(t *testing.T) {
	insns := asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}
	err := checkInsns(insns, progEnv{ProgramType: kernel.XDP, KernelVersion: kernel.V(5, 15, 131)})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "5.15.131") {
		t.Errorf("Check for 5.15: %v, want ErrUnsupported naming the version", err)
	}
	for _, v := range []kernel.Version{{}, k61, kernel.V(7, 2, 0)} {
		if err := checkInsns(insns, progEnv{ProgramType: kernel.XDP, KernelVersion: v}); err != nil {
			t.Errorf("Check for %v: %v", v, err)
		}
	}
}

// TestOlderKernelsAreStricter checks, on the first third of the fixed
// corpus (the property does not depend on the kernel the test runs on,
// and the suite also runs under emulation), that every program Check
// accepts for a kernel it also accepts for every later one: each rule only
// relaxes the verifier.
func TestOlderKernelsAreStricter(t *testing.T) {
	n := corpusSize / 3
	if testing.Short() {
		n = 200
	}
	for i := 0; i < n; i++ {
		p := generate(corpusSeed, i)
		prev := false
		for _, v := range series {
			opts := checkOpts(p)
			opts.KernelVersion = v
			ok := checkInsns(p.insns, opts) == nil
			if prev && !ok {
				t.Errorf("%s [%s]: accepted for an older kernel, rejected for %v", p.name, p.class, v)
			}
			prev = ok
		}
	}
}

// TestKernelVersionRulesAgreeWithKernel loads the programs of
// versionCases into the running kernel. On a release of the table (6.1.192,
// 6.12.118, any 6.18) the kernel must give the table's verdict: the check
// of the table itself, on every kernel the suite runs on. On another
// release the kernel must at least not reject what Check accepts for it.
func TestKernelVersionRulesAgreeWithKernel(t *testing.T) {
	env := loadEnv(t)
	running, err := kernel.RunningVersion()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, v := range series {
		if running == v || (v == k618 && running.SameSeries(k618)) {
			col = i
		}
	}
	for _, tc := range versionCases {
		t.Run(tc.name, func(t *testing.T) {
			klog, kerr := env.kernelVerdict(genProg{name: "v", typ: tc.typ, license: "GPL", insns: tc.insns}, 0)
			got := accept
			if kerr != nil {
				got = reject
			}
			if col < 0 {
				err := checkInsns(tc.insns, progEnv{ProgramType: tc.typ, License: "GPL", Maps: testMaps})
				if err == nil && got == reject {
					t.Errorf("Linux %v: Check accepts, the kernel rejects: %s", running, lastLine(klog))
				}
				return
			}
			want := tc.check[col]
			if want == unsupported {
				var ok bool
				if want, ok = tc.kernel[col]; !ok {
					t.Skipf("the kernel's verdict on %v is not recorded (Check: unsupported)", series[col])
				}
			}
			if got != want {
				t.Errorf("Linux %v: kernel %s, table %s: %s", running, got, want, lastLine(klog))
			}
		})
	}
}

func (tc versionCase) String() string { return fmt.Sprintf("%s: %v", tc.name, tc.check) }
