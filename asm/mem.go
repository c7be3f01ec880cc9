package asm

import "github.com/purebpf/bpf/btf"

func memOp(class Class, mode Mode, size Size) OpCode {
	return OpCode(class) | OpCode(mode) | OpCode(size)
}

// LoadMem returns dst = *(size *)(src + off), zero-extended
// ("r1 = *(u32 *)(r1 +4)").
func LoadMem(dst, src Register, off int16, size Size) Instruction {
	return Instruction{OpCode: memOp(LdXClass, MemMode, size), Dst: dst, Src: src, Offset: off}
}

// LoadMemSX returns dst = *(signed size *)(src + off), sign-extended
// ("r1 = *(s16 *)(r1 +4)", BPF_MEMSX; kernel 6.6, cpu v4). size is Byte,
// Half or Word.
func LoadMemSX(dst, src Register, off int16, size Size) Instruction {
	return Instruction{OpCode: memOp(LdXClass, MemSXMode, size), Dst: dst, Src: src, Offset: off}
}

// StoreMem returns *(size *)(dst + off) = src ("*(u64 *)(r10 -8) = r1").
func StoreMem(dst Register, off int16, src Register, size Size) Instruction {
	return Instruction{OpCode: memOp(StXClass, MemMode, size), Dst: dst, Src: src, Offset: off}
}

// StoreImm returns *(size *)(dst + off) = value. value must fit the 32-bit
// immediate (it is sign-extended for DWord); Encode rejects larger values.
func StoreImm(dst Register, off int16, value int64, size Size) Instruction {
	return Instruction{OpCode: memOp(StClass, MemMode, size), Dst: dst, Offset: off, Constant: value}
}

// LoadAbs returns the legacy packet load r0 = ntoh(*(size *)skb[off])
// (BPF_LD|BPF_ABS; socket filter and tc programs, ctx in r6). size is
// Byte, Half or Word.
func LoadAbs(off int32, size Size) Instruction {
	return Instruction{OpCode: memOp(LdClass, AbsMode, size), Constant: int64(off)}
}

// LoadInd returns the legacy packet load r0 = ntoh(*(size *)skb[src + off])
// (BPF_LD|BPF_IND).
func LoadInd(src Register, off int32, size Size) Instruction {
	return Instruction{OpCode: memOp(LdClass, IndMode, size), Src: src, Constant: int64(off)}
}

// LoadImm64 returns dst = value with the full 64-bit constant (LD_IMM64,
// two raw slots; "r1 = 0x1122334455667788").
func LoadImm64(dst Register, value int64) Instruction {
	return Instruction{OpCode: LdImmDW, Dst: dst, Constant: value}
}

// LoadMapPtr returns dst = &map (LD_IMM64, src PseudoMapFD) referring to
// the map named mapName. The loader sets the fd with SetMapFD; Encode
// fails until it has.
func LoadMapPtr(dst Register, mapName string) Instruction {
	return Instruction{OpCode: LdImmDW, Dst: dst, Src: PseudoMapFD, meta: metadata{reference: mapName}}
}

// LoadMapValue returns dst = &map.value[0] + off (LD_IMM64, src
// PseudoMapValue; kernel 5.2) for array maps such as .data/.rodata
// sections, referring to the map named mapName. The loader sets the fd
// with SetMapFD, which keeps off.
func LoadMapValue(dst Register, mapName string, off uint32) Instruction {
	return Instruction{
		OpCode:   LdImmDW,
		Dst:      dst,
		Src:      PseudoMapValue,
		Constant: int64(uint64(off) << 32),
		meta:     metadata{reference: mapName},
	}
}

// LoadMapIdx returns dst = &map where the map is entry idx of the load's
// fd_array (src PseudoMapIdx; kernel 5.14).
func LoadMapIdx(dst Register, idx uint32) Instruction {
	return Instruction{OpCode: LdImmDW, Dst: dst, Src: PseudoMapIdx, Constant: int64(idx)}
}

// LoadMapIdxValue returns dst = &map.value[0] + off where the map is entry
// idx of the load's fd_array (src PseudoMapIdxValue; kernel 5.14).
func LoadMapIdxValue(dst Register, idx, off uint32) Instruction {
	return Instruction{OpCode: LdImmDW, Dst: dst, Src: PseudoMapIdxValue, Constant: int64(uint64(off)<<32 | uint64(idx))}
}

