package elf

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/maps"
)

var update = flag.Bool("update", false, "rewrite the golden descriptions in testdata/golden")

// objects are the committed objects: the tutorial's programs and the
// package's own test objects.
func objects(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../examples/*/bpf/*.o")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("testdata/*.o")
	files = append(files, more...)
	if len(files) < 13 {
		t.Fatalf("found only %d committed objects: %v", len(files), files)
	}
	return files
}

// describe renders a spec as stable text: programs (section, types,
// license, instruction counts, the references of their instructions) and
// maps, sorted by name.
func describe(spec *bpf.CollectionSpec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "byte order %s, BTF %v\n", spec.ByteOrder, spec.BTF != nil)
	for _, name := range sortedKeys(spec.Programs) {
		p := spec.Programs[name]
		fmt.Fprintf(&b, "program %s: name %s, section %s, type %s, attach type %d, flags %#x, license %q, version %d, %d instructions (%d raw), BTF %v\n",
			name, p.Name, p.Section, p.Type, p.AttachType, uint32(p.Flags), p.License, p.KernelVersion, len(p.Instructions), p.Instructions.RawLen(), len(p.Instructions) > 0 && p.Instructions[0].Func() != nil)
		if p.AttachTo != "" {
			fmt.Fprintf(&b, "\tattach to %q\n", p.AttachTo)
		}
		for i, ins := range p.Instructions {
			if ins.Symbol() != "" && i > 0 {
				fmt.Fprintf(&b, "\t%d: function %s\n", i, ins.Symbol())
			}
			if ref := ins.Reference(); ref != "" && !ins.IsJump() {
				fmt.Fprintf(&b, "\t%d: %v -> %s\n", i, ins, ref)
			}
		}
		for _, r := range p.CORERelocations {
			fmt.Fprintf(&b, "\tCO-RE %v\n", r)
		}
	}
	for _, name := range sortedKeys(spec.Maps) {
		m := spec.Maps[name]
		fmt.Fprintf(&b, "map %s: %s", name, describeMap(m))
		if m.KeyType != 0 || m.ValueType != 0 {
			fmt.Fprintf(&b, ", BTF key %d value %d", m.KeyType, m.ValueType)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func describeMap(m *maps.Spec) string {
	s := m.String()
	if m.MapExtra != 0 {
		s += fmt.Sprintf(", map_extra %#x", m.MapExtra)
	}
	switch m.Pinning {
	case maps.PinNone:
	case maps.PinUnknown:
		s += fmt.Sprintf(", unknown pinning %d", m.PinValue)
	default:
		s += fmt.Sprintf(", pinned by name in %q", m.PinPath)
	}
	if m.InnerMap != nil {
		s += ", inner " + describeMap(m.InnerMap)
	}
	for _, kv := range m.Contents {
		s += fmt.Sprintf(", [%v]=%v", kv.Key, kv.Value)
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func goldenName(obj string) string {
	return filepath.Join("testdata", "golden", strings.TrimSuffix(filepath.Base(obj), ".o")+".txt")
}

// TestGolden parses every committed object and compares the description
// with testdata/golden (go test -update rewrites it).
func TestGolden(t *testing.T) {
	for _, obj := range objects(t) {
		t.Run(filepath.Base(obj), func(t *testing.T) {
			spec, err := Open(obj)
			if err != nil {
				t.Fatal(err)
			}
			got := describe(spec)
			golden := goldenName(obj)
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("description of %s changed:\n--- got\n%s\n--- want\n%s", obj, got, want)
			}
		})
	}
}
