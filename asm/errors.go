package asm

import "errors"

// Errors wrapped by Encode and Decode; test for them with errors.Is.
var (
	// ErrInvalidInstruction: an opcode or field combination the kernel never
	// accepts, or a field that does not fit its encoding.
	ErrInvalidInstruction = errors.New("invalid instruction")
	// ErrTruncated: a byte stream that is not a whole number of
	// instructions, or an LD_IMM64 without its second half.
	ErrTruncated = errors.New("truncated instruction stream")
	// ErrJumpOutOfRange: a jump or call whose target is outside the
	// program, inside an LD_IMM64, or whose offset does not fit its field.
	ErrJumpOutOfRange = errors.New("jump out of range")
	// ErrUnresolvedReference: a jump or call label that is not defined in
	// the program, or a map load whose fd was never set.
	ErrUnresolvedReference = errors.New("unresolved reference")
	// ErrDuplicateSymbol: the same symbol defined at two instructions.
	ErrDuplicateSymbol = errors.New("duplicate symbol")
)
