package main

// Typed bindings of the committed objects (cmd/bpfgen; no clang needed).
//go:generate go run github.com/purebpf/bpf/cmd/bpfgen Xdp1 bpf/xdp1.o
//go:generate go run github.com/purebpf/bpf/cmd/bpfgen Xdp1Pass bpf/xdp1_pass.o
//go:generate go run github.com/purebpf/bpf/cmd/bpfgen Xdp1Hash bpf/xdp1_hash.o
//go:generate go run github.com/purebpf/bpf/cmd/bpfgen Xdp1HashPass bpf/xdp1_hash_pass.o
