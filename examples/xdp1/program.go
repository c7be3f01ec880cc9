package main

import (
	"encoding/binary"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/maps"
)

// EtherTypes as native-endian loads of the big-endian header field read
// them.
var (
	ethIPv4   = etherType(0x0800)
	ethIPv6   = etherType(0x86dd)
	eth8021Q  = etherType(0x8100)
	eth8021AD = etherType(0x88a8)
)

func etherType(v uint16) int32 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return int32(binary.NativeEndian.Uint16(b[:]))
}

// mapSpec is rxcnt: one 8-byte counter per IP protocol and CPU, in a
// per-CPU array of 256 entries, or (hash) a per-CPU hash (the tutorial's
// exercise).
func mapSpec(hash bool) *maps.Spec {
	typ := maps.PerCPUArray
	if hash {
		typ = maps.PerCPUHash
	}
	return &maps.Spec{Name: "rxcnt", Type: typ, KeySize: 4, ValueSize: 8, MaxEntries: 256}
}

// asmSpec builds xdp1 with Go asm, doing what the kernel sample's
// xdp1_kern.c does: skip up to two VLAN tags (802.1Q or 802.1ad), take the
// IP protocol of IPv4 or the next header of IPv6 (0 for anything else or a
// truncated header), add one to rxcnt[protocol] and drop the packet (pass
// it, with pass). A frame too short for its Ethernet or VLAN headers is
// dropped uncounted. With hash, rxcnt is a hash map and a missing counter
// is created.
func asmSpec(hash, pass bool) *bpf.ProgramSpec {
	verdict := bpf.XDPDrop
	if pass {
		verdict = bpf.XDPPass
	}
	insns := asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 4, asm.Word), // r2 = data_end
		asm.LoadMem(asm.R1, asm.R1, 0, asm.Word), // r1 = data
		asm.Mov.Reg(asm.R3, asm.R1),
		asm.Add.Imm(asm.R3, 14),
		asm.JGT.Reg(asm.R3, asm.R2, "out"),
		asm.LoadMem(asm.R4, asm.R1, 12, asm.Half), // r4 = h_proto
		asm.Mov.Imm(asm.R5, 14),                   // r5 = nh_off
	}
	for i, label := range []string{"vlan1", "vlan2"} {
		off := int32(14 + 4*(i+1))
		insns = append(insns,
			asm.JEq.Imm(asm.R4, eth8021Q, label),
			asm.JNE.Imm(asm.R4, eth8021AD, "l3"),
			asm.Mov.Reg(asm.R3, asm.R1).WithSymbol(label),
			asm.Add.Imm(asm.R3, off),
			asm.JGT.Reg(asm.R3, asm.R2, "out"),
			asm.LoadMem(asm.R4, asm.R1, int16(off-2), asm.Half), // h_vlan_encapsulated_proto
			asm.Mov.Imm(asm.R5, off),
		)
	}
	insns = append(insns,
		asm.Mov.Imm(asm.R0, 0).WithSymbol("l3"), // ipproto = 0
		asm.Add.Reg(asm.R1, asm.R5),             // r1 = network header
		asm.JEq.Imm(asm.R4, ethIPv4, "ipv4"),
		asm.JNE.Imm(asm.R4, ethIPv6, "count"),
		asm.Mov.Reg(asm.R3, asm.R1),
		asm.Add.Imm(asm.R3, 40),
		asm.JGT.Reg(asm.R3, asm.R2, "count"),
		asm.LoadMem(asm.R0, asm.R1, 6, asm.Byte), // ip6h->nexthdr
		asm.Ja("count"),
		asm.Mov.Reg(asm.R3, asm.R1).WithSymbol("ipv4"),
		asm.Add.Imm(asm.R3, 20),
		asm.JGT.Reg(asm.R3, asm.R2, "count"),
		asm.LoadMem(asm.R0, asm.R1, 9, asm.Byte), // iph->protocol
		asm.StoreMem(asm.R10, -4, asm.R0, asm.Word).WithSymbol("count"),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -4),
		asm.LoadMapPtr(asm.R1, "rxcnt"),
		asm.Call(asm.FnMapLookupElem),
	)
	if hash {
		insns = append(insns,
			asm.JNE.Imm(asm.R0, 0, "inc"),
			asm.StoreImm(asm.R10, -16, 1, asm.DWord), // one
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -4),
			asm.Mov.Reg(asm.R3, asm.R10),
			asm.Add.Imm(asm.R3, -16),
			asm.Mov.Imm(asm.R4, 1), // BPF_NOEXIST
			asm.LoadMapPtr(asm.R1, "rxcnt"),
			asm.Call(asm.FnMapUpdateElem),
			asm.Ja("out"),
		)
	} else {
		insns = append(insns, asm.JEq.Imm(asm.R0, 0, "out"))
	}
	insns = append(insns,
		asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord).WithSymbol("inc"),
		asm.Add.Imm(asm.R1, 1),
		asm.StoreMem(asm.R0, 0, asm.R1, asm.DWord),
		asm.Mov.Imm(asm.R0, int32(verdict)).WithSymbol("out"),
		asm.Return(),
	)
	return &bpf.ProgramSpec{Name: "xdp_prog1", Section: "xdp", Type: bpf.XDP, License: "GPL", Instructions: insns}
}
