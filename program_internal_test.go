package bpf

import (
	"slices"
	"testing"

	"github.com/purebpf/bpf/asm"
)

func TestProgramString(t *testing.T) {
	p := &Program{name: "xdp_prog1", typ: XDP}
	if got, want := p.String(), "xdp program xdp_prog1 (fd -1)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestSourceLinesFallback checks the source lines that rejections on
// kernels before 6.9 (whose logs print a line's text without "@
// file:line") take their file and line from: an instruction without a
// line has the line before it, and instructions inserted before the first
// line have the first, as the line info the loader encodes says.
func TestSourceLinesFallback(t *testing.T) {
	l1 := &asm.Line{File: "/src/prog.c", Text: "int prog(void *ctx)", Line: 20}
	l2 := &asm.Line{File: "/src/prog.c", Text: "return 1;", Line: 22}
	tests := []struct {
		name  string
		insns asm.Instructions
		want  []string
	}{
		{"no lines", asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}, nil},
		{"inserted before the first line", asm.Instructions{
			asm.Mov.Imm(asm.R9, 0),
			asm.Mov.Imm(asm.R0, 0).WithLine(l1),
			asm.LoadImm64(asm.R1, 1),
			asm.Mov.Imm(asm.R0, 1).WithLine(l2),
			asm.Return(),
		}, []string{
			"int prog(void *ctx) @ prog.c:20", "int prog(void *ctx) @ prog.c:20",
			"int prog(void *ctx) @ prog.c:20", "int prog(void *ctx) @ prog.c:20", // LD_IMM64: two slots
			"return 1; @ prog.c:22", "return 1; @ prog.c:22",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sourceLines(tt.insns); !slices.Equal(got, tt.want) {
				t.Errorf("sourceLines = %q, want %q", got, tt.want)
			}
		})
	}
}
