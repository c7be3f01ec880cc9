package check

import (
	"slices"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/maps"
	"github.com/purebpf/bpf/verifier"
)

// Spin locks (bpf_spin_lock, bpf_spin_unlock) as the kernel's verifier
// checks them (process_spin_lock, check_map_prog_compatibility and the
// rules of do_check), the same from 6.1 to 6.18 for what is modelled
// here:
//
//   - the lock is the struct bpf_spin_lock of a map value whose map has
//     BTF; the pointer passed is a map value pointer at the lock's
//     constant offset;
//   - one lock at a time ("Locking two bpf_spin_locks are not allowed"),
//     unlocked by a pointer with the same map and id as the locking one;
//   - no helper call, no legacy packet load and no exit while holding it;
//   - the lock's bytes are not read or written directly (nor by helpers);
//   - socket filter and tracing programs may not use a map with a lock at
//     all.
//
// Not modelled (ErrUnsupported): a lock in a nested struct or next to
// other special fields (timers, kptrs, ...), maps of maps holding locks,
// locks through pointers without an id (global data: 6.2 changed how
// those are tracked), and locks in programs with bpf-to-bpf calls (6.9
// allows calling static functions while holding a lock, and functions may
// return holding one).

// lockState is the spin lock a state holds.
type lockState struct {
	held bool
	// mapIdx (index in checker.maps) and id are those of the pointer
	// the lock was taken through.
	mapIdx int32
	id     uint32
}

// Where a map value's lock is, as lockPlacement finds it.
const (
	lockNone      = iota // no struct bpf_spin_lock in the value (or no BTF)
	lockTop              // one, a member of the value struct, no other special field
	lockUnmodeled        // nested, several, next to other special fields, or unreadable
)

// lockPlacement returns where map m's value holds its bpf_spin_lock and,
// for lockTop, the lock's offset.
func lockPlacement(m *maps.Spec) (int, int32) {
	if m == nil || m.BTF == nil || m.ValueType == 0 {
		return lockNone, 0
	}
	if !hasSpecial(m.BTF, m.ValueType, 0) {
		return lockNone, 0
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
		return lockUnmodeled, 0
	}
	found, off := 0, int32(0)
	for _, mem := range s.Members {
		mt, err := m.BTF.TypeByID(mem.Type)
		if err != nil {
			return lockUnmodeled, 0
		}
		if ms, ok := mt.(*btf.Struct); ok && ms.Name == "bpf_spin_lock" && mem.BitfieldSize == 0 && mem.BitOffset%32 == 0 {
			found++
			off = int32(mem.BitOffset / 8)
			continue
		}
		if hasSpecial(m.BTF, mem.Type, 0) {
			return lockUnmodeled, 0
		}
	}
	if found != 1 {
		return lockUnmodeled, 0
	}
	return lockTop, off
}

// lockModelled reports whether the special fields of map m's value are
// modelled (a single bpf_spin_lock), and where the lock is.
func (c *checker) lockModelled(m *maps.Spec) (int32, bool) {
	if !c.opts.SpecialValues[m] || slices.Contains(c.specialInner, m) {
		return 0, false
	}
	if off, ok := c.locks[m]; ok {
		return off, off >= 0
	}
	where, off := lockPlacement(m)
	if where != lockTop {
		off = -1
	}
	if c.locks == nil {
		c.locks = map[*maps.Spec]int32{}
	}
	c.locks[m] = off
	return off, off >= 0
}

// lockMapAllowed is check_map_prog_compatibility's rule for a map whose
// value holds a lock, applied where the program refers to the map
// (instruction i).
func (c *checker) lockMapAllowed(i int, m *maps.Spec) *verifier.Error {
	where, _ := lockPlacement(m)
	if where == lockNone {
		return nil
	}
	if _, timer := timerPlacement(m); timer {
		// A timer alone (timers.go's timerMapAllowed).
		return nil
	}
	var why string
	switch c.opts.ProgramType {
	case kernel.SocketFilter:
		why = "socket filter progs cannot use bpf_spin_lock yet"
	case kernel.Kprobe, kernel.TracePoint, kernel.PerfEvent, kernel.RawTracepoint:
		why = "tracing progs cannot use bpf_spin_lock yet"
	default:
		return nil
	}
	if where != lockTop {
		// The kernels differ on which special fields they find
		// (nested structs).
		return c.fail(nil, i, ErrUnsupported, "", "map %s with special fields in a program of this type is not modelled", m.Name)
	}
	return c.fail(nil, i, ErrRejected, "", "%s", why)
}

