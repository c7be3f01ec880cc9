package features

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/testenv"
)

func TestErrorText(t *testing.T) {
	for _, tt := range []struct {
		err  *Error
		want string
	}{
		{&Error{Feature: "tcx links", MinKernel: "6.6"}, "tcx links: not supported by the running kernel (since Linux 6.6)"},
		{&Error{Feature: "helper bpf_lwt_seg6_action for xdp programs"}, "helper bpf_lwt_seg6_action for xdp programs: not supported by the running kernel"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		wrapped := fmt.Errorf("attach: %w", tt.err)
		var fe *Error
		if !errors.Is(wrapped, ErrNotSupported) || !errors.As(wrapped, &fe) || fe != tt.err {
			t.Errorf("%v: errors.Is/As do not see the *Error", wrapped)
		}
	}
}

// TestResultCaching: decided answers are kept, undecided ones are not,
// and concurrent callers share one probe.
func TestResultCaching(t *testing.T) {
	absent := &Error{Feature: "x"}
	for _, tt := range []struct {
		name    string
		answer  error
		cached  bool
		isUnsup bool
	}{
		{"supported", nil, true, false},
		{"unsupported", absent, true, true},
		{"wrapped unsupported", fmt.Errorf("ctx: %w", absent), true, true},
		{"undecided", undecided("x", unix.EPERM), false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var r result
			var calls atomic.Int32
			probe := func() error { calls.Add(1); return tt.answer }
			var wg sync.WaitGroup
			for range 32 {
				wg.Go(func() {
					if err := r.get(probe); !errors.Is(err, tt.answer) && err != tt.answer {
						t.Errorf("got %v, want %v", err, tt.answer)
					}
				})
			}
			wg.Wait()
			switch n := calls.Load(); {
			case tt.cached && n != 1:
				t.Errorf("decided answer probed %d times, want 1", n)
			case !tt.cached && n != 32:
				t.Errorf("undecided answer probed %d times, want 32 (one per call)", n)
			}
			if got := errors.Is(r.get(probe), ErrNotSupported); got != tt.isUnsup {
				t.Errorf("errors.Is(ErrNotSupported) = %v, want %v", got, tt.isUnsup)
			}
		})
	}
}

func TestCacheKeys(t *testing.T) {
	var c cache[int]
	calls := map[int]int{}
	var mu sync.Mutex
	probe := func(k int) error {
		mu.Lock()
		calls[k]++
		mu.Unlock()
		if k%2 == 0 {
			return nil
		}
		return &Error{Feature: strconv.Itoa(k)}
	}
	var wg sync.WaitGroup
	for range 8 {
		for k := range 4 {
			wg.Go(func() {
				err := c.get(k, probe)
				if (k%2 == 0) != (err == nil) {
					t.Errorf("key %d: %v", k, err)
				}
			})
		}
	}
	wg.Wait()
	for k := range 4 {
		if calls[k] != 1 {
			t.Errorf("key %d probed %d times, want 1", k, calls[k])
		}
	}
}

func TestFeatureCheck(t *testing.T) {
	for _, tt := range []struct {
		name     string
		probe    error
		want     string
		unsup    bool
		wantPerm bool
	}{
		{"present", nil, "", false, false},
		{"absent", errAbsent, "thing: not supported by the running kernel (since Linux 9.1)", true, false},
		{"no privileges", unix.EPERM, "probe for thing could not decide: operation not permitted", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &feature{name: "thing", minKernel: "9.1", probe: func() error { return tt.probe }}
			err := f.check()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if errors.Is(err, ErrNotSupported) != tt.unsup || errors.Is(err, unix.EPERM) != tt.wantPerm {
				t.Fatalf("%v: matches ErrNotSupported %v, EPERM %v", err, errors.Is(err, ErrNotSupported), errors.Is(err, unix.EPERM))
			}
		})
	}
}

