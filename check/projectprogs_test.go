package check

import (
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
)

// projectPrograms are the programs of the project's examples and tests
// (copied: examples are package main and tests are other packages' test
// files), plus realistic programs in the style of the tutorial (xdp1).
// Keep them in sync when examples are added.
func projectPrograms() []genProg {
	ret := func(name string, v int32) genProg {
		return genProg{name: name, class: "project", typ: kernel.XDP, license: "GPL",
			insns: asm.Instructions{asm.Mov.Imm(asm.R0, v), asm.Return()}}
	}
	return []genProg{
		ret("dropworld", 1),
		ret("dropworld_pass", 2),
		{name: "uninit_register", class: "project", typ: kernel.XDP, license: "GPL",
			insns: asm.Instructions{asm.Mov.Reg(asm.R0, asm.R2), asm.Return()}},
		{name: "no_return_value", class: "project", typ: kernel.XDP, license: "GPL",
			insns: asm.Instructions{asm.Mov.Imm(asm.R1, 1), asm.Return()}},
		{name: "packet_unchecked", class: "project", typ: kernel.XDP, license: "GPL", insns: asm.Instructions{
			asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
			asm.LoadMem(asm.R0, asm.R2, 0, asm.Byte),
			asm.Mov.Imm(asm.R0, 2),
			asm.Return(),
		}},
		{name: "bad_ctx", class: "project", typ: kernel.XDP, license: "GPL", insns: asm.Instructions{
			asm.LoadMem(asm.R0, asm.R1, 64, asm.Word), asm.Return()}},
		{name: "helper_not_allowed", class: "project", typ: kernel.XDP, license: "GPL", insns: asm.Instructions{
			asm.Call(asm.FnSkbLoadBytesRelative), asm.Mov.Imm(asm.R0, 2), asm.Return()}},
		{name: "gpl_printk", class: "project", typ: kernel.XDP, license: "Proprietary", insns: asm.Instructions{
			asm.Mov.Imm(asm.R1, 0), asm.LoadImm64(asm.R2, 0), asm.Call(asm.FnTracePrintk), asm.Mov.Imm(asm.R0, 2), asm.Return()}},
		{name: "lookup_no_null_check", class: "project", typ: kernel.XDP, license: "GPL", insns: asm.Instructions{
			asm.StoreImm(asm.R10, -4, 0, asm.Word),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -4),
			asm.LoadMapPtr(asm.R1, "hash"),
			asm.Call(asm.FnMapLookupElem),
			asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
			asm.Mov.Imm(asm.R0, 2),
			asm.Return(),
		}},
		{name: "mark", class: "project", typ: kernel.SchedCLS, license: "GPL", insns: asm.Instructions{
			asm.LoadMem(asm.R2, asm.R1, 8, asm.Word),
			asm.Add.Imm(asm.R2, 1),
			asm.StoreMem(asm.R1, 8, asm.R2, asm.Word),
			asm.StoreImm(asm.R1, 32, 7, asm.Word),
			asm.Mov.Imm(asm.R0, 2),
			asm.Return(),
		}},
		{name: "len", class: "project", typ: kernel.SocketFilter, license: "GPL", insns: asm.Instructions{
			asm.LoadMem(asm.R0, asm.R1, 0, asm.Word), asm.Return()}},
		{name: "meta", class: "project", typ: kernel.XDP, license: "GPL", insns: asm.Instructions{
			asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
			asm.LoadMem(asm.R3, asm.R1, 8, asm.Word),
			asm.Mov.Reg(asm.R0, asm.R2),
			asm.Sub.Reg(asm.R0, asm.R3),
			asm.Return(),
		}},
		{name: "rewrite", class: "project", typ: kernel.XDP, license: "GPL", insns: asm.Instructions{
			asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
			asm.LoadMem(asm.R3, asm.R1, 4, asm.Word),
			asm.Mov.Reg(asm.R4, asm.R2),
			asm.Add.Imm(asm.R4, 15),
			asm.Mov.Imm(asm.R0, 0),
			asm.JGT.Reg(asm.R4, asm.R3, "out"),
			asm.StoreImm(asm.R2, 0, 0xee, asm.Byte),
			asm.Mov.Imm(asm.R0, 3),
			asm.Return().WithSymbol("out"),
		}},
		{name: "xdp1", class: "project", typ: kernel.XDP, license: "GPL", insns: xdp1()},
		{name: "tc_counter", class: "project", typ: kernel.SchedCLS, license: "GPL", insns: tcCounter()},
	}
}

