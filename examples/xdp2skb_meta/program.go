package main

import (
	"encoding/binary"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
)

// The marks of the tutorial: 42 travels in the metadata, 41 means there
// was none.
const (
	markFromXDP = 42
	markNoMeta  = 41
)

// format is the trace_printk format string of tc_mark.
const format = "[TC] metadata = %d\n\x00"

// asmSpecs builds xdp2skb_meta with Go asm, under the given license.
//
// xdp_mark (XDP) makes room for 4 bytes of metadata in front of the packet
// (bpf_xdp_adjust_meta) and writes 42 there; it returns XDP_ABORTED when
// the driver has no metadata support.
//
// tc_mark (tc ingress) copies the metadata into skb->mark (41 when the
// packet has none) and logs it with bpf_trace_printk.
func asmSpecs(license string) (xdp, tc *bpf.ProgramSpec) {
	xdp = &bpf.ProgramSpec{Name: "_xdp_mark", Section: "xdp_mark", Type: bpf.XDP, License: license, Instructions: asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.Mov.Imm(asm.R2, -4),
		asm.Call(asm.FnXdpAdjustMeta),
		asm.JNE.Imm(asm.R0, 0, "abort"),
		asm.LoadMem(asm.R2, asm.R6, 8, asm.Word), // data_meta (reloaded: the helper moved it)
		asm.LoadMem(asm.R3, asm.R6, 0, asm.Word), // data
		asm.Mov.Reg(asm.R4, asm.R2),
		asm.Add.Imm(asm.R4, 4),
		asm.JGT.Reg(asm.R4, asm.R3, "abort"),
		asm.StoreImm(asm.R2, 0, markFromXDP, asm.Word),
		asm.Mov.Imm(asm.R0, int32(bpf.XDPPass)),
		asm.Return(),
		asm.Mov.Imm(asm.R0, int32(bpf.XDPAborted)).WithSymbol("abort"),
		asm.Return(),
	}}
	insns := asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 76, asm.Word),  // skb->data
		asm.LoadMem(asm.R3, asm.R1, 140, asm.Word), // skb->data_meta
		asm.Mov.Reg(asm.R4, asm.R3),
		asm.Add.Imm(asm.R4, 4),
		asm.JGT.Reg(asm.R4, asm.R2, "nometa"),
		asm.LoadMem(asm.R3, asm.R3, 0, asm.Word),  // meta->mark
		asm.StoreMem(asm.R1, 8, asm.R3, asm.Word), // skb->mark
	}
	// The format string, on the stack in 4-byte pieces.
	fmtBytes := []byte(format)
	for len(fmtBytes)%4 != 0 {
		fmtBytes = append(fmtBytes, 0)
	}
	base := -int16(len(fmtBytes))
	for i := 0; i < len(fmtBytes); i += 4 {
		insns = append(insns, asm.StoreImm(asm.R10, base+int16(i), int64(int32(binary.NativeEndian.Uint32(fmtBytes[i:]))), asm.Word))
	}
	insns = append(insns,
		asm.Mov.Reg(asm.R1, asm.R10),
		asm.Add.Imm(asm.R1, int32(base)),
		asm.Mov.Imm(asm.R2, int32(len(format))),
		asm.Call(asm.FnTracePrintk),
		asm.Mov.Imm(asm.R0, int32(bpf.TCActOK)),
		asm.Return(),
		// A register store: older kernels, 6.1 among them, refuse BPF_ST
		// (the store of an immediate) into the context ("BPF_ST stores
		// into R1 ctx is not allowed"); clang 14 does not emit it either.
		asm.Mov.Imm(asm.R3, markNoMeta).WithSymbol("nometa"),
		asm.StoreMem(asm.R1, 8, asm.R3, asm.Word), // skb->mark
		asm.Mov.Imm(asm.R0, int32(bpf.TCActOK)),
		asm.Return(),
	)
	tc = &bpf.ProgramSpec{Name: "_tc_mark", Section: "tc_mark", Type: bpf.SchedCLS, License: license, Instructions: insns}
	return xdp, tc
}
