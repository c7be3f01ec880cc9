package check

import "fmt"

// regType is the kind of value a register or spilled stack slot holds.
type regType uint8

const (
	notInit regType = iota
	scalarValue
	ptrCtx
	ptrPacket
	ptrPacketMeta
	ptrPacketEnd
	ptrStack
	ptrMapValue
	ptrMapValueOrNull
	constPtrMap
	ptrMem              // memory of a known size (bpf_ringbuf_reserve)
	ptrMemOrNull        // the same before its NULL check
	ptrSockCommon       // a socket (__sk_buff.sk after its NULL check)
	ptrSockCommonOrNull // __sk_buff.sk
	constPtrMapOrNull   // a lookup in a map of maps: the inner map, or NULL
	ptrFlowKeys         // struct bpf_flow_keys (flow dissector __sk_buff.flow_keys)
	ptrFunc             // a static function's address (LD_IMM64 BPF_PSEUDO_FUNC); aux: its index
	ptrMapKey           // the key of bpf_for_each_map_elem's callback (read-only); aux: the map
)

var regTypeNames = [...]string{
	notInit:             "uninitialised",
	scalarValue:         "scalar",
	ptrCtx:              "ctx",
	ptrPacket:           "pkt",
	ptrPacketMeta:       "pkt_meta",
	ptrPacketEnd:        "pkt_end",
	ptrStack:            "fp",
	ptrMapValue:         "map_value",
	ptrMapValueOrNull:   "map_value_or_null",
	constPtrMap:         "map_ptr",
	ptrMem:              "mem",
	ptrMemOrNull:        "mem_or_null",
	ptrSockCommon:       "sock_common",
	ptrSockCommonOrNull: "sock_common_or_null",
	constPtrMapOrNull:   "map_ptr_or_null",
	ptrFlowKeys:         "flow_keys",
	ptrFunc:             "func",
	ptrMapKey:           "map_key",
}

// orNull reports whether t is a pointer that may be NULL until checked.
func (t regType) orNull() bool {
	return t == ptrMapValueOrNull || t == ptrMemOrNull || t == ptrSockCommonOrNull || t == constPtrMapOrNull
}

// checked returns the type of a pointer of type t once its NULL check
// passed.
func (t regType) checked() regType {
	switch t {
	case ptrMapValueOrNull:
		return ptrMapValue
	case ptrMemOrNull:
		return ptrMem
	case ptrSockCommonOrNull:
		return ptrSockCommon
	case constPtrMapOrNull:
		return constPtrMap
	}
	return t
}

func (t regType) String() string { return regTypeNames[t] }

func (t regType) isPointer() bool { return t > scalarValue }

func (t regType) isPacket() bool { return t == ptrPacket || t == ptrPacketMeta }

// reg is the abstract value of a register. For pointers, off is the fixed
// offset and v the variable part (a scalar added to the pointer).
type reg struct {
	v   scalar
	off int32
	// id ties copies of the same pointer together: the NULL check of a map
	// lookup result, or packet pointers sharing a range.
	id uint32
	// rng is, for packet pointers, how many bytes from the pointer's base
	// (off 0 of its id) are known to lie before data_end, or atPktEnd or
	// beyondPktEnd.
	rng int32
	// aux is the map index (map pointers and values), the frame number
	// (stack pointers) or the memory size (ptrMem).
	aux int32
	// ref is the reference id a pointer must be released with (ringbuf).
	ref uint32
	typ regType // then share: 72 bytes instead of 80
	// share, for a scalar, is not 0 when a register move copied it: the
	// kernel gives copies one id and bounds them all when a branch bounds
	// one (find_equal_scalars, sync_linked_regs), which the checker does
	// not model (sharedBranch). Nothing compares it.
	share uint16
}

func scalarReg(s scalar) reg { return reg{typ: scalarValue, v: s} }

func (r *reg) String() string {
	switch r.typ {
	case notInit:
		return "uninitialised"
	case scalarValue:
		if r.v.isConst() {
			return fmt.Sprintf("scalar %d", int64(r.v.t.value))
		}
		return fmt.Sprintf("scalar [%d, %d] (unsigned [%d, %d])", r.v.smin, r.v.smax, r.v.umin, r.v.umax)
	}
	s := r.typ.String()
	if r.off != 0 {
		s += fmt.Sprintf(" off=%d", r.off)
	}
	if !r.v.isConst() || r.v.t.value != 0 {
		s += fmt.Sprintf(" var=[%d, %d]", r.v.smin, r.v.smax)
	}
	if r.typ.isPacket() {
		s += fmt.Sprintf(" range=%d", r.rng)
	}
	return s
}