func TestHelperSince(t *testing.T) {
	for _, tt := range []struct {
		fn   asm.BuiltinFunc
		want string
	}{
		{0, ""},
		{asm.FnMapLookupElem, "3.18"},
		{asm.FnTailCall, "4.2"},
		{asm.FnXdpAdjustHead, "4.10"},
		{asm.FnFibLookup, "4.18"},
		{asm.FnRingbufOutput, "5.8"},
		{asm.FnLoop, "5.17"},
		{asm.FnUserRingbufDrain, "6.1"}, // the last helper of Debian 6.1's UAPI header
		{asm.FnCgrpStorageGet, "6.2"},
		{asm.FnCgrpStorageDelete, "6.2"},
		{asm.FnCgrpStorageDelete + 1, ""},
	} {
		if got := HelperSince(tt.fn); got != tt.want {
			t.Errorf("HelperSince(%v) = %q, want %q", tt.fn, got, tt.want)
		}
	}
	prev := helperRelease[0]
	for _, r := range helperRelease[1:] {
		if r.last <= prev.last || !versionLess(prev.release, r.release) {
			t.Errorf("helper table not increasing: %v before %v", prev, r)
		}
		prev = r
	}
}

func TestVersionOrder(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		less bool
	}{
		{"6.1.0-57-amd64", "6.4", true},
		{"6.12.118+deb12-amd64", "6.6", false},
		{"6.12.118+deb12-amd64", "6.14", true},
		{"6.18.44-fc-v1252", "6.15", false},
		{"5.14.0-427.el9.x86_64", "5.15", true},
		{"6.9", "6.9", false},
	} {
		if got := versionLess(tt.a, tt.b); got != tt.less {
			t.Errorf("versionLess(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.less)
		}
	}
}

// versionLess compares "major.minor" versions.
func versionLess(a, b string) bool {
	am, an := parseVersion(a)
	bm, bn := parseVersion(b)
	return am < bm || am == bm && an < bn
}

func parseVersion(v string) (int, int) {
	major, rest, _ := strings.Cut(v, ".")
	minorStr := rest
	if i := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		minorStr = rest[:i]
	}
	a, _ := strconv.Atoi(major)
	b, _ := strconv.Atoi(minorStr)
	return a, b
}

// kernelFacts is what the tests know about the running kernel: its
// release and, when /proc/config.gz exists, its configuration.
type kernelFacts struct {
	release string
	config  map[string]bool // nil when unknown
}

var facts = sync.OnceValue(func() kernelFacts {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		panic(err)
	}
	k := kernelFacts{release: unix.ByteSliceToString(u.Release[:])}
	f, err := os.Open("/proc/config.gz")
	if err != nil {
		return k
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return k
	}
	k.config = map[string]bool{}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if name, val, ok := strings.Cut(sc.Text(), "="); ok && (val == "y" || val == "m") {
			k.config[name] = true
		}
	}
	return k
})

// expect says whether the running kernel must have a feature that
// mainline added in release min, built only with all of configs; known is
// false when the tests cannot tell (the configuration is not readable, or
// the kernel is older than min but may have the feature backported: a
// feature distributions are known to backport, or any feature on
// Enterprise Linux kernels, whose releases end in ".elN").
func (k kernelFacts) expect(min string, backported bool, configs ...string) (want, known bool) {
	if min == "" {
		return false, false
	}
	if versionLess(k.release, min) {
		return false, !backported && !strings.Contains(k.release, ".el")
	}
	if len(configs) == 0 {
		return true, true
	}
	if k.config == nil {
		return false, false
	}
	for _, c := range configs {
		if !k.config[c] {
			return false, true
		}
	}
	return true, true
}

// checkAnswer checks a probe's answer against what the kernel must say.
// policy allows an undecided EPERM (security policy refusing the probe).
func checkAnswer(t *testing.T, err error, min string, want, known, policy bool) {
	t.Helper()
	switch {
	case policy && err != nil && !errors.Is(err, ErrNotSupported) && errors.Is(err, unix.EPERM):
		t.Logf("the kernel refuses the probe with EPERM (security policy), undecided: %v", err)
	case err != nil && !errors.Is(err, ErrNotSupported):
		t.Fatalf("probe undecided: %v", err)
	case !known:
		t.Logf("configuration or backports unknown; the kernel answers: %v", err)
	case want && err != nil:
		t.Fatalf("kernel %s should have it: %v", facts().release, err)
	case !want && err == nil:
		t.Fatalf("kernel %s should lack it, the probe says it is there", facts().release)
	case !want:
		var fe *Error
		if !errors.As(err, &fe) || fe.MinKernel != min {
			t.Fatalf("answer %v does not name release %q", err, min)
		}
	}
}

