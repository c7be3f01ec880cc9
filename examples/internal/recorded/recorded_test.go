package recorded

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/purebpf/bpf/elf"
)

// TestClangCounts checks the clang column of every row against the
// committed objects, and that every row names an object and a program that
// exist (the asm column is checked by each example's
// TestAsmNoLongerThanClang, which has the asm builds).
func TestClangCounts(t *testing.T) {
	counts, err := InstructionCounts()
	if err != nil {
		t.Fatal(err)
	}
	for key, c := range counts {
		object, program, _ := strings.Cut(key, " ")
		paths, err := filepath.Glob(filepath.Join("..", "..", "*", "bpf", object))
		if err != nil || len(paths) != 1 {
			t.Errorf("%s: object found at %v (%v), want one committed object", key, paths, err)
			continue
		}
		spec, err := elf.Open(paths[0])
		if err != nil {
			t.Errorf("%s: %v", key, err)
			continue
		}
		p, ok := spec.Programs[program]
		if !ok {
			t.Errorf("%s: %s has no program %s", key, paths[0], program)
			continue
		}
		if n := p.Instructions.RawLen(); n != c.Clang {
			t.Errorf("%s: BENCHMARKS.md says clang's build has %d instructions; %s has %d", key, c.Clang, paths[0], n)
		}
	}
}

func TestParseCounts(t *testing.T) {
	good := Section + "\n\ntext\n\n" + header + "\n| --- | --- | --- | --- |\n| a.o | p | 1 | 2 |\n| `b.o` | q | 3 | 4 |\n\nmore\n| x | y |\n"
	got, err := parseCounts([]byte(good), "B.md")
	if err != nil || len(got) != 2 || got[Key("a.o", "p")] != (Count{1, 2}) || got[Key("b.o", "q")] != (Count{3, 4}) {
		t.Errorf("parse: %v, %v", got, err)
	}
	for name, bad := range map[string]string{
		"no section":   header + "\n| a.o | p | 1 | 2 |\n",
		"no table":     Section + "\n\n## next\n" + header + "\n| a.o | p | 1 | 2 |\n",
		"empty":        Section + "\n" + header + "\n|---|---|---|---|\n\n",
		"cells":        Section + "\n" + header + "\n| a.o | p | 1 |\n",
		"number":       Section + "\n" + header + "\n| a.o | p | 1 | two |\n",
		"twice":        Section + "\n" + header + "\n| a.o | p | 1 | 2 |\n| a.o | p | 1 | 2 |\n",
		"header alone": Section + "\n" + header,
	} {
		if got, err := parseCounts([]byte(bad), "B.md"); err == nil {
			t.Errorf("%s: parsed %v", name, got)
		}
	}
}
