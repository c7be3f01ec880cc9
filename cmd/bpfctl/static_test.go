package main

import (
	"debug/elf"
	"errors"
	"os/exec"
	"strings"
	"testing"
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