// Stack byte kinds.
const (
	stackInvalid byte = iota // never written
	stackMisc                // some scalar bytes
	stackZero                // known zero
	stackSpill               // part of a spilled register
)

// slot is 8 bytes of stack; slot i of a frame covers fp-8(i+1) .. fp-8i-1.
// types[j] describes byte fp-8(i+1)+j.
type slot struct {
	types [8]byte
	spill reg
	// spillSize is the size of the spill (8, or less for a scalar
	// stored at the start of the slot); its bytes are types[:spillSize].
	spillSize uint8
}

const (
	maxStack    = 512
	maxFrames   = 8
	stackSlots  = maxStack / 8
	maxPacketOf = 0xffff
	maxVarOff   = 1 << 29
)

type frame struct {
	regs  [11]reg
	stack []slot // grows on demand
	// callsite is the raw index of the call that created the frame (-1
	// for the main program), subprog the index of the function.
	callsite int
	subprog  int
	// callback marks the frame of a callback of a helper (bpf_loop,
	// bpf_for_each_map_elem): its exit returns to the helper call.
	callback bool
	// async marks the frame of a timer callback, verified on its own
	// (timers.go): its exit ends the path.
	async bool
	// cbDepth counts the callback iterations the frame's bpf_loop
	// calls unrolled so far (the kernel's callback_depth).
	cbDepth uint64
}

func (f *frame) clone() *frame {
	c := *f
	c.stack = append([]slot(nil), f.stack...)
	return &c
}

func (f *frame) slot(i int) *slot {
	for len(f.stack) <= i {
		f.stack = append(f.stack, slot{})
	}
	return &f.stack[i]
}

// pathNode is one branch decision of the path being explored.
type pathNode struct {
	prev  *pathNode
	index int  // raw index of the conditional jump
	taken bool // whether it jumped
}

// state is one abstract machine state: the call frames, references that
// must be released, and how we got here.
type state struct {
	frames []*frame
	refs   []uint32
	path   *pathNode
	pc     int // instruction index (not raw)
	cp     *checkpoint
	// loopDepth-free bookkeeping for pruning heuristics.
	sinceCP, jmpsSinceCP int
	// lock is the bpf_spin_lock held (locks.go).
	lock lockState
	// cbUnroll counts the callback iterations entered on this path (the
	// kernel's callback_unroll_depth): states of different iterations
	// are never an infinite loop.
	cbUnroll int
	// cbSpec marks a path the kernels before the callback iteration
	// model (6.7) do not explore: callbacks called zero or more than
	// once (see featCallbackIter).
	cbSpec bool
	// cbBack is set on a path returning from a callback to its helper
	// call, until the call is executed again.
	cbBack bool
	// imprecise, when not empty, says what the kernel knows on this path
	// and the checker does not (the value of a frozen map, the CPU
	// count): the kernel may decide branches the checker explores, so a
	// rejection found on the path is no verdict (pathVerdict).
	imprecise string
}

func (s *state) cur() *frame { return s.frames[len(s.frames)-1] }

// markImprecise records why the kernel may know more than the checker on
// this path (state.imprecise); the first reason is kept.
func (s *state) markImprecise(why string) {
	if s.imprecise == "" {
		s.imprecise = why
	}
}

func (s *state) clone() *state {
	c := *s
	c.frames = make([]*frame, len(s.frames))
	for i, f := range s.frames {
		c.frames[i] = f.clone()
	}
	c.refs = append([]uint32(nil), s.refs...)
	return &c
}

