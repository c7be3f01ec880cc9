package check

import (
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/maps"
	"github.com/purebpf/bpf/verifier"
)

// argKind is how a helper uses an argument register.
type argKind uint8

const (
	argNone       argKind = iota
	argAnything           // any initialised value
	argCtx                // the unmodified context pointer
	argMapPtr             // a map (LD_IMM64 of a map)
	argMapKey             // key_size readable bytes
	argMapValue           // value_size readable bytes
	argMem                // readable memory; the next argument is its size
	argMemOrNull          // the same, or NULL (then the size may be 0)
	argUninitMem          // writable memory; the next argument is its size
	argSize               // constant-bounded size > 0
	argSizeOrZero         // constant-bounded size >= 0
	argAllocSize          // known constant size (ringbuf reserve)
	argRingbufMem         // memory from bpf_ringbuf_reserve, released by the call
	argFunc               // a static function's address (callbacks.go)
	argStackNull          // a stack pointer or NULL (a callback's context)
)

type retKind uint8

const (
	retInteger retKind = iota
	retVoid
	retMapValueOrNull
	retRingbufMemOrNull
)

type helperProto struct {
	args [5]argKind
	ret  retKind
	// pktChange: the helper may move packet data (invalidates packet
	// pointers).
	pktChange bool
	// maps lists the map types the map argument may be (nil: see
	// lookupMaps).
	maps []kernel.MapType
	// callback: the helper calls its argFunc argument (callbacks.go).
	callback bool
}

// lookupMaps are the map types whose elements the generic map helpers
// (lookup, update, delete) reach as modelled: a value of value_size bytes.
var lookupMaps = []kernel.MapType{kernel.MapHash, kernel.MapArray, kernel.MapPerCPUHash, kernel.MapPerCPUArray, kernel.MapLRUHash, kernel.MapLRUPerCPUHash, kernel.MapLPMTrie}

// genericMapRejected reports whether the kernel's check_map_func_compatibility
// refuses map type t for the generic map helper fn (lookup, update,
// delete): the map type allows only its own helpers. For map types not
// listed the checker does not know and says ErrUnsupported.
func genericMapRejected(fn asm.BuiltinFunc, t kernel.MapType) bool {
	switch t {
	case kernel.MapProgArray, kernel.MapPerfEventArray, kernel.MapRingBuf, kernel.MapStackTrace,
		kernel.MapCGroupArray, kernel.MapCPUMap, kernel.MapQueue, kernel.MapStack, kernel.MapUserRingBuf:
		return true
	case kernel.MapArrayOfMaps, kernel.MapHashOfMaps:
		// Only lookups (which return the inner map) are allowed.
		return fn != asm.FnMapLookupElem
	}
	return false
}

var (
	a  = argAnything
	cx = argCtx
)

