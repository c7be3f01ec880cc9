package check

import (
	"fmt"
	"github.com/purebpf/bpf/maps"
	"math/rand/v2"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
)

// genProg is a generated program with what the harness needs to load it.
type genProg struct {
	name    string
	class   string // generator template and mutation
	typ     kernel.ProgramType
	license string
	insns   asm.Instructions
}

// testMaps are the maps generated programs refer to, by name.
var testMaps = map[string]*maps.Spec{
	"hash":    {Type: kernel.MapHash, KeySize: 4, ValueSize: 16, MaxEntries: 16},
	"array":   {Type: kernel.MapArray, KeySize: 4, ValueSize: 16, MaxEntries: 4},
	"single":  {Type: kernel.MapArray, KeySize: 4, ValueSize: 32, MaxEntries: 1},
	"progs":   {Type: kernel.MapProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 4},
	"events":  {Type: kernel.MapPerfEventArray, KeySize: 4, ValueSize: 4, MaxEntries: 0},
	"ring":    {Type: kernel.MapRingBuf, KeySize: 0, ValueSize: 0, MaxEntries: 4096},
	"devices": {Type: kernel.MapDevMap, KeySize: 4, ValueSize: 4, MaxEntries: 4},
	"big":     {Type: kernel.MapHash, KeySize: 8, ValueSize: 64, MaxEntries: 16},
	"lpm":     {Type: kernel.MapLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 16, Flags: maps.FlagNoPrealloc},
	"outer":   {Type: kernel.MapArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2, InnerMap: &maps.Spec{Type: kernel.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 1}},
}

type gen struct {
	r *rand.Rand
}

func (g *gen) n(n int) int              { return g.r.IntN(n) }
func (g *gen) chance(p int) bool        { return g.r.IntN(100) < p }
func (g *gen) pick(s ...int) int        { return s[g.r.IntN(len(s))] }
func (g *gen) pickS(s ...string) string { return s[g.r.IntN(len(s))] }

func sizeOf(n int) asm.Size {
	switch n {
	case 1:
		return asm.Byte
	case 2:
		return asm.Half
	case 4:
		return asm.Word
	}
	return asm.DWord
}

// generate returns program number i of the corpus with the given seed.
func generate(seed uint64, i int) genProg {
	g := &gen{r: rand.New(rand.NewPCG(seed, uint64(i)))}
	templates := []func() genProg{
		g.ret, g.packet, g.mapLookup, g.uninitReg, g.stack, g.ctxAccess, g.helperCall,
		g.loop, g.arith, g.subprog, g.cfg, g.ringbuf, g.pktChange, g.ldAbs, g.mapIndex, g.spill,
		g.mutant, g.mutant, g.mutant, g.mutant,
	}
	p := templates[i%len(templates)]()
	p.name = fmt.Sprintf("gen%d", i)
	if p.license == "" {
		p.license = "GPL"
	}
	return p
}

func (g *gen) netType() kernel.ProgramType {
	return []kernel.ProgramType{kernel.XDP, kernel.SchedCLS, kernel.SocketFilter}[g.n(3)]
}

// ret: return constants, sometimes forgetting r0.
func (g *gen) ret() genProg {
	p := genProg{class: "return", typ: g.netType()}
	if g.chance(20) {
		p.class = "return/uninit-r0"
		p.insns = asm.Instructions{asm.Mov.Imm(asm.R1, 1), asm.Return()}
		return p
	}
	p.insns = asm.Instructions{asm.Mov.Imm(asm.R0, int32(g.n(8))-1), asm.Return()}
	if g.chance(20) {
		p.class = "return/ctx-pointer"
		p.insns = asm.Instructions{asm.Mov.Reg(asm.R0, asm.R1), asm.Return()}
	}
	return p
}

func dataOffsets(t kernel.ProgramType) (data, end int16) {
	if t == kernel.XDP {
		return 0, 4
	}
	return 76, 80
}

