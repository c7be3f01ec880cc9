package check

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/maps"
	"github.com/purebpf/bpf/verifier"
)

// ErrUnsupported is the Cause of a *verifier.Error from Program or
// Collection when the program uses something the offline checker does not
// model (a helper, a program type, an instruction form). The kernel may
// well accept such a program: the checker rejects it only because it
// cannot prove it safe.
var ErrUnsupported = errors.New("not modelled by the offline verifier")

// ErrRejected is the Cause of a *verifier.Error from Program or Collection
// for a program the offline checker proved the kernel would reject.
var ErrRejected = errors.New("rejected by the offline verifier")

// progEnv is what the checker knows about one program and its kernel.
type progEnv struct {
	// Program names the program in errors.
	Program string
	// ProgramType is the program type (SocketFilter, SchedCLS, SchedACT
	// and XDP are modelled).
	ProgramType kernel.ProgramType
	// AttachType is the expected attach type (XDP programs for devmaps may
	// read egress_ifindex).
	AttachType kernel.AttachType
	// Flags are the program's load flags (bpf.ProgramSpec.Flags).
	Flags bpf.ProgramFlags
	// License is the program's license; GPL-only helpers need a
	// GPL-compatible one.
	License string
	// Maps describes the maps the program's map loads refer to, by
	// reference name (asm.LoadMapPtr's mapName).
	Maps map[string]*maps.Spec
	// MapsByFD describes maps of loads already resolved to a descriptor
	// (Instruction.SetMapFD), by descriptor.
	MapsByFD map[int]*maps.Spec
	// Source holds the source line of each raw instruction (see
	// bpf.ProgramSpec.SourceLines), or nil.
	Source []string
	// SourceOf, if Source is nil, returns it; it is called only when an
	// error names an instruction (building the lines costs more than
	// checking a small program).
	SourceOf func() []string
	// Interpreter, MaxProcessed: see Options.
	Interpreter  bool
	MaxProcessed int
	// KernelVersion is the kernel modelled; zero: the running kernel's.
	KernelVersion kernel.Version
	// GlobalFuncs maps the raw instruction index where a global (BTF)
	// function starts, from the program's func_info, to its prototype
	// (nil: a prototype the checker does not model); the kernel verifies
	// such a function on its own, from its prototype.
	GlobalFuncs map[int]*globalProto
	// FuncInfo lists the raw instruction index of every function of the
	// program's func_info (nil: loaded without BTF); the kernel rejects a
	// program whose functions do not start there.
	FuncInfo []int
	// LineInfo lists the raw instruction index of every line_info record
	// loaded with the program; each must be an instruction's first slot.
	LineInfo []int
	// SpecialValues marks the maps whose value type (BTF) holds fields
	// with verifier rules of their own (bpf_spin_lock, bpf_timer, kptrs,
	// ...).
	SpecialValues map[*maps.Spec]bool
}

const complexityLimit = 1_000_000

// maxPending is the kernel's BPF_COMPLEXITY_LIMIT_JMP_SEQ: the number of
// branches waiting to be explored.
const maxPending = 8192

// checkInsns verifies insns offline for the program and kernel of e (see
// Program), and returns nil or the *verifier.Error of the rejection.
func checkInsns(insns asm.Instructions, e progEnv) error {
	ensureTables()
	c := &checker{opts: e, insns: insns}
	if err := c.run(); err != nil {
		if c.needWiden && err.Cause == ErrUnsupported && c.kv.has(featCallbackIter) {
			if err := widenVerdict(insns, e, err); err != nil {
				return err
			}
			return nil
		}
		return err
	}
	return nil
}

