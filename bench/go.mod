module github.com/purebpf/bpf/bench

go 1.26.0

replace github.com/purebpf/bpf => ../

require (
	github.com/cilium/ebpf v0.22.0
	github.com/purebpf/bpf v0.0.0-00010101000000-000000000000
)

require golang.org/x/sys v0.50.0