// packet: bounds-checked packet reads and writes, with mutations removing
// or weakening the check.
func (g *gen) packet() genProg {
	t := []kernel.ProgramType{kernel.XDP, kernel.SchedCLS}[g.n(2)]
	p := genProg{class: "packet", typ: t}
	do, eo := dataOffsets(t)
	n := int32(g.pick(1, 2, 4, 8, 14, 20, 34, 54))
	size := g.pick(1, 2, 4, 8)
	off := int16(g.n(int(n)+4)) - 2
	if g.chance(50) {
		off = int16(int(n) - size)
	}
	write := g.chance(25)
	insns := asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, do, asm.Word),
		asm.LoadMem(asm.R3, asm.R1, eo, asm.Word),
		asm.Mov.Reg(asm.R4, asm.R2),
		asm.Add.Imm(asm.R4, n),
	}
	switch g.n(5) {
	case 0:
		p.class += "/no-check"
	case 1:
		insns = append(insns, asm.JGT.Reg(asm.R4, asm.R3, "out"))
	case 2:
		insns = append(insns, asm.JGE.Reg(asm.R4, asm.R3, "out"))
		p.class += "/ge"
	case 3:
		insns = append(insns, asm.JLT.Reg(asm.R3, asm.R4, "out"))
		p.class += "/reversed"
	case 4:
		insns = append(insns, asm.JLE.Reg(asm.R4, asm.R3, "ok"), asm.Ja("out"))
		p.class += "/le"
	}
	base := asm.R2
	if g.chance(30) {
		base = asm.R4
		off -= int16(n)
		p.class += "/via-end-ptr"
	}
	var access asm.Instruction
	if write {
		access = asm.StoreImm(base, off, 0, sizeOf(size))
		p.class += "/write"
	} else {
		access = asm.LoadMem(asm.R0, base, off, sizeOf(size))
	}
	insns = append(insns, access.WithSymbol("ok"))
	insns = append(insns,
		asm.Mov.Imm(asm.R0, 2).WithSymbol("out"),
		asm.Return(),
	)
	p.insns = insns
	if t == kernel.SocketFilter {
		p.class += "/socket"
	}
	return p
}

// mapLookup: lookups with or without NULL checks, key problems, value
// offsets in and out of bounds.
func (g *gen) mapLookup() genProg {
	p := genProg{class: "map", typ: g.netType()}
	name := g.pickS("hash", "array", "big")
	m := testMaps[name]
	keyOff := int16(-8)
	storeKey := asm.StoreImm(asm.R10, keyOff, int64(g.n(4)), sizeOf(int(m.KeySize)))
	insns := asm.Instructions{}
	switch g.n(8) {
	case 0:
		p.class += "/uninit-key"
	case 1:
		keyOff = int16(g.pick(-516, -512, 0, 8, -4))
		p.class += "/key-stack-range"
		insns = append(insns, storeKey)
	default:
		insns = append(insns, storeKey)
	}
	insns = append(insns,
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, int32(keyOff)),
		asm.LoadMapPtr(asm.R1, name),
		asm.Call(asm.FnMapLookupElem),
	)
	vs := int(m.ValueSize)
	size := g.pick(1, 2, 4, 8)
	off := int16(g.n(vs+4) - 2)
	if g.chance(50) {
		off = int16(g.n(vs/size) * size)
	}
	switch g.n(6) {
	case 0:
		p.class += "/no-null-check"
	case 1:
		insns = append(insns, asm.JNE.Imm(asm.R0, 0, "ok"), asm.Mov.Imm(asm.R0, 0), asm.Return())
		p.class += "/jne"
	case 2:
		insns = append(insns, asm.Mov.Reg(asm.R6, asm.R0), asm.JEq.Imm(asm.R0, 0, "out"), asm.Mov.Reg(asm.R0, asm.R6))
		p.class += "/copy"
	default:
		insns = append(insns, asm.JEq.Imm(asm.R0, 0, "out"))
	}
	var body asm.Instructions
	switch g.n(4) {
	case 0:
		body = asm.Instructions{asm.StoreImm(asm.R0, off, 7, sizeOf(size))}
		p.class += "/write"
	case 1:
		body = asm.Instructions{asm.Mov.Imm(asm.R1, 1), asm.AtomicAdd(asm.R0, off&^7, asm.R1, asm.DWord)}
		p.class += "/atomic"
	default:
		body = asm.Instructions{asm.LoadMem(asm.R1, asm.R0, off, sizeOf(size))}
	}
	body[0] = body[0].WithSymbol("ok")
	insns = append(insns, body...)
	insns = append(insns, asm.Mov.Imm(asm.R0, 0).WithSymbol("out"), asm.Return())
	p.insns = insns
	return p
}

// uninitReg: reads of registers never written, or clobbered by a call.
func (g *gen) uninitReg() genProg {
	p := genProg{class: "uninit", typ: g.netType()}
	r := asm.Register(g.n(10))
	insns := asm.Instructions{asm.Mov.Imm(asm.R6, 1)}
	switch g.n(4) {
	case 0:
		insns = append(insns, asm.Mov.Reg(asm.R0, r))
		p.class += fmt.Sprintf("/mov-r%d", r)
	case 1:
		insns = append(insns, asm.Mov.Imm(asm.R0, 0), asm.Add.Reg(asm.R0, r))
		p.class += fmt.Sprintf("/add-r%d", r)
	case 2:
		insns = append(insns, asm.Mov.Imm(asm.R2, 5), asm.Call(asm.FnKtimeGetNs), asm.Mov.Reg(asm.R0, r))
		p.class += fmt.Sprintf("/after-call-r%d", r)
	case 3:
		insns = append(insns, asm.Mov.Imm(asm.R0, 0), asm.JEq.Reg(asm.R0, r, "x"), asm.Mov.Imm(asm.R0, 1).WithSymbol("x"))
		p.class += fmt.Sprintf("/cmp-r%d", r)
	}
	insns = append(insns, asm.Return())
	p.insns = insns
	return p
}

