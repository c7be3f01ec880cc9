package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/testenv"
)

// bpf2goCases are C sources both generators process, with the C types
// to compare (bpf2go's -type names; purebpf's bpfgen generates them too,
// as map keys and values or through -type).
var bpf2goCases = []struct {
	name, source string
	types        []string // compared
	extra        []string // -type (the others both generate for maps and variables)
	// bpf2goWrong are the types whose bpf2go layout is not C's (checked
	// against the object's BTF): bpf2go v0.22.0 lays a packed struct out
	// as Go aligns it (struct packed: 12 bytes, C's 7; struct value
	// holds one).
	bpf2goWrong []string
}{
	{"types", "../cmd/bpfgen/testdata/types.c", []string{"key", "value", "bits", "padded", "packed", "addr"}, []string{"packed"}, []string{"value", "packed"}},
	{"layercoop", "../examples/layercoop/bpf/layercoop.c", []string{"flow_key", "flow_counters"}, nil, nil},
}

// TestBpfgenLayoutMatchesBpf2go compiles each source with cilium/ebpf's
// bpf2go (clang) and generates purebpf's bindings of the object bpf2go
// built, then compares in a program built from both outputs the size of
// every compared Go type and the offset and size of every field both
// name: the two generators must lay the types out the same (as C does).
func TestBpfgenLayoutMatchesBpf2go(t *testing.T) {
	if _, err := exec.LookPath("clang"); err != nil {
		if testenv.Required() {
			t.Fatal("clang is not installed (bpf2go needs it)")
		}
		t.Skip("clang is not installed (bpf2go needs it)")
	}
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	if arch == "" {
		t.Skipf("no include directory known for %s", runtime.GOARCH)
	}
	for _, c := range bpf2goCases {
		t.Run(c.name, func(t *testing.T) {
			// A package inside this module, so that both generators'
			// imports resolve.
			dir, err := os.MkdirTemp(".", "bpfgen-cmp-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			src, err := filepath.Abs(c.source)
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"run", "github.com/cilium/ebpf/cmd/bpf2go", "-go-package", "main", "-output-dir", dir, "-target", "bpfel"}
			for _, ty := range c.extra {
				args = append(args, "-type", ty)
			}
			args = append(args, "b2g", src, "--", "-I/usr/include/"+arch+"-linux-gnu", "-DNO_POINTERS")
			goRun(t, args...)
			pg := []string{"run", "github.com/purebpf/bpf/cmd/bpfgen", "-package", "main", "-output-dir", dir, "-prefix", "Pg"}
			if len(c.extra) > 0 {
				pg = append(pg, "-type", strings.Join(c.extra, ","))
			}
			goRun(t, append(pg, "Pg", filepath.Join(dir, "b2g_bpfel.o"))...)

			var pairs strings.Builder
			for _, ty := range c.types {
				fmt.Fprintf(&pairs, "\t{%q, reflect.TypeFor[b2g%s](), reflect.TypeFor[Pg%s]()},\n", ty, camelC(ty), camelC(ty))
			}
			prog := strings.Replace(layoutProgram, "PAIRS", pairs.String(), 1)
			if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(prog), 0o644); err != nil {
				t.Fatal(err)
			}
			out := goRun(t, "run", "./"+dir)
			var res []layoutResult
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if len(res) != len(c.types) {
				t.Fatalf("%d results, want %d", len(res), len(c.types))
			}
			spec, err := elf.Open(filepath.Join(dir, "b2g_bpfel.o"))
			if err != nil {
				t.Fatal(err)
			}
			fields := 0
			wrong := map[string]bool{}
			for _, r := range res {
				size, offsets := cLayout(t, spec.BTF, r.C)
				if r.SizePg != size {
					t.Errorf("%s: bpfgen's type is %d bytes, C's %d", r.C, r.SizePg, size)
				}
				if r.SizeB2G != r.SizePg {
					wrong[r.C] = true
					t.Logf("%s: bpf2go's type is %d bytes, bpfgen's and C's %d", r.C, r.SizeB2G, r.SizePg)
				}
				for _, f := range r.Fields {
					fields++
					if off, ok := offsets[f.Name]; !ok || f.OffPg != off {
						t.Errorf("%s.%s: bpfgen +%d, C +%d (member found: %v)", r.C, f.Name, f.OffPg, off, ok)
					}
					if f.OffB2G != f.OffPg || f.SizeB2G != f.SizePg {
						wrong[r.C] = true
						t.Logf("%s.%s: bpf2go +%d (%d bytes), bpfgen +%d (%d bytes)", r.C, f.Name, f.OffB2G, f.SizeB2G, f.OffPg, f.SizePg)
					}
				}
				t.Logf("%s: %d bytes, %d fields compared, bpf2go-only fields %v", r.C, r.SizePg, len(r.Fields), r.OnlyB2G)
			}
			var got []string
			for _, ty := range c.types {
				if wrong[ty] {
					got = append(got, ty)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.bpf2goWrong) {
				t.Errorf("types where bpf2go's layout differs from bpfgen's (and C's): %v, want %v", got, c.bpf2goWrong)
			}
			if fields < 2 {
				t.Errorf("%d fields compared, want at least 2", fields)
			}
		})
	}
}

// cLayout returns the size of the C struct, union or typedef name in
// spec and the byte offsets of its members by their Go field names.
func cLayout(t *testing.T, spec *btf.Spec, name string) (uintptr, map[string]uintptr) {
	t.Helper()
	id, typ, err := spec.TypeByName(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	size, err := spec.Size(id)
	if err != nil {
		t.Fatal(err)
	}
	offsets := map[string]uintptr{}
	var members []btf.Member
	switch ty := typ.(type) {
	case *btf.Struct:
		members = ty.Members
	case *btf.Union:
		members = ty.Members
	}
	for _, m := range members {
		if m.BitfieldSize == 0 {
			offsets[camelC(m.Name)] = uintptr(m.BitOffset / 8)
		}
	}
	return uintptr(size), offsets
}

// camelC is bpf2go's and bpfgen's Go spelling of a C name: "flow_key" →
// "FlowKey".
func camelC(s string) string {
	var b strings.Builder
	for _, w := range strings.Split(s, "_") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

func goRun(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), args...)
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

type layoutResult struct {
	C               string
	SizeB2G, SizePg uintptr
	Fields          []struct {
		Name                           string
		OffB2G, OffPg, SizeB2G, SizePg uintptr
	}
	OnlyB2G []string
}

const layoutProgram = `package main

import (
	"encoding/json"
	"os"
	"reflect"
)

var pairs = []struct {
	c    string
	a, b reflect.Type
}{
PAIRS}

type field struct {
	Name                           string
	OffB2G, OffPg, SizeB2G, SizePg uintptr
}

func main() {
	var out []map[string]any
	for _, p := range pairs {
		var fs []field
		var only []string
		if p.a.Kind() == reflect.Struct && p.b.Kind() == reflect.Struct {
			for i := range p.a.NumField() {
				fa := p.a.Field(i)
				if fa.Name == "_" {
					continue
				}
				fb, ok := p.b.FieldByName(fa.Name)
				if !ok {
					only = append(only, fa.Name)
					continue
				}
				fs = append(fs, field{fa.Name, fa.Offset, fb.Offset, fa.Type.Size(), fb.Type.Size()})
			}
		}
		out = append(out, map[string]any{"C": p.c, "SizeB2G": p.a.Size(), "SizePg": p.b.Size(), "Fields": fs, "OnlyB2G": only})
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
`
