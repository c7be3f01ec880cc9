package asm

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
)

// raw clears the label of a jump or call builder and sets its numeric
// target, so it can be encoded on its own.
func raw(ins Instruction, off int) Instruction {
	ins = ins.WithReference("")
	if ins.isLongJump() || ins.IsFunctionCall() || ins.IsLoadOfFunctionPointer() {
		ins.Constant = int64(off)
	} else {
		ins.Offset = int16(off)
	}
	return ins
}

func mapFD(ins Instruction, fd int) Instruction {
	ins.SetMapFD(fd)
	return ins
}

// forms lists every instruction form with its little-endian encoding and
// its bpftool "prog dump xlated" text.
var forms = []struct {
	ins  Instruction
	hex  string
	text string
}{
	// ALU64 / ALU with immediate and register operands.
	{Mov.Imm(R0, 2), "b700000002000000", "r0 = 2"},
	{Mov.Imm32(R0, -1), "b4000000ffffffff", "w0 = -1"},
	{Mov.Reg(R1, R6), "bf61000000000000", "r1 = r6"},
	{Mov.Reg32(R0, R1), "bc10000000000000", "w0 = w1"},
	{Add.Imm(R1, 14), "070100000e000000", "r1 += 14"},
	{Add.Reg(R1, R2), "0f21000000000000", "r1 += r2"},
	{Add.Imm32(R1, -4), "04010000fcffffff", "w1 += -4"},
	{Sub.Reg32(R3, R4), "1c43000000000000", "w3 -= w4"},
	{Sub.Imm(R3, 1), "1703000001000000", "r3 -= 1"},
	{Mul.Imm(R2, 3), "2702000003000000", "r2 *= 3"},
	{Mul.Reg32(R2, R9), "2c92000000000000", "w2 *= w9"},
	{Div.Imm(R2, 3), "3702000003000000", "r2 /= 3"},
	{Div.Reg32(R2, R3), "3c32000000000000", "w2 /= w3"},
	{SDiv.Imm(R2, -3), "37020100fdffffff", "r2 s/= -3"},
	{SDiv.Reg(R2, R3), "3f32010000000000", "r2 s/= r3"},
	{SDiv.Reg32(R2, R3), "3c32010000000000", "w2 s/= w3"},
	{Or.Imm(R1, 1), "4701000001000000", "r1 |= 1"},
	{Or.Reg32(R1, R2), "4c21000000000000", "w1 |= w2"},
	{And.Imm32(R1, 255), "54010000ff000000", "w1 &= 255"},
	{And.Reg(R1, R2), "5f21000000000000", "r1 &= r2"},
	{LSh.Imm(R1, 32), "6701000020000000", "r1 <<= 32"},
	{LSh.Reg32(R1, R2), "6c21000000000000", "w1 <<= w2"},
	{RSh.Reg(R1, R2), "7f21000000000000", "r1 >>= r2"},
	{RSh.Imm32(R1, 8), "7401000008000000", "w1 >>= 8"},
	{Neg.Imm(R1, 0), "8701000000000000", "r1 = -r1"},
	{Neg.Imm32(R1, 0), "8401000000000000", "w1 = -w1"},
	{Mod.Reg(R1, R2), "9f21000000000000", "r1 %= r2"},
	{Mod.Imm32(R1, 10), "940100000a000000", "w1 %= 10"},
	{SMod.Imm32(R1, 7), "9401010007000000", "w1 s%= 7"},
	{SMod.Reg(R1, R2), "9f21010000000000", "r1 s%= r2"},
	{Xor.Reg(R0, R0), "af00000000000000", "r0 ^= r0"},
	{Xor.Imm32(R0, 1), "a400000001000000", "w0 ^= 1"},
	{ArSh.Imm(R1, 3), "c701000003000000", "r1 s>>= 3"},
	{ArSh.Reg32(R1, R2), "cc21000000000000", "w1 s>>= w2"},
	{MovSX8.Reg(R1, R2), "bf21080000000000", "r1 = (s8)r2"},
	{MovSX16.Reg(R1, R2), "bf21100000000000", "r1 = (s16)r2"},
	{MovSX32.Reg(R1, R2), "bf21200000000000", "r1 = (s32)r2"},
	{MovSX8.Reg32(R1, R2), "bc21080000000000", "w1 = (s8)w2"},
	{MovSX16.Reg32(R1, R2), "bc21100000000000", "w1 = (s16)w2"},
	// Byte swaps.
	{HostTo(BE, R1, Half), "dc01000010000000", "r1 = be16 r1"},
	{HostTo(LE, R1, Word), "d401000020000000", "r1 = le32 r1"},
	{HostTo(BE, R1, DWord), "dc01000040000000", "r1 = be64 r1"},
	{Swap(R1, Half), "d701000010000000", "r1 = bswap16 r1"},
	{Swap(R2, Word), "d702000020000000", "r2 = bswap32 r2"},
	{Swap(R2, DWord), "d702000040000000", "r2 = bswap64 r2"},
	// LD_IMM64 with every source.
	{LoadImm64(R1, 0x1122334455667788), "1801000088776655" + "0000000044332211", "r1 = 0x1122334455667788"},
	{LoadImm64(R1, -1), "18010000ffffffff" + "00000000ffffffff", "r1 = 0xffffffffffffffff"},
	{LoadImm64(R9, 0), "1809000000000000" + "0000000000000000", "r9 = 0x0"},
	{mapFD(LoadMapPtr(R1, "counts"), 5), "1811000005000000" + "0000000000000000", "r1 = map[id:5]"},
	{mapFD(LoadMapValue(R1, ".data", 8), 5), "1821000005000000" + "0000000008000000", "r1 = map[id:5][0]+8"},
	{LoadBTFID(R2, 77), "183200004d000000" + "0000000000000000", "r2 = 0x4d"},
	{raw(LoadFuncPtr(R2, "cb"), 3), "1842000003000000" + "0000000000000000", "r2 = subprog[+3]"},
	{LoadMapIdx(R1, 3), "1851000003000000" + "0000000000000000", "r1 = map[idx:3]"},
	{LoadMapIdxValue(R1, 3, 16), "1861000003000000" + "0000000010000000", "r1 = map[idx:3]+16"},
	// Legacy packet loads.
	{LoadAbs(12, Half), "280000000c000000", "r0 = *(u16 *)skb[12]"},
	{LoadAbs(0, Word), "2000000000000000", "r0 = *(u32 *)skb[0]"},
	{LoadAbs(23, Byte), "3000000017000000", "r0 = *(u8 *)skb[23]"},
	{LoadInd(R7, 14, Byte), "507000000e000000", "r0 = *(u8 *)skb[r7 + 14]"},
	{LoadInd(R7, 2, Half), "4870000002000000", "r0 = *(u16 *)skb[r7 + 2]"},
	{LoadInd(R7, 0, Word), "4070000000000000", "r0 = *(u32 *)skb[r7 + 0]"},
	// Loads and stores.
	{LoadMem(R1, R1, 4, Word), "6111040000000000", "r1 = *(u32 *)(r1 +4)"},
	{LoadMem(R2, R1, 0, DWord), "7912000000000000", "r2 = *(u64 *)(r1 +0)"},
	{LoadMem(R3, R10, -8, Byte), "71a3f8ff00000000", "r3 = *(u8 *)(r10 -8)"},
	{LoadMem(R3, R2, 12, Half), "69230c0000000000", "r3 = *(u16 *)(r2 +12)"},
	{LoadMemSX(R1, R2, 2, Byte), "9121020000000000", "r1 = *(s8 *)(r2 +2)"},
	{LoadMemSX(R1, R2, 2, Half), "8921020000000000", "r1 = *(s16 *)(r2 +2)"},
	{LoadMemSX(R1, R2, -2, Word), "8121feff00000000", "r1 = *(s32 *)(r2 -2)"},
	{StoreMem(R10, -8, R1, DWord), "7b1af8ff00000000", "*(u64 *)(r10 -8) = r1"},
	{StoreMem(R10, -4, R1, Word), "631afcff00000000", "*(u32 *)(r10 -4) = r1"},
	{StoreMem(R2, 6, R3, Half), "6b32060000000000", "*(u16 *)(r2 +6) = r3"},
	{StoreMem(R2, 0, R3, Byte), "7332000000000000", "*(u8 *)(r2 +0) = r3"},
	{StoreImm(R10, -4, 0, Word), "620afcff00000000", "*(u32 *)(r10 -4) = 0"},
	{StoreImm(R1, 2, -1, DWord), "7a010200ffffffff", "*(u64 *)(r1 +2) = -1"},
	{StoreImm(R1, 1, 7, Byte), "7201010007000000", "*(u8 *)(r1 +1) = 7"},
	{StoreImm(R1, 2, 0x800, Half), "6a01020000080000", "*(u16 *)(r1 +2) = 2048"},
	// Atomics.
	{AtomicAdd(R1, 0, R2, DWord), "db21000000000000", "lock *(u64 *)(r1 +0) += r2"},
	{AtomicAdd(R1, -8, R2, Word), "c321f8ff00000000", "lock *(u32 *)(r1 -8) += r2"},
	{AtomicAnd(R1, 8, R2, DWord), "db21080050000000", "lock *(u64 *)(r1 +8) &= r2"},
	{AtomicOr(R1, 8, R2, Word), "c321080040000000", "lock *(u32 *)(r1 +8) |= r2"},
	{AtomicXor(R1, 8, R2, DWord), "db210800a0000000", "lock *(u64 *)(r1 +8) ^= r2"},
	{AtomicFetchAdd(R1, 8, R2, DWord), "db21080001000000", "r2 = atomic64_fetch_add((u64 *)(r1 +8), r2)"},
	{AtomicFetchAnd(R1, 8, R2, Word), "c321080051000000", "r2 = atomic_fetch_and((u32 *)(r1 +8), r2)"},
	{AtomicFetchOr(R1, 8, R2, DWord), "db21080041000000", "r2 = atomic64_fetch_or((u64 *)(r1 +8), r2)"},
	{AtomicFetchXor(R1, 8, R2, Word), "c3210800a1000000", "r2 = atomic_fetch_xor((u32 *)(r1 +8), r2)"},
	{AtomicXchg(R1, 0, R3, DWord), "db310000e1000000", "r3 = atomic64_xchg((u64 *)(r1 +0), r3)"},
	{AtomicCmpXchg(R1, 0, R3, Word), "c3310000f1000000", "r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r3)"},
	{AtomicCmpXchg(R1, 16, R3, DWord), "db311000f1000000", "r0 = atomic64_cmpxchg((u64 *)(r1 +16), r0, r3)"},
	{LoadAcquire(R0, R1, 4, Byte), "d310040000010000", "r0 = load_acquire((u8 *)(r1 +4))"},
	{LoadAcquire(R0, R1, 4, DWord), "db10040000010000", "r0 = load_acquire((u64 *)(r1 +4))"},
	{StoreRelease(R1, 4, R2, Half), "cb21040010010000", "store_release((u16 *)(r1 +4), r2)"},
	{StoreRelease(R1, 0, R2, Word), "c321000010010000", "store_release((u32 *)(r1 +0), r2)"},
	// Jumps.
	{raw(JNE.Imm(R1, 6, "l"), 3), "5501030006000000", "if r1 != 0x6 goto pc+3"},
	{raw(JEq.Imm(R1, -1, "l"), 1), "15010100ffffffff", "if r1 == 0xffffffff goto pc+1"},
	{raw(JEq.Reg32(R1, R2, "l"), 1), "1e21010000000000", "if w1 == w2 goto pc+1"},
	{raw(JGT.Reg(R1, R2, "l"), -2), "2d21feff00000000", "if r1 > r2 goto pc-2"},
	{raw(JGT.Imm32(R1, 9, "l"), 0), "2601000009000000", "if w1 > 0x9 goto pc+0"},
	{raw(JGE.Imm32(R1, 5, "l"), 0), "3601000005000000", "if w1 >= 0x5 goto pc+0"},
	{raw(JGE.Reg(R1, R2, "l"), 0), "3d21000000000000", "if r1 >= r2 goto pc+0"},
	{raw(JSet.Reg32(R1, R2, "l"), 1), "4e21010000000000", "if w1 & w2 goto pc+1"},
	{raw(JSet.Imm(R1, 0x10, "l"), 1), "4501010010000000", "if r1 & 0x10 goto pc+1"},
	{raw(JNE.Reg(R1, R2, "l"), 1), "5d21010000000000", "if r1 != r2 goto pc+1"},
	{raw(JNE.Imm32(R1, 0, "l"), 1), "5601010000000000", "if w1 != 0x0 goto pc+1"},
	{raw(JSGT.Imm(R1, -5, "l"), 2), "65010200fbffffff", "if r1 s> 0xfffffffb goto pc+2"},
	{raw(JSGT.Reg32(R1, R2, "l"), 2), "6e21020000000000", "if w1 s> w2 goto pc+2"},
	{raw(JSGE.Reg(R1, R2, "l"), 2), "7d21020000000000", "if r1 s>= r2 goto pc+2"},
	{raw(JSGE.Imm32(R1, 1, "l"), 2), "7601020001000000", "if w1 s>= 0x1 goto pc+2"},
	{raw(JLT.Imm(R1, 1, "l"), 2), "a501020001000000", "if r1 < 0x1 goto pc+2"},
	{raw(JLT.Reg32(R1, R2, "l"), 2), "ae21020000000000", "if w1 < w2 goto pc+2"},
	{raw(JLE.Reg(R1, R2, "l"), 2), "bd21020000000000", "if r1 <= r2 goto pc+2"},
	{raw(JLE.Imm32(R1, 3, "l"), 2), "b601020003000000", "if w1 <= 0x3 goto pc+2"},
	{raw(JSLT.Imm(R1, 0, "l"), 2), "c501020000000000", "if r1 s< 0x0 goto pc+2"},
	{raw(JSLT.Reg32(R1, R2, "l"), 2), "ce21020000000000", "if w1 s< w2 goto pc+2"},
	{raw(JSLE.Reg(R1, R2, "l"), -1), "dd21ffff00000000", "if r1 s<= r2 goto pc-1"},
	{raw(JSLE.Imm32(R1, 4, "l"), 2), "d601020004000000", "if w1 s<= 0x4 goto pc+2"},
	{raw(Ja("l"), 2), "0500020000000000", "goto pc+2"},
	{raw(Ja("l"), -4), "0500fcff00000000", "goto pc-4"},
	{raw(JaLong("l"), 3), "0600000003000000", "gotol pc+3"},
	{raw(JaLong("l"), -3), "06000000fdffffff", "gotol pc-3"},
	{raw(MayGoto("l"), 1), "e500010000000000", "may_goto pc+1"},
	// Calls and exit.
	{Call(FnMapLookupElem), "8500000001000000", "call bpf_map_lookup_elem#1"},
	{Call(FnTracePrintk), "8500000006000000", "call bpf_trace_printk#6"},
	{Call(FnXdpAdjustMeta), "8500000036000000", "call bpf_xdp_adjust_meta#54"},
	{Call(BuiltinFunc(999)), "85000000e7030000", "call unknown#999"},
	{raw(CallFunc("f"), 2), "8510000002000000", "call pc+2"},
	{raw(CallFunc("f"), -3), "85100000fdffffff", "call pc-3"},
	{CallKfunc(1234), "85200000d2040000", "call kernel-function#1234"},
	{CallKfuncModule(1234, 1), "85200100d2040000", "call kernel-function#1234"},
	{Return(), "9500000000000000", "exit"},
	// The remaining operation/source combinations, so that every valid
	// opcode has an entry.
	{Add.Reg32(R1, R2), "0c21000000000000", "w1 += w2"},
	{Sub.Imm32(R1, 2), "1401000002000000", "w1 -= 2"},
	{Sub.Reg(R1, R2), "1f21000000000000", "r1 -= r2"},
	{Mul.Imm32(R1, 3), "2401000003000000", "w1 *= 3"},
	{Mul.Reg(R1, R2), "2f21000000000000", "r1 *= r2"},
	{Div.Imm32(R1, 3), "3401000003000000", "w1 /= 3"},
	{Or.Imm32(R1, 3), "4401000003000000", "w1 |= 3"},
	{Or.Reg(R1, R2), "4f21000000000000", "r1 |= r2"},
	{And.Imm(R1, 3), "5701000003000000", "r1 &= 3"},
	{And.Reg32(R1, R2), "5c21000000000000", "w1 &= w2"},
	{LSh.Imm32(R1, 3), "6401000003000000", "w1 <<= 3"},
	{LSh.Reg(R1, R2), "6f21000000000000", "r1 <<= r2"},
	{RSh.Imm(R1, 3), "7701000003000000", "r1 >>= 3"},
	{RSh.Reg32(R1, R2), "7c21000000000000", "w1 >>= w2"},
	{Mod.Imm(R1, 3), "9701000003000000", "r1 %= 3"},
	{Mod.Reg32(R1, R2), "9c21000000000000", "w1 %= w2"},
	{Xor.Imm(R1, 3), "a701000003000000", "r1 ^= 3"},
	{Xor.Reg32(R1, R2), "ac21000000000000", "w1 ^= w2"},
	{ArSh.Imm32(R1, 3), "c401000003000000", "w1 s>>= 3"},
	{ArSh.Reg(R1, R2), "cf21000000000000", "r1 s>>= r2"},
	{raw(JEq.Imm32(R1, 2, "l"), 1), "1601010002000000", "if w1 == 0x2 goto pc+1"},
	{raw(JEq.Reg(R1, R2, "l"), 1), "1d21010000000000", "if r1 == r2 goto pc+1"},
	{raw(JGT.Imm(R1, 3, "l"), 1), "2501010003000000", "if r1 > 0x3 goto pc+1"},
	{raw(JGT.Reg32(R1, R2, "l"), 1), "2e21010000000000", "if w1 > w2 goto pc+1"},
	{raw(JGE.Imm(R1, 3, "l"), 1), "3501010003000000", "if r1 >= 0x3 goto pc+1"},
	{raw(JGE.Reg32(R1, R2, "l"), 1), "3e21010000000000", "if w1 >= w2 goto pc+1"},
	{raw(JSet.Imm32(R1, 3, "l"), 1), "4601010003000000", "if w1 & 0x3 goto pc+1"},
	{raw(JSet.Reg(R1, R2, "l"), 1), "4d21010000000000", "if r1 & r2 goto pc+1"},
	{raw(JNE.Reg32(R1, R2, "l"), 1), "5e21010000000000", "if w1 != w2 goto pc+1"},
	{raw(JSGT.Imm32(R1, 3, "l"), 1), "6601010003000000", "if w1 s> 0x3 goto pc+1"},
	{raw(JSGT.Reg(R1, R2, "l"), 1), "6d21010000000000", "if r1 s> r2 goto pc+1"},
	{raw(JSGE.Imm(R1, 3, "l"), 1), "7501010003000000", "if r1 s>= 0x3 goto pc+1"},
	{raw(JSGE.Reg32(R1, R2, "l"), 1), "7e21010000000000", "if w1 s>= w2 goto pc+1"},
	{raw(JLT.Imm32(R1, 3, "l"), 1), "a601010003000000", "if w1 < 0x3 goto pc+1"},
	{raw(JLT.Reg(R1, R2, "l"), 1), "ad21010000000000", "if r1 < r2 goto pc+1"},
	{raw(JLE.Imm(R1, 3, "l"), 1), "b501010003000000", "if r1 <= 0x3 goto pc+1"},
	{raw(JLE.Reg32(R1, R2, "l"), 1), "be21010000000000", "if w1 <= w2 goto pc+1"},
	{raw(JSLT.Imm32(R1, 3, "l"), 1), "c601010003000000", "if w1 s< 0x3 goto pc+1"},
	{raw(JSLT.Reg(R1, R2, "l"), 1), "cd21010000000000", "if r1 s< r2 goto pc+1"},
	{raw(JSLE.Imm(R1, 3, "l"), 1), "d501010003000000", "if r1 s<= 0x3 goto pc+1"},
	{raw(JSLE.Reg32(R1, R2, "l"), 1), "de21010000000000", "if w1 s<= w2 goto pc+1"},
}