// stack: stores and loads at any offset, size and alignment.
func (g *gen) stack() genProg {
	p := genProg{class: "stack", typ: g.netType()}
	size := g.pick(1, 2, 4, 8)
	off := int16(-g.n(530) + 4)
	if g.chance(60) {
		off = int16(-(g.n(64) + 1) * size)
	}
	insns := asm.Instructions{}
	switch g.n(5) {
	case 0:
		p.class += "/read-before-write"
		insns = append(insns, asm.LoadMem(asm.R0, asm.R10, off, sizeOf(size)))
	case 1:
		p.class += "/store-imm"
		insns = append(insns, asm.StoreImm(asm.R10, off, 3, sizeOf(size)), asm.LoadMem(asm.R0, asm.R10, off, sizeOf(size)))
	case 2:
		p.class += "/via-r1"
		insns = append(insns,
			asm.Mov.Reg(asm.R1, asm.R10),
			asm.Add.Imm(asm.R1, int32(g.pick(-8, -16, 8, -520, -512))),
			asm.StoreImm(asm.R1, off/4, 1, sizeOf(size)),
		)
	case 3:
		p.class += "/sub-fp"
		insns = append(insns, asm.Mov.Reg(asm.R1, asm.R10), asm.Sub.Imm(asm.R1, 8), asm.StoreImm(asm.R1, 0, 1, asm.DWord))
	default:
		p.class += "/store-reg"
		insns = append(insns, asm.Mov.Imm(asm.R1, int32(g.n(3))), asm.StoreMem(asm.R10, off, asm.R1, sizeOf(size)), asm.LoadMem(asm.R0, asm.R10, off, sizeOf(size)))
	}
	insns = append(insns, asm.Mov.Imm(asm.R0, 0), asm.Return())
	p.insns = insns
	return p
}

// ctxAccess: context reads and writes at right and wrong offsets.
func (g *gen) ctxAccess() genProg {
	p := genProg{class: "ctx", typ: g.netType()}
	size := g.pick(1, 2, 4, 8)
	limit := 200
	if p.typ == kernel.XDP {
		limit = 28
	}
	off := int16(g.n(limit)) &^ int16(g.pick(0, 0, 3))
	insns := asm.Instructions{}
	switch g.n(4) {
	case 0:
		p.class += "/write"
		insns = append(insns, asm.Mov.Imm(asm.R2, 1), asm.StoreMem(asm.R1, off, asm.R2, sizeOf(size)))
	case 1:
		p.class += "/modified-ptr"
		insns = append(insns, asm.Add.Imm(asm.R1, 4), asm.LoadMem(asm.R2, asm.R1, off, sizeOf(size)))
	default:
		p.class += "/read"
		insns = append(insns, asm.LoadMem(asm.R2, asm.R1, off, sizeOf(size)))
	}
	insns = append(insns, asm.Mov.Imm(asm.R0, 0), asm.Return())
	p.insns = insns
	return p
}

