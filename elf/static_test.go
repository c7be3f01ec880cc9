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
					if ins.Symbol() == "bump" || ins.Reference() == "hits" {
						t.Errorf("%s: %v (%s%s) comes from the overridden weak pick()", name, ins, ins.Symbol(), ins.Reference())
					}
				}
			}
		})
	}
}
