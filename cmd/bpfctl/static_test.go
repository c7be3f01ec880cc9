package main

import (
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/purebpf/bpf/internal/testenv"
)

// TestStaticBinary checks that CGO_ENABLED=0 gives a statically linked
// executable, and the exit statuses and one-line errors of the process.
func TestStaticBinary(t *testing.T) {
	bin := buildStatic(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("binary has a %v program header: not static", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("binary needs %v", libs)
	}

	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"help"}, 0, "usage: bpfctl", ""},
		{[]string{"prog", "dump"}, 2, "", "bpfctl: prog dump: missing program"},
		{[]string{"map", "show", "4294967295"}, 1, "", "bpfctl: map 4294967295: "},
		{[]string{"prog", "show", "id", "4294967295"}, 1, "", "bpfctl: program 4294967295: "},
		{[]string{"disasm", "/nonexistent.o"}, 1, "", "bpfctl: "},
	}
	for _, tt := range tests {
		cmd := exec.Command(bin, tt.args...)
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tt.code || !strings.Contains(out.String(), tt.stdout) || !strings.HasPrefix(errOut.String(), tt.stderr) {
			t.Errorf("bpfctl %v: exit %d, stdout %q, stderr %q; want %d, %q, %q", tt.args, code, out.String(), errOut.String(), tt.code, tt.stdout, tt.stderr)
		}
		if tt.stderr != "" && strings.Count(errOut.String(), "\n") != 1 {
			t.Errorf("bpfctl %v: stderr is not one line: %q", tt.args, errOut.String())
		}
	}
}

// TestDisasmUnprivileged runs bpfctl disasm as user nobody.
func TestDisasmUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Skip(t, "needs root to switch to user nobody")
	}
	// A world-readable directory with the binary and the object.
	dir, err := os.MkdirTemp("", "bpfctl-nobody")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin, obj := filepath.Join(dir, "bpfctl"), filepath.Join(dir, "xdp1.o")
	for _, cp := range [][2]string{{buildStatic(t), bin}, {filepath.Join(objDir, "xdp1/bpf/xdp1.o"), obj}} {
		data, err := os.ReadFile(cp[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cp[1], data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "disasm", obj)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("as nobody: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "call bpf_map_lookup_elem#1") {
		t.Errorf("output:\n%s", out)
	}
}
