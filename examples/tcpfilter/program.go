package main

import (
	"encoding/binary"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
)

// IP protocol numbers the filter can pass.
const (
	protoICMP = 1
	protoTCP  = 6
)

// etherTypeIPv4 is ETH_P_IP as a native-endian load of the big-endian
// header field reads it.
var etherTypeIPv4 = int32(binary.NativeEndian.Uint16([]byte{0x08, 0x00}))

// asmSpec builds tcpfilter with Go asm: it passes IPv4 packets of IP
// protocol proto (TCP; ICMP for the tutorial's exercise) and drops
// everything else, ARP and IPv6 included. One bounds check covers the
// Ethernet and IPv4 headers, where clang -O2 emits two.
func asmSpec(proto int32) *bpf.ProgramSpec {
	return &bpf.ProgramSpec{
		Name:    "tcpfilter",
		Type:    bpf.XDP,
		License: "GPL",
		Instructions: asm.Instructions{
			asm.Mov.Imm(asm.R0, int32(bpf.XDPDrop)),
			asm.LoadMem(asm.R2, asm.R1, 4, asm.Word), // r2 = ctx->data_end
			asm.LoadMem(asm.R1, asm.R1, 0, asm.Word), // r1 = ctx->data
			asm.Mov.Reg(asm.R3, asm.R1),
			asm.Add.Imm(asm.R3, 14+20), // Ethernet + IPv4 header
			asm.JGT.Reg(asm.R3, asm.R2, "out"),
			asm.LoadMem(asm.R3, asm.R1, 12, asm.Half), // h_proto
			asm.JNE.Imm(asm.R3, etherTypeIPv4, "out"),
			asm.LoadMem(asm.R3, asm.R1, 14+9, asm.Byte), // iph->protocol
			asm.JNE.Imm(asm.R3, proto, "out"),
			asm.Mov.Imm(asm.R0, int32(bpf.XDPPass)),
			asm.Return().WithSymbol("out"),
		},
	}
}
