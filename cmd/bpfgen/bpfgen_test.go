package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// root is the repository's root directory.
func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return r
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
		if err := run(args, io.Discard); err != nil {
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
		if err := run(args, io.Discard); err != nil {
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

// TestCommittedBindings regenerates, from every //go:generate line of
// bpfgen in the repository's packages, the files it writes, and compares
// them with the committed ones byte for byte (what CI's go generate
// checks too), without writing anything.
func TestCommittedBindings(t *testing.T) {
	r := root(t)
	var gens []string
	err := filepath.WalkDir(r, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "bench" || strings.HasPrefix(d.Name(), ".")) && path != r {
			return filepath.SkipDir
		}
		if !d.IsDir() && d.Name() == "bpfgen.go" {
			gens = append(gens, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "//go:generate go run github.com/purebpf/bpf/cmd/bpfgen "
	lines := 0
	for _, g := range gens {
		src, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		pkg := regexp.MustCompile(`(?m)^package (\w+)`).FindSubmatch(src)
		if pkg == nil {
			t.Fatalf("%s: no package clause", g)
		}
		t.Chdir(filepath.Dir(g))
		t.Setenv("GOPACKAGE", string(pkg[1]))
		for _, line := range strings.Split(string(src), "\n") {
			if !strings.HasPrefix(line, prefix) {
				continue
			}
			lines++
			files, err := render(strings.Fields(strings.TrimPrefix(line, prefix)), io.Discard)
			if err != nil {
				t.Errorf("%s: %s: %v", g, line, err)
				continue
			}
			for _, f := range files {
				old, err := os.ReadFile(f.path)
				if err != nil {
					t.Errorf("%s: %s: %v", g, line, err)
				} else if !bytes.Equal(old, f.data) {
					t.Errorf("%s: %s: %s is out of date: run go generate", g, line, filepath.Join(filepath.Dir(g), f.path))
				}
			}
		}
	}
	if lines < 13 {
		t.Errorf("found %d bpfgen go:generate lines, want at least 13 (the examples' objects)", lines)
	}
}

// TestOptions checks what the flags change in the output.
func TestOptions(t *testing.T) {
	obj := filepath.Join(root(t), "cmd/bpfgen/testdata/types_bpfel.o")
	for _, c := range []struct {
		name      string
		args      []string
		want, not []string
	}{
		{"defaults", nil,
			[]string{"// Code generated by bpfgen; DO NOT EDIT.", "package p\n", "func LoadTypesSpec() (*bpf.CollectionSpec, error)",
				"func LoadTypesObjects(obj *TypesObjects, opts *bpf.CollectionOptions) error", "type TypesValue struct",
				"ValuesTyped *maps.TypedMap[TypesKey, TypesValue]", "//go:embed types_bpfel.o", "(sha256 "},
			[]string{"//go:build", "TypesCounterT"}},
		{"prefix", []string{"-prefix", "C"},
			[]string{"type CValue struct", "type CBits struct", "func LoadTypesObjects("}, []string{"TypesValue"}},
		{"tags", []string{"-tags", "linux"}, []string{"//go:build linux\n"}, nil},
		{"arch tags", []string{"-arch-tags", "-tags", "linux"}, []string{"//go:build (386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64 || wasm) && linux\n"}, nil},
		{"type", []string{"-type", "counter_t", "-type", "point_t"}, []string{"type TypesCounterT uint32", "type TypesPointT struct"}, nil},
		{"no global types", []string{"-no-global-types", "-type", "color"},
			[]string{"type TypesColor uint32", "TypesColorGREEN TypesColor = 2", "Values *maps.Map"},
			[]string{"TypesValue", "ValuesTyped", "TypesBits"}},
		{"program type", []string{"-program", "xdp_types=SchedCLS"},
			[]string{`elf.ParseWithOptions(typesObject, elf.Options{`, `"xdp_types": {Type: bpf.SchedCLS}`, "// sched_cls, section xdp"}, nil},
		{"section type", []string{"-section", "xdp=sched_cls", "-default-type", "XDP"},
			[]string{`{Pattern: "xdp", Convention: elf.Convention{Type: bpf.SchedCLS}}`, "DefaultType: bpf.XDP,"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"-package", "p", "-output-dir", out}, c.args...)
			files, err := render(append(args, "Types", obj), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			var src []byte
			for _, f := range files {
				if strings.HasSuffix(f.path, ".go") {
					src = f.data
					if filepath.Base(f.path) != "types_bpfel.go" {
						t.Errorf("output %s, want types_bpfel.go", f.path)
					}
				}
			}
			for _, w := range c.want {
				if !bytes.Contains(src, []byte(w)) {
					t.Errorf("output lacks %q", w)
				}
			}
			for _, n := range c.not {
				if bytes.Contains(src, []byte(n)) {
					t.Errorf("output has %q", n)
				}
			}
		})
	}
}

// TestErrors checks that bad command lines and inputs fail with an
// error naming the cause.
func TestErrors(t *testing.T) {
	r := root(t)
	obj := filepath.Join(r, "cmd/bpfgen/testdata/types_bpfel.o")
	notELF := filepath.Join(r, "cmd/bpfgen/testdata/types.c")
	t.Setenv("GOPACKAGE", "")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no package", []string{"Types", obj}, "no package name"},
		{"bad ident", []string{"-package", "p", "1x", obj}, `identifier "1x"`},
		{"bad package", []string{"-package", "a-b", "X", obj}, `package "a-b"`},
		{"one argument", []string{"-package", "p", "X"}, "want IDENT and INPUT"},
		{"unknown type", []string{"-package", "p", "-type", "nosuch", "X", obj}, "nosuch"},
		{"unknown program type", []string{"-package", "p", "-program", "a=nosuch", "X", obj}, `unknown program type "nosuch"`},
		{"bad program flag", []string{"-package", "p", "-program", "a", "X", obj}, "want NAME=TYPE"},
		{"bad target", []string{"-package", "p", "-target", "bpf", "X", obj}, `-target "bpf"`},
		{"other input", []string{"-package", "p", "X", "file.txt"}, "want an object (.o) or a C file (.c)"},
		{"missing object", []string{"-package", "p", "X", "nosuch.o"}, "nosuch.o"},
		{"not ELF", []string{"-package", "p", "X", notELF + ".o"}, "no such file"},
		{"cflags for an object", []string{"-package", "p", "X", obj, "--", "-DX"}, "clang flags after -- are for a C input"},
		{"no compiler", []string{"-package", "p", "-cc", "/nonexistent/clang", "X", notELF}, "not installed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"-output-dir", t.TempDir()}, c.args...)
			_, err := render(args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	t.Run("truncated object", func(t *testing.T) {
		dir := t.TempDir()
		b, err := os.ReadFile(obj)
		if err != nil {
			t.Fatal(err)
		}
		bad := filepath.Join(dir, "bad.o")
		if err := os.WriteFile(bad, b[:200], 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = render([]string{"-package", "p", "-output-dir", dir, "X", bad}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "bad.o") {
			t.Errorf("error %v, want one naming bad.o", err)
		}
	})
}

// TestCInput compiles testdata/types.c through bpfgen (clang, both byte
// orders) and checks that the objects are the committed ones and the
// bindings those of the committed objects, but for the header.
func TestCInput(t *testing.T) {
	if _, err := exec.LookPath("clang"); err != nil {
		if os.Getenv("PUREBPF_REQUIRE_PRIVILEGED") != "" {
			t.Fatal("clang is not installed")
		}
		t.Skip("clang is not installed")
	}
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	if arch == "" {
		t.Skipf("no include directory known for %s", runtime.GOARCH)
	}
	t.Chdir("testdata")
	out := t.TempDir()
	files, err := render([]string{"-package", "p", "-output-dir", out, "Types", "types.c", "--", "-I/usr/include/" + arch + "-linux-gnu"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("%d files, want 2", len(files))
	}
	for _, order := range []string{"bpfel", "bpfeb"} {
		got, err := os.ReadFile(filepath.Join(out, "types_"+order+".o"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile("types_" + order + ".o")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("types_%s.o differs from the committed object (rebuild it: make -C cmd/bpfgen/testdata)", order)
		}
		var src []byte
		for _, f := range files {
			if f.path == filepath.Join(out, "types_"+order+".go") {
				src = f.data
			}
		}
		archs := littleEndianArchs
		if order == "bpfeb" {
			archs = bigEndianArchs
		}
		if !bytes.Contains(src, []byte("//go:build "+strings.Join(archs, " || ")+"\n")) || !bytes.Contains(src, []byte("// Source:    types.c\n")) {
			t.Errorf("types_%s.go lacks its build constraint or source line", order)
		}
	}
}