// padBefore/padAfter surround each form so that its jump target lies inside
// the decoded program.
const padBefore, padAfter = 4, 8

func padded(ins Instruction) Instructions {
	p := make(Instructions, 0, padBefore+1+padAfter)
	for range padBefore {
		p = append(p, Return())
	}
	p = append(p, ins)
	for range padAfter {
		p = append(p, Return())
	}
	return p
}

func TestFormsEncodeDecodeDisassemble(t *testing.T) {
	for _, tt := range forms {
		t.Run(tt.text, func(t *testing.T) {
			want, err := hex.DecodeString(tt.hex)
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.ins.Size(); got != len(want) {
				t.Errorf("Size() = %d, want %d", got, len(want))
			}
			le, err := tt.ins.AppendEncode(nil, binary.LittleEndian)
			if err != nil {
				t.Fatalf("AppendEncode: %v", err)
			}
			if !bytes.Equal(le, want) {
				t.Errorf("little endian encoding\n got %x\nwant %x", le, want)
			}
			if got := tt.ins.String(); got != tt.text {
				t.Errorf("String() = %q, want %q", got, tt.text)
			}
			if !tt.ins.OpCode.Valid() {
				t.Errorf("OpCode %#02x not Valid", uint8(tt.ins.OpCode))
			}
			for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
				prog := padded(tt.ins)
				b, err := prog.Encode(bo)
				if err != nil {
					t.Fatalf("%v: Encode: %v", bo, err)
				}
				dec, err := Decode(b, bo)
				if err != nil {
					t.Fatalf("%v: Decode: %v", bo, err)
				}
				if len(dec) != len(prog) {
					t.Fatalf("%v: decoded %d instructions, want %d", bo, len(dec), len(prog))
				}
				if got, want := dec[padBefore], tt.ins.WithoutMetadata(); got != want {
					t.Errorf("%v: decoded %+v, want %+v", bo, got, want)
				}
				again, err := dec.Encode(bo)
				if err != nil {
					t.Fatalf("%v: re-Encode: %v", bo, err)
				}
				if !bytes.Equal(again, b) {
					t.Errorf("%v: re-encoding differs\n got %x\nwant %x", bo, again, b)
				}
			}
		})
	}
}

