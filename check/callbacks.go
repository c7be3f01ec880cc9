package check

import (
	"fmt"
	"strings"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/verifier"
)

// Helpers that call back into the program: bpf_loop and
// bpf_for_each_map_elem. The callback is a static function whose address
// the program loads (LD_IMM64 with BPF_PSEUDO_FUNC; the program needs
// func_info). As the kernel does since 6.7 ("bpf: verify callbacks as if
// they are called unknown number of times"), the checker continues after
// the helper call at once (the callback may never run) and queues a path
// that enters the callback with the caller's frames; at the callback's
// exit that path returns to the helper call, which queues the next
// iteration, until the state at the call is covered by one seen before at
// that call (pruning there compares with states still being explored).
// bpf_loop unrolls at most umax(nr_loops) iterations (the kernel's
// callback_depth).
//
// What the checker does not model, it says ErrUnsupported for:
//   - the kernel widens the scalars of the caller's frames that a
//     callback iteration changed unless its precision tracking marked them
//     (widen_imprecise_scalars): a callback that changes a scalar of the
//     caller's stack (a counter in its context) gets a verdict only when
//     widening all such scalars and widening none agree (widenVerdict);
//   - references (ring buffer memory) live across a callback;
//   - find_vma, user ring buffers: those helpers are not modelled (timer
//     callbacks are async callbacks, verified on their own: timers.go);
//   - before 6.7 (featCallbackIter) the kernel verified the callback
//     once, from the call, and continued after it: a rejection the
//     checker finds only on the paths it explores beyond those (no
//     iteration, or a second one) is no verdict.
//
// initCallbackHelpers adds the callback-taking helpers (from ensureTables).
func initCallbackHelpers() {
	stack := argStackNull
	for fn, p := range map[asm.BuiltinFunc]helperProto{
		// long bpf_loop(u32 nr_loops, void *callback_fn, void *callback_ctx, u64 flags)
		asm.FnLoop: {args: [5]argKind{a, argFunc, stack, a}, callback: true},
		// long bpf_for_each_map_elem(struct bpf_map *map, void *callback_fn, void *callback_ctx, u64 flags)
		// (The map types are checked by pushCallback.)
		asm.FnForEachMapElem: {args: [5]argKind{argMapPtr, argFunc, stack, a}, callback: true},
	} {
		if _, dup := helperProtos[fn]; !dup {
			helperProtos[fn] = p
		}
	}
}

// forEachMaps are the map types whose bpf_for_each_map_elem callbacks
// are modelled (key, value). Other types are not modelled (see
// pushCallback).
var forEachMaps = []kernel.MapType{kernel.MapArray, kernel.MapPerCPUArray, kernel.MapHash, kernel.MapPerCPUHash,
	kernel.MapLRUHash, kernel.MapLRUPerCPUHash}

// featCallbackIter: callbacks are verified as if called any number of
// times, returning to the helper call (before, once, returning after it);
// bpf_loop unrolls at most nr_loops iterations.
var featCallbackIter = &feature{name: "callbacks verified for any number of calls", since: kernel.V(6, 7, 0),
	backports: []kernel.Version{kernel.V(6, 6, 15)},
	commit:    "bpf: verify callbacks as if they are called unknown number of times; bpf: keep track of max number of bpf_loop callback iterations"}

// callbackMax is the largest return value of the modelled callbacks.
const callbackMax = 1

// maxCallbackUnroll bounds the callback iterations of a path (the kernel
// has no such bound: beyond it, no verdict); maxCallbackCompare the states
// at a callback helper call a new one is compared with.
const (
	maxCallbackUnroll  = 1024
	maxCallbackCompare = 64
)

// isCallbackHelper reports whether ins calls a helper taking a callback.
func isCallbackHelper(ins *asm.Instruction) bool {
	if !ins.IsBuiltinCall() {
		return false
	}
	p, ok := helperProtos[asm.BuiltinFunc(ins.Constant)]
	return ok && p.callback
}