// configs of program and map types (#ifdefs of include/linux/bpf_types.h,
// the same in 6.1 and 6.12).
var programTypeConfig = map[kernel.ProgramType][]string{
	kernel.CGroupSKB: {"CONFIG_CGROUP_BPF"}, kernel.CGroupSock: {"CONFIG_CGROUP_BPF"},
	kernel.CGroupSockAddr: {"CONFIG_CGROUP_BPF"}, kernel.CGroupDevice: {"CONFIG_CGROUP_BPF"},
	kernel.CGroupSysctl: {"CONFIG_CGROUP_BPF"}, kernel.CGroupSockopt: {"CONFIG_CGROUP_BPF"},
	kernel.Kprobe: {"CONFIG_BPF_EVENTS"}, kernel.TracePoint: {"CONFIG_BPF_EVENTS"},
	kernel.PerfEvent: {"CONFIG_BPF_EVENTS"}, kernel.RawTracepoint: {"CONFIG_BPF_EVENTS"},
	kernel.RawTracepointWritable: {"CONFIG_BPF_EVENTS"}, kernel.Tracing: {"CONFIG_BPF_EVENTS"},
	kernel.LircMode2:   {"CONFIG_BPF_LIRC_MODE2"},
	kernel.SkReuseport: {"CONFIG_INET"}, kernel.SkLookup: {"CONFIG_INET"},
	kernel.StructOps: {"CONFIG_BPF_JIT"}, kernel.Extension: {"CONFIG_BPF_JIT"},
	kernel.LSM:       {"CONFIG_BPF_JIT", "CONFIG_BPF_LSM"},
	kernel.Netfilter: {"CONFIG_NETFILTER_BPF_LINK"},
}

var mapTypeConfig = map[kernel.MapType][]string{
	kernel.MapCGroupArray: {"CONFIG_CGROUPS"}, kernel.MapCGrpStorage: {"CONFIG_CGROUPS"},
	kernel.MapCGroupStorage: {"CONFIG_CGROUP_BPF"}, kernel.MapPerCPUCGroupStorage: {"CONFIG_CGROUP_BPF"},
	kernel.MapStackTrace: {"CONFIG_PERF_EVENTS"}, kernel.MapInodeStorage: {"CONFIG_BPF_LSM"},
	kernel.MapXSKMap: {"CONFIG_XDP_SOCKETS"}, kernel.MapSockMap: {"CONFIG_INET"},
	kernel.MapSockHash: {"CONFIG_INET"}, kernel.MapReuseportSockarray: {"CONFIG_INET"},
	kernel.MapStructOps: {"CONFIG_BPF_JIT"},
}

func TestProgramTypes(t *testing.T) {
	testenv.RequirePrivileged(t)
	for pt := kernel.SocketFilter; pt <= kernel.Netfilter; pt++ {
		t.Run(pt.String(), func(t *testing.T) {
			err := HaveProgramType(pt)
			min := ProgramTypeSince(pt)
			if min == "" {
				t.Fatalf("no release for %v", pt)
			}
			want, known := facts().expect(min, false, programTypeConfig[pt]...)
			checkAnswer(t, err, min, want, known, pt == kernel.LSM || pt == kernel.Extension)
		})
	}
	// Types beyond the kernel's enum: unsupported, without a release.
	for _, pt := range []kernel.ProgramType{kernel.Netfilter + 100, 999} {
		var fe *Error
		if err := HaveProgramType(pt); !errors.As(err, &fe) || fe.MinKernel != "" || !strings.Contains(err.Error(), pt.String()) {
			t.Errorf("HaveProgramType(%d) = %v, want an *Error without a release", uint32(pt), err)
		}
	}
	if err := HaveProgramType(kernel.UnspecifiedProgram); err == nil || errors.Is(err, ErrNotSupported) {
		t.Errorf("HaveProgramType(unspecified) = %v, want an argument error", err)
	}
}