// helperProtos are the helpers the checker models, with the argument kinds of
// their kernel prototypes.
var helperProtos = map[asm.BuiltinFunc]helperProto{
	asm.FnMapLookupElem:        {args: [5]argKind{argMapPtr, argMapKey}, ret: retMapValueOrNull},
	asm.FnMapUpdateElem:        {args: [5]argKind{argMapPtr, argMapKey, argMapValue, a}},
	asm.FnMapDeleteElem:        {args: [5]argKind{argMapPtr, argMapKey}},
	asm.FnKtimeGetNs:           {},
	asm.FnKtimeGetBootNs:       {},
	asm.FnKtimeGetCoarseNs:     {},
	asm.FnTracePrintk:          {args: [5]argKind{argMem, argSize}},
	asm.FnGetPrandomU32:        {},
	asm.FnGetSmpProcessorId:    {},
	asm.FnGetNumaNodeId:        {},
	asm.FnSkbStoreBytes:        {args: [5]argKind{cx, a, argMem, argSize, a}, pktChange: true},
	asm.FnL3CsumReplace:        {args: [5]argKind{cx, a, a, a, a}, pktChange: true},
	asm.FnL4CsumReplace:        {args: [5]argKind{cx, a, a, a, a}, pktChange: true},
	asm.FnTailCall:             {args: [5]argKind{cx, argMapPtr, a}, ret: retVoid, maps: []kernel.MapType{kernel.MapProgArray}},
	asm.FnRedirect:             {args: [5]argKind{a, a}},
	asm.FnPerfEventOutput:      {args: [5]argKind{cx, argMapPtr, a, argMem, argSizeOrZero}, maps: []kernel.MapType{kernel.MapPerfEventArray}},
	asm.FnSkbLoadBytes:         {args: [5]argKind{cx, a, argUninitMem, argSize}},
	asm.FnSkbLoadBytesRelative: {args: [5]argKind{cx, a, argUninitMem, argSize, a}},
	asm.FnCsumDiff:             {args: [5]argKind{argMemOrNull, argSizeOrZero, argMemOrNull, argSizeOrZero, a}},
	asm.FnXdpAdjustHead:        {args: [5]argKind{cx, a}, pktChange: true},
	asm.FnXdpAdjustMeta:        {args: [5]argKind{cx, a}, pktChange: true},
	asm.FnXdpAdjustTail:        {args: [5]argKind{cx, a}, pktChange: true},
	asm.FnRedirectMap:          {args: [5]argKind{argMapPtr, a, a}, maps: []kernel.MapType{kernel.MapDevMap, kernel.MapDevMapHash, kernel.MapCPUMap, kernel.MapXSKMap}},
	asm.FnRingbufOutput:        {args: [5]argKind{argMapPtr, argMem, argSizeOrZero, a}, maps: []kernel.MapType{kernel.MapRingBuf}},
	asm.FnRingbufReserve:       {args: [5]argKind{argMapPtr, argAllocSize, a}, ret: retRingbufMemOrNull, maps: []kernel.MapType{kernel.MapRingBuf}},
	asm.FnRingbufSubmit:        {args: [5]argKind{argRingbufMem, a}, ret: retVoid},
	asm.FnRingbufDiscard:       {args: [5]argKind{argRingbufMem, a}, ret: retVoid},
	asm.FnXdpLoadBytes:         {args: [5]argKind{cx, a, argUninitMem, argSize}},
	asm.FnXdpStoreBytes:        {args: [5]argKind{cx, a, argMem, argSize}},
	asm.FnGetHashRecalc:        {args: [5]argKind{cx}},
	asm.FnSkbPullData:          {args: [5]argKind{cx, a}, pktChange: true},
	asm.FnGetSocketCookie:      {args: [5]argKind{cx}},
	asm.FnGetSocketUid:         {args: [5]argKind{cx}},
	asm.FnXdpGetBuffLen:        {args: [5]argKind{cx}},
}

// currentTaskHelperAdded returns the rule under which programs of type t
// gained helper fn after 6.1 (the helper table is 6.18's), or nil: the
// current-task helpers in the networking types (and bpf_get_current_comm
// in sk_msg programs, which had the others already).
func currentTaskHelperAdded(t kernel.ProgramType, fn asm.BuiltinFunc) *feature {
	var f *feature
	switch fn {
	case asm.FnGetCurrentPidTgid, asm.FnGetCurrentCgroupId, asm.FnGetCurrentAncestorCgroupId:
		f = featCurrentTaskIDs
	case asm.FnGetCurrentComm, asm.FnGetCurrentUidGid:
		f = featCurrentCommUID
	default:
		return nil
	}
	switch t {
	case kernel.SocketFilter, kernel.SchedCLS, kernel.SchedACT, kernel.XDP, kernel.CGroupSKB,
		kernel.LWTIn, kernel.LWTOut, kernel.LWTXmit, kernel.SockOps, kernel.SkSKB, kernel.FlowDissector:
		return f
	case kernel.SkMsg:
		if fn == asm.FnGetCurrentComm {
			return f
		}
	}
	return nil
}

// attachTypeHelper decides the helpers that programs of type t may call
// for some expected attach types only, which the probed table (helpers
// allowed for every attach type of t) leaves out: bpf_bind in
// cgroup_sock_addr programs of the connect hooks, bpf_get_retval and
// bpf_set_retval in those of the bind, connect and sendmsg hooks (6.18's
// sock_addr_func_proto and cgroup_common_func_proto). known is false for
// the helpers the table leaves out in cgroup_sock programs, whose rules
// were not audited.
func attachTypeHelper(t kernel.ProgramType, at kernel.AttachType, fn asm.BuiltinFunc) (allowed, known bool) {
	switch t {
	case kernel.CGroupSockAddr:
		switch fn {
		case asm.FnBind:
			return at == kernel.AttachCGroupInet4Connect || at == kernel.AttachCGroupInet6Connect, true
		case asm.FnGetRetval, asm.FnSetRetval:
			switch at {
			case kernel.AttachCGroupInet4Bind, kernel.AttachCGroupInet6Bind, kernel.AttachCGroupInet4Connect,
				kernel.AttachCGroupInet6Connect, kernel.AttachCGroupUDP4Sendmsg, kernel.AttachCGroupUDP6Sendmsg:
				return true, true
			}
			return false, true
		}
		return false, true
	case kernel.CGroupSock:
		// sock_filter_func_proto has attach-type rules (setsockopt,
		// getsockopt) not audited here.
		return false, false
	}
	return false, true
}