// cloneState is s.clone() with the memory of finished paths' states
// (recycle) reused: a fork after a path ended allocates nothing.
func (c *checker) cloneState(s *state) *state {
	var n *state
	if k := len(c.freeStates); k > 0 {
		n = c.freeStates[k-1]
		c.freeStates = c.freeStates[:k-1]
	} else {
		n = new(state)
	}
	frames, refs := n.frames[:0], n.refs[:0]
	*n = *s
	for _, f := range s.frames {
		var nf *frame
		if k := len(c.freeFrames); k > 0 {
			nf = c.freeFrames[k-1]
			c.freeFrames = c.freeFrames[:k-1]
		} else {
			nf = new(frame)
		}
		stack := nf.stack[:0]
		*nf = *f
		nf.stack = append(stack, f.stack...)
		frames = append(frames, nf)
	}
	n.frames = frames
	n.refs = append(refs, s.refs...)
	return n
}

// recycle gives the memory of a state whose path ended (and that nothing
// refers to any more) to later cloneState calls.
func (c *checker) recycle(s *state) {
	c.freeFrames = append(c.freeFrames, s.frames...)
	s.path, s.cp = nil, nil
	c.freeStates = append(c.freeStates, s)
}

// forEachReg calls fn for every register and spilled register of every frame.
func (s *state) forEachReg(fn func(r *reg)) {
	for _, f := range s.frames {
		for i := range f.regs {
			fn(&f.regs[i])
		}
		for i := range f.stack {
			if f.stack[i].types[0] == stackSpill {
				fn(&f.stack[i].spill)
			}
		}
	}
}

// checkpoint is a state stored at a prune point. Once every path from it
// is verified (branches reaches 0) it is done, and later states it
// subsumes need no exploration.
type checkpoint struct {
	st       *state
	fp       uint64 // fingerprint: equal states have equal fingerprints
	regFP    uint64 // fingerprint of the current frame's registers
	parent   *checkpoint
	branches int
	done     bool
}

// idMap checks that ids correspond one to one between an old and a new
// state.
type idMap struct{ old, cur []uint32 }

func (m *idMap) same(a, b uint32) bool {
	if a == 0 || b == 0 {
		return a == b
	}
	for i, o := range m.old {
		if o == a {
			return m.cur[i] == b
		}
		if m.cur[i] == b {
			return false
		}
	}
	m.old = append(m.old, a)
	m.cur = append(m.cur, b)
	return true
}

// regSafe reports whether every concrete value cur may hold is covered by
// old; exact demands equality (loop detection).
func regSafe(old, cur *reg, ids *idMap, exact bool) bool {
	if exact {
		if old.typ != cur.typ || old.off != cur.off || old.rng != cur.rng || old.aux != cur.aux || old.v != cur.v {
			return false
		}
		return ids.same(old.id, cur.id) && ids.same(old.ref, cur.ref)
	}
	if old.typ == notInit {
		return true
	}
	if old.typ != cur.typ {
		return false
	}
	switch old.typ {
	case scalarValue:
		return old.v.within(cur.v)
	case ptrPacket, ptrPacketMeta:
		// A larger range is safe; offsets must agree. A pointer at or
		// beyond the end only covers the same.
		if (old.rng < 0 || cur.rng < 0) && old.rng != cur.rng {
			return false
		}
		return old.off == cur.off && cur.rng >= old.rng && old.v.within(cur.v) && ids.same(old.id, cur.id)
	default:
		return old.off == cur.off && old.aux == cur.aux && old.v.within(cur.v) && ids.same(old.id, cur.id) && ids.same(old.ref, cur.ref)
	}
}

func stackSafe(old, cur *frame, ids *idMap, exact bool) bool {
	n := max(len(old.stack), len(cur.stack))
	for i := 0; i < n; i++ {
		var o, c slot
		if i < len(old.stack) {
			o = old.stack[i]
		}
		if i < len(cur.stack) {
			c = cur.stack[i]
		}
		if exact {
			if o.types != c.types || o.spillSize != c.spillSize {
				return false
			}
			if o.types[0] == stackSpill && !regSafe(&o.spill, &c.spill, ids, true) {
				return false
			}
			continue
		}
		from := 0
		if o.types[0] == stackSpill {
			// Demand the same spill; a spilled unknown scalar would do
			// as misc bytes, but keep it simple.
			if c.types[0] != stackSpill || c.spillSize != o.spillSize || !regSafe(&o.spill, &c.spill, ids, false) {
				return false
			}
			from = int(o.spillSize)
		} else if c.types[0] == stackSpill && c.spillSize < 8 {
			// A partial spill reads back as unknown bytes only when
			// the rest of its slot is not zero; demand equality.
			return false
		}
		for j := from; j < 8; j++ {
			ot, ct := o.types[j], c.types[j]
			switch ot {
			case stackInvalid, stackMisc:
				// Read as an unknown scalar: anything but a pointer fits.
				if ct == stackSpill && c.spill.typ != scalarValue {
					return false
				}
			case stackZero:
				if ct == stackZero {
					continue
				}
				if ct == stackSpill && c.spill.typ == scalarValue && c.spill.v.isConst() && c.spill.v.t.value == 0 {
					continue
				}
				return false
			}
		}
	}
	return true
}

