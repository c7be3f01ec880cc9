package bpfgencheck

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// root is the repository's root directory.
func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// camel is bpfgen's spelling of a C name as an exported Go one.
func camel(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// loadable are the committed objects whose generated package's test
// loads them (LoadXxxObjects) and round-trips every typed map, with the
// number of typed maps each must have. The other committed objects are
// only generated and compiled: their programs need attach targets or
// kernel types, are rejected on purpose (elf/testdata), are big-endian,
// or pin maps (layercoop.o, whose pinned map needs a bpffs).
var loadable = map[string]loadCase{
	"cmd/bpfgen/testdata/types_bpfel.o":        {typed: 2, args: []string{"-type", "counter_t,color"}},
	"examples/xdp1/bpf/xdp1.o":                 {typed: 1},
	"examples/xdp1/bpf/xdp1_pass.o":            {typed: 1},
	"examples/xdp1/bpf/xdp1_hash.o":            {typed: 1},
	"examples/xdp1/bpf/xdp1_hash_pass.o":       {typed: 1},
	"examples/dropworld/bpf/dropworld.o":       {args: []string{"-program", "dropworld=XDP"}},
	"examples/dropworld/bpf/dropworld_pass.o":  {args: []string{"-program", "dropworld=XDP"}},
	"examples/tcpfilter/bpf/tcpfilter.o":       {args: []string{"-program", "tcpfilter=XDP"}},
	"examples/portfilter/bpf/portfilter.o":     {args: []string{"-section", "filter=xdp"}},
	"examples/xdp2skb_meta/bpf/xdp2skb_meta.o": {},
}

// loadCase is what a loadable object's test expects: the number of typed
// maps, and bpfgen's flags for it.
type loadCase struct {
	typed int
	args  []string
}

// privileged reports whether the load tests must run (root or
// PUREBPF_REQUIRE_PRIVILEGED).
func privileged() bool {
	return os.Getuid() == 0 || os.Getenv("PUREBPF_REQUIRE_PRIVILEGED") != ""
}

// goTool returns the go command, failing the test under
// PUREBPF_REQUIRE_PRIVILEGED when it is missing.
func goTool(t *testing.T) string {
	t.Helper()
	g := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(g); err == nil {
		return g
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if os.Getenv("PUREBPF_REQUIRE_PRIVILEGED") != "" {
		t.Fatal("the go command is not installed")
	}
	t.Skip("the go command is not installed")
	return ""
}

// identOf names an object's package and identifier: "xdp1_hash.o" →
// "Xdp1Hash".
func identOf(path string) string {
	return camel(strings.TrimSuffix(filepath.Base(path), ".o"))
}

// TestGeneratedPackages generates the bindings of every committed object
// into its own package of a scratch module, checks that running the
// generator again gives the same bytes, builds and vets them (which
// checks every type's size and member offsets against the BTF through
// the generated compile-time assertions), and runs in each loadable
// package a test that loads the objects and writes and reads every map
// through its typed field, and for types_bpfel.o one that has the C
// program write values that the generated accessors must read.
func TestGeneratedPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a scratch module")
	}
	goCmd := goTool(t)
	r := root(t)
	var objects []string
	for _, g := range []string{"examples/*/bpf/*.o", "elf/testdata/*.o", "cmd/bpfgen/testdata/*.o"} {
		m, err := filepath.Glob(filepath.Join(r, g))
		if err != nil {
			t.Fatal(err)
		}
		objects = append(objects, m...)
	}
	if len(objects) < 30 {
		t.Fatalf("found %d committed objects, want at least 30", len(objects))
	}
	mod := t.TempDir()
	bpfgen := filepath.Join(t.TempDir(), "bpfgen")
	build := exec.Command(goCmd, "build", "-o", bpfgen, "./cmd/bpfgen")
	build.Dir = r
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/bpfgen: %v\n%s", err, out)
	}
	run := func(args []string) error {
		if out, err := exec.Command(bpfgen, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("bpfgen %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	sum, err := os.ReadFile(filepath.Join(r, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	gomod := "module gentest\n\ngo 1.26.0\n\nrequire github.com/purebpf/bpf v0.0.0\n\nreplace github.com/purebpf/bpf => " + r + "\n"
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	loadTmpl, err := os.ReadFile("testdata/load_test.go.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	typesTmpl, err := os.ReadFile("testdata/types_test.go.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, obj := range objects {
		rel, _ := filepath.Rel(r, obj)
		rel = filepath.ToSlash(rel)
		ident := identOf(obj)
		if strings.HasPrefix(rel, "cmd/bpfgen/testdata/types_") {
			ident = "Types"
		}
		dir := strings.ToLower(strings.ReplaceAll(strings.TrimSuffix(rel, ".o"), "/", "_"))
		dir = regexp.MustCompile(`[^a-z0-9_]`).ReplaceAllString(dir, "_")
		if seen[dir] {
			t.Fatalf("two objects map to package %s", dir)
		}
		seen[dir] = true
		out := filepath.Join(mod, dir)
		args := append([]string{"-package", "p", "-output-dir", out}, loadable[rel].args...)
		args = append(args, ident, obj)
		if err := run(args); err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		files, _ := filepath.Glob(filepath.Join(out, "*.go"))
		if len(files) != 1 {
			t.Fatalf("%s: %d Go files, want 1", rel, len(files))
		}
		first, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		// Same input, same bytes.
		again := t.TempDir()
		args[3] = again
		if err := run(args); err != nil {
			t.Fatal(err)
		}
		{
			second, err := os.ReadFile(filepath.Join(again, filepath.Base(files[0])))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(dropCommand(first), dropCommand(second)) {
				t.Errorf("%s: a second run gave other bytes", rel)
			}
		}
		if lc, ok := loadable[rel]; ok {
			src := strings.ReplaceAll(string(loadTmpl), "IDENT", ident)
			src = strings.ReplaceAll(src, "WANTTYPED", strconv.Itoa(lc.typed))
			if err := os.WriteFile(filepath.Join(out, "load_test.go"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			if ident == "Types" {
				if err := os.WriteFile(filepath.Join(out, "types_test.go"), typesTmpl, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for k := range loadable {
		if _, err := os.Stat(filepath.Join(r, k)); err != nil {
			t.Errorf("loadable object %s: %v", k, err)
		}
	}
	if t.Failed() {
		return
	}
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	for _, step := range [][]string{{"vet", "./..."}, {"test", "-count=1", "./..."}} {
		cmd := exec.Command(goCmd, step...)
		cmd.Dir, cmd.Env = mod, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s in the scratch module: %v\n%s", strings.Join(step, " "), err, out)
		}
		if step[0] == "test" {
			// Each loadable package ran its tests (not "no test files").
			for rel := range loadable {
				pkg := strings.ToLower(strings.ReplaceAll(strings.TrimSuffix(rel, ".o"), "/", "_"))
				if !regexp.MustCompile(`(?m)^ok\s+gentest/` + regexp.QuoteMeta(pkg) + `\s`).Match(out) {
					t.Errorf("package for %s did not pass its tests:\n%s", rel, out)
				}
			}
			if !privileged() {
				t.Log("not root: the generated load tests skipped")
			}
		}
	}
}

// dropCommand removes the header's command line (which names the output
// directory).
func dropCommand(b []byte) []byte {
	return regexp.MustCompile(`(?m)^// Command:.*$`).ReplaceAll(b, nil)
}
