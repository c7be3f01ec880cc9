package main

// Typed bindings of the committed objects (cmd/bpfgen; no clang needed).
//go:generate go run github.com/purebpf/bpf/cmd/bpfgen -program tcpfilter=XDP Tcpfilter bpf/tcpfilter.o
//go:generate go run github.com/purebpf/bpf/cmd/bpfgen -program tcpfilter=XDP TcpfilterICMP bpf/tcpfilter_icmp.o
