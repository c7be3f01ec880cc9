package main

// Typed bindings of the committed objects (cmd/bpfgen; no clang needed).
//go:generate go run github.com/purebpf/bpf/cmd/bpfgen -section rx=XDP -section tx=SchedCLS Layercoop bpf/layercoop.o