// callbackCFG marks the calls of callback helpers (a checkpoint is taken
// before each, as the kernel forces one) and records a loaded function
// address as a call of that function by the loading one (the kernel's
// stack depth walk counts it so).
func (c *checker) callbackCFG() {
	for i := range c.insns {
		ins := &c.insns[i]
		switch {
		case ins.IsLoadOfFunctionPointer():
			c.hasCallbacks = true
			if c.seen == nil {
				c.seen = make([]bool, len(c.insns))
			}
			if t := c.target[i]; t >= 0 {
				c.calls[c.subprog[i]][c.subprog[t]] = true
			}
		case ins.IsBuiltinCall() && asm.BuiltinFunc(ins.Constant) == asm.FnTimerSetCallback:
			c.hasTimerCB = true
		case isCallbackHelper(ins):
			if c.cbCall == nil {
				c.cbCall = make([]bool, len(c.insns))
			}
			c.cbCall[i] = true
			c.prune[i] = true
		}
	}
}

// loadFunc is LD_IMM64 of a function's address (the kernel's check_ld_imm
// for BPF_PSEUDO_FUNC).
func (c *checker) loadFunc(st *state, ins *asm.Instruction) *verifier.Error {
	if c.opts.FuncInfo == nil {
		return c.errf(st, noReg, "missing btf func_info")
	}
	sub := c.subprog[c.target[st.pc]]
	if sub == 0 {
		// The kernel takes the entry's linkage from its func_info,
		// which the checker does not keep.
		return c.unsupported(st, "the address of the program's entry function is not modelled")
	}
	if c.isGlobal(sub) {
		return c.errf(st, noReg, "callback function not static")
	}
	st.cur().regs[ins.Dst] = reg{typ: ptrFunc, v: constScalar(0), aux: int32(sub)}
	return nil
}

// pushCallback queues the path that enters the callback sub of helper fn
// called at st.pc (the kernel's push_callback_call); st continues after
// the call.
func (c *checker) pushCallback(st *state, fn asm.BuiltinFunc, sub int, mapIdx int32) *verifier.Error {
	if sub < 0 {
		return c.unsupported(st, "%s without a callback is not modelled", fn)
	}
	caller := st.cur()
	iter := c.kv.has(featCallbackIter)
	back := st.cbBack
	st.cbBack = false
	if fn == asm.FnLoop && iter {
		// Since 6.7 bpf_loop stops unrolling after umax(nr_loops)
		// iterations of this frame.
		if caller.regs[asm.R1].typ != scalarValue {
			return c.unsupported(st, "bpf_loop with a pointer as nr_loops is not modelled")
		}
		if caller.cbDepth >= caller.regs[asm.R1].v.umax {
			caller.cbDepth = 0
			return nil
		}
	}
	if fn == asm.FnLoop && !iter && caller.regs[asm.R1].typ == scalarValue && caller.regs[asm.R1].v.umax == 0 {
		// Older series may have the 6.7 rules as a stable backport
		// (the checker knows of 6.6.15's only), which would leave the
		// callback unverified.
		return c.unsupported(st, "bpf_loop of zero iterations before 6.7 is not modelled")
	}
	if fn == asm.FnForEachMapElem {
		m := c.maps[mapIdx]
		ok := false
		for _, t := range forEachMaps {
			ok = ok || t == m.Type
		}
		if !ok {
			return c.unsupported(st, "bpf_for_each_map_elem on map type %s is not modelled", m.Type)
		}
	}
	if len(st.frames) >= maxFrames {
		return c.errf(st, noReg, "the call stack of %d frames is too deep", len(st.frames)+1)
	}
	if len(st.refs) > 0 {
		return c.unsupported(st, "a callback called while a reference is held is not modelled")
	}
	if st.cbUnroll >= maxCallbackUnroll {
		return c.unsupported(st, "more than %d callback iterations on a path are not modelled", maxCallbackUnroll)
	}
	cb := st.clone()
	cb.cbUnroll++
	cb.frames[len(cb.frames)-1].cbDepth++
	caller.cbDepth = 0
	// Before 6.7 the kernel enters the callback once from the call and
	// continues after it when the callback returns: the path continuing
	// without the callback, and a second iteration, are beyond it.
	if back {
		cb.cbSpec = true
	} else {
		st.cbSpec = true
	}
	in := cb.cur()
	callee := &frame{callsite: st.pc, subprog: sub, callback: true}
	callee.regs[asm.R10] = reg{typ: ptrStack, v: constScalar(0), aux: int32(len(cb.frames))}
	switch fn {
	case asm.FnLoop:
		// callback(u32 index, void *ctx): the index is an unknown
		// scalar to the kernel.
		callee.regs[asm.R1] = scalarReg(unknownScalar())
		callee.regs[asm.R2] = in.regs[asm.R3]
	case asm.FnForEachMapElem:
		// callback(map, key, value, ctx)
		callee.regs[asm.R1] = reg{typ: constPtrMap, v: constScalar(0), aux: mapIdx}
		callee.regs[asm.R2] = reg{typ: ptrMapKey, v: constScalar(0), aux: mapIdx}
		callee.regs[asm.R3] = reg{typ: ptrMapValue, v: constScalar(0), aux: mapIdx}
		callee.regs[asm.R4] = in.regs[asm.R3]
	}
	cb.frames = append(cb.frames, callee)
	cb.pc = c.starts[sub]
	return c.push(cb)
}