type checker struct {
	opts  progEnv
	insns asm.Instructions
	raw   []int // raw index of each instruction

	maps    []*maps.Spec
	mapOf   []int32 // map index of each map load, -1 otherwise
	target  []int   // jump or call target instruction, -1 otherwise
	subprog []int   // function index of each instruction
	starts  []int   // first instruction of each function
	prune   []bool
	// freeStates and freeFrames hold the memory of finished paths for
	// cloneState.
	freeStates []*state
	freeFrames []*frame

	cps       [][]*checkpoint
	pending   []*state
	processed int
	limit     int
	nextID    uint32
	nextShare uint16
	depth     []int    // stack depth of each function
	calls     [][]bool // calls[a][b]: function a calls function b
	hasLdAbs  bool
	hasCalls  bool
	gpl       bool
	kv        kernelModel
	// storeImm is set while a BPF_ST (store immediate) is checked.
	storeImm bool
	// ptrTypes is the pointer kind each load or store instruction was
	// first seen with (samePointerKind), notInit where none yet.
	ptrTypes []regType
	// inner maps a map of maps (index in maps) to its inner template's.
	inner map[int32]int32
	// specialInner are inner map templates whose values may hold
	// special fields (see progEnv.SpecialValues).
	specialInner []*maps.Spec
	// locks caches where map values hold their spin lock (locks.go).
	locks map[*maps.Spec]int32
	// timers caches where map values hold their timer (timers.go);
	// hasTimerCB is set when the program calls bpf_timer_set_callback.
	timers     map[*maps.Spec]int32
	hasTimerCB bool
	// deferred holds, per instruction, the kernel's complaint about its
	// fields, reported when the instruction is explored ("" for none).
	deferred []string
	// global holds the prototype of each function that is global (BTF),
	// by function index; nil for static functions.
	global []*globalProto
	// cbCall marks the calls of helpers taking a callback (nil: none);
	// hasCallbacks is set when the program loads a function's address.
	cbCall       []bool
	hasCallbacks bool
	// seen marks the instructions explored (programs with callbacks).
	seen []bool
	// cbMode says how scalars of the caller a callback changes are
	// handled; needWiden is set when a strict run met one (callbacks.go).
	cbMode    int
	needWiden bool
}

// fail builds the error for instruction index i (-1: none).
func (c *checker) fail(st *state, i int, cause error, register string, format string, args ...any) *verifier.Error {
	e := &verifier.Error{Program: c.opts.Program, Index: -1, Message: fmt.Sprintf(format, args...), Register: register, Cause: cause}
	if i >= 0 && i < len(c.insns) {
		e.Index = c.raw[i]
		e.Instruction = c.insns[i].String()
		if c.opts.Source == nil && c.opts.SourceOf != nil {
			c.opts.Source, c.opts.SourceOf = c.opts.SourceOf(), nil
		}
		e.SetSourceLines(c.opts.Source)
	}
	if st != nil {
		for p := st.path; p != nil; p = p.prev {
			e.Path = append(e.Path, verifier.Branch{Index: p.index, Taken: p.taken})
		}
		for l, r := 0, len(e.Path)-1; l < r; l, r = l+1, r-1 {
			e.Path[l], e.Path[r] = e.Path[r], e.Path[l]
		}
	}
	e.Hint = verifier.Hint(e.Message, e.Instruction)
	return e
}

func (c *checker) run() *verifier.Error {
	switch c.opts.ProgramType {
	case kernel.SocketFilter, kernel.SchedCLS, kernel.SchedACT, kernel.XDP:
	default:
		m, ok := c.ctxModelFor()
		if !ok {
			return c.fail(nil, -1, ErrUnsupported, "", "program type %s is not modelled", c.opts.ProgramType)
		}
		if why := m.unsupported(&c.opts); why != "" {
			return c.fail(nil, -1, ErrUnsupported, "", "%s", why)
		}
	}
	kv, err := resolveVersion(c.opts.KernelVersion)
	if err != nil {
		return c.fail(nil, -1, ErrUnsupported, "", "%v", err)
	}
	c.kv = kv
	if len(c.insns) == 0 {
		return c.fail(nil, -1, ErrRejected, "", "no instructions")
	}
	c.gpl = verifier.IsGPLCompatible(c.opts.License)
	c.limit = c.opts.MaxProcessed
	if c.limit <= 0 {
		c.limit = complexityLimit
	}
	if e := c.buildCFG(); e != nil {
		return e
	}
	if e := c.resolveGlobals(); e != nil {
		return e
	}
	return c.explore()
}

