package main

// Typed bindings of the committed objects (cmd/bpfgen; no clang needed).
//go:generate go run github.com/purebpf/bpf/cmd/bpfgen -program dropworld=XDP Dropworld bpf/dropworld.o
//go:generate go run github.com/purebpf/bpf/cmd/bpfgen -program dropworld=XDP DropworldPass bpf/dropworld_pass.o