// LoadBTFID returns dst = &kernel variable whose vmlinux BTF type (a
// btf.Var in btf.Kernel()) is v (src PseudoBTFID, kernel 5.10). The high
// 32 bits of the constant select a module BTF fd (0 for vmlinux).
func LoadBTFID(dst Register, v btf.TypeID) Instruction {
	return Instruction{OpCode: LdImmDW, Dst: dst, Src: PseudoBTFID, Constant: int64(v)}
}

// LoadFuncPtr returns dst = &function for the BPF function whose first
// instruction carries symbol (src PseudoFunc, kernel 5.13), as passed to
// bpf_for_each_map_elem or bpf_loop. Encode computes the offset.
func LoadFuncPtr(dst Register, symbol string) Instruction {
	return Instruction{OpCode: LdImmDW, Dst: dst, Src: PseudoFunc, meta: metadata{reference: symbol}}
}

func atomic(op AtomicOp, dst Register, off int16, src Register, size Size) Instruction {
	return Instruction{OpCode: memOp(StXClass, AtomicMode, size), Dst: dst, Src: src, Offset: off, Constant: int64(op)}
}

// AtomicAdd returns lock *(size *)(dst + off) += src. size is Word or
// DWord.
func AtomicAdd(dst Register, off int16, src Register, size Size) Instruction {
	return atomic(AtomicOpAdd, dst, off, src, size)
}

// AtomicAnd returns lock *(size *)(dst + off) &= src (kernel 5.12).
func AtomicAnd(dst Register, off int16, src Register, size Size) Instruction {
	return atomic(AtomicOpAnd, dst, off, src, size)
}

// AtomicOr returns lock *(size *)(dst + off) |= src (kernel 5.12).
func AtomicOr(dst Register, off int16, src Register, size Size) Instruction {
	return atomic(AtomicOpOr, dst, off, src, size)
}

// AtomicXor returns lock *(size *)(dst + off) ^= src (kernel 5.12).
func AtomicXor(dst Register, off int16, src Register, size Size) Instruction {
	return atomic(AtomicOpXor, dst, off, src, size)
}

// AtomicFetchAdd returns src = atomic_fetch_add((size *)(dst + off), src):
// the old value lands in src (kernel 5.12).
func AtomicFetchAdd(dst Register, off int16, src Register, size Size) Instruction {
	return atomic(AtomicOpAdd|AtomicFetch, dst, off, src, size)
}

// AtomicFetchAnd is AtomicFetchAdd with &.
func AtomicFetchAnd(dst Register, off int16, src Register, size Size) Instruction {
	return atomic(AtomicOpAnd|AtomicFetch, dst, off, src, size)
}

// AtomicFetchOr is AtomicFetchAdd with |.
func AtomicFetchOr(dst Register, off int16, src Register, size Size) Instruction {
	return atomic(AtomicOpOr|AtomicFetch, dst, off, src, size)
}

// AtomicFetchXor is AtomicFetchAdd with ^.
func AtomicFetchXor(dst Register, off int16, src Register, size Size) Instruction {
	return atomic(AtomicOpXor|AtomicFetch, dst, off, src, size)
}

// AtomicXchg returns src = atomic_xchg((size *)(dst + off), src)
// (kernel 5.12).
func AtomicXchg(dst Register, off int16, src Register, size Size) Instruction {
	return atomic(AtomicOpXchg, dst, off, src, size)
}

// AtomicCmpXchg returns r0 = atomic_cmpxchg((size *)(dst + off), r0, src):
// stores src if the old value equals r0; the old value lands in r0
// (kernel 5.12).
func AtomicCmpXchg(dst Register, off int16, src Register, size Size) Instruction {
	return atomic(AtomicOpCmpXchg, dst, off, src, size)
}

// LoadAcquire returns dst = load_acquire((size *)(src + off)) (kernel
// 6.15; any size).
func LoadAcquire(dst, src Register, off int16, size Size) Instruction {
	return atomic(AtomicOpLoadAcquire, dst, off, src, size)
}

// StoreRelease returns store_release((size *)(dst + off), src) (kernel
// 6.15; any size).
func StoreRelease(dst Register, off int16, src Register, size Size) Instruction {
	return atomic(AtomicOpStoreRelease, dst, off, src, size)
}