// buildCFG resolves jumps, calls and maps, splits functions and checks the
// control flow graph as the kernel's check_subprogs and check_cfg do.
func (c *checker) buildCFG() *verifier.Error {
	n := len(c.insns)
	c.raw = c.insns.RawOffsets()
	rawLen := c.insns.RawLen()
	if rawLen > complexityLimit {
		return c.fail(nil, -1, ErrRejected, "", "BPF program is too large (%d instructions)", rawLen)
	}
	syms, err := c.insns.SymbolOffsets()
	if err != nil {
		return c.fail(nil, -1, ErrRejected, "", "%v", err)
	}
	c.target = make([]int, n)
	c.mapOf = make([]int32, n)
	c.prune = make([]bool, n)
	isStart := make([]bool, n)
	isStart[0] = true
	for i := range c.insns {
		ins := &c.insns[i]
		c.target[i], c.mapOf[i] = -1, -1
		if e := c.validate(i); e != nil {
			return e
		}
		if ins.OpCode.Class() == asm.LdClass && ins.OpCode.Mode() != asm.ImmMode {
			c.hasLdAbs = true
		}
		isJump := ins.IsJump()
		// A callback's address (LD_IMM64 BPF_PSEUDO_FUNC) starts a
		// function and is an edge of the graph, as a call is.
		isCall := ins.IsFunctionCall() || ins.IsLoadOfFunctionPointer()
		if !isJump && !isCall {
			if ins.IsLoadFromMap() {
				if e := c.resolveMap(i); e != nil {
					return e
				}
			}
			continue
		}
		var rawTarget int
		if ref := ins.Reference(); ref != "" {
			off, ok := syms[ref]
			if !ok {
				return c.fail(nil, i, ErrRejected, "", "jump to unknown label %q", ref)
			}
			rawTarget = off
		} else if isCall || ins.OpCode == asm.OpCode(asm.Jump32Class)|asm.OpCode(asm.JumpAlways) {
			rawTarget = c.raw[i] + 1 + int(int32(ins.Constant))
		} else {
			rawTarget = c.raw[i] + 1 + int(ins.Offset)
		}
		t, ok := slices.BinarySearch(c.raw, rawTarget) // c.raw increases
		if !ok {
			if rawTarget >= 0 && rawTarget < rawLen {
				return c.fail(nil, i, ErrRejected, "", "jump into the middle of ldimm64 insn %d", rawTarget)
			}
			return c.fail(nil, i, ErrRejected, "", "jump out of range from insn %d to %d", c.raw[i], rawTarget)
		}
		c.target[i] = t
		if isCall {
			isStart[t] = true
			c.hasCalls = true
		}
	}
	c.subprog = make([]int, n)
	for i := range c.insns {
		if isStart[i] {
			c.starts = append(c.starts, i)
		}
		c.subprog[i] = len(c.starts) - 1
	}
	for n, at := range c.opts.LineInfo {
		if _, ok := c.insns.IndexOfRaw(at); !ok {
			return c.fail(nil, -1, ErrRejected, "", "Invalid insn code at line_info[%d].insn_off", n)
		}
	}
	if c.opts.FuncInfo != nil {
		match := len(c.opts.FuncInfo) == len(c.starts)
		for f := 0; match && f < len(c.starts); f++ {
			match = c.opts.FuncInfo[f] == c.raw[c.starts[f]]
		}
		if !match {
			return c.fail(nil, -1, ErrRejected, "", "number of funcs in func_info doesn't match number of subprogs")
		}
	}
	c.depth = make([]int, len(c.starts))
	c.calls = make([][]bool, len(c.starts))
	for i := range c.calls {
		c.calls[i] = make([]bool, len(c.starts))
	}
	// Each function ends with exit or goto; jumps stay inside.
	for f, s := range c.starts {
		end := n
		if f+1 < len(c.starts) {
			end = c.starts[f+1]
		}
		last := c.insns[end-1]
		if !last.IsExit() && !(last.IsJump() && last.OpCode.JumpOp() == asm.JumpAlways && last.OpCode.Class() == asm.JumpClass) &&
			!(last.OpCode == asm.OpCode(asm.Jump32Class)|asm.OpCode(asm.JumpAlways)) {
			return c.fail(nil, end-1, ErrRejected, "", "last insn is not an exit or jmp")
		}
		for i := s; i < end; i++ {
			if c.insns[i].IsJump() && (c.target[i] < s || c.target[i] >= end) {
				return c.fail(nil, i, ErrRejected, "", "jump out of range from insn %d to %d", c.raw[i], c.raw[c.target[i]])
			}
		}
	}
	if c.hasLdAbs && c.hasCalls {
		return c.fail(nil, -1, ErrUnsupported, "", "BPF_LD_[ABS|IND] together with bpf-to-bpf calls is not modelled")
	}
	// Depth-first walk from the entry: every instruction must be reachable.
	seen := make([]bool, n)
	work := []int{0}
	seen[0] = true
	visit := func(t int) {
		if t < n && !seen[t] {
			seen[t] = true
			work = append(work, t)
		}
	}
	for len(work) > 0 {
		i := work[len(work)-1]
		work = work[:len(work)-1]
		ins := c.insns[i]
		switch {
		case ins.IsExit():
		case ins.IsJump():
			c.prune[c.target[i]] = true
			visit(c.target[i])
			if ins.OpCode.JumpOp() != asm.JumpAlways {
				c.prune[i] = true
				visit(i + 1)
			}
		case ins.IsFunctionCall() || ins.IsLoadOfFunctionPointer():
			c.prune[c.target[i]] = true
			visit(c.target[i])
			c.prune[i+1] = true
			visit(i + 1)
		default:
			visit(i + 1)
		}
	}
	for i := range c.insns {
		if !seen[i] {
			return c.fail(nil, i, ErrRejected, "", "unreachable insn %d", c.raw[i])
		}
	}
	c.cps = make([][]*checkpoint, n)
	c.callbackCFG()
	return nil
}