// helperAllowed reports whether programs of type t may call helper fn
// (the table is probed from the kernel, see helpers_gen.go).
func helperAllowed(t kernel.ProgramType, fn asm.BuiltinFunc) bool {
	set, ok := helpersByType[t]
	if !ok {
		return false
	}
	return fn >= 0 && int(fn) < len(set)*64 && set[fn/64]&(1<<(fn%64)) != 0
}

func (c *checker) callHelper(st *state, ins *asm.Instruction) *verifier.Error {
	fn := asm.BuiltinFunc(ins.Constant)
	if !fn.Known() || fn == asm.FnUnspec {
		return c.errf(st, noReg, "invalid func unknown#%d", int32(fn))
	}
	if !helperAllowed(c.opts.ProgramType, fn) {
		if allowed, known := attachTypeHelper(c.opts.ProgramType, c.opts.AttachType, fn); !known {
			return c.unsupported(st, "%s#%d in %s programs of attach type %s is not modelled", fn, int32(fn), c.opts.ProgramType, c.opts.AttachType)
		} else if !allowed {
			return c.errf(st, noReg, "program of this type cannot use helper %s#%d", fn, int32(fn))
		}
	}
	if f := currentTaskHelperAdded(c.opts.ProgramType, fn); f != nil && !c.kv.has(f) {
		return c.unsupported(st, "%s#%d in programs of this type on kernels before %v is not modelled", fn, int32(fn), f.since)
	}
	if gpl, _ := verifier.GPLOnly(int32(fn)); gpl && !c.gpl {
		return c.errf(st, noReg, "cannot call GPL-restricted function from non-GPL compatible program")
	}
	if fn == asm.FnSpinLock || fn == asm.FnSpinUnlock {
		return c.spinLockCall(st, fn)
	}
	if isTimerHelper(fn) {
		return c.timerCall(st, fn)
	}
	p, ok := helperProtos[fn]
	if !ok {
		return c.unsupported(st, "helper %s#%d is not modelled", fn, int32(fn))
	}
	if fn == asm.FnTailCall && c.hasCalls {
		return c.unsupported(st, "tail calls from programs with bpf-to-bpf calls are not modelled")
	}
	f := st.cur()
	mapIdx := int32(-1)
	var release uint32
	var allocSize int32
	cbSub := -1
	var constKey struct {
		v  uint64
		ok bool
	}
	for n, kind := range p.args {
		if kind == argNone {
			break
		}
		regno := asm.R1 + asm.Register(n)
		r, e := c.read(st, regno)
		if e != nil {
			return e
		}
		expect := func(want string) *verifier.Error {
			return c.errf(st, regno, "R%d type=%s expected=%s", regno, r.typ, want)
		}
		switch kind {
		case argAnything:
		case argFunc:
			if r.typ != ptrFunc {
				return expect("func")
			}
			cbSub = int(r.aux)
		case argStackNull:
			if r.typ == scalarValue && r.v.isConst() && r.v.t.value == 0 {
				break
			}
			if r.typ != ptrStack {
				return expect("fp")
			}
		case argCtx:
			if r.typ != ptrCtx {
				return expect("ctx")
			}
			if r.off != 0 || !r.v.isConst() || r.v.t.value != 0 {
				return c.errf(st, regno, "dereference of modified ctx ptr R%d off=%d disallowed", regno, r.off)
			}
		case argMapPtr:
			if r.typ != constPtrMap {
				return expect("map_ptr")
			}
			mapIdx = r.aux
			m := c.maps[mapIdx]
			allowed := p.maps
			if allowed == nil {
				allowed = lookupMaps
			}
			ok := false
			for _, t := range allowed {
				ok = ok || t == m.Type
			}
			if sockMapGeneric(fn, m.Type) {
				if e := c.sockMapUpdateAllowed(st, fn); e != nil {
					return e
				}
				ok = true
			}
			if fn == asm.FnMapLookupElem && (m.Type == kernel.MapArrayOfMaps || m.Type == kernel.MapHashOfMaps) && m.InnerMap != nil {
				// The value is the inner map (or NULL).
				ok = true
			}
			if !ok && p.maps == nil && !genericMapRejected(fn, m.Type) {
				// Lookups in maps of maps (the value is the inner
				// map), dev maps, socket maps, ...: the kernel may
				// accept them.
				return c.unsupported(st, "%s on map type %s is not modelled", fn, m.Type)
			}
			if !ok {
				return c.errf(st, regno, "cannot pass map_type %d into func %s#%d", m.Type, fn, int32(fn))
			}
		case argMapKey, argMapValue:
			if mapIdx < 0 {
				return c.errf(st, regno, "invalid map_ptr to access map->key")
			}
			size := c.maps[mapIdx].KeySize
			if kind == argMapValue {
				size = c.maps[mapIdx].ValueSize
				if sockMapGeneric(fn, c.maps[mapIdx].Type) {
					if e := c.sockMapValue(st, regno, r); e != nil {
						return e
					}
					continue
				}
			}
			if r.typ == ptrMem && !c.kv.has(featMemMapArg) {
				return expect("fp, pkt, pkt_meta, map_key, map_value")
			}
			if e := c.helperMem(st, regno, r, int64(size), false); e != nil {
				return e
			}
			if kind == argMapKey {
				constKey.v, constKey.ok = c.constStackKey(st, r, int(size))
			}
		case argMem, argMemOrNull, argUninitMem:
			isNull := r.typ == scalarValue && r.v.isConst() && r.v.t.value == 0
			sizeReg, e := c.read(st, regno+1)
			if e != nil {
				return e
			}
			size, e := c.sizeArg(st, regno+1, sizeReg, p.args[n+1] == argSizeOrZero)
			if e != nil {
				return e
			}
			if isNull && kind == argMemOrNull {
				// NULL is allowed only with a size that is always 0.
				if size != 0 {
					return c.errf(st, regno, "R%d type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem", regno)
				}
				continue
			}
			if size == 0 {
				// A zero-sized access still checks the pointer's
				// type (and bounds, which are not modelled here).
				switch r.typ {
				case ptrStack:
					if r.v.isConst() {
						// The start must still be a stack byte.
						total := int64(r.off) + int64(r.v.t.value)
						if total < -maxStack || total >= 0 {
							return c.errf(st, regno, "invalid zero-sized read from stack R%d off=%d", regno, total)
						}
						if c.kv.has(featStackReadGrows) || total >= -8*int64(len(st.frames[r.aux].stack)) {
							continue
						}
					}
					return c.unsupported(st, "zero-sized helper memory through R%d is not modelled", regno)
				case ptrMapValue, ptrMem, ptrPacket, ptrPacketMeta, ptrMapKey:
					return c.unsupported(st, "zero-sized helper memory through R%d is not modelled", regno)
				}
				return c.errf(st, regno, "R%d type=%s expected=fp, pkt, pkt_meta, map_key, map_value, mem", regno, r.typ)
			}
			// bpf_xdp_store_bytes reads its buffer, but kernels before
			// "bpf: Fix bpf_xdp_store_bytes proto for read-only arg"
			// (merged after 6.19, backported to stable series) declared
			// it written: check the read, then forget what the buffer
			// held, which covers both.
			write := kind == argUninitMem
			if e := c.helperMem(st, regno, r, size, write); e != nil {
				return e
			}
			if fn == asm.FnXdpStoreBytes && !write && r.typ == ptrStack {
				if e := c.helperMem(st, regno, r, size, true); e != nil {
					return e
				}
			}
			if helperWritesMem[fn] && !write {
				if e := c.helperRewrite(st, regno, r, size); e != nil {
					return e
				}
			}
		case argSize, argSizeOrZero:
			// Checked with the memory argument before it.
			if n == 0 || (p.args[n-1] != argMem && p.args[n-1] != argMemOrNull && p.args[n-1] != argUninitMem) {
				return c.unsupported(st, "size argument without memory")
			}
		case argAllocSize:
			if r.typ != scalarValue || !r.v.isConst() {
				return c.errf(st, regno, "R%d is not a known constant'", regno)
			}
			if r.v.t.value >= maxVarOff {
				// The kernel takes any constant (the reservation
				// fails at run time); the memory's size is not
				// modelled past 1<<29.
				return c.unsupported(st, "ring buffer reservation of %d bytes is not modelled", r.v.t.value)
			}
			allocSize = int32(r.v.t.value)
		case argRingbufMem:
			if r.typ != ptrMem || r.ref == 0 {
				return expect("ringbuf_mem")
			}
			if r.off != 0 || !r.v.isConst() || r.v.t.value != 0 {
				return c.errf(st, regno, "R%d must have zero offset when passed to release func", regno)
			}
			release = r.ref
		}
	}
	if p.callback {
		if e := c.pushCallback(st, fn, cbSub, mapIdx); e != nil {
			return e
		}
	}
	if release != 0 {
		if !releaseRef(st, release) {
			return c.errf(st, asm.R1, "R1 must be referenced when passed to release function")
		}
		st.forEachReg(func(r *reg) {
			if r.ref == release {
				*r = scalarReg(unknownScalar())
			}
		})
	}
	if p.pktChange {
		st.forEachReg(func(r *reg) {
			if r.typ.isPacket() || r.typ == ptrPacketEnd {
				*r = scalarReg(unknownScalar())
			}
		})
	}
	for r := asm.R1; r <= asm.R5; r++ {
		f.regs[r] = reg{}
	}
	switch p.ret {
	case retInteger:
		f.regs[asm.R0] = scalarReg(unknownScalar())
		if fn == asm.FnGetSmpProcessorId && !c.kv.Less(cpuBoundSince) {
			st.markImprecise("bpf_get_smp_processor_id() is below the loading machine's CPU count, which the kernel knows")
		}
	case retVoid:
		f.regs[asm.R0] = reg{}
	case retMapValueOrNull:
		if m := c.maps[mapIdx]; m.Type == kernel.MapArrayOfMaps || m.Type == kernel.MapHashOfMaps {
			f.regs[asm.R0] = reg{typ: constPtrMapOrNull, v: constScalar(0), aux: c.innerMap(mapIdx), id: c.newID()}
			break
		}
		f.regs[asm.R0] = reg{typ: ptrMapValueOrNull, v: constScalar(0), aux: mapIdx, id: c.newID()}
		if key, ok := constKey.v, constKey.ok; ok && fn == asm.FnMapLookupElem && c.kv.has(featConstKeyNonNull) {
			m := c.maps[mapIdx]
			if (m.Type == kernel.MapArray || m.Type == kernel.MapPerCPUArray) && key < uint64(m.MaxEntries) {
				// The kernel (6.14+) knows an array lookup with a
				// constant key in range never fails.
				f.regs[asm.R0].typ = ptrMapValue
				if _, lock := c.lockModelled(m); !lock {
					// Only values with a lock keep an id.
					f.regs[asm.R0].id = 0
				}
			}
		}
	case retRingbufMemOrNull:
		id := c.newID()
		st.refs = append(st.refs, id)
		f.regs[asm.R0] = reg{typ: ptrMemOrNull, v: constScalar(0), aux: allocSize, id: id, ref: id}
	}
	return nil
}

