// Package bpf loads BPF programs into the kernel and runs them, in pure Go
// (no cgo, no libbpf, no clang at run time).
//
// A ProgramSpec describes a program: its type, license and instructions,
// built with package asm or read from a clang object by package elf.
// NewProgram verifies and loads it; a rejection wraps a *verifier.Error that
// names the failing instruction and explains the cause, and %+v on the
// returned error prints the whole verifier log. Program.Run feeds
// it a packet through BPF_PROG_TEST_RUN, without allocating and with one
// system call per run.
//
// A CollectionSpec is a whole object (programs and maps, as elf.Open reads
// it); NewCollection creates its maps, loads its programs with their BTF
// and returns them by name. Package check verifies programs offline,
// without privileges. Attaching programs to interfaces is package attach;
// reading and writing maps is package maps.
//
// Programs, maps (package maps) and links (package attach) follow one
// pattern: a typed id (ProgramID), FromID and LoadPinned constructors, an
// IDs listing, and ID, Info, Pin, Unpin and Close methods.
package bpf
