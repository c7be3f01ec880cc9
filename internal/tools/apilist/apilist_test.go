package apilist

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/purebpf/bpf/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite api/*.txt from the packages' exported API")

const updateCommand = "go test ./internal/tools/apilist -update"

// kernelEnums are the internal types the public API may name: the kernel
// enums that public packages re-export by alias, with the alias lines
// name them by.
var kernelEnums = map[string]string{
	"internal/kernel.ProgramType": "bpf.ProgramType",
	"internal/kernel.AttachType":  "bpf.AttachType",
	"internal/kernel.MapType":     "maps.Type",
	"internal/kernel.LinkType":    "attach.LinkType",
}

func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

func load(t *testing.T) (string, []*Package) {
	testenv.RequireTool(t, "go") // go list -export reads the packages' types
	root := moduleRoot(t)
	pkgs, err := Load(root, kernelEnums)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) == 0 {
		t.Fatal("no public packages found")
	}
	return root, pkgs
}

func golden(p *Package) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# The exported API of %s, one declaration per line (internal/tools/apilist).\n", p.Path)
	fmt.Fprintf(&b, "# A change to the public API must change this file: %s\n", updateCommand)
	for _, l := range p.Lines {
		b.WriteString(l + "\n")
	}
	return []byte(b.String())
}

// readGolden returns the declaration lines of a golden file (comments
// dropped).
func readGolden(path string) ([]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(raw), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out, nil
}

// diffLines returns the lines only in want ("-") and only in got ("+");
// both are sorted and free of duplicates.
func diffLines(want, got []string) []string {
	var out []string
	for _, l := range want {
		if _, found := slices.BinarySearch(got, l); !found {
			out = append(out, "- "+l)
		}
	}
	for _, l := range got {
		if _, found := slices.BinarySearch(want, l); !found {
			out = append(out, "+ "+l)
		}
	}
	return out
}

// TestAPI compares the exported API of every public package with its
// committed golden file api/<pkg>.txt. A deliberate change to the public
// surface updates the golden files (go test ./internal/tools/apilist
// -update), so that it shows in review.
func TestAPI(t *testing.T) {
	root, pkgs := load(t)
	// The listing must hold this module's packages, not its
	// dependencies' (a wrong module once listed golang.org/x/sys/unix
	// alone, and the test compared nothing of ours).
	for _, must := range []string{"github.com/purebpf/bpf", "github.com/purebpf/bpf/attach", "github.com/purebpf/bpf/maps"} {
		if !slices.ContainsFunc(pkgs, func(p *Package) bool { return p.Path == must }) {
			t.Fatalf("the listing lacks %s", must)
		}
	}
	apiDir := filepath.Join(root, "api")
	if *update {
		if err := os.MkdirAll(apiDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{}
	for _, p := range pkgs {
		name := p.FileName()
		want[name] = true
		path := filepath.Join(apiDir, name)
		if *update {
			if err := os.WriteFile(path, golden(p), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		lines, err := readGolden(path)
		if os.IsNotExist(err) {
			t.Errorf("api/%s is missing for package %s: %s", name, p.Path, updateCommand)
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		if !slices.IsSorted(lines) {
			slices.Sort(lines)
		}
		if d := diffLines(lines, p.Lines); len(d) > 0 {
			t.Errorf("the exported API of %s differs from api/%s (- only in the file, + only in the code):\n%s\nIf the change is deliberate: %s", p.Path, name, strings.Join(d, "\n"), updateCommand)
		}
	}
	entries, err := os.ReadDir(apiDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".txt") || want[e.Name()] {
			continue
		}
		if *update {
			if err := os.Remove(filepath.Join(apiDir, e.Name())); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("api/%s belongs to no public package: %s", e.Name(), updateCommand)
	}
}

// TestNoInternalTypes fails when an exported declaration of a public
// package names a type of an internal package (users could not name
// it, and go doc would show nothing of it), except the kernel enums
// that public packages re-export by alias.
func TestNoInternalTypes(t *testing.T) {
	_, pkgs := load(t)
	var offenders []string
	for _, p := range pkgs {
		for _, u := range p.Internal {
			if _, ok := kernelEnums[u.Type]; ok {
				continue
			}
			offenders = append(offenders, fmt.Sprintf("%s names %s", u.Key, u.Type))
		}
	}
	if len(offenders) > 0 {
		t.Errorf("exported declarations name types of internal packages (give them a public type):\n\t%s", strings.Join(offenders, "\n\t"))
	}
}

// TestDiffLines checks the failure message's diff.
func TestDiffLines(t *testing.T) {
	for _, tc := range []struct {
		want, got []string
		diff      []string
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, nil},
		{[]string{"a", "b"}, []string{"a", "c"}, []string{"- b", "+ c"}},
		{nil, []string{"x"}, []string{"+ x"}},
		{[]string{"x"}, nil, []string{"- x"}},
	} {
		if d := diffLines(tc.want, tc.got); !slices.Equal(d, tc.diff) {
			t.Errorf("diffLines(%q, %q) = %q, want %q", tc.want, tc.got, d, tc.diff)
		}
	}
}