// sizeArg checks a size argument and returns its maximum.
func (c *checker) sizeArg(st *state, regno asm.Register, r *reg, zeroOK bool) (int64, *verifier.Error) {
	if r.typ != scalarValue {
		return 0, c.errf(st, regno, "R%d type=%s expected=scalar", regno, r.typ)
	}
	if r.v.smin < 0 {
		return 0, c.errf(st, regno, "R%d min value is negative, either use unsigned index or do a if (index >=0) check.", regno)
	}
	if r.v.umin == 0 && !zeroOK {
		return 0, c.errf(st, regno, "R%d invalid zero-sized read: u64=[%d,%d]", regno, r.v.umin, r.v.umax)
	}
	if r.v.umax >= maxVarOff {
		return 0, c.errf(st, regno, "R%d unbounded memory access, use 'var &= const' or 'if (var < const)'", regno)
	}
	return int64(r.v.umax), nil
}

// helperMem checks that a helper may read (or, with write, write) size
// bytes at r.
func (c *checker) helperMem(st *state, regno asm.Register, r *reg, size int64, write bool) *verifier.Error {
	switch r.typ {
	case ptrStack:
		if !r.v.isConst() {
			return c.unsupported(st, "helper memory on the stack at a variable offset is not modelled")
		}
		total := int64(r.off) + int64(r.v.t.value)
		if total < -maxStack || total+size > 0 || total >= 0 {
			return c.errf(st, regno, "invalid indirect access to stack R%d off=%d size=%d", regno, total, size)
		}
		fr := st.frames[r.aux]
		if !write && !c.kv.has(featStackReadGrows) && total < -8*int64(len(fr.stack)) {
			// Before 6.8 helpers may not read below the deepest slot
			// written so far.
			return c.errf(st, regno, "invalid indirect access to stack R%d off=%d size=%d", regno, total, size)
		}
		c.noteDepth(fr, total)
		if write {
			for b := total; b < total+size; b++ {
				si, j := stackByte(b)
				s := fr.slot(si)
				if s.types[0] == stackSpill {
					scrub(s)
				}
				s.types[j] = stackMisc
			}
		}
		return nil
	case ptrMapValue:
		if e := c.mapValueAccess(st, regno, c.maps[r.aux], write); e != nil {
			return e
		}
		if e := c.memBounds(st, regno, r, 0, int(size), int64(c.maps[r.aux].ValueSize), "map value"); e != nil {
			return e
		}
		if e := c.lockBytes(st, regno, c.maps[r.aux], r, 0, int(size)); e != nil {
			return e
		}
		return c.timerBytes(st, regno, c.maps[r.aux], r, 0, int(size))
	case ptrMem:
		return c.memBounds(st, regno, r, 0, int(size), int64(r.aux), "memory")
	case ptrMapKey:
		if write {
			return c.unsupported(st, "a helper writing into a map key is not modelled")
		}
		return c.memBounds(st, regno, r, 0, int(size), int64(c.maps[r.aux].KeySize), "map key")
	case ptrPacket, ptrPacketMeta:
		if write && !c.writablePacket() {
			return c.unsupported(st, "a helper writing into a read-only packet is not modelled")
		}
		return c.packetBounds(st, regno, r, 0, int(size))
	}
	return c.errf(st, regno, "R%d type=%s expected=fp, pkt, pkt_meta, map_key, map_value, mem", regno, r.typ)
}

