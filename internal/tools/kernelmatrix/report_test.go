package main

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const mod = "github.com/purebpf/bpf"

func res(pkg string, exit int, tests ...*testResult) *pkgResult {
	return &pkgResult{Pkg: pkg, Exit: exit, Tests: tests, Result: map[bool]string{true: "pass", false: "fail"}[exit == 0]}
}

func tr(name, result string, out ...string) *testResult {
	return &testResult{Name: name, Result: result, Output: out}
}

// sampleRuns is a two-kernel matrix: on 6.1 attach fails a test and
// skips one, maps was never run (the guest died); on the running kernel
// everything passes but one skip shared with 6.1.
func sampleRuns() ([]*kernelRun, []string) {
	pkgs := []string{mod, mod + "/attach", mod + "/maps"}
	k61 := &kernelRun{
		K: &kernel{Spec: "6.1", Package: "linux-image-6.1.0-57-amd64", Version: "6.1.192-3", Release: "6.1.0-57-amd64"},
		Results: map[string]*pkgResult{
			mod: res(mod, 0, tr("TestRun", "pass"), tr("TestSeg6", "skip", "    run_test.go:9: kernel lacks a feature: seg6")),
			mod + "/attach": res(mod+"/attach", 1,
				tr("TestTCX", "fail", "    tc_test.go:291: Auto chose netlink on a 6.6+ kernel, want link (tcx)", "    more | detail"),
				tr("TestXDP", "pass"),
				tr("TestSub", "pass"), tr("TestSub/x", "skip", "    tc_test.go:3: kernel lacks a feature: tcx (6.6+)")),
		},
		VM:      &vmResult{TimedOut: true, Seconds: 1500, Console: "/tmp/c.log", Tail: []string{"[  9.1] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [kworker/1:1:40]"}, SoftLockups: []string{"watchdog: BUG: soft lockup - CPU#1 stuck for 22s!"}},
		Seconds: 1500,
	}
	k61.Results[mod+"/maps"] = &pkgResult{Pkg: mod + "/maps", Exit: -1, Note: "not run"}
	run := &kernelRun{
		K: &kernel{Spec: "running", Release: "6.18.44"},
		Results: map[string]*pkgResult{
			mod:             res(mod, 0, tr("TestRun", "pass"), tr("TestSeg6", "skip", "    run_test.go:9: kernel lacks a feature: seg6")),
			mod + "/attach": res(mod+"/attach", 0, tr("TestTCX", "pass"), tr("TestXDP", "pass"), tr("TestSub", "pass"), tr("TestSub/x", "pass")),
			mod + "/maps":   res(mod+"/maps", 0, tr("TestMap", "pass")),
		},
		Seconds: 91,
	}
	return []*kernelRun{k61, run}, pkgs
}

func TestTextReport(t *testing.T) {
	runs, pkgs := sampleRuns()
	var b strings.Builder
	textReport(&b, runs, pkgs, mod)
	out := b.String()
	for _, want := range []string{
		"package                        6.1.0-57-amd64",
		"6.18.44 (running)",
		"bpf (root)                     ok 1/0/1",
		"attach                         FAIL 1/1/1",
		"ok 3/0/0",
		"maps                           FAIL 0/0/0 (not run)",
		"total (passed/failed/skipped)  2/1/2",
		"wall clock                     25m00s",
		"1m31s",
		"guest timed out after 1500s",
		"1 soft lockup reports on the console",
		"    | [  9.1] watchdog: BUG: soft lockup",
		"FAIL 6.1.0-57-amd64 attach TestTCX\n    |     tc_test.go:291: Auto chose netlink",
		"FAIL 6.1.0-57-amd64 maps (exit -1) (not run), last output:",
		"  bpf (root) TestSeg6 [6.1.0-57-amd64, 6.18.44 (running)]: kernel lacks a feature: seg6",
		"  attach TestSub/x [6.1.0-57-amd64]: kernel lacks a feature: tcx (6.6+)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if runs[1].failed(pkgs) || !runs[0].failed(pkgs) {
		t.Errorf("failed(): 6.1 %v, running %v; want true, false", runs[0].failed(pkgs), runs[1].failed(pkgs))
	}
}