// xdp1 is the tutorial's xdp1 in assembly: parse Ethernet and IPv4, count
// packets per IP protocol in a per-CPU array (here "array", 16-byte values)
// and drop.
func xdp1() asm.Instructions {
	return asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word), // data
		asm.LoadMem(asm.R3, asm.R1, 4, asm.Word), // data_end
		asm.Mov.Imm(asm.R0, 1),                   // XDP_DROP
		asm.Mov.Reg(asm.R4, asm.R2),
		asm.Add.Imm(asm.R4, 14),
		asm.JGT.Reg(asm.R4, asm.R3, "out"),
		asm.LoadMem(asm.R5, asm.R2, 12, asm.Half), // h_proto
		asm.JNE.Imm(asm.R5, 0x0008, "out"),        // ETH_P_IP, network order
		asm.Mov.Reg(asm.R4, asm.R2),
		asm.Add.Imm(asm.R4, 34),
		asm.JGT.Reg(asm.R4, asm.R3, "out"),
		asm.LoadMem(asm.R5, asm.R2, 23, asm.Byte), // iph->protocol
		asm.And.Imm(asm.R5, 3),
		asm.StoreMem(asm.R10, -4, asm.R5, asm.Word),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -4),
		asm.LoadMapPtr(asm.R1, "array"),
		asm.Call(asm.FnMapLookupElem),
		asm.JEq.Imm(asm.R0, 0, "drop"),
		asm.Mov.Imm(asm.R1, 1),
		asm.AtomicAdd(asm.R0, 0, asm.R1, asm.DWord),
		asm.Mov.Imm(asm.R0, 1).WithSymbol("drop"),
		asm.Return().WithSymbol("out"),
	}
}

// tcCounter counts bytes per skb->mark bucket in a hash map, creating the
// entry when missing, and passes the packet.
func tcCounter() asm.Instructions {
	return asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.LoadMem(asm.R7, asm.R6, 0, asm.Word), // skb->len
		asm.LoadMem(asm.R1, asm.R6, 8, asm.Word), // skb->mark
		asm.And.Imm(asm.R1, 15),
		asm.StoreMem(asm.R10, -4, asm.R1, asm.Word),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -4),
		asm.LoadMapPtr(asm.R1, "hash"),
		asm.Call(asm.FnMapLookupElem),
		asm.JEq.Imm(asm.R0, 0, "create"),
		asm.AtomicAdd(asm.R0, 0, asm.R7, asm.DWord),
		asm.Mov.Imm(asm.R1, 1),
		asm.AtomicAdd(asm.R0, 8, asm.R1, asm.DWord),
		asm.Ja("out"),
		asm.StoreMem(asm.R10, -24, asm.R7, asm.DWord).WithSymbol("create"),
		asm.StoreImm(asm.R10, -16, 1, asm.DWord),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -4),
		asm.Mov.Reg(asm.R3, asm.R10),
		asm.Add.Imm(asm.R3, -24),
		asm.Mov.Imm(asm.R4, 0),
		asm.LoadMapPtr(asm.R1, "hash"),
		asm.Call(asm.FnMapUpdateElem),
		asm.Mov.Imm(asm.R0, 0).WithSymbol("out"),
		asm.Return(),
	}
}