// lockBytes rejects an access of size bytes at p+off (p a pointer into a
// value of map m) that may touch the value's lock.
func (c *checker) lockBytes(st *state, regno asm.Register, m *maps.Spec, p *reg, off int32, size int) *verifier.Error {
	lock, ok := c.lockModelled(m)
	if !ok {
		return nil
	}
	lo := int64(p.off) + int64(off) + p.v.smin
	hi := int64(p.off) + int64(off) + int64(p.v.umax) + int64(size)
	if lo >= int64(lock)+4 || hi <= int64(lock) {
		return nil
	}
	if !p.v.isConst() {
		// The kernel's bounds may be tighter than the checker's.
		return c.unsupported(st, "an access at a variable offset near the bpf_spin_lock of map %s is not modelled", m.Name)
	}
	return c.errf(st, regno, "bpf_spin_lock cannot be accessed directly by load/store")
}

// spinLockCall checks a call of bpf_spin_lock or bpf_spin_unlock.
func (c *checker) spinLockCall(st *state, fn asm.BuiltinFunc) *verifier.Error {
	if c.hasCalls {
		return c.unsupported(st, "%s in a program with bpf-to-bpf calls is not modelled", fn)
	}
	r, e := c.read(st, asm.R1)
	if e != nil {
		return e
	}
	if r.typ != ptrMapValue {
		return c.errf(st, asm.R1, "R1 type=%s expected=map_value, ptr_", r.typ)
	}
	m := c.maps[r.aux]
	if !r.v.isConst() {
		return c.errf(st, asm.R1, "R1 doesn't have constant offset. bpf_spin_lock has to be at the constant offset")
	}
	where, _ := lockPlacement(m)
	switch {
	case where == lockNone:
		return c.errf(st, asm.R1, "map '%s' has to have BTF in order to use bpf_spin_lock", m.Name)
	case r.id == 0:
		return c.unsupported(st, "%s through a pointer without an id (global data) is not modelled", fn)
	}
	lock, ok := c.lockModelled(m)
	if !ok {
		return c.unsupported(st, "%s on map %s (lock nested or next to other special fields) is not modelled", fn, m.Name)
	}
	if at := int64(r.off) + int64(r.v.t.value); at != int64(lock) {
		return c.errf(st, asm.R1, "off %d doesn't point to 'struct bpf_spin_lock' that is at %d", at, lock)
	}
	if fn == asm.FnSpinLock {
		if st.lock.held {
			return c.errf(st, asm.R1, "Locking two bpf_spin_locks are not allowed")
		}
		st.lock = lockState{held: true, mapIdx: r.aux, id: r.id}
	} else {
		if !st.lock.held {
			return c.errf(st, asm.R1, "bpf_spin_unlock without taking a lock")
		}
		if st.lock.mapIdx != r.aux || st.lock.id != r.id {
			return c.errf(st, asm.R1, "bpf_spin_unlock of different lock")
		}
		st.lock = lockState{}
	}
	f := st.cur()
	for r := asm.R0; r <= asm.R5; r++ {
		f.regs[r] = reg{}
	}
	return nil
}

// lockedCall applies the rule that no function may be called while a
// lock is held (except bpf_spin_unlock).
func (c *checker) lockedCall(st *state, ins *asm.Instruction) *verifier.Error {
	if !st.lock.held {
		return nil
	}
	if ins.IsBuiltinCall() && asm.BuiltinFunc(ins.Constant) == asm.FnSpinUnlock {
		return nil
	}
	if !ins.IsBuiltinCall() {
		return c.unsupported(st, "calls to functions while holding a bpf_spin_lock are not modelled")
	}
	return c.errf(st, noReg, "function calls are not allowed while holding a lock")
}

// lockedExit is the rule that no program exits holding a lock.
func (c *checker) lockedExit(st *state) *verifier.Error {
	if !st.lock.held {
		return nil
	}
	if len(st.frames) > 1 {
		return c.unsupported(st, "returning from a function while holding a bpf_spin_lock is not modelled")
	}
	return c.errf(st, noReg, "bpf_spin_unlock is missing")
}