func TestMarkdownReport(t *testing.T) {
	runs, pkgs := sampleRuns()
	md := markdownReport(runs, pkgs, mod, reportMeta{Commit: "abc1234", Date: "2026-12-03", Command: "go run ./internal/tools/kernelmatrix -markdown KERNELS.md"})
	for _, want := range []string{
		"State at commit abc1234, 2026-12-03, from `go run ./internal/tools/kernelmatrix -markdown KERNELS.md`.",
		"| 6.1.0-57-amd64 | `linux-image-6.1.0-57-amd64` 6.1.192-3 | 25m00s | 2/1/2 | FAIL: guest timed out after 1500s; 1 soft lockup reports on the console |",
		"| 6.18.44 (running) | (the host's own kernel, natively) | 1m31s | 5/0/1 | pass |",
		"| package | 6.1.0-57-amd64 | 6.18.44 (running) |\n|---|---|---|\n",
		"| `attach` | FAIL 1/1/1 | ok 3/0/0 |",
		"| `maps` | FAIL 0/0/0 (not run) | ok 1/0/0 |",
		"- 6.1.0-57-amd64 `attach` `TestTCX`: Auto chose netlink on a 6.6+ kernel, want link (tcx)\n",
		"- 6.1.0-57-amd64 `maps`: exit -1 (not run)\n",
		"- `bpf (root)` `TestSeg6` (6.1.0-57-amd64, 6.18.44 (running)): kernel lacks a feature: seg6\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	// A "|" in a message must not split a table cell or break a list.
	if strings.Contains(md, "more | detail") {
		t.Errorf("unescaped | in markdown:\n%s", md)
	}
}

func TestReplaceSection(t *testing.T) {
	block := func(s string) string { return sectionBegin + "\n" + s + sectionEnd + "\n" }
	tests := []struct{ name, doc, want string }{
		{"empty file", "", block("new\n")},
		{"no markers", "# Kernels\nprose", "# Kernels\nprose\n\n" + block("new\n")},
		{"replace", "# K\n\n" + block("old\nlines\n") + "\nafter\n", "# K\n\n" + block("new\n") + "\nafter\n"},
		{"end before begin", sectionEnd + "\n" + sectionBegin, sectionEnd + "\n" + sectionBegin + "\n\n" + block("new\n")},
	}
	for _, tt := range tests {
		if got := replaceSection(tt.doc, "new\n"); got != tt.want {
			t.Errorf("%s: got\n%q\nwant\n%q", tt.name, got, tt.want)
		}
	}
}

func TestSortByHistory(t *testing.T) {
	jobs := []job{{Pkg: "a"}, {Pkg: "b"}, {Pkg: "c"}, {Pkg: "d"}, {Pkg: "e"}}
	sortByHistory(jobs, map[string]float64{"a": 5, "b": 50, "d": 20})
	var got []string
	for _, j := range jobs {
		got = append(got, j.Pkg)
	}
	if want := []string{"c", "e", "b", "d", "a"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
}

func TestSplitPatterns(t *testing.T) {
	tests := []struct {
		in          string
		main, bench []string
	}{
		{"./...,./bench/...", []string{"./..."}, []string{"./..."}},
		{"./verifier", []string{"./verifier"}, nil},
		{" ./bench , ./maps,", []string{"./maps"}, []string{"."}},
		{"bench/x", nil, []string{"./x"}},
		{"./benchmark/...", []string{"./benchmark/..."}, nil},
	}
	for _, tt := range tests {
		m, b := splitPatterns(strings.Split(tt.in, ","))
		if !reflect.DeepEqual(m, tt.main) || !reflect.DeepEqual(b, tt.bench) {
			t.Errorf("%q: got %q %q, want %q %q", tt.in, m, b, tt.main, tt.bench)
		}
	}
}

func TestNames(t *testing.T) {
	for _, tt := range []struct{ pkg, short, bin string }{
		{mod, "bpf (root)", "bpfroot.test"},
		{mod + "/cmd/bpfctl/internal/kallsyms", "cmd/bpfctl/internal/kallsyms", "cmd_bpfctl_internal_kallsyms.test"},
		{mod + "/bench", "bench", "bench.test"},
		{"example.com/other", "example.com/other", "example.com_other.test"},
	} {
		if got := shortPkg(tt.pkg, mod); got != tt.short {
			t.Errorf("shortPkg(%q) = %q, want %q", tt.pkg, got, tt.short)
		}
		if got := binName(tt.pkg, mod); got != tt.bin {
			t.Errorf("binName(%q) = %q, want %q", tt.pkg, got, tt.bin)
		}
	}
}

func TestConsoleWatch(t *testing.T) {
	var progress []string
	c := &consoleWatch{maxTail: 3, progress: func(s string) { progress = append(progress, s) }}
	for _, l := range []string{
		"\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2)\r",
		"\x1b[2Jkernelmatrix: initramfs on 6.1.0-57-amd64\r",
		"[   30.1] watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [kworker/1:2:93]",
		"kernelmatrix: [1/2] example.com/p: exit 0 in 1.0s",
		"[   99.0] Kernel panic - not syncing: softlockup: hung tasks",
	} {
		c.line(l)
	}
	if want := []string{"initramfs on 6.1.0-57-amd64", "[1/2] example.com/p: exit 0 in 1.0s"}; !reflect.DeepEqual(progress, want) {
		t.Errorf("progress %q, want %q", progress, want)
	}
	// The last three lines, without terminal escape sequences.
	want := []string{
		"[   30.1] watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [kworker/1:2:93]",
		"kernelmatrix: [1/2] example.com/p: exit 0 in 1.0s",
		"[   99.0] Kernel panic - not syncing: softlockup: hung tasks",
	}
	if !reflect.DeepEqual(c.tail, want) {
		t.Errorf("tail %q, want %q", c.tail, want)
	}
	c.line("\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2)\r")
	if got := c.tail[len(c.tail)-1]; got != "SeaBIOS (version 1.16.2)" {
		t.Errorf("escape sequences left in %q", got)
	}
	if !strings.Contains(c.panicLine, "Kernel panic - not syncing: softlockup") {
		t.Errorf("panic line %q", c.panicLine)
	}
	if len(c.softLockups) != 1 {
		t.Errorf("soft lockups %q", c.softLockups)
	}
}

func TestKernelProblems(t *testing.T) {
	tests := []struct {
		kr   kernelRun
		want []string
	}{
		{kernelRun{}, nil},
		{kernelRun{Err: errors.New("no .deb")}, []string{"no .deb"}},
		{kernelRun{VM: &vmResult{Panic: " Kernel panic - not syncing: x ", Err: errors.New("qemu: exit status 1")}},
			[]string{"guest: Kernel panic - not syncing: x", "qemu: exit status 1"}},
		// Soft lockups alone are reported but are not a failure.
		{kernelRun{VM: &vmResult{SoftLockups: []string{"soft lockup"}}}, nil},
	}
	for i, tt := range tests {
		if got := tt.kr.problems(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%d: problems %q, want %q", i, got, tt.want)
		}
	}
}

func TestExcerpt(t *testing.T) {
	lines := func(n int) []string {
		var l []string
		for i := range n {
			l = append(l, fmt.Sprint(i))
		}
		return l
	}
	tests := []struct {
		n    int
		want []string
	}{
		{0, nil},
		{4, lines(4)},
		{6, lines(6)}, // head 2 + tail 3 + 1: nothing to gain
		{7, []string{"0", "1", "... (2 lines)", "4", "5", "6"}},
	}
	for _, tt := range tests {
		if got := excerpt(lines(tt.n), 2, 3); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("excerpt of %d lines: %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestHistory(t *testing.T) {
	for _, tt := range []struct {
		k    kernel
		want string
	}{
		{kernel{Release: "6.18.44"}, "running"},
		{kernel{Package: "p", Release: "6.1.0-57-amd64"}, "6.1"},
		{kernel{Package: "p", Release: "6.12.118+deb12-amd64"}, "6.12"},
		{kernel{Package: "p", Release: "weird"}, "weird"},
	} {
		if got := historyKey(&tt.k); got != tt.want {
			t.Errorf("historyKey(%+v) = %q, want %q", tt.k, got, tt.want)
		}
	}
	hists := map[string]map[string]float64{
		"6.1":     {"a": 10, "b": 1},
		"running": {"a": 2, "c": 5},
	}
	if got := historyFor(hists, "6.1"); !reflect.DeepEqual(got, hists["6.1"]) {
		t.Errorf("known kernel: %v", got)
	}
	if got, want := historyFor(hists, "6.12"), map[string]float64{"a": 10, "b": 1, "c": 5}; !reflect.DeepEqual(got, want) {
		t.Errorf("unknown kernel: %v, want %v", got, want)
	}
}
