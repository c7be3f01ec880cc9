package main

import (
	"encoding/binary"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
)

// Header fields as native-endian loads of big-endian packet bytes read
// them.
var (
	etherTypeIPv4 = int32(binary.NativeEndian.Uint16([]byte{0x08, 0x00}))
	port80        = int32(binary.NativeEndian.Uint16([]byte{0x00, 80}))
)

// asmSpec builds portfilter with Go asm: an XDP program in section
// "filter" (the tutorial loads it with `ip link set dev X xdp obj
// portfilter.o sec filter`) that drops IPv4 TCP segments from or to port
// 80 and passes everything else; with dropICMP (the tutorial's exercise)
// it drops IPv4 ICMP too. The TCP header is found through the IPv4 header
// length, so IP options are handled.
func asmSpec(dropICMP bool) *bpf.ProgramSpec {
	insns := asm.Instructions{
		asm.Mov.Imm(asm.R0, int32(bpf.XDPPass)),
		asm.LoadMem(asm.R2, asm.R1, 4, asm.Word), // r2 = ctx->data_end
		asm.LoadMem(asm.R1, asm.R1, 0, asm.Word), // r1 = ctx->data
		asm.Mov.Reg(asm.R3, asm.R1),
		asm.Add.Imm(asm.R3, 14+20), // Ethernet + IPv4 header
		asm.JGT.Reg(asm.R3, asm.R2, "out"),
		asm.LoadMem(asm.R3, asm.R1, 12, asm.Half), // h_proto
		asm.JNE.Imm(asm.R3, etherTypeIPv4, "out"),
		asm.LoadMem(asm.R3, asm.R1, 14+9, asm.Byte), // iph->protocol
	}
	if dropICMP {
		insns = append(insns, asm.JEq.Imm(asm.R3, 1, "drop"))
	}
	insns = append(insns,
		asm.JNE.Imm(asm.R3, 6, "out"),
		asm.LoadMem(asm.R3, asm.R1, 14, asm.Byte), // version and ihl
		asm.And.Imm(asm.R3, 0x0f),
		asm.LSh.Imm(asm.R3, 2), // ihl * 4
		asm.Add.Reg(asm.R1, asm.R3),
		asm.Mov.Reg(asm.R3, asm.R1),
		asm.Add.Imm(asm.R3, 14+4), // both ports
		asm.JGT.Reg(asm.R3, asm.R2, "out"),
		asm.LoadMem(asm.R3, asm.R1, 14, asm.Half), // source port
		asm.JEq.Imm(asm.R3, port80, "drop"),
		asm.LoadMem(asm.R3, asm.R1, 16, asm.Half), // destination port
		asm.JNE.Imm(asm.R3, port80, "out"),
		asm.Mov.Imm(asm.R0, int32(bpf.XDPDrop)).WithSymbol("drop"),
		asm.Return().WithSymbol("out"),
	)
	return &bpf.ProgramSpec{Name: "portfilter", Section: "filter", Type: bpf.XDP, License: "GPL", Instructions: insns}
}