func TestBigEndianLayout(t *testing.T) {
	// The kernel's bpfeb layout: dst in the high nibble, off and imm big endian.
	b, err := Instructions{LoadMem(R1, R2, 4, Word), LoadImm64(R3, 0x1122334455667788)}.Encode(binary.BigEndian)
	if err != nil {
		t.Fatal(err)
	}
	want := "6112000400000000" + "1830000055667788" + "0000000011223344"
	if got := hex.EncodeToString(b); got != want {
		t.Errorf("big endian\n got %s\nwant %s", got, want)
	}
}

func TestFormsCoverEveryValidOpcode(t *testing.T) {
	seen := make(map[OpCode]bool)
	for _, tt := range forms {
		seen[tt.ins.OpCode] = true
	}
	for op := 0; op < 256; op++ {
		if OpCode(op).Valid() && !seen[OpCode(op)] {
			t.Errorf("valid opcode %#02x has no entry in forms", op)
		}
	}
}

func TestInstructionsString(t *testing.T) {
	insns := Instructions{
		LoadMem(R2, R1, 4, Word),
		LoadImm64(R3, 0x100),
		JEq.Imm(R2, 0, "out"),
		Mov.Imm(R0, 2),
		Call(FnKtimeGetNs),
		Return(),
		Mov.Imm(R0, 1).WithSymbol("out"),
		Return(),
	}
	want := strings.Join([]string{
		"   0: (61) r2 = *(u32 *)(r1 +4)",
		"   1: (18) r3 = 0x100",
		"   3: (15) if r2 == 0x0 goto pc+3",
		"   4: (b7) r0 = 2",
		"   5: (85) call bpf_ktime_get_ns#5",
		"   6: (95) exit",
		"   7: (b7) r0 = 1",
		"   8: (95) exit",
	}, "\n") + "\n"
	if got := insns.String(); got != want {
		t.Errorf("String()\n got:\n%s\nwant:\n%s", got, want)
	}
	var sb strings.Builder
	if err := insns.Disassemble(&sb); err != nil {
		t.Fatal(err)
	}
	if got := sb.String(); !strings.Contains(got, "goto pc+3 ; out\n") || !strings.Contains(got, "out:\n   7: (b7) r0 = 1\n") {
		t.Errorf("Disassemble lacks annotations:\n%s", got)
	}
	// The receiver keeps its unresolved offset.
	if insns[2].Offset != 0 {
		t.Errorf("String modified the receiver: offset %d", insns[2].Offset)
	}
}

func TestBuiltinFuncString(t *testing.T) {
	for _, tt := range []struct {
		fn   BuiltinFunc
		want string
	}{
		{FnMapLookupElem, "bpf_map_lookup_elem"},
		{FnTracePrintk, "bpf_trace_printk"},
		{FnXdpAdjustMeta, "bpf_xdp_adjust_meta"},
		{FnSkbLoadBytesRelative, "bpf_skb_load_bytes_relative"},
		{FnRedirectMap, "bpf_redirect_map"},
		{FnCgrpStorageDelete, "bpf_cgrp_storage_delete"},
		{FnUnspec, "bpf_unspec"},
		{BuiltinFunc(123456), "helper#123456"},
		{BuiltinFunc(-1), "helper#-1"},
	} {
		if got := tt.fn.String(); got != tt.want {
			t.Errorf("BuiltinFunc(%d).String() = %q, want %q", int32(tt.fn), got, tt.want)
		}
	}
	if FnMapLookupElem != 1 || FnTracePrintk != 6 || FnXdpAdjustMeta != 54 || FnSkbLoadBytesRelative != 68 {
		t.Error("helper ids differ from the UAPI")
	}
}
