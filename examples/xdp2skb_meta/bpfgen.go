package main

// Typed bindings of the committed objects (cmd/bpfgen; no clang needed).
//go:generate go run github.com/purebpf/bpf/cmd/bpfgen Xdp2skbMeta bpf/xdp2skb_meta.o
//go:generate go run github.com/purebpf/bpf/cmd/bpfgen Xdp2skbMetaNonGPL bpf/xdp2skb_meta_nongpl.o