// helperCall: helpers with good and bad arguments, GPL-only helpers under
// other licenses, helpers the program type may not call.
func (g *gen) helperCall() genProg {
	p := genProg{class: "helper", typ: g.netType()}
	p.license = g.pickS("GPL", "GPL", "Dual BSD/GPL", "MIT", "Proprietary")
	insns := asm.Instructions{}
	switch g.n(7) {
	case 0, 1:
		p.class += "/trace_printk"
		n := g.pick(4, 8, 12, 16)
		insns = append(insns, asm.StoreImm(asm.R10, -16, 0x6968, asm.DWord), asm.StoreImm(asm.R10, -8, 0, asm.DWord))
		insns = append(insns, asm.Mov.Reg(asm.R1, asm.R10), asm.Add.Imm(asm.R1, -16), asm.Mov.Imm(asm.R2, int32(n)))
		if g.chance(60) {
			insns = append(insns, asm.Mov.Imm(asm.R3, 0), asm.Mov.Imm(asm.R4, 0), asm.Mov.Imm(asm.R5, 0))
		} else {
			p.class += "/r3-r5-unset"
		}
		if n > 16 {
			p.class += "/too-long"
		}
		insns = append(insns, asm.Call(asm.FnTracePrintk))
	case 2:
		fn := []asm.BuiltinFunc{asm.FnKtimeGetNs, asm.FnGetPrandomU32, asm.FnGetSmpProcessorId, asm.FnRedirect, asm.FnXdpAdjustHead,
			asm.FnSkbPullData, asm.FnGetHashRecalc, asm.FnGetSocketCookie, asm.FnXdpGetBuffLen, asm.FnL3CsumReplace}[g.n(10)]
		p.class += "/" + fn.String()
		insns = append(insns, asm.Mov.Imm(asm.R2, 0), asm.Mov.Imm(asm.R3, 0), asm.Mov.Imm(asm.R4, 0), asm.Mov.Imm(asm.R5, 0))
		if g.chance(20) {
			insns = append(insns, asm.Mov.Imm(asm.R1, 0))
			p.class += "/r1-scalar"
		}
		insns = append(insns, asm.Call(fn))
	case 3:
		p.class += "/skb_load_bytes"
		n := int32(g.pick(0, 4, 8, 16, 24))
		insns = append(insns, asm.Mov.Imm(asm.R2, 0), asm.Mov.Reg(asm.R3, asm.R10), asm.Add.Imm(asm.R3, int32(-g.pick(8, 16))), asm.Mov.Imm(asm.R4, n))
		fn := asm.FnSkbLoadBytes
		if p.typ == kernel.XDP {
			fn = asm.FnXdpLoadBytes
		}
		insns = append(insns, asm.Call(fn))
	case 4:
		p.class += "/csum_diff"
		insns = append(insns, asm.StoreImm(asm.R10, -8, 1, asm.DWord), asm.Mov.Reg(asm.R1, asm.R10), asm.Add.Imm(asm.R1, -8),
			asm.Mov.Imm(asm.R2, int32(g.pick(0, 4, 8, 12))), asm.Mov.Imm(asm.R3, 0), asm.Mov.Imm(asm.R4, 0), asm.Mov.Imm(asm.R5, 0), asm.Call(asm.FnCsumDiff))
	case 5:
		p.class += "/tail_call"
		insns = append(insns, asm.LoadMapPtr(asm.R2, g.pickS("progs", "progs", "hash")), asm.Mov.Imm(asm.R3, 1), asm.Call(asm.FnTailCall))
	case 6:
		p.class += "/perf_event_output"
		insns = append(insns, asm.StoreImm(asm.R10, -8, 1, asm.DWord), asm.LoadMapPtr(asm.R2, g.pickS("events", "array")),
			asm.LoadImm64(asm.R3, 0xffffffff), asm.Mov.Reg(asm.R4, asm.R10), asm.Add.Imm(asm.R4, -8), asm.Mov.Imm(asm.R5, int32(g.pick(0, 8, 16))),
			asm.Call(asm.FnPerfEventOutput))
	}
	insns = append(insns, asm.Mov.Imm(asm.R0, 0), asm.Return())
	p.insns = insns
	return p
}

// loop: bounded and unbounded loops.
func (g *gen) loop() genProg {
	p := genProg{class: "loop", typ: g.netType()}
	insns := asm.Instructions{}
	switch g.n(5) {
	case 0, 1:
		bound := int32(g.pick(1, 2, 10, 100, 1000, 5000))
		if g.chance(5) {
			bound = 400000
			p.class += "/huge"
		}
		p.class += fmt.Sprintf("/counted-%d", bound)
		insns = append(insns, asm.Mov.Imm(asm.R1, 0), asm.Mov.Imm(asm.R0, 0),
			asm.Add.Reg(asm.R0, asm.R1).WithSymbol("top"), asm.Add.Imm(asm.R1, 1), asm.JLT.Imm(asm.R1, bound, "top"))
	case 2:
		p.class += "/unknown-bound"
		insns = append(insns, asm.Call(asm.FnGetPrandomU32), asm.Mov.Reg(asm.R1, asm.R0),
			asm.Add.Imm(asm.R1, 1).WithSymbol("top"), asm.JNE.Imm(asm.R1, 0, "top"))
	case 3:
		mask := int32(g.pick(0xf, 0xff, 0x3ff))
		p.class += fmt.Sprintf("/masked-%#x", mask)
		insns = append(insns, asm.Call(asm.FnGetPrandomU32), asm.Mov.Reg(asm.R1, asm.R0), asm.And.Imm(asm.R1, mask),
			asm.Sub.Imm(asm.R1, 1).WithSymbol("top"), asm.JSGT.Imm(asm.R1, 0, "top"))
	case 4:
		p.class += "/infinite"
		insns = append(insns, asm.Mov.Imm(asm.R1, 0), asm.Mov.Imm(asm.R1, 0).WithSymbol("top"), asm.JEq.Imm(asm.R1, 0, "top"))
	}
	insns = append(insns, asm.Mov.Imm(asm.R0, 0), asm.Return())
	p.insns = insns
	return p
}