// callbackExit returns from a callback to the helper call that called
// it (the kernel's prepare_func_exit for callbacks).
func (c *checker) callbackExit(st *state) *verifier.Error {
	r0, e := c.read(st, asm.R0)
	if e != nil {
		return e
	}
	if r0.typ != scalarValue {
		return c.errf(st, asm.R0, "R0 not a scalar value")
	}
	v := r0.v
	if v.smin < 0 || v.smax > callbackMax || v.t.value&^callbackMax != 0 || v.t.mask&^callbackMax != 0 {
		return c.errf(st, asm.R0, "At callback return the register R0 has smin=%d smax=%d should have been in [0, %d]", v.smin, v.smax, callbackMax)
	}
	if len(st.refs) > 0 {
		return c.unsupported(st, "a reference held at a callback's exit is not modelled")
	}
	f := st.cur()
	st.frames = st.frames[:len(st.frames)-1]
	st.pc = f.callsite
	st.cbBack = true
	// The kernel widens the scalars of the caller's frames that differ
	// from the state at the call when this iteration began, unless they
	// are precise: which it is, the checker cannot tell.
	var prev *state
	for cp := st.cp; cp != nil; cp = cp.parent {
		if cp.st != nil && cp.st.pc == f.callsite && len(cp.st.frames) == len(st.frames) {
			prev = cp.st
			break
		}
	}
	if prev == nil {
		return c.unsupported(st, "callback iteration without a state at its call is not modelled")
	}
	for n, of := range prev.frames {
		cf := st.frames[n]
		for r := range of.regs {
			if e := c.widen(st, &of.regs[r], &cf.regs[r], fmt.Sprintf("R%d of frame %d", r, n)); e != nil {
				return e
			}
		}
		for i := range of.stack {
			if i >= len(cf.stack) {
				break
			}
			os, cs := &of.stack[i], &cf.stack[i]
			if os.types[0] == stackSpill && cs.types[0] == stackSpill {
				if e := c.widen(st, &os.spill, &cs.spill, fmt.Sprintf("the scalar at fp%d of frame %d", -8*(i+1), n)); e != nil {
					return e
				}
			}
		}
	}
	return nil
}

// Modes of the checker for scalars of the caller a callback changes.
const (
	// cbStrict: no verdict (the kernel widens such a scalar unless
	// its precision tracking marked it).
	cbStrict = iota
	// cbWiden: widen every such scalar (at least what the kernel
	// widens).
	cbWiden
	// cbExact: widen none (what a kernel with every scalar precise
	// does).
	cbExact
)

// widen handles a scalar of the caller's frames (old at the call when the
// iteration began, cur at the callback's exit) as the mode says.
func (c *checker) widen(st *state, old, cur *reg, what string) *verifier.Error {
	if !scalarChanged(old, cur) {
		return nil
	}
	switch c.cbMode {
	case cbWiden:
		*cur = scalarReg(unknownScalar())
	case cbStrict:
		c.needWiden = true
		return c.unsupported(st, "the callback changes %s: the kernel widens it unless precise, not modelled", what)
	}
	return nil
}