// validate rejects instruction forms the checker does not model.
func (c *checker) validate(i int) *verifier.Error {
	ins := c.insns[i]
	op := ins.OpCode
	if !op.Valid() {
		return c.fail(nil, i, ErrRejected, "", "unknown opcode %02x", uint8(op))
	}
	// The kernel checks reserved fields of LDX, and unknown opcodes, on
	// every instruction before verifying; everything else when the
	// instruction is explored (code behind a branch it proves dead may
	// break these rules): those are kept for step.
	later := func(format string, args ...any) {
		if c.deferred == nil {
			c.deferred = make([]string, len(c.insns))
		}
		if c.deferred[i] == "" {
			c.deferred[i] = fmt.Sprintf(format, args...)
		}
	}
	if ins.Dst > asm.R10 || (ins.Src > asm.R10 && !(op == asm.LdImmDW || op == asm.CallOpCode)) {
		later("R%d is invalid", max(ins.Dst, ins.Src))
	}
	if msg := reservedFields(ins); msg != "" {
		if op.Class() == asm.LdXClass {
			return c.fail(nil, i, ErrRejected, "", "%s uses reserved fields", msg)
		}
		later("%s uses reserved fields", msg)
	}
	if msg := c.newerInstruction(ins); msg != "" {
		if strings.HasPrefix(msg, "unknown opcode") || op.Class() == asm.LdXClass {
			return c.fail(nil, i, ErrRejected, "", "%s", msg)
		}
		later("%s", msg)
	}
	switch cls := op.Class(); {
	case ins.IsKfuncCall():
		return c.fail(nil, i, ErrUnsupported, "", "kfunc calls are not modelled")
	case op == asm.LdImmDW:
		switch ins.Src {
		case 0, asm.PseudoMapValue:
		case asm.PseudoFunc:
			if ins.Reference() == "" && uint64(ins.Constant)>>32 != 0 {
				return c.fail(nil, i, ErrUnsupported, "", "ldimm64 of a function with a non-zero second immediate is not modelled")
			}
		case asm.PseudoMapFD:
			// The second slot's immediate (the value offset of
			// PseudoMapValue) must be zero for a map pointer.
			// (A load by reference gets its whole immediate from
			// the loader.)
			if uint64(ins.Constant)>>32 != 0 && (ins.Reference() == "" || ins.IsMapResolved()) {
				return c.fail(nil, i, ErrRejected, "", "unrecognized bpf_ld_imm64 insn")
			}
		default:
			return c.fail(nil, i, ErrUnsupported, "", "ldimm64 with pseudo source %d is not modelled", ins.Src)
		}
	case cls.IsJump() && op.JumpOp() == asm.JCond:
		return c.fail(nil, i, ErrUnsupported, "", "may_goto is not modelled")
	case (cls == asm.StXClass || cls == asm.LdXClass) && op.Mode() == asm.AtomicMode && c.kv.has(featLoadAcquire):
		switch asm.AtomicOp(ins.Constant) {
		case asm.AtomicOpLoadAcquire, asm.AtomicOpStoreRelease:
			return c.fail(nil, i, ErrUnsupported, "", "load-acquire and store-release are not modelled")
		}
	}
	return nil
}