// arith: random scalar arithmetic, then the result bounds a map value
// access (the range tracking decides).
func (g *gen) arith() genProg {
	p := genProg{class: "arith", typ: g.netType()}
	insns := asm.Instructions{
		asm.StoreImm(asm.R10, -8, 0, asm.DWord),
		asm.Mov.Reg(asm.R2, asm.R10), asm.Add.Imm(asm.R2, -8),
		asm.LoadMapPtr(asm.R1, "array"),
		asm.Call(asm.FnMapLookupElem),
		asm.JEq.Imm(asm.R0, 0, "out"),
		asm.Mov.Reg(asm.R6, asm.R0),
		asm.Call(asm.FnGetPrandomU32),
		asm.Mov.Reg(asm.R1, asm.R0),
	}
	ops := []asm.ALUOp{asm.Add, asm.Sub, asm.Mul, asm.And, asm.Or, asm.Xor, asm.LSh, asm.RSh, asm.ArSh, asm.Div, asm.Mod, asm.Mov}
	for k := g.n(4) + 1; k > 0; k-- {
		op := ops[g.n(len(ops))]
		v := int32(g.pick(0, 1, 2, 3, 7, 15, 16, 31, 255, -1, -16, 1<<20))
		if op == asm.LSh || op == asm.RSh || op == asm.ArSh {
			v = int32(g.n(40))
		}
		if (op == asm.Div || op == asm.Mod) && g.chance(80) && v == 0 {
			v = 3
		}
		if g.chance(30) {
			insns = append(insns, op.Imm32(asm.R1, v))
			p.class += "/" + aluName(op) + "32"
		} else {
			insns = append(insns, op.Imm(asm.R1, v))
			p.class += "/" + aluName(op)
		}
	}
	if g.chance(60) {
		cmp := []asm.JumpOp{asm.JGT, asm.JGE, asm.JSGT, asm.JLT}[g.n(4)]
		k := int32(g.pick(7, 8, 12, 15, 16, 100))
		if cmp == asm.JLT {
			insns = append(insns, asm.JLT.Imm(asm.R1, k, "use"), asm.Ja("out"))
		} else {
			insns = append(insns, cmp.Imm(asm.R1, k, "out"))
		}
		p.class += fmt.Sprintf("/check%d", k)
	}
	insns = append(insns,
		asm.Add.Reg(asm.R6, asm.R1).WithSymbol("use"),
		asm.LoadMem(asm.R0, asm.R6, 0, asm.Byte),
		asm.Mov.Imm(asm.R0, 0).WithSymbol("out"),
		asm.Return(),
	)
	p.insns = insns
	return p
}

// subprog: bpf-to-bpf calls with stack use across frames.
func (g *gen) subprog() genProg {
	p := genProg{class: "subprog", typ: g.netType()}
	mainStack := int16(-8 * (g.n(40) + 1))
	subStack := int16(-8 * (g.n(64) + 1))
	insns := asm.Instructions{
		asm.StoreImm(asm.R10, mainStack, 1, asm.DWord),
		asm.Mov.Reg(asm.R1, asm.R10),
		asm.Add.Imm(asm.R1, int32(mainStack)),
		asm.CallFunc("sub"),
		asm.Return(),
		asm.StoreImm(asm.R10, subStack, 2, asm.DWord).WithSymbol("sub"),
	}
	switch g.n(4) {
	case 0:
		p.class += "/return-pointer"
		insns = append(insns, asm.Mov.Reg(asm.R0, asm.R1))
	case 1:
		p.class += "/read-caller-stack"
		insns = append(insns, asm.LoadMem(asm.R0, asm.R1, int16(g.pick(0, 8, -8)), asm.DWord))
	case 2:
		p.class += "/uninit-r6"
		insns = append(insns, asm.Mov.Reg(asm.R0, asm.R6))
	default:
		insns = append(insns, asm.Mov.Imm(asm.R0, 2))
	}
	insns = append(insns, asm.Return())
	p.class += fmt.Sprintf("/stack%d+%d", -mainStack, -subStack)
	p.insns = insns
	return p
}

