package check

import (
	"slices"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/maps"
	"github.com/purebpf/bpf/verifier"
)

// BPF timers (bpf_timer_init, bpf_timer_set_callback, bpf_timer_start,
// bpf_timer_cancel) as the kernel's verifier checks them
// (process_timer_func, check_map_prog_compatibility, the ARG_CONST_MAP_PTR
// rule of check_func_arg, push_async_cb and set_timer_callback_state),
// the same from 6.1 to 6.18 for what is modelled here:
//
//   - the timer is the struct bpf_timer (16 bytes) of a map value whose
//     map has BTF; the pointer passed as R1 is a map value pointer (not
//     NULL) at the timer's constant offset;
//   - bpf_timer_init's map (R2) is the map of the timer's value; its
//     flags (the clock id) are checked at run time only;
//   - bpf_timer_set_callback's callback is a static function, verified
//     on its own (an async callback: a single frame, R1 the map, R2 a
//     key, R3 a value of the map, R4 and R5 not initialised) and must
//     return exactly 0; the caller continues after the call;
//   - the timer's bytes are not read or written directly;
//   - tracing programs (kprobe, tracepoint, perf_event, raw_tracepoint,
//     writable raw_tracepoint) may not use a map with a timer at all. The helpers come from
//     bpf_base_func_proto for CAP_BPF (the helper table probed from the
//     kernel says which program types have them).
//
// Not modelled (ErrUnsupported): a timer in a nested struct or next to
// other special fields (a spin lock, kptrs, ...), timers in maps of maps
// or of other map types than hash, LRU hash and array, setting a
// callback from an async callback, and the combined stack size of
// programs with timer callbacks (the kernels differ on whether an async
// callback's stack counts in its caller's chain).

// timerSize is sizeof(struct bpf_timer).
const timerSize = 16

// timerMaps are the map types whose values may hold a modelled timer.
var timerMaps = []kernel.MapType{kernel.MapHash, kernel.MapLRUHash, kernel.MapArray}

// timerPlacement returns the offset of the single struct bpf_timer member
// of map m's value, and false when the value has no timer, has it nested,
// several, next to other special fields, or cannot be read.
func timerPlacement(m *maps.Spec) (int32, bool) {
	if m == nil || m.BTF == nil || m.ValueType == 0 || !hasSpecial(m.BTF, m.ValueType, 0) {
		return 0, false
	}
	t, err := m.BTF.TypeByID(m.ValueType)
	for err == nil {
		switch q := t.(type) {
		case *btf.Typedef:
			t, err = m.BTF.TypeByID(q.Type)
			continue
		case *btf.Const:
			t, err = m.BTF.TypeByID(q.Type)
			continue
		case *btf.Volatile:
			t, err = m.BTF.TypeByID(q.Type)
			continue
		}
		break
	}
	s, ok := t.(*btf.Struct)
	if err != nil || !ok {
		return 0, false
	}
	found, off := 0, int32(0)
	for _, mem := range s.Members {
		mt, err := m.BTF.TypeByID(mem.Type)
		if err != nil {
			return 0, false
		}
		if ms, ok := mt.(*btf.Struct); ok && ms.Name == "bpf_timer" && mem.BitfieldSize == 0 && mem.BitOffset%64 == 0 {
			found++
			off = int32(mem.BitOffset / 8)
			continue
		}
		if hasSpecial(m.BTF, mem.Type, 0) {
			return 0, false
		}
	}
	if found != 1 || int64(off)+timerSize > int64(m.ValueSize) {
		return 0, false
	}
	return off, true
}

// hasTimerField reports whether map m's value has a struct bpf_timer
// anywhere the checker can see (a member of the value struct), modelled
// or not.
func hasTimerField(m *maps.Spec) bool {
	if m == nil || m.BTF == nil || m.ValueType == 0 {
		return false
	}
	if _, ok := timerPlacement(m); ok {
		return true
	}
	return false
}

// timerModelled reports whether the special fields of map m's value are
// modelled as a single timer, and where it is.
func (c *checker) timerModelled(m *maps.Spec) (int32, bool) {
	if !c.opts.SpecialValues[m] || slices.Contains(c.specialInner, m) || !slices.Contains(timerMaps, m.Type) {
		return 0, false
	}
	if off, ok := c.timers[m]; ok {
		return off, off >= 0
	}
	off, ok := timerPlacement(m)
	if !ok {
		off = -1
	}
	if c.timers == nil {
		c.timers = map[*maps.Spec]int32{}
	}
	c.timers[m] = off
	return off, off >= 0
}

// timerMapAllowed is check_map_prog_compatibility's rule for a map whose
// value holds a timer, applied where the program refers to the map
// (instruction i). A value whose special fields are not modelled with a
// map in a tracing program is no verdict (locks.go's lockMapAllowed).
func (c *checker) timerMapAllowed(i int, m *maps.Spec) *verifier.Error {
	switch c.opts.ProgramType {
	case kernel.Kprobe, kernel.TracePoint, kernel.PerfEvent, kernel.RawTracepoint, kernel.RawTracepointWritable:
	default:
		return nil
	}
	if hasTimerField(m) {
		return c.fail(nil, i, ErrRejected, "", "tracing progs cannot use bpf_timer yet")
	}
	return nil
}

// timerBytes rejects an access of size bytes at p+off (p a pointer into a
// value of map m) that may touch the value's timer.
func (c *checker) timerBytes(st *state, regno asm.Register, m *maps.Spec, p *reg, off int32, size int) *verifier.Error {
	at, ok := c.timerModelled(m)
	if !ok {
		return nil
	}
	lo := int64(p.off) + int64(off) + p.v.smin
	hi := int64(p.off) + int64(off) + int64(p.v.umax) + int64(size)
	if lo >= int64(at)+timerSize || hi <= int64(at) {
		return nil
	}
	if !p.v.isConst() {
		return c.unsupported(st, "an access at a variable offset near the bpf_timer of map %s is not modelled", m.Name)
	}
	return c.errf(st, regno, "bpf_timer cannot be accessed directly by load/store")
}

