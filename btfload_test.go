package bpf_test

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/verifier"
)

// TestEditedProgramKeepsLines inserts instructions into programs of
// committed objects and loads them: the func and line info travel with
// the instructions (asm.Instruction.Func and Line), so a rejection of the
// edited program still names the C source line of the failing
// instruction, and an accepted one is loaded with its BTF (before, any
// change of the program's length dropped its BTF at load).
func TestEditedProgramKeepsLines(t *testing.T) {
	testenv.RequirePrivileged(t)
	// readR9 fails to verify: r9 is never written before it.
	readR9 := asm.LoadMem(asm.R0, asm.R9, 0, asm.Word)
	harmless := asm.Mov.Imm(asm.R9, 0)
	lineIndex := func(line uint32) func(asm.Instructions) int {
		return func(insns asm.Instructions) int {
			for i, ins := range insns {
				if l := ins.Line(); l != nil && l.Line == line {
					return i + 1 // after the line's first instruction
				}
			}
			return -1
		}
	}
	first := func(asm.Instructions) int { return 0 }
	callee := func(name string) func(asm.Instructions) int {
		return func(insns asm.Instructions) int {
			for i, ins := range insns {
				if fn := ins.Func(); fn != nil && fn.Name == name {
					return i + 1
				}
			}
			return -1
		}
	}
	for _, tc := range []struct {
		name      string
		object    string
		program   string
		at        func(asm.Instructions) int // where to insert
		insert    asm.Instruction
		alone     bool // NewProgram instead of NewCollection
		wantFile  string
		wantLine  int // 0: the line of the instruction before the insertion
		wantError bool
	}{
		{name: "rejected inside a line", object: "tcpfilter_sec", program: "tcpfilter", at: lineIndex(29), insert: readR9,
			wantFile: "tcpfilter.c", wantLine: 29, wantError: true},
		{name: "rejected inside a line, program alone", object: "tcpfilter_sec", program: "tcpfilter", at: lineIndex(29), insert: readR9,
			alone: true, wantFile: "tcpfilter.c", wantLine: 29, wantError: true},
		{name: "rejected before the first instruction", object: "tcpfilter_sec", program: "tcpfilter", at: first, insert: readR9,
			wantFile: "tcpfilter.c", wantError: true},
		{name: "rejected in a subprogram", object: "features", program: "xdp_features", at: callee("add"), insert: readR9,
			wantFile: "features.c", wantError: true},
		{name: "accepted with its BTF", object: "tcpfilter_sec", program: "tcpfilter", at: lineIndex(29), insert: harmless},
		{name: "accepted with subprograms moved", object: "features", program: "xdp_features", at: first, insert: harmless},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := collObject(tc.object)
			if tc.object == "features" {
				path = "elf/testdata/features.o"
			}
			spec, err := elf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			for name, p := range spec.Programs {
				if p.Type == bpf.UnspecifiedProgram { // features.o's .text entry
					delete(spec.Programs, name)
				}
			}
			p := spec.Programs[tc.program]
			at := tc.at(p.Instructions)
			if at < 0 {
				t.Fatalf("%s: no place to insert", tc.program)
			}
			wantLine := tc.wantLine
			if wantLine == 0 {
				for i := min(at, len(p.Instructions)-1); i >= 0; i-- {
					if l := p.Instructions[i].Line(); l != nil && (i < at || at == 0) {
						wantLine = int(l.Line)
						break
					}
				}
				if wantLine == 0 {
					t.Fatalf("%s: no line info near instruction %d", tc.program, at)
				}
			}
			rawLen := p.Instructions.RawLen()
			p.Instructions = slices.Insert(p.Instructions, at, tc.insert)
			if p.Instructions.RawLen() == rawLen {
				t.Fatal("the insertion did not change the program's length")
			}

			var prog *bpf.Program
			if tc.alone {
				prog, err = bpf.NewProgram(p)
			} else {
				var c *bpf.Collection
				if c, err = bpf.NewCollection(spec); err == nil {
					t.Cleanup(func() { c.Close() })
					prog = c.Programs[tc.program]
				}
			}
			if !tc.wantError {
				if err != nil {
					t.Fatalf("load: %+v", err)
				}
				info, err := prog.Info()
				if err != nil {
					t.Fatal(err)
				}
				if info.BTF == 0 {
					t.Errorf("%s was loaded without its BTF", tc.program)
				}
				return
			}
			if prog != nil && tc.alone {
				prog.Close()
			}
			var verr *verifier.Error
			if !errors.As(err, &verr) {
				t.Fatalf("load: %v, want a verifier rejection", err)
			}
			if verr.File != tc.wantFile || verr.Line != wantLine {
				t.Errorf("rejection names %s:%d (%q), want %s:%d\n%+v", verr.File, verr.Line, verr.Source, tc.wantFile, wantLine, verr)
			}
		})
	}
}