// constStackKey returns the key a helper reads from the stack when the
// kernel knows it: zeroed bytes, or a constant spilled at the start of a
// slot with exactly the key's size.
func (c *checker) constStackKey(st *state, r *reg, size int) (uint64, bool) {
	if r.typ != ptrStack || !r.v.isConst() || size > 8 {
		return 0, false
	}
	total := int64(r.off) + int64(r.v.t.value)
	si, j0 := stackByte(total)
	fr := st.frames[r.aux]
	if si >= len(fr.stack) || j0+size > 8 {
		return 0, false
	}
	s := &fr.stack[si]
	zero := true
	for b := 0; b < size; b++ {
		zero = zero && s.types[j0+b] == stackZero
	}
	if zero {
		return 0, true
	}
	if j0 == 0 && s.types[0] == stackSpill && int(s.spillSize) == size && s.spill.typ == scalarValue && s.spill.v.isConst() {
		return s.spill.v.t.value & sizeMax(size), true
	}
	return 0, false
}

// innerMap returns the index in c.maps of the inner map template of the
// map of maps at index outer: the kernel verifies lookups in the inner map
// against the template (its max_entries too, unless FlagInnerMap lets inner
// maps differ; the checker then does not rely on it).
func (c *checker) innerMap(outer int32) int32 {
	if c.inner == nil {
		c.inner = map[int32]int32{}
	}
	if i, ok := c.inner[outer]; ok {
		return i
	}
	in := *c.maps[outer].InnerMap
	if in.Flags&maps.FlagInnerMap != 0 {
		// Inner maps may have other sizes: no constant-key non-NULL
		// lookups (the kernel bounds them by the template's).
		in.MaxEntries = 0
	}
	if in.BTF != nil {
		// The kernel verifies against the template's BTF, which may
		// hold special fields.
		c.specialInner = append(c.specialInner, &in)
	}
	c.inner[outer] = int32(len(c.maps))
	c.maps = append(c.maps, &in)
	return c.inner[outer]
}