// cfg: jumps out of range, unreachable code, falling off the end.
func (g *gen) cfg() genProg {
	p := genProg{class: "cfg", typ: g.netType()}
	switch g.n(4) {
	case 0:
		off := int16(g.pick(1, 2, 5, -4, 100))
		p.class += fmt.Sprintf("/jump%+d", off)
		j := asm.JEq.Imm(asm.R1, 0, "")
		j.Offset = off
		p.insns = asm.Instructions{asm.Mov.Imm(asm.R0, 0), j, asm.Mov.Imm(asm.R0, 1), asm.Return()}
	case 1:
		p.class += "/unreachable"
		p.insns = asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return(), asm.Mov.Imm(asm.R0, 1), asm.Return()}
	case 2:
		p.class += "/fall-off"
		p.insns = asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.JEq.Imm(asm.R0, 0, "x"), asm.Return(), asm.Mov.Imm(asm.R0, 1).WithSymbol("x")}
	case 3:
		p.class += "/dead-branch"
		p.insns = asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.JEq.Imm(asm.R0, 0, "x"), asm.Mov.Reg(asm.R0, asm.R7), asm.Return().WithSymbol("x")}
	}
	return p
}

// ringbuf: reserve without submit, without NULL check, output.
func (g *gen) ringbuf() genProg {
	p := genProg{class: "ringbuf", typ: g.netType()}
	size := int32(g.pick(8, 16))
	insns := asm.Instructions{asm.LoadMapPtr(asm.R1, "ring"), asm.Mov.Imm(asm.R2, size), asm.Mov.Imm(asm.R3, 0), asm.Call(asm.FnRingbufReserve)}
	check := g.n(5) != 0
	if check {
		insns = append(insns, asm.JEq.Imm(asm.R0, 0, "out"))
	} else {
		p.class += "/no-null-check"
	}
	insns = append(insns, asm.StoreImm(asm.R0, int16(g.pick(0, 8, 16)), 1, asm.DWord))
	if g.n(4) != 0 {
		insns = append(insns, asm.Mov.Reg(asm.R1, asm.R0), asm.Mov.Imm(asm.R2, 0), asm.Call([]asm.BuiltinFunc{asm.FnRingbufSubmit, asm.FnRingbufDiscard}[g.n(2)]))
	} else {
		p.class += "/leak"
	}
	insns = append(insns, asm.Mov.Imm(asm.R0, 0).WithSymbol("out"), asm.Return())
	p.insns = insns
	return p
}

// pktChange: packet pointers used after a helper that moves packet data.
func (g *gen) pktChange() genProg {
	t := []kernel.ProgramType{kernel.XDP, kernel.SchedCLS}[g.n(2)]
	p := genProg{class: "pkt-change", typ: t}
	do, eo := dataOffsets(t)
	fn := asm.FnXdpAdjustHead
	if t != kernel.XDP {
		fn = asm.FnSkbPullData
	}
	insns := asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.LoadMem(asm.R2, asm.R1, do, asm.Word),
		asm.LoadMem(asm.R3, asm.R1, eo, asm.Word),
		asm.Mov.Reg(asm.R4, asm.R2),
		asm.Add.Imm(asm.R4, 4),
		asm.JGT.Reg(asm.R4, asm.R3, "out"),
		asm.Mov.Reg(asm.R7, asm.R2),
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.Mov.Imm(asm.R2, 0),
	}
	if g.chance(70) {
		insns = append(insns, asm.Call(fn))
		p.class += "/call"
	} else {
		insns = append(insns, asm.Call(asm.FnKtimeGetNs))
	}
	if g.chance(30) {
		insns = append(insns, asm.LoadMem(asm.R7, asm.R6, do, asm.Word))
		p.class += "/reload"
	}
	insns = append(insns, asm.LoadMem(asm.R0, asm.R7, 0, asm.Word), asm.Mov.Imm(asm.R0, 2).WithSymbol("out"), asm.Return())
	p.insns = insns
	return p
}

// ldAbs: legacy packet loads.
func (g *gen) ldAbs() genProg {
	p := genProg{class: "ld_abs", typ: g.netType()}
	insns := asm.Instructions{}
	if g.chance(80) {
		insns = append(insns, asm.Mov.Reg(asm.R6, asm.R1))
	} else {
		p.class += "/no-r6"
	}
	if g.chance(50) {
		insns = append(insns, asm.LoadAbs(int32(g.pick(0, 12, 23)), sizeOf(g.pick(1, 2, 4))))
	} else {
		insns = append(insns, asm.Mov.Imm(asm.R7, 2), asm.LoadInd(asm.R7, 12, asm.Half))
		p.class += "/ind"
	}
	if g.chance(20) {
		insns = append(insns, asm.Mov.Reg(asm.R0, asm.R1))
		p.class += "/use-r1"
	}
	insns = append(insns, asm.Return())
	p.insns = insns
	return p
}

