module github.com/purebpf/bpf/bench

go 1.26.0

replace github.com/purebpf/bpf => ../

require (
	github.com/cilium/ebpf v0.22.0
	github.com/purebpf/bpf v0.0.0-00010101000000-000000000000
)

require golang.org/x/sys v0.50.0

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/mdlayher/netlink v1.11.2 // indirect
	github.com/mdlayher/socket v0.6.0 // indirect
	golang.org/x/net v0.53.0 // indirect
	golang.org/x/sync v0.20.0 // indirect
)
