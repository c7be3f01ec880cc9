package asm

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/purebpf/bpf/btf"
)

// Line is the line of source code an instruction was compiled from: a
// BTF line info record (.BTF.ext line_info), anchored to the instruction
// that starts the line. An instruction without a Line belongs to the
// line of the nearest instruction before it that has one, as in the
// kernel's verifier log; instructions inserted into a program therefore
// take the line they are inserted into. Copies of instructions share the
// *Line (and *FuncInfo) values: give an instruction a new one rather than
// changing a shared one.
type Line struct {
	// File is the source file's name as the compiler recorded it.
	File string
	// Text is the text of the line.
	Text string
	// Line and Column are 1-based; Column is 0 when unknown. Line is
	// below 1<<22 and Column below 1<<10 (the kernel's encoding).
	Line, Column uint32
}

// String returns the line as the kernel's verifier log shows it:
// "text @ file.c:12" (the file's base name).
func (s *Line) String() string {
	if s == nil {
		return ""
	}
	return strings.TrimSpace(s.Text) + " @ " + filepath.Base(s.File) + ":" + strconv.FormatUint(uint64(s.Line), 10)
}

// FuncInfo marks the first instruction of a function: a BTF func info
// record (.BTF.ext func_info). A program loaded with func info needs one
// on its first instruction and on the first instruction of every
// bpf-to-bpf subprogram; the loader sends them only when that holds.
type FuncInfo struct {
	// Name is the function's name.
	Name string
	// Type is the function's FUNC type in the program's BTF
	// (bpf.ProgramSpec.BTF).
	Type btf.TypeID
}

// Line returns the source line that starts at this instruction, or nil.
func (ins Instruction) Line() *Line { return ins.meta.line }

// WithLine returns a copy of ins that starts the source line l (nil
// removes it). The encoded bytes do not change.
func (ins Instruction) WithLine(l *Line) Instruction {
	ins.meta.line = l
	return ins
}

// Func returns the function this instruction is the first instruction
// of, or nil.
func (ins Instruction) Func() *FuncInfo { return ins.meta.fn }

// WithFunc returns a copy of ins marked as the first instruction of the
// function fn (nil removes the mark). The encoded bytes do not change.
func (ins Instruction) WithFunc(fn *FuncInfo) Instruction {
	ins.meta.fn = fn
	return ins
}