// mapIndex: packet or map value access at a variable index.
func (g *gen) mapIndex() genProg {
	p := genProg{class: "map-index", typ: g.netType()}
	mask := int32(g.pick(3, 7, 15, 16, 31, 0xff))
	insns := asm.Instructions{
		asm.Call(asm.FnGetPrandomU32),
		asm.Mov.Reg(asm.R7, asm.R0),
		asm.StoreImm(asm.R10, -4, 0, asm.Word),
		asm.Mov.Reg(asm.R2, asm.R10), asm.Add.Imm(asm.R2, -4),
		asm.LoadMapPtr(asm.R1, "array"),
		asm.Call(asm.FnMapLookupElem),
		asm.JEq.Imm(asm.R0, 0, "out"),
	}
	switch g.n(3) {
	case 0:
		insns = append(insns, asm.And.Imm(asm.R7, mask))
		p.class += fmt.Sprintf("/and%#x", mask)
	case 1:
		insns = append(insns, asm.JGT.Imm(asm.R7, mask, "out"))
		p.class += fmt.Sprintf("/jgt%d", mask)
	default:
		p.class += "/unbounded"
	}
	size := g.pick(1, 4, 8)
	insns = append(insns, asm.Add.Reg(asm.R0, asm.R7), asm.LoadMem(asm.R0, asm.R0, 0, sizeOf(size)),
		asm.Mov.Imm(asm.R0, 0).WithSymbol("out"), asm.Return())
	p.class += fmt.Sprintf("/size%d", size)
	p.insns = insns
	return p
}

// spill: pointers spilled to the stack and filled back.
func (g *gen) spill() genProg {
	p := genProg{class: "spill", typ: []kernel.ProgramType{kernel.XDP, kernel.SchedCLS}[g.n(2)]}
	size := g.pick(8, 8, 4)
	off := int16(g.pick(-8, -16, -12))
	insns := asm.Instructions{
		asm.StoreMem(asm.R10, off, asm.R1, sizeOf(size)),
	}
	if g.chance(30) {
		insns = append(insns, asm.StoreImm(asm.R10, off+int16(g.pick(0, 4)), 0, asm.Word))
		p.class += "/overwrite"
	}
	fill := g.pick(8, 8, 4)
	insns = append(insns, asm.LoadMem(asm.R2, asm.R10, off, sizeOf(fill)))
	do, _ := dataOffsets(p.typ)
	insns = append(insns, asm.LoadMem(asm.R0, asm.R2, do, asm.Word), asm.Mov.Imm(asm.R0, 0), asm.Return())
	p.class += fmt.Sprintf("/spill%d/fill%d/off%d", size, fill, off)
	p.insns = insns
	return p
}

// mutantBases are realistic programs the mutation generator starts from.
func mutantBases() []genProg {
	var out []genProg
	for _, p := range projectPrograms() {
		if len(p.insns) >= 6 {
			out = append(out, p)
		}
	}
	out = append(out,
		genProg{class: "base-ringbuf", typ: kernel.XDP, insns: asm.Instructions{
			asm.LoadMapPtr(asm.R1, "ring"), asm.Mov.Imm(asm.R2, 16), asm.Mov.Imm(asm.R3, 0), asm.Call(asm.FnRingbufReserve),
			asm.JEq.Imm(asm.R0, 0, "out"),
			asm.StoreImm(asm.R0, 0, 1, asm.DWord), asm.StoreImm(asm.R0, 8, 2, asm.DWord),
			asm.Mov.Reg(asm.R1, asm.R0), asm.Mov.Imm(asm.R2, 0), asm.Call(asm.FnRingbufSubmit),
			asm.Mov.Imm(asm.R0, 2).WithSymbol("out"), asm.Return(),
		}},
		genProg{class: "base-loop", typ: kernel.SchedCLS, insns: asm.Instructions{
			asm.Mov.Reg(asm.R6, asm.R1),
			asm.Mov.Imm(asm.R7, 0), asm.Mov.Imm(asm.R8, 0),
			asm.LoadMem(asm.R1, asm.R6, 0, asm.Word).WithSymbol("top"),
			asm.Add.Reg(asm.R8, asm.R1),
			asm.Add.Imm(asm.R7, 1),
			asm.JLT.Imm(asm.R7, 16, "top"),
			asm.Mov.Reg(asm.R0, asm.R8), asm.And.Imm(asm.R0, 1), asm.Return(),
		}},
		genProg{class: "base-subprog", typ: kernel.XDP, insns: asm.Instructions{
			asm.StoreImm(asm.R10, -8, 0, asm.DWord),
			asm.Mov.Reg(asm.R1, asm.R10), asm.Add.Imm(asm.R1, -8),
			asm.Mov.Imm(asm.R2, 3),
			asm.CallFunc("fill"),
			asm.LoadMem(asm.R0, asm.R10, -8, asm.DWord),
			asm.And.Imm(asm.R0, 3),
			asm.Return(),
			asm.StoreMem(asm.R1, 0, asm.R2, asm.DWord).WithSymbol("fill"),
			asm.Mov.Imm(asm.R0, 0),
			asm.Return(),
		}},
		genProg{class: "base-parse", typ: kernel.XDP, insns: asm.Instructions{
			asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
			asm.LoadMem(asm.R3, asm.R1, 4, asm.Word),
			asm.Mov.Imm(asm.R0, 2),
			asm.Mov.Reg(asm.R4, asm.R2), asm.Add.Imm(asm.R4, 34),
			asm.JGT.Reg(asm.R4, asm.R3, "out"),
			asm.LoadMem(asm.R5, asm.R2, 14, asm.Byte),
			asm.And.Imm(asm.R5, 0xf),
			asm.LSh.Imm(asm.R5, 2),
			asm.JLT.Imm(asm.R5, 20, "out"),
			asm.Mov.Reg(asm.R4, asm.R2), asm.Add.Imm(asm.R4, 14), asm.Add.Reg(asm.R4, asm.R5),
			asm.Mov.Reg(asm.R6, asm.R4), asm.Add.Imm(asm.R6, 4),
			asm.JGT.Reg(asm.R6, asm.R3, "out"),
			asm.LoadMem(asm.R0, asm.R4, 2, asm.Half),
			asm.And.Imm(asm.R0, 3),
			asm.Return().WithSymbol("out"),
		}},
	)
	return out
}

