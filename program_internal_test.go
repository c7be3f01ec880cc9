package bpf

import "testing"

func TestProgramString(t *testing.T) {
	p := &Program{name: "xdp_prog1", typ: XDP}
	if got, want := p.String(), "xdp program xdp_prog1 (fd -1)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
