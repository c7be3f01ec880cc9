package asm_test

import (
	"encoding/binary"
	"fmt"

	"github.com/purebpf/bpf/asm"
)

// An XDP program that passes TCP over IPv4 and drops everything else,
// built like assembly, encoded and disassembled as bpftool shows it.
func Example_xdpPassTCP() {
	const (
		xdpDrop = 1
		xdpPass = 2
	)
	insns := asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word), // r2 = ctx->data
		asm.LoadMem(asm.R3, asm.R1, 4, asm.Word), // r3 = ctx->data_end
		asm.Mov.Imm(asm.R0, xdpDrop),
		asm.Mov.Reg(asm.R4, asm.R2),
		asm.Add.Imm(asm.R4, 14+20), // Ethernet and IPv4 headers
		asm.JGT.Reg(asm.R4, asm.R3, "out"),
		asm.LoadMem(asm.R4, asm.R2, 12, asm.Half), // EtherType
		asm.HostTo(asm.BE, asm.R4, asm.Half),
		asm.JNE.Imm(asm.R4, 0x0800, "out"),        // not IPv4
		asm.LoadMem(asm.R4, asm.R2, 23, asm.Byte), // IPv4 protocol
		asm.JNE.Imm(asm.R4, 6, "out"),             // not TCP
		asm.Mov.Imm(asm.R0, xdpPass),
		asm.Return().WithSymbol("out"),
	}
	b, err := insns.Encode(binary.LittleEndian)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d bytes\n", len(b))
	fmt.Print(insns)
	// Output:
	// 104 bytes
	//    0: (61) r2 = *(u32 *)(r1 +0)
	//    1: (61) r3 = *(u32 *)(r1 +4)
	//    2: (b7) r0 = 1
	//    3: (bf) r4 = r2
	//    4: (07) r4 += 34
	//    5: (2d) if r4 > r3 goto pc+6
	//    6: (69) r4 = *(u16 *)(r2 +12)
	//    7: (dc) r4 = be16 r4
	//    8: (55) if r4 != 0x800 goto pc+3
	//    9: (71) r4 = *(u8 *)(r2 +23)
	//   10: (55) if r4 != 0x6 goto pc+1
	//   11: (b7) r0 = 2
	//   12: (95) exit
}

// Decoding raw instructions, for example from an ELF section or from
// BPF_OBJ_GET_INFO_BY_FD, and printing them.
func ExampleDecode() {
	raw := []byte{
		0x18, 0x11, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // r1 = map[id:5]
		0x85, 0x00, 0, 0, 1, 0, 0, 0, // call bpf_map_lookup_elem#1
		0x95, 0x00, 0, 0, 0, 0, 0, 0, // exit
	}
	insns, err := asm.Decode(raw, binary.LittleEndian)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(insns)
	fmt.Println(insns[0].IsLoadFromMap(), insns[0].MapFD(), insns[1].IsBuiltinCall())
	// Output:
	//    0: (18) r1 = map[id:5]
	//    2: (85) call bpf_map_lookup_elem#1
	//    3: (95) exit
	// true 5 true
}