// newerInstruction returns the kernel's complaint when ins is an
// instruction form the modelled kernel predates, or "".
func (c *checker) newerInstruction(ins asm.Instruction) string {
	op := ins.OpCode
	cls := op.Class()
	v4 := c.kv.has(featCPUv4)
	switch {
	case cls.IsALU() && (op.ALUOp() == asm.Div || op.ALUOp() == asm.Mod) && ins.Offset != 0 && !v4:
		// sdiv, smod
		return "BPF_ALU uses reserved fields"
	case cls.IsALU() && op.ALUOp() == asm.Mov && op.Source() == asm.RegSource && ins.Offset != 0 && !v4:
		// movsx
		return "BPF_MOV uses reserved fields"
	case cls == asm.ALU64Class && op.ALUOp() == asm.End && !v4:
		// bswap
		return "BPF_END uses reserved fields"
	case cls == asm.LdXClass && op.Mode() == asm.MemSXMode && !v4:
		// ldsx
		return "BPF_LDX uses reserved fields"
	case op == asm.OpCode(asm.Jump32Class)|asm.OpCode(asm.JumpAlways) && !c.kv.has(featGotol):
		return fmt.Sprintf("unknown opcode %02x", uint8(op))
	case cls.IsJump() && op.JumpOp() == asm.JCond && !c.kv.has(featMayGoto):
		return fmt.Sprintf("unknown opcode %02x", uint8(op))
	case cls == asm.StXClass && op.Mode() == asm.AtomicMode && !c.kv.has(featLoadAcquire):
		switch a := asm.AtomicOp(ins.Constant); a {
		case asm.AtomicOpLoadAcquire, asm.AtomicOpStoreRelease:
			return fmt.Sprintf("BPF_ATOMIC uses invalid atomic opcode %02x", uint32(a))
		}
	}
	return ""
}

