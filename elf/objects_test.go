package elf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/internal/testenv"
)

// TestObjectsMatchSources rebuilds the committed objects with make into a
// temporary directory and checks that they match the committed ones, so
// that no one edits a C source without rebuilding (or commits an object
// built from something else). clang, make and bpftool (whose linker,
// `bpftool gen object`, makes the statically linked test objects) must be
// installed (under PUREBPF_REQUIRE_PRIVILEGED=1 their absence fails the
// test).
//
// The Makefiles pin the flags and the build is reproducible for one clang
// version, 14, which built the committed objects. With clang 14 the test
// compares bytes. Another clang legitimately emits other instructions, so
// then it compares what the sources define and the bytes cannot hide:
// programs (names, sections, types, licenses, the maps and functions they
// refer to) and maps (their definitions and contents), and logs that
// byte equality was not checked.
func TestObjectsMatchSources(t *testing.T) {
	testenv.RequireTool(t, "clang", "make", "bpftool")
	out, err := exec.Command("clang", "--version").Output()
	if err != nil {
		t.Fatalf("clang --version: %v", err)
	}
	m := regexp.MustCompile(`clang version (\d+)\.`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("clang --version: no version in %q", out)
	}
	sameClang := string(m[1]) == "14"
	if !sameClang {
		t.Logf("%s: the committed objects are clang 14's; comparing their programs and maps, not their bytes", bytes.SplitN(out, []byte("\n"), 2)[0])
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
			if sameClang && !bytes.Equal(got, want) {
				t.Errorf("%s does not match its source: rebuild with make -C %s", committed, dir)
			}
			gs, err1 := Parse(got)
			ws, err2 := Parse(want)
			if err := errors.Join(err1, err2); err != nil {
				t.Errorf("%s: %v", committed, err)
				continue
			}
			if g, w := shape(gs), shape(ws); g != w {
				t.Errorf("%s defines other programs or maps than its source:\n--- rebuilt\n%s--- committed\n%s", committed, g, w)
			}
		}
	}
}

// shape describes what an object defines, leaving out what another
// compiler version may change: instructions, BTF type ids.
func shape(spec *bpf.CollectionSpec) string {
	var b strings.Builder
	for _, name := range sortedKeys(spec.Programs) {
		p := spec.Programs[name]
		refs := map[string]bool{}
		for _, ins := range p.Instructions {
			if r := ins.Reference(); r != "" && !ins.IsJump() {
				refs[r] = true
			}
		}
		fmt.Fprintf(&b, "program %s: name %s, section %s, type %s, attach type %d, flags %#x, license %q, version %d, refers to %v\n",
			name, p.Name, p.Section, p.Type, p.AttachType, uint32(p.Flags), p.License, p.KernelVersion, sortedKeys(refs))
	}
	for _, name := range sortedKeys(spec.Maps) {
		fmt.Fprintf(&b, "map %s: %s\n", name, describeMap(spec.Maps[name]))
	}
	return b.String()
}