// isTimerHelper reports whether fn is one of the bpf_timer_* helpers.
func isTimerHelper(fn asm.BuiltinFunc) bool {
	switch fn {
	case asm.FnTimerInit, asm.FnTimerSetCallback, asm.FnTimerStart, asm.FnTimerCancel:
		return true
	}
	return false
}

// timerCall checks a call of a bpf_timer_* helper (after the program
// type and GPL checks of callHelper).
func (c *checker) timerCall(st *state, fn asm.BuiltinFunc) *verifier.Error {
	r, e := c.read(st, asm.R1)
	if e != nil {
		return e
	}
	if r.typ != ptrMapValue {
		return c.errf(st, asm.R1, "R1 type=%s expected=map_value", r.typ)
	}
	m := c.maps[r.aux]
	if !r.v.isConst() {
		return c.errf(st, asm.R1, "R1 doesn't have constant offset. bpf_timer has to be at the constant offset")
	}
	if m.BTF == nil {
		return c.errf(st, asm.R1, "map '%s' has to have BTF in order to use bpf_timer", m.Name)
	}
	if m.ValueType == 0 {
		return c.unsupported(st, "%s on map %s with BTF but no value type is not modelled", fn, m.Name)
	}
	if !c.opts.SpecialValues[m] && !hasSpecial(m.BTF, m.ValueType, 0) {
		return c.errf(st, asm.R1, "map '%s' has no valid bpf_timer", m.Name)
	}
	at, ok := c.timerModelled(m)
	if !ok {
		return c.unsupported(st, "%s on map %s (timer nested, absent or next to other special fields) is not modelled", fn, m.Name)
	}
	if got := int64(r.off) + int64(r.v.t.value); got != int64(at) {
		return c.errf(st, asm.R1, "off %d doesn't point to 'struct bpf_timer' that is at %d", got, at)
	}
	mapIdx := r.aux
	f := st.cur()
	switch fn {
	case asm.FnTimerInit:
		r2, e := c.read(st, asm.R2)
		if e != nil {
			return e
		}
		if r2.typ != constPtrMap {
			return c.errf(st, asm.R2, "R2 type=%s expected=map_ptr", r2.typ)
		}
		if c.maps[r2.aux] != m {
			return c.errf(st, asm.R2, "timer pointer in R1 map_uid=0 doesn't match map pointer in R2 map_uid=0")
		}
		if _, e := c.read(st, asm.R3); e != nil {
			return e
		}
	case asm.FnTimerSetCallback:
		r2, e := c.read(st, asm.R2)
		if e != nil {
			return e
		}
		if r2.typ != ptrFunc {
			return c.errf(st, asm.R2, "R2 type=%s expected=func", r2.typ)
		}
		if e := c.pushAsyncCallback(st, int(r2.aux), mapIdx); e != nil {
			return e
		}
	case asm.FnTimerStart:
		for _, regno := range []asm.Register{asm.R2, asm.R3} {
			if _, e := c.read(st, regno); e != nil {
				return e
			}
		}
	}
	for r := asm.R1; r <= asm.R5; r++ {
		f.regs[r] = reg{}
	}
	f.regs[asm.R0] = scalarReg(unknownScalar())
	return nil
}

// pushAsyncCallback queues the path that verifies the timer callback sub
// on its own (the kernel's push_async_cb with set_timer_callback_state);
// st continues after the call.
func (c *checker) pushAsyncCallback(st *state, sub int, mapIdx int32) *verifier.Error {
	for _, f := range st.frames {
		if f.async {
			return c.unsupported(st, "bpf_timer_set_callback in an async callback is not modelled")
		}
	}
	if len(st.frames) >= maxFrames {
		return c.unsupported(st, "bpf_timer_set_callback from the deepest frame is not modelled")
	}
	cb := st.clone()
	cb.frames = cb.frames[:0]
	cb.refs = nil
	cb.lock = lockState{}
	cb.cbUnroll, cb.cbSpec, cb.cbBack = 0, false, false
	callee := &frame{callsite: -1, subprog: sub, async: true}
	callee.regs[asm.R1] = reg{typ: constPtrMap, v: constScalar(0), aux: mapIdx}
	callee.regs[asm.R2] = reg{typ: ptrMapKey, v: constScalar(0), aux: mapIdx}
	callee.regs[asm.R3] = reg{typ: ptrMapValue, v: constScalar(0), aux: mapIdx}
	callee.regs[asm.R10] = reg{typ: ptrStack, v: constScalar(0), aux: 0}
	cb.frames = append(cb.frames, callee)
	cb.pc = c.starts[sub]
	return c.push(cb)
}

// asyncExit is the exit of an async (timer) callback: R0 must be 0.
func (c *checker) asyncExit(st *state) *verifier.Error {
	r0, e := c.read(st, asm.R0)
	if e != nil {
		return e
	}
	if r0.typ != scalarValue {
		return c.errf(st, asm.R0, "At async callback return the register R0 is not a known value (%s)", r0.typ)
	}
	if v := r0.v; !v.isConst() || v.t.value != 0 || v.smin != 0 || v.smax != 0 {
		return c.errf(st, asm.R0, "At async callback return the register R0 has smin=%d smax=%d should have been in [0, 0]", v.smin, v.smax)
	}
	if len(st.refs) > 0 {
		return c.errf(st, noReg, "Unreleased reference id=%d", st.refs[0])
	}
	return nil
}
