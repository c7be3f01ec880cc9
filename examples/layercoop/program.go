package main

import (
	"encoding/binary"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/maps"
)

var etherTypeIPv4 = int32(binary.NativeEndian.Uint16([]byte{0x08, 0x00}))

// flowKey is the map's key: the IPv4 source and destination addresses as
// they are in the packet (network byte order).
type flowKey struct {
	Saddr, Daddr [4]byte
}

// flowCounters is the map's value.
type flowCounters struct {
	Packets, Bytes uint64
}

// mapSpec is "flows", the hash map both programs count into.
func mapSpec() *maps.Spec {
	return &maps.Spec{Name: "flows", Type: maps.Hash, KeySize: 8, ValueSize: 16, MaxEntries: 1024}
}

// count emits the body both programs share, with r1 = data, r2 = data_end
// and r3 = the packet's length: for IPv4 packets, add one packet and r3
// bytes to flows[{saddr, daddr}], creating the entry when it is missing.
// It ends at label "out".
func count() asm.Instructions {
	return asm.Instructions{
		asm.Mov.Reg(asm.R4, asm.R1),
		asm.Add.Imm(asm.R4, 14+20),
		asm.JGT.Reg(asm.R4, asm.R2, "out"),
		asm.LoadMem(asm.R4, asm.R1, 12, asm.Half),
		asm.JNE.Imm(asm.R4, etherTypeIPv4, "out"),
		asm.LoadMem(asm.R4, asm.R1, 14+12, asm.Word), // saddr
		asm.StoreMem(asm.R10, -8, asm.R4, asm.Word),
		asm.LoadMem(asm.R4, asm.R1, 14+16, asm.Word), // daddr
		asm.StoreMem(asm.R10, -4, asm.R4, asm.Word),
		asm.Mov.Reg(asm.R6, asm.R3), // keep the length across the call
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -8),
		asm.LoadMapPtr(asm.R1, "flows"),
		asm.Call(asm.FnMapLookupElem),
		asm.JEq.Imm(asm.R0, 0, "insert"),
		asm.Mov.Imm(asm.R1, 1),
		asm.AtomicAdd(asm.R0, 0, asm.R1, asm.DWord), // packets
		asm.AtomicAdd(asm.R0, 8, asm.R6, asm.DWord), // bytes
		asm.Ja("out"),
		asm.StoreImm(asm.R10, -24, 1, asm.DWord).WithSymbol("insert"),
		asm.StoreMem(asm.R10, -16, asm.R6, asm.DWord),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -8),
		asm.Mov.Reg(asm.R3, asm.R10),
		asm.Add.Imm(asm.R3, -24),
		asm.Mov.Imm(asm.R4, 1), // BPF_NOEXIST
		asm.LoadMapPtr(asm.R1, "flows"),
		asm.Call(asm.FnMapUpdateElem),
	}
}

// asmSpecs builds layercoop with Go asm: layercoop_rx (XDP, section rx)
// counts what arrives, layercoop_tx (tc, section tx) what leaves; both
// pass every packet.
func asmSpecs() (rx, tx *bpf.ProgramSpec) {
	rxInsns := asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 4, asm.Word), // data_end
		asm.LoadMem(asm.R1, asm.R1, 0, asm.Word), // data
		asm.Mov.Reg(asm.R3, asm.R2),
		asm.Sub.Reg(asm.R3, asm.R1), // length
	}
	rxInsns = append(rxInsns, count()...)
	rxInsns = append(rxInsns, asm.Mov.Imm(asm.R0, int32(bpf.XDPPass)).WithSymbol("out"), asm.Return())
	txInsns := asm.Instructions{
		asm.LoadMem(asm.R3, asm.R1, 0, asm.Word),  // skb->len
		asm.LoadMem(asm.R2, asm.R1, 80, asm.Word), // skb->data_end
		asm.LoadMem(asm.R1, asm.R1, 76, asm.Word), // skb->data
	}
	txInsns = append(txInsns, count()...)
	txInsns = append(txInsns, asm.Mov.Imm(asm.R0, int32(bpf.TCActOK)).WithSymbol("out"), asm.Return())
	rx = &bpf.ProgramSpec{Name: "layercoop_rx", Section: "rx", Type: bpf.XDP, License: "GPL", Instructions: rxInsns}
	tx = &bpf.ProgramSpec{Name: "layercoop_tx", Section: "tx", Type: bpf.SchedCLS, License: "GPL", Instructions: txInsns}
	return rx, tx
}
