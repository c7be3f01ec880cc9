// Package coretest holds the synthetic "other kernel" the CO-RE tests
// relocate elf/testdata/core_kinds.o against (package bpf's tests and the
// differential test against cilium/ebpf in bench/ share it).
package coretest

import (
	"encoding/binary"

	"github.com/purebpf/bpf/internal/btf"
)

// TaskStruct is the type id of struct task_struct in OtherKernel.
const TaskStruct btf.TypeID = 8

// OtherKernel returns the raw BTF (host byte order) of a kernel unlike
// this one: task_struct small and reordered (comm 32 bytes, flags
// signed), core_blob present under a flavoured name (core_blob___v2)
// with its fields moved, its bitfields shifted and "gone" missing,
// sk_buff's pkt_type bitfield elsewhere, xdp_md with two members only,
// xdp_action's values changed.
func OtherKernel() []byte {
	b := btf.NewBuilder()
	u32 := b.Int("unsigned int", 4, 0, 32)
	i32 := b.Int("int", 4, btf.IntSigned, 32)
	u8 := b.Int("unsigned char", 1, 0, 8)
	u64 := b.Int("long long unsigned int", 8, 0, 64)
	char := b.Int("char", 1, btf.IntSigned, 8)
	comm := b.Array(char, u32, 32)
	taskPtr := b.Ref(btf.KindPointer, "", TaskStruct)
	b.Struct(false, "task_struct", 96,
		btf.BuilderMember{Name: "flags", Type: i32, BitOff: 0},
		btf.BuilderMember{Name: "comm", Type: comm, BitOff: 64},
		btf.BuilderMember{Name: "real_parent", Type: taskPtr, BitOff: 320},
		btf.BuilderMember{Name: "pid", Type: i32, BitOff: 384},
	)
	b.Struct(false, "core_blob___v2", 32,
		btf.BuilderMember{Name: "b", Type: u32, BitOff: 0},
		btf.BuilderMember{Name: "a", Type: u32, BitOff: 64},
		btf.BuilderMember{Name: "c", Type: u64, BitOff: 128},
		btf.BuilderMember{Name: "bf_u", Type: u32, BitOff: 200, Bits: 5},
		btf.BuilderMember{Name: "bf_s", Type: i32, BitOff: 213, Bits: 4},
	)
	b.Struct(false, "sk_buff", 16,
		btf.BuilderMember{Name: "len", Type: u32, BitOff: 0},
		btf.BuilderMember{Name: "pkt_type", Type: u8, BitOff: 37, Bits: 3},
	)
	b.Struct(false, "xdp_md", 8, btf.BuilderMember{Name: "data", Type: u32}, btf.BuilderMember{Name: "data_end", Type: u32, BitOff: 32})
	b.Enum("xdp_action", 4, false,
		btf.BuilderEnumValue{Name: "XDP_PASS", Value: 20}, btf.BuilderEnumValue{Name: "XDP_TX", Value: 30},
		btf.BuilderEnumValue{Name: "XDP_REDIRECT", Value: 40})
	return b.Bytes()
}

// OtherBlob lays out a core_blob as OtherKernel says: a = 0x11111111,
// b = 0x22, c = 0x3333333344444444, bf_u = 21, bf_s = -3.
func OtherBlob() []byte {
	blob := make([]byte, 64)
	ne := binary.NativeEndian
	ne.PutUint32(blob[0:], 0x22)
	ne.PutUint32(blob[8:], 0x11111111)
	ne.PutUint64(blob[16:], 0x3333333344444444)
	w := ne.Uint64(blob[24:])
	w |= 21 << (200 - 192)          // bf_u
	w |= uint64(0xd) << (213 - 192) // bf_s: -3 in 4 bits
	ne.PutUint64(blob[24:], w)
	return blob
}
