package main

// Typed bindings of the committed objects (cmd/bpfgen; no clang needed).
//go:generate go run github.com/purebpf/bpf/cmd/bpfgen -program portfilter=XDP Portfilter bpf/portfilter.o
//go:generate go run github.com/purebpf/bpf/cmd/bpfgen -program portfilter=XDP PortfilterICMP bpf/portfilter_icmp.o