// mutant applies random mutations to a realistic program.
func (g *gen) mutant() genProg {
	bases := mutantBases()
	b := bases[g.n(len(bases))]
	p := genProg{class: "mutant/" + b.name + b.class, typ: b.typ, license: b.license, insns: append(asm.Instructions(nil), b.insns...)}
	for k := g.n(3) + 1; k > 0; k-- {
		i := g.n(len(p.insns))
		ins := &p.insns[i]
		cls := ins.OpCode.Class()
		switch g.n(8) {
		case 0: // delete an instruction, keeping its label
			if ins.IsExit() || i+1 >= len(p.insns) || (ins.Symbol() != "" && p.insns[i+1].Symbol() != "") {
				continue
			}
			if sym := ins.Symbol(); sym != "" {
				p.insns[i+1] = p.insns[i+1].WithSymbol(sym)
			}
			p.insns = append(p.insns[:i:i], p.insns[i+1:]...)
			p.class += "/delete"
		case 1: // move a memory access
			if cls == asm.LdXClass || cls == asm.StClass || cls == asm.StXClass {
				ins.Offset += int16(g.pick(-8, -4, -2, -1, 1, 2, 4, 8))
				p.class += "/offset"
			}
		case 2: // change an access size
			if (cls == asm.LdXClass || cls == asm.StClass || cls == asm.StXClass) && ins.OpCode.Mode() == asm.MemMode {
				ins.OpCode = ins.OpCode&^0x18 | asm.OpCode(sizeOf(g.pick(1, 2, 4, 8)))
				p.class += "/size"
			}
		case 3: // change a comparison
			if ins.IsJump() && ins.OpCode.JumpOp() != asm.JumpAlways {
				ops := []asm.JumpOp{asm.JEq, asm.JNE, asm.JGT, asm.JGE, asm.JLT, asm.JLE, asm.JSGT, asm.JSLT}
				ins.OpCode = ins.OpCode&^0xf0 | asm.OpCode(ops[g.n(len(ops))])
				p.class += "/cmp"
			}
		case 4: // change a constant
			if (cls.IsALU() || ins.IsJump()) && ins.OpCode.Source() == asm.ImmSource && ins.OpCode.ALUOp() != asm.End {
				ins.Constant += int64(g.pick(-16, -4, -1, 1, 4, 16))
				p.class += "/imm"
			}
		case 5: // change a register
			if cls.IsALU() || cls == asm.LdXClass || cls == asm.StXClass {
				if g.chance(50) {
					ins.Src = asm.Register(g.n(11))
				} else {
					ins.Dst = asm.Register(g.n(10))
				}
				p.class += "/reg"
			}
		case 6:
			p.license = g.pickS("MIT", "Proprietary", "GPL")
			p.class += "/license"
		case 7:
			p.typ = []kernel.ProgramType{kernel.XDP, kernel.SchedCLS, kernel.SocketFilter}[g.n(3)]
			p.class += "/type"
		}
	}
	return p
}
