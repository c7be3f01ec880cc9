// Package xdpcount is the generated binding of examples/xdp1's clang
// object (which bpfgen copies here as xdp1_bpfel.o for //go:embed): the
// program xdp_prog1 and its per-CPU counters rxcnt, by IP protocol.
package xdpcount

//go:generate go run github.com/purebpf/bpf/cmd/bpfgen -package xdpcount Xdp1 ../../../xdp1/bpf/xdp1.o
