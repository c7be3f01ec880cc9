package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPlanArgs(t *testing.T) {
	tests := []struct {
		p    plan
		want []string
	}{
		{plan{TestTimeout: 10 * time.Minute}, []string{"-test.v=test2json", "-test.paniconexit0", "-test.timeout=10m0s"}},
		{plan{TestTimeout: time.Minute, Count: 3, Run: "^TestGPL", Skip: "Fuzz"},
			[]string{"-test.v=test2json", "-test.paniconexit0", "-test.timeout=1m0s", "-test.count=3", "-test.run=^TestGPL", "-test.skip=Fuzz"}},
	}
	for _, tt := range tests {
		if got := tt.p.args(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("args %q, want %q", got, tt.want)
		}
	}
}

// TestRunPlan runs shell scripts standing in for test binaries: each
// records its arguments, working directory and one environment variable,
// and exits with a chosen status.
func TestRunPlan(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	out := filepath.Join(dir, "out")
	for _, d := range []string{bin, out, filepath.Join(dir, "src1"), filepath.Join(dir, "src2")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script := func(name string, exit string) {
		s := "#!/bin/sh\necho \"args: $*\"\necho \"dir: $(pwd)\"\necho \"env: $KM_TEST\" >&2\nexit " + exit + "\n"
		if err := os.WriteFile(filepath.Join(bin, name), []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script("ok.test", "0")
	script("fail.test", "3")
	p := &plan{
		BinDir: bin, OutDir: out, Env: []string{"KM_TEST=yes", "PATH=/usr/bin:/bin"},
		Parallel: 2, TestTimeout: time.Minute, Run: "TestX",
		Jobs: []job{
			{Index: 0, Pkg: "p/ok", Dir: filepath.Join(dir, "src1"), Bin: "ok.test"},
			{Index: 1, Pkg: "p/fail", Dir: filepath.Join(dir, "src2"), Bin: "fail.test"},
			{Index: 2, Pkg: "p/missing", Dir: dir, Bin: "missing.test"},
		},
	}
	var progress []string
	runPlan(p, func(s string) { progress = append(progress, s) })
	if len(progress) != 3 {
		t.Errorf("progress %q, want 3 lines", progress)
	}
	all := strings.Join(progress, "\n")
	for _, want := range []string{"p/ok: exit 0", "p/fail: exit 3", "p/missing: exit -1", "missing.test: no such file"} {
		if !strings.Contains(all, want) {
			t.Errorf("progress %q lacks %q", progress, want)
		}
	}
	for _, tt := range []struct {
		j    job
		exit int
		out  string
	}{
		{p.Jobs[0], 0, "args: -test.v=test2json -test.paniconexit0 -test.timeout=1m0s -test.run=TestX\ndir: " + filepath.Join(dir, "src1") + "\nenv: yes\n"},
		{p.Jobs[1], 3, "args: -test.v=test2json -test.paniconexit0 -test.timeout=1m0s -test.run=TestX\ndir: " + filepath.Join(dir, "src2") + "\nenv: yes\n"},
		{p.Jobs[2], -1, ""},
	} {
		b, err := os.ReadFile(p.statusFile(tt.j))
		if err != nil {
			t.Fatal(err)
		}
		var st jobStatus
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatal(err)
		}
		if st.Pkg != tt.j.Pkg || st.Exit != tt.exit || st.Killed {
			t.Errorf("%s: status %+v, want exit %d", tt.j.Pkg, st, tt.exit)
		}
		if tt.exit == -1 {
			if st.StartErr == "" {
				t.Errorf("%s: no start error", tt.j.Pkg)
			}
			continue
		}
		got, err := os.ReadFile(p.outFile(tt.j))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.out {
			t.Errorf("%s: output %q, want %q", tt.j.Pkg, got, tt.out)
		}
	}
}

func TestKernelCmdline(t *testing.T) {
	base := "console=ttyS0,115200 rdinit=/init panic=-1 softlockup_panic=0 loglevel=5"
	for extra, want := range map[string]string{"": base, "  ": base, "nowatchdog": base + " nowatchdog"} {
		if got := kernelCmdline(extra); got != want {
			t.Errorf("kernelCmdline(%q) = %q, want %q", extra, got, want)
		}
	}
}

// TestListTestPkgsHostOnly lists this module's packages as the matrix
// does: the tools under internal/tools run natively only.
func TestListTestPkgsHostOnly(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	pkgs, err := listTestPkgs(context.Background(), goBin, "../../..", "github.com/purebpf/bpf", []string{"./maps", "./internal/tools/..."})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 1 || pkgs[0].Pkg != "github.com/purebpf/bpf/maps" {
		t.Errorf("packages %+v, want only maps", pkgs)
	}
}
