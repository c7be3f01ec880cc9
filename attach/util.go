package attach

import "github.com/purebpf/bpf"

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// fdOrNeg returns the program's descriptor, or -1 for nil.
func fdOrNeg(p *bpf.Program) int {
	if p == nil {
		return -1
	}
	return p.FD()
}