// TestHandMadeLines loads a program built with asm, whose func and line
// info are made by hand (the line's strings are not in its types: the
// loader adds them), and checks that it is loaded with its BTF and that
// a rejection names the hand-made line.
func TestHandMadeLines(t *testing.T) {
	testenv.RequirePrivileged(t)
	b := btf.NewBuilder()
	i32 := b.Add(&btf.Int{Name: "int", Size: 4, Encoding: btf.IntSigned, Bits: 32})
	proto := b.Add(&btf.FuncProto{Return: i32})
	fn := b.Add(&btf.Func{Name: "hand", Type: proto, Linkage: btf.FuncStatic})
	types, err := b.Spec()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		body     asm.Instructions
		wantLine int // 0: accepted
	}{
		{"accepted", asm.Instructions{asm.Mov.Imm(asm.R0, int32(bpf.XDPPass)), asm.Return()}, 0},
		{"rejected", asm.Instructions{asm.Mov.Imm(asm.R0, int32(bpf.XDPPass)), asm.LoadMem(asm.R0, asm.R9, 0, asm.Word), asm.Return()}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			insns := slices.Clone(tc.body)
			insns[0] = insns[0].WithFunc(&asm.FuncInfo{Name: "hand", Type: fn}).
				WithLine(&asm.Line{File: "/src/hand.c", Text: "\treturn XDP_PASS;", Line: 7, Column: 2})
			spec := &bpf.ProgramSpec{Name: "hand", Type: bpf.XDP, License: "GPL", Instructions: insns, BTF: types}
			p, err := bpf.NewProgram(spec)
			if tc.wantLine == 0 {
				if err != nil {
					t.Fatalf("%+v", err)
				}
				defer p.Close()
				info, err := p.Info()
				if err != nil {
					t.Fatal(err)
				}
				if info.BTF == 0 {
					t.Error("loaded without its BTF")
				}
				return
			}
			var verr *verifier.Error
			if !errors.As(err, &verr) {
				t.Fatalf("load: %v, want a verifier rejection", err)
			}
			if verr.File != "hand.c" || verr.Line != tc.wantLine || !strings.Contains(verr.Source, "return XDP_PASS;") {
				t.Errorf("rejection names %s:%d (%q), want hand.c:%d\n%+v", verr.File, verr.Line, verr.Source, tc.wantLine, verr)
			}
		})
	}
}

// TestEditedFuncInfoStillLoads edits programs so that their func or line
// info no longer fits the kernel's rules, and checks that they still load
// (the loader sends what fits, or loads without BTF, rather than failing
// with "number of funcs in func_info doesn't match number of subprogs" or
// "missing bpf_line_info for func#N").
func TestEditedFuncInfoStillLoads(t *testing.T) {
	testenv.RequirePrivileged(t)
	for _, tc := range []struct {
		name    string
		object  string // default elf/testdata/features.o
		program string // default xdp_features
		edit    func(asm.Instructions) asm.Instructions
		wantBTF bool
	}{
		// A static subprogram, no callback (which would need func info).
		{"entry lost its func info", "check/testdata/globalfunc.o", "static_call", func(insns asm.Instructions) asm.Instructions {
			insns[0] = insns[0].WithFunc(nil)
			return insns
		}, false},
		{"subprogram without any line", "", "", func(insns asm.Instructions) asm.Instructions {
			in := false
			for i := range insns {
				if insns[i].Func() != nil {
					in = i > 0
				}
				if in {
					insns[i] = insns[i].WithLine(nil)
				}
			}
			return insns
		}, true},
		{"lines before the entry's first instruction", "", "", func(insns asm.Instructions) asm.Instructions {
			l := insns[0].Line()
			if l == nil {
				t.Fatal("the entry's first instruction has no line")
			}
			pre := asm.Mov.Imm(asm.R9, 0).WithLine(&asm.Line{File: l.File, Text: l.Text, Line: l.Line})
			return slices.Insert(insns, 0, asm.Mov.Imm(asm.R8, 0), pre)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			object, program := cmp.Or(tc.object, "elf/testdata/features.o"), cmp.Or(tc.program, "xdp_features")
			spec, err := elf.Open(object)
			if err != nil {
				t.Fatal(err)
			}
			for name, p := range spec.Programs {
				// Keep the program and what its program arrays need;
				// drop the others (globalfunc.o's add1 example is
				// rejected, features.o's .text entry is untyped).
				if name != program && (p.Type == bpf.UnspecifiedProgram || tc.object != "") {
					delete(spec.Programs, name)
				}
			}
			p := spec.Programs[program]
			if p.Instructions[0].Func() == nil {
				t.Fatalf("%s has no func info", program)
			}
			p.Instructions = tc.edit(slices.Clone(p.Instructions))
			c, err := bpf.NewCollection(spec)
			if err != nil {
				t.Fatalf("load: %+v", err)
			}
			defer c.Close()
			info, err := c.Programs[program].Info()
			if err != nil {
				t.Fatal(err)
			}
			if got := info.BTF != 0; got != tc.wantBTF {
				t.Errorf("loaded with BTF %v, want %v", got, tc.wantBTF)
			}
		})
	}
}