func TestMapTypes(t *testing.T) {
	testenv.RequirePrivileged(t)
	for mt := kernel.MapHash; mt <= kernel.MapArena; mt++ {
		t.Run(mt.String(), func(t *testing.T) {
			err := HaveMapType(mt)
			min := MapTypeSince(mt)
			if min == "" {
				t.Fatalf("no release for %v", mt)
			}
			want, known := facts().expect(min, false, mapTypeConfig[mt]...)
			checkAnswer(t, err, min, want, known, mt == kernel.MapArena)
		})
	}
	for _, mt := range []kernel.MapType{kernel.MapArena + 100, 999} {
		var fe *Error
		if err := HaveMapType(mt); !errors.As(err, &fe) || fe.MinKernel != "" {
			t.Errorf("HaveMapType(%d) = %v, want an *Error without a release", uint32(mt), err)
		}
	}
	if err := HaveMapType(kernel.UnspecifiedMap); err == nil || errors.Is(err, ErrNotSupported) {
		t.Errorf("HaveMapType(unspecified) = %v, want an argument error", err)
	}
}

// TestFeatures runs every probe of a single feature and checks its answer
// against the kernel's release and configuration.
func TestFeatures(t *testing.T) {
	testenv.RequirePrivileged(t)
	for _, tt := range []struct {
		probe      func() error
		f          *feature
		backported bool
		configs    []string
	}{
		{HaveV2ISA, &v2ISA, false, nil},
		{HaveV3ISA, &v3ISA, false, nil},
		{HaveAtomics, &atomics, false, nil},
		{HaveV4ISA, &v4ISA, false, nil},
		{HaveMayGoto, &mayGoto, false, nil},
		{HaveLoadAcquireStoreRelease, &loadAcquire, false, nil},
		{HaveContextStoreImm, &contextStoreImm, false, nil},
		{HaveNonNullArrayLookup, &nonNullArrayLookup, false, nil},
		{HaveLogTrueSize, &logTrueSize, false, nil},
		{HaveMapFreeze, &mapFreeze, false, nil},
		{HaveMapBatch, &mapBatch, false, nil},
		{HaveBPFLink, &bpfLink, false, nil},
		{HaveLinkDetach, &linkDetach, false, nil},
		{HaveXDPLink, &xdpLink, false, nil},
		{HaveTCX, &tcx, false, nil},
		{HaveTestRunXDPLiveFrames, &xdpLiveFrames, false, nil},
		{HaveTestRunXDPContext, &xdpContext, false, nil},
		{HaveTestRunSKBContext, &skbContext, false, nil},
		{HaveTestRunSKBChecksumComplete, &skbChecksumComplete, true, nil},
	} {
		t.Run(tt.f.name, func(t *testing.T) {
			err := tt.probe()
			want, known := facts().expect(tt.f.minKernel, tt.backported, tt.configs...)
			checkAnswer(t, err, tt.f.minKernel, want, known, false)
			// The answer is cached: asking again gives the same value.
			if again := tt.probe(); again != err {
				t.Fatalf("second call %v, first %v", again, err)
			}
		})
	}
}

func TestProgramHelpers(t *testing.T) {
	testenv.RequirePrivileged(t)
	for _, tt := range []struct {
		pt      kernel.ProgramType
		fn      asm.BuiltinFunc
		min     string // release of the helper; "" when no program of pt may call it
		configs []string
	}{
		{kernel.XDP, asm.FnMapLookupElem, "3.18", nil},
		{kernel.XDP, asm.FnXdpAdjustMeta, "4.15", nil},
		{kernel.XDP, asm.FnFibLookup, "4.18", nil},
		{kernel.SchedCLS, asm.FnTailCall, "4.2", nil},
		{kernel.SchedCLS, asm.FnSkbLoadBytesRelative, "4.18", nil},
		{kernel.SocketFilter, asm.FnLoop, "5.17", nil},
		{kernel.LWTSeg6Local, asm.FnLwtSeg6StoreBytes, "4.18", []string{"CONFIG_IPV6_SEG6_BPF"}},
		{kernel.XDP, asm.FnSkbLoadBytesRelative, "", nil},  // an skb helper
		{kernel.SchedCLS, asm.FnLwtSeg6Action, "", nil},    // seg6local only
		{kernel.XDP, asm.FnCgrpStorageDelete + 1, "", nil}, // no such helper
	} {
		t.Run(fmt.Sprintf("%v/%v", tt.pt, tt.fn), func(t *testing.T) {
			err := HaveProgramHelper(tt.pt, tt.fn)
			if tt.min == "" {
				var fe *Error
				if !errors.As(err, &fe) || fe.MinKernel != "" {
					t.Fatalf("got %v, want an *Error without a release", err)
				}
				return
			}
			want, known := facts().expect(tt.min, false, tt.configs...)
			if !want && known && !versionLess(facts().release, tt.min) {
				// The helper exists but the kernel was built without
				// it: no release to name.
				var fe *Error
				if !errors.As(err, &fe) || fe.MinKernel != "" {
					t.Fatalf("got %v, want an *Error without a release", err)
				}
				return
			}
			checkAnswer(t, err, tt.min, want, known, false)
		})
	}
	if err := HaveProgramHelper(kernel.XDP, 0); err == nil || errors.Is(err, ErrNotSupported) {
		t.Errorf("helper 0: %v, want an argument error", err)
	}
	if err := HaveProgramHelper(kernel.Netfilter+100, asm.FnMapLookupElem); !errors.Is(err, ErrNotSupported) {
		t.Errorf("helper of a missing program type: %v, want the program type's answer", err)
	}
}

