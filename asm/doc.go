// Package asm is the eBPF instruction set: instructions, builders that read
// like assembly, labels and symbolic references, encoding to and decoding
// from the kernel's raw format, and a disassembler in the style of
// "bpftool prog dump xlated".
//
// # Architecture
//
// An Instruction holds the decoded fields of struct bpf_insn (OpCode, Dst,
// Src, Offset, Constant) plus metadata that never reaches the encoded bytes:
// a symbol (a label or function name defined at the instruction) and a
// reference (the label a jump targets, the function a bpf-to-bpf call or
// PseudoFunc load targets, or the map a map load refers to). LD_IMM64 is a
// single Instruction carrying the full 64-bit Constant although it occupies
// two raw slots; Size, Instructions.RawOffsets and Instructions.IndexOfRaw
// translate between instruction indexes and the raw indexes the kernel,
// the verifier log and bpftool use.
//
// Instructions are built with constructors named after the operation:
//
//	asm.Mov.Imm(asm.R0, 2)              // r0 = 2
//	asm.Mov.Reg32(asm.R0, asm.R1)       // w0 = w1
//	asm.JEq.Imm(asm.R1, 6, "pass")      // if r1 == 0x6 goto pass
//	asm.LoadMem(asm.R1, asm.R1, 4, asm.Word)
//	asm.Call(asm.FnMapLookupElem)
//	asm.Mov.Imm(asm.R0, 2).WithSymbol("pass")
//
// Instructions.Encode resolves references inside the slice: jump offsets
// (16-bit Offset, or the 32-bit immediate of gotol) and bpf-to-bpf call and
// PseudoFunc immediates are computed from symbol positions in raw slots.
// Map references are resolved by the loader, which creates the map and
// calls SetMapFD or SetMapValue on every instruction whose Reference names
// it; Encode refuses a map load with a reference that was never resolved
// (tracked by a flag, not by a zero constant). Encode never modifies its
// receiver, and metadata never changes the bytes.
//
// Decode is the inverse: it rejects byte streams the kernel would reject
// before looking at semantics (truncated streams, LD_IMM64 without its
// second half, opcodes and field combinations outside the instruction set
// of kernel 6.18, jumps outside the program or into an LD_IMM64), and its
// result encodes back to the same bytes. The big-endian layout swaps the
// dst/src nibbles as the kernel's bpfeb layout does.
//
// The whole instruction set of kernel 6.18 is covered: ALU and ALU64
// including signed division and modulo (Offset 1) and sign-extending moves
// (Offset 8/16/32), byte swaps (BPF_END and the ALU64 bswap), jumps and
// 32-bit jumps including gotol and may_goto, LD_IMM64 with every pseudo
// source, legacy LD_ABS/LD_IND, loads, sign-extending loads, stores,
// atomics (add/and/or/xor with and without fetch, xchg, cmpxchg,
// load-acquire and store-release), helper, bpf-to-bpf and kfunc calls, and
// exit.
//
// Helper ids and names (BuiltinFunc, the Fn constants) are generated from
// enum bpf_func_id of the running kernel's BTF by the generator in
// internal/genhelpers; regenerate with "go generate" on a newer kernel.
//
// The package has no kernel dependencies: it never calls bpf(2).
package asm
