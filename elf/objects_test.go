package elf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestObjectsMatchSources rebuilds the committed objects with clang into a
// temporary directory and checks that they are byte for byte the
// committed ones, so that no one edits a C source without rebuilding (or
// commits an object built from something else). It skips without clang
// or make; the Makefiles pin the flags, and the build is reproducible for
// one clang version (the objects were built with clang 14).
func TestObjectsMatchSources(t *testing.T) {
	if _, err := exec.LookPath("clang"); err != nil {
		t.Skip("clang not installed")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	out, err := exec.Command("clang", "--version").Output()
	if err != nil || !strings.Contains(string(out), "clang version 14.") {
		t.Skipf("the committed objects come from clang 14; this is %q", strings.SplitN(string(out), "\n", 2)[0])
	}
	for _, dir := range []string{"../examples", "testdata"} {
		tmp := t.TempDir()
		cmd := exec.Command("make", "-s", "-C", dir, "OUT="+tmp)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make -C %s: %v\n%s", dir, err, out)
		}
		built, err := filepath.Glob(filepath.Join(tmp, "*.o"))
		if err != nil {
			t.Fatal(err)
		}
		more, _ := filepath.Glob(filepath.Join(tmp, "*", "bpf", "*.o"))
		built = append(built, more...)
		if len(built) == 0 {
			t.Fatalf("make -C %s built nothing", dir)
		}
		for _, b := range built {
			rel, _ := filepath.Rel(tmp, b)
			committed := filepath.Join(dir, rel)
			want, err := os.ReadFile(committed)
			if err != nil {
				t.Errorf("%s is built but not committed: %v", committed, err)
				continue
			}
			got, err := os.ReadFile(b)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s does not match its source: rebuild with make -C %s", committed, dir)
			}
		}
	}
}