// widenVerdict is the verdict on a program whose callbacks change
// scalars of their callers (strict is the strict run's ErrUnsupported),
// since 6.7: the kernel widens those it did not mark precise, so its
// states lie between the checker's with every such scalar widened and
// with none. Both accepting, the kernel accepts; the exact run rejecting
// (for another reason than complexity), the kernel's less precise states
// fail too; otherwise no verdict.
func widenVerdict(insns asm.Instructions, e progEnv, strict *verifier.Error) *verifier.Error {
	w := &checker{opts: e, insns: insns, cbMode: cbWiden}
	ew := w.run()
	x := &checker{opts: e, insns: insns, cbMode: cbExact}
	ex := x.run()
	switch {
	case ew == nil && ex == nil:
		return nil
	case ex != nil && ex.Cause == ErrRejected:
		return ex
	}
	return strict
}

// scalarChanged reports whether old and cur are both scalars with
// different values (what the kernel's maybe_widen_reg widens).
func scalarChanged(old, cur *reg) bool {
	return old.typ == scalarValue && cur.typ == scalarValue && old.v != cur.v
}

// visitCallbackCall is is_state_visited at a callback helper's call: the
// state is pruned when one stored at the call, finished or still being
// explored (an earlier iteration), covers it; otherwise it is stored.
func (c *checker) visitCallbackCall(st *state) bool {
	// Only the most recent states are compared (pruning less is only
	// slower): a callback whose iterations do not converge would
	// otherwise cost a comparison with every earlier iteration.
	list := c.cps[st.pc]
	for _, cp := range list[max(0, len(list)-maxCallbackCompare):] {
		if statesSafe(cp.st, st, false) {
			return true
		}
	}
	cp := &checkpoint{st: st.clone(), parent: st.cp, branches: 1, fp: fingerprint(st), regFP: regFingerprint(st)}
	cp.st.cp = nil
	st.cp = cp
	st.sinceCP, st.jmpsSinceCP = 0, 0
	c.cps[st.pc] = append(c.cps[st.pc], cp)
	return false
}

// callbackVerdict turns the rejection e of a path into no verdict where
// the checker's exploration of callbacks goes beyond the modelled
// kernel's: complexity limits of programs with callbacks (the kernel's
// pruning in callbacks depends on precision marks the checker does not
// keep), and paths the kernels before 6.7 do not explore.
func (c *checker) callbackVerdict(st *state, e *verifier.Error) *verifier.Error {
	if !c.hasCallbacks || e == nil || e.Cause != ErrRejected {
		return e
	}
	if strings.HasPrefix(e.Message, "BPF program is too large") || strings.HasPrefix(e.Message, "The sequence of") {
		e.Cause = ErrUnsupported
		e.Message = "callback iterations: " + e.Message + " (the kernel's pruning is not modelled)"
		return e
	}
	if st != nil && st.cbSpec && !c.kv.has(featCallbackIter) {
		e.Cause = ErrUnsupported
		e.Message = "callback iterations: " + e.Message + " (on a path kernels before 6.7 do not explore)"
	}
	return e
}

// pathVerdict turns the rejection e found on a path where the kernel knows
// more than the checker (state.imprecise) into no verdict: the kernel may
// never walk the instructions that failed.
func pathVerdict(st *state, e *verifier.Error) *verifier.Error {
	if st != nil && st.imprecise != "" && e.Cause == ErrRejected {
		e.Cause = ErrUnsupported
		e.Message += " (on a path where " + st.imprecise + ": the kernel may not walk it)"
	}
	return e
}

// checkCallbacksSeen gives no verdict, after a successful exploration, on
// a program that loads the address of a function the exploration never
// entered (bpf_loop(0, ...), an address not passed to a callback helper):
// the kernel removes the dead function (privileged programs) and then
// sometimes finds no function at the loaded address ("verifier bug: No
// program to jit"), sometimes accepts (6.18). Without
// the JIT (Options.Interpreter) the kernel refuses callbacks: not modelled.
func (c *checker) checkCallbacksSeen() *verifier.Error {
	if c.seen == nil {
		return nil
	}
	for i := range c.insns {
		if !c.seen[i] || !c.insns[i].IsLoadOfFunctionPointer() {
			continue
		}
		if c.opts.Interpreter {
			return c.fail(nil, i, ErrUnsupported, "", "callbacks without the JIT are not modelled")
		}
		if t := c.target[i]; t >= 0 && !c.seen[c.starts[c.subprog[t]]] {
			return c.fail(nil, i, ErrUnsupported, "", "the address of a function never verified (at insn %d) is not modelled", c.raw[t])
		}
	}
	return nil
}
