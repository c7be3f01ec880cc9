package bench

import (
	_ "github.com/cilium/ebpf"
	_ "github.com/purebpf/bpf/internal/sys"
)
