package elf

import (
	"slices"
	"testing"

	"github.com/purebpf/bpf/asm"
)

// functionBody returns the instructions of the function sym of insns
// (from its symbol to the next one), without metadata.
func functionBody(t *testing.T, insns asm.Instructions, sym string) asm.Instructions {
	t.Helper()
	start := slices.IndexFunc(insns, func(ins asm.Instruction) bool { return ins.Symbol() == sym })
	if start < 0 {
		t.Fatalf("no function %s in\n%s", sym, insns)
	}
	end := start + 1
	for end < len(insns) && insns[end].Symbol() == "" {
		end++
	}
	var out asm.Instructions
	for _, ins := range insns[start:end] {
		out = append(out, ins.WithoutMetadata())
	}
	return out
}

// TestStaticallyLinked parses the objects `bpftool gen object` made of
// static_a.o (a __weak pick()) and static_b.o (a strong one), in both
// orders: the weak pick's instructions, left in .text without a symbol,
// become no program, their relocations are not applied, and every call
// of pick() gets the strong definition.
func TestStaticallyLinked(t *testing.T) {
	strong, err := Open("testdata/static_b.o")
	if err != nil {
		t.Fatal(err)
	}
	weak, err := Open("testdata/static_a.o")
	if err != nil {
		t.Fatal(err)
	}
	strongPick := functionBody(t, strong.Programs["xdp_b"].Instructions, "pick")
	weakPick := functionBody(t, weak.Programs["xdp_a"].Instructions, "pick")
	if slices.EqualFunc(strongPick, weakPick, func(a, b asm.Instruction) bool { return a.String() == b.String() }) {
		t.Fatal("the weak and strong pick() compiled to the same instructions")
	}
	for _, obj := range []string{"testdata/static_linked.o", "testdata/static_linked_rev.o"} {
		t.Run(obj, func(t *testing.T) {
			spec, err := Open(obj)
			if err != nil {
				t.Fatal(err)
			}
			if got := sortedKeys(spec.Programs); !slices.Equal(got, []string{"xdp_a", "xdp_b"}) {
				t.Fatalf("programs %v, want xdp_a and xdp_b", got)
			}
			for _, name := range []string{"xdp_a", "xdp_b"} {
				insns := spec.Programs[name].Instructions
				pick := functionBody(t, insns, "pick")
				if !slices.EqualFunc(pick, strongPick, func(a, b asm.Instruction) bool { return a.String() == b.String() }) {
					t.Errorf("%s links pick() as\n%s\nwant the strong one\n%s", name, pick, strongPick)
				}
				for _, ins := range insns {
					if ins.Symbol() == "bump" || ins.Symbol() == "twice" || ins.Reference() == "hits" {
						t.Errorf("%s: %v (%s%s) comes from the overridden weak pick()", name, ins, ins.Symbol(), ins.Reference())
					}
				}
			}
		})
	}
}

// TestStaticallyLinkedCORE: the __weak frame_len() static_core_main.o
// overrides had a CO-RE relocation; the record goes with its orphan
// instructions, and the program links the strong frame_len().
func TestStaticallyLinkedCORE(t *testing.T) {
	lib, err := Open("testdata/static_core_lib.o")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(lib.Programs["frame_len"].CORERelocations); n != 2 {
		t.Fatalf("the weak frame_len has %d CO-RE relocations, want 2", n)
	}
	main, err := Open("testdata/static_core_main.o")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := Open("testdata/static_core.o")
	if err != nil {
		t.Fatal(err)
	}
	if got := sortedKeys(spec.Programs); !slices.Equal(got, []string{"xdp_core_main"}) {
		t.Fatalf("programs %v, want xdp_core_main", got)
	}
	p := spec.Programs["xdp_core_main"]
	if len(p.CORERelocations) != 0 {
		t.Errorf("CO-RE relocations of the overridden weak function kept: %v", p.CORERelocations)
	}
	got := functionBody(t, p.Instructions, "frame_len")
	want := functionBody(t, main.Programs["xdp_core_main"].Instructions, "frame_len")
	if got.String() != want.String() {
		t.Errorf("frame_len linked as\n%s\nwant the strong one\n%s", got, want)
	}
}