// TestNegativeAnswers exercises the "kernel lacks it" paths on any kernel
// with requests no kernel knows.
func TestNegativeAnswers(t *testing.T) {
	testenv.RequirePrivileged(t)
	// A move with a reserved field set: an instruction no kernel knows.
	if err := isaProbe(asm.Instructions{
		{OpCode: asm.OpCode(asm.ALU64Class) | asm.OpCode(asm.Mov), Dst: asm.R0, Offset: 7},
		asm.Return(),
	})(); !errors.Is(err, errAbsent) {
		t.Errorf("ISA probe of an unknown instruction: %v, want absent", err)
	}
	// A test-run flag no kernel knows, while the plain run works.
	attr := frameRun()
	attr.Flags = 1 << 30
	if err := testRunProbe(kernel.XDP, 2, attr, frameRun()); !errors.Is(err, errAbsent) {
		t.Errorf("test-run probe of an unknown flag: %v, want absent", err)
	}
	// When the plain run fails too, the probe cannot decide.
	bad := frameRun()
	bad.DataSizeIn = 1 // shorter than an Ethernet header
	if err := testRunProbe(kernel.XDP, 2, attr, bad); err == nil || errors.Is(err, errAbsent) {
		t.Errorf("test-run probe whose plain run fails: %v, want undecided", err)
	}
}

func TestHaveInstructions(t *testing.T) {
	testenv.RequirePrivileged(t)
	for _, tt := range []struct {
		name  string
		insns asm.Instructions
		want  func() error
	}{
		{"base", asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.AtomicAdd(asm.RFP, -8, asm.R1, asm.DWord), asm.Return()}, func() error { return nil }},
		{"jlt", asm.Instructions{asm.JLT.Imm(asm.R0, 1, "x"), asm.Return().WithSymbol("x")}, HaveV2ISA},
		{"jmp32", asm.Instructions{asm.JEq.Imm32(asm.R0, 1, "x"), asm.Return().WithSymbol("x")}, HaveV3ISA},
		{"xchg", asm.Instructions{asm.AtomicXchg(asm.RFP, -8, asm.R1, asm.DWord)}, HaveAtomics},
		{"sdiv", asm.Instructions{asm.SDiv.Imm(asm.R0, 2)}, HaveV4ISA},
		{"movsx", asm.Instructions{asm.MovSX16.Reg32(asm.R0, asm.R1)}, HaveV4ISA},
		{"ldsx", asm.Instructions{asm.LoadMemSX(asm.R0, asm.RFP, -8, asm.Half)}, HaveV4ISA},
		{"bswap", asm.Instructions{asm.Swap(asm.R0, asm.Word)}, HaveV4ISA},
		{"gotol", asm.Instructions{asm.JaLong("x"), asm.Return().WithSymbol("x")}, HaveV4ISA},
		{"may_goto", asm.Instructions{asm.MayGoto("x"), asm.Return().WithSymbol("x")}, HaveMayGoto},
		{"load-acquire", asm.Instructions{asm.LoadAcquire(asm.R0, asm.RFP, -8, asm.Word)}, HaveLoadAcquireStoreRelease},
		{"store-release", asm.Instructions{asm.StoreRelease(asm.RFP, -8, asm.R1, asm.Byte)}, HaveLoadAcquireStoreRelease},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, want := HaveInstructions(tt.insns), tt.want()
			if got != want {
				t.Fatalf("HaveInstructions = %v, want the extension's answer %v", got, want)
			}
		})
	}
}