func (c *checker) resolveMap(i int) *verifier.Error {
	ins := c.insns[i]
	var info *maps.Spec
	var ok bool
	if ref := ins.Reference(); ref != "" && !ins.IsMapResolved() {
		info, ok = c.opts.Maps[ref]
		if !ok || info == nil {
			return c.fail(nil, i, ErrRejected, "", "map %q is not described", ref)
		}
	} else {
		fd := ins.MapFD()
		info, ok = c.opts.MapsByFD[fd]
		if !ok {
			if ref := ins.Reference(); ref != "" {
				info, ok = c.opts.Maps[ref]
			}
		}
		if !ok || info == nil {
			// The kernel's answer depends on what the descriptor is.
			return c.fail(nil, i, ErrUnsupported, "", "map fd %d is not described", fd)
		}
	}
	if ins.Src == asm.PseudoMapValue {
		switch info.Type {
		case kernel.MapArray:
			if info.MaxEntries != 1 {
				return c.fail(nil, i, ErrRejected, "", "direct value access needs an array map with one entry")
			}
			if ins.MapOffset() >= info.ValueSize {
				return c.fail(nil, i, ErrRejected, "", "invalid access to map value pointer, value_size=%d off=%d", info.ValueSize, ins.MapOffset())
			}
		default:
			return c.fail(nil, i, ErrUnsupported, "", "direct value access of map type %s is not modelled", info.Type)
		}
	}
	if e := c.timerMapAllowed(i, info); e != nil {
		return e
	}
	if e := c.lockMapAllowed(i, info); e != nil {
		return e
	}
	c.mapOf[i] = int32(len(c.maps))
	c.maps = append(c.maps, info)
	return nil
}

// reservedFields returns the kernel's name of the instruction class when
// ins sets fields its encoding must leave zero, as the kernel checks them.
func reservedFields(ins asm.Instruction) string {
	op := ins.OpCode
	x := op.Source() == asm.RegSource
	imm, off, src, dst := ins.Constant, ins.Offset, ins.Src, ins.Dst
	switch cls := op.Class(); cls {
	case asm.LdClass:
		if op == asm.LdImmDW {
			if off != 0 {
				return "BPF_LD_IMM64"
			}
			break
		}
		// LD_ABS and LD_IND: the destination is always R0; LD_ABS has
		// no source register.
		if dst != 0 || off != 0 || op.Size() == asm.DWord || (op.Mode() == asm.AbsMode && src != 0) {
			return "BPF_LD_[ABS|IND]"
		}
	case asm.ALUClass, asm.ALU64Class:
		switch aop := op.ALUOp(); aop {
		case asm.Neg:
			if x || src != 0 || off != 0 || imm != 0 {
				return "BPF_NEG"
			}
		case asm.End:
			if src != 0 || off != 0 || (imm != 16 && imm != 32 && imm != 64) || (cls == asm.ALU64Class && x) {
				return "BPF_END"
			}
		case asm.Mov:
			if x {
				okOff := off == 0 || off == 8 || off == 16 || (cls == asm.ALU64Class && off == 32)
				if imm != 0 || !okOff {
					return "BPF_MOV"
				}
			} else if src != 0 || off != 0 {
				return "BPF_MOV"
			}
		default:
			divmod := aop == asm.Div || aop == asm.Mod
			if off != 0 && !(off == 1 && divmod) {
				return "BPF_ALU"
			}
			if x && imm != 0 || !x && src != 0 {
				return "BPF_ALU"
			}
		}
	case asm.LdXClass:
		if op.Mode() != asm.AtomicMode && imm != 0 {
			return "BPF_LDX"
		}
	case asm.StXClass:
		if op.Mode() == asm.MemMode && imm != 0 {
			return "BPF_STX"
		}
	case asm.StClass:
		if src != 0 {
			return "BPF_ST"
		}
	case asm.JumpClass, asm.Jump32Class:
		switch jop := op.JumpOp(); jop {
		case asm.ExitOp:
			// The offset of exit is not checked (6.1 to 6.18).
			if x || src != 0 || dst != 0 || imm != 0 || cls == asm.Jump32Class {
				return "BPF_EXIT"
			}
		case asm.CallOp:
			if x || off != 0 && src != asm.PseudoKfuncCall || dst != 0 {
				return "BPF_CALL"
			}
		case asm.JumpAlways:
			if x || src != 0 || dst != 0 || (cls == asm.JumpClass && imm != 0) || (cls == asm.Jump32Class && off != 0) {
				return "BPF_JA"
			}
		case asm.JCond:
		default:
			if x && imm != 0 || !x && src != 0 {
				return "BPF_JMP/JMP32"
			}
		}
	}
	return ""
}