// statesSafe reports whether cur is covered by old (or equal, with exact).
func statesSafe(old, cur *state, exact bool) bool {
	if len(old.frames) != len(cur.frames) || len(old.refs) != len(cur.refs) {
		return false
	}
	ids := &idMap{}
	for i := range old.frames {
		of, cf := old.frames[i], cur.frames[i]
		if of.callsite != cf.callsite || of.async != cf.async {
			return false
		}
		for r := range of.regs {
			if !regSafe(&of.regs[r], &cf.regs[r], ids, exact) {
				return false
			}
		}
		if !stackSafe(of, cf, ids, exact) {
			return false
		}
	}
	for i := range old.refs {
		if !ids.same(old.refs[i], cur.refs[i]) {
			return false
		}
	}
	if old.lock.held != cur.lock.held || old.lock.mapIdx != cur.lock.mapIdx || !ids.same(old.lock.id, cur.lock.id) {
		return false
	}
	return true
}

// sameRegs reports whether the registers of the current frames of old and
// cur are equal (the kernel's states_maybe_looping).
func sameRegs(old, cur *state) bool {
	if len(old.frames) != len(cur.frames) {
		return false
	}
	of, cf := old.cur(), cur.cur()
	ids := &idMap{}
	for r := range of.regs {
		if !regSafe(&of.regs[r], &cf.regs[r], ids, true) {
			return false
		}
	}
	return true
}

// regFingerprint hashes what sameRegs compares, except ids.
func regFingerprint(s *state) uint64 {
	h := uint64(14695981039346656037)
	mix := func(v uint64) {
		h ^= v
		h *= 1099511628211
	}
	mix(uint64(len(s.frames)))
	for i := range s.cur().regs {
		r := &s.cur().regs[i]
		mix(uint64(r.typ) | uint64(uint32(r.off))<<8 | uint64(uint32(r.rng))<<40)
		mix(uint64(r.aux))
		mix(r.v.t.value ^ r.v.t.mask<<1)
		mix(uint64(r.v.smin) ^ uint64(r.v.smax)<<1 ^ r.v.umin<<2 ^ r.v.umax<<3)
	}
	return h
}

// fingerprint hashes what exact state equality compares, except ids (which
// only need to correspond), so that unequal states rarely need a full
// comparison.
func fingerprint(s *state) uint64 {
	h := uint64(14695981039346656037)
	mix := func(v uint64) {
		h ^= v
		h *= 1099511628211
	}
	for _, f := range s.frames {
		mix(uint64(f.callsite))
		for i := range f.regs {
			r := &f.regs[i]
			mix(uint64(r.typ) | uint64(uint32(r.off))<<8 | uint64(uint32(r.rng))<<40)
			mix(uint64(r.aux))
			mix(r.v.t.value ^ r.v.t.mask<<1)
			mix(uint64(r.v.smin) ^ uint64(r.v.smax)<<1 ^ r.v.umin<<2 ^ r.v.umax<<3)
		}
		for i := range f.stack {
			sl := &f.stack[i]
			if sl.types == [8]byte{} {
				continue // the same as a slot never allocated
			}
			mix(uint64(i))
			for _, b := range sl.types {
				mix(uint64(b))
			}
		}
	}
	mix(uint64(len(s.refs)))
	return h
}

// The ranges of a packet pointer known to lie at or beyond data_end (after
// "p >= data_end" or "p > data_end" held; the kernel's AT_PKT_END and
// BEYOND_PKT_END, since 5.11): no byte through it may be read, and a later
// comparison of it with data_end is decided.
const (
	atPktEnd     = -1
	beyondPktEnd = -2
)
