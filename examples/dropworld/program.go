package main

import (
	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
)

// Spec returns the tutorial's first program, built with Go asm: an XDP
// program that drops every packet (XDP_DROP), or, with pass, the variant
// the tutorial asks readers to try, which passes every packet (XDP_PASS).
//
// The C original is
//
//	int dropworld(struct xdp_md *ctx) { return XDP_DROP; }
func Spec(pass bool) *bpf.ProgramSpec {
	action := bpf.XDPDrop
	if pass {
		action = bpf.XDPPass
	}
	return &bpf.ProgramSpec{
		Name:    "dropworld",
		Type:    bpf.XDP,
		License: "GPL",
		Instructions: asm.Instructions{
			asm.Mov.Imm(asm.R0, int32(action)), // r0 = XDP_DROP (1) or XDP_PASS (2)
			asm.Return(),                       // exit
		},
	}
}
