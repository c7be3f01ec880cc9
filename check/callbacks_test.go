package check

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/maps"
)

// callbackProgram is a main function followed by functions (each a list
// of instructions whose first carries its symbol).
func callbackProgram(main asm.Instructions, funcs ...asm.Instructions) asm.Instructions {
	return cat(append([]asm.Instructions{main}, funcs...)...)
}

// cbFunc names the first instruction of a function.
func cbFunc(name string, insns ...asm.Instruction) asm.Instructions {
	out := asm.Instructions(insns)
	out[0] = out[0].WithSymbol(name)
	return out
}

// funcStarts are the raw indexes of the functions of insns: 0 and each
// target of a call or function address load (the func_info the loader
// sends).
func funcStarts(t *testing.T, insns asm.Instructions) []int {
	syms, err := insns.SymbolOffsets()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{0: true}
	starts := []int{0}
	for _, ins := range insns {
		if ins.IsFunctionCall() || ins.IsLoadOfFunctionPointer() {
			if at, ok := syms[ins.Reference()]; ok && !seen[at] {
				seen[at] = true
				starts = append(starts, at)
			}
		}
	}
	for i := 1; i < len(starts); i++ {
		for j := i; j > 0 && starts[j] < starts[j-1]; j-- {
			starts[j], starts[j-1] = starts[j-1], starts[j]
		}
	}
	return starts
}

// counterIndex: a counter at fp-8 that the callback "cb" increments
// through bpf_loop(16, ...), then the value of m at key 0 indexed by it.
func counterIndex(m string) asm.Instructions {
	return cat(asm.Instructions{
		asm.StoreImm(asm.R10, -8, 0, asm.DWord),
		asm.Mov.Reg(asm.R3, asm.R10),
		asm.Add.Imm(asm.R3, -8),
	}, loop(16, "cb"), asm.Instructions{
		asm.LoadMem(asm.R6, asm.R10, -8, asm.DWord),
		asm.StoreImm(asm.R10, -16, 0, asm.Word),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -16),
		asm.LoadMapPtr(asm.R1, m),
		asm.Call(asm.FnMapLookupElem),
		asm.JEq.Imm(asm.R0, 0, "out"),
		asm.Add.Reg(asm.R0, asm.R6),
		asm.LoadMem(asm.R0, asm.R0, 0, asm.Byte),
	}, out0)
}

var counterCB = cbFunc("cb",
	asm.LoadMem(asm.R1, asm.R2, 0, asm.DWord),
	asm.Add.Imm(asm.R1, 1),
	asm.StoreMem(asm.R2, 0, asm.R1, asm.DWord),
	asm.Mov.Imm(asm.R0, 0),
	asm.Return())

var cbMaps = map[string]*maps.Spec{
	"big":   {Name: "big", Type: kernel.MapArray, KeySize: 4, ValueSize: 128, MaxEntries: 1},
	"array": {Name: "array", Type: kernel.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 4},
	"hash":  {Name: "hash", Type: kernel.MapHash, KeySize: 4, ValueSize: 16, MaxEntries: 64},
	"lpm":   {Name: "lpm", Type: kernel.MapLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 64, Flags: 1},
	"progs": {Name: "progs", Type: kernel.MapProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 4},
}

// loop calls bpf_loop(n, &cb, ctx, 0) with ctx in R3 already set.
func loop(n int32, cb string) asm.Instructions {
	return asm.Instructions{
		asm.Mov.Imm(asm.R1, n),
		asm.LoadFuncPtr(asm.R2, cb),
		asm.Mov.Imm(asm.R4, 0),
		asm.Call(asm.FnLoop),
	}
}

// forEach calls bpf_for_each_map_elem(&m, &cb, NULL, 0).
func forEach(m, cb string) asm.Instructions {
	return asm.Instructions{
		asm.LoadMapPtr(asm.R1, m),
		asm.LoadFuncPtr(asm.R2, cb),
		asm.Mov.Imm(asm.R3, 0),
		asm.Mov.Imm(asm.R4, 0),
		asm.Call(asm.FnForEachMapElem),
	}
}

var (
	nullCtx = asm.Instructions{asm.Mov.Imm(asm.R3, 0)}
	// stackCtx: fp-8 holds 7, R3 points to it.
	stackCtx = asm.Instructions{
		asm.StoreImm(asm.R10, -8, 7, asm.DWord),
		asm.Mov.Reg(asm.R3, asm.R10),
		asm.Add.Imm(asm.R3, -8),
	}
	ret0 = cbFunc("cb", asm.Mov.Imm(asm.R0, 0), asm.Return())
)

// nestedLoops is a main function and depth callbacks, each calling the
// next through bpf_loop: 1+depth frames.
func nestedLoops(depth int) asm.Instructions {
	main := cat(nullCtx, loop(1, "f1"), exit0)
	var funcs []asm.Instructions
	for i := 1; i <= depth; i++ {
		if i == depth {
			funcs = append(funcs, cbFunc(fmt.Sprintf("f%d", i), asm.Mov.Imm(asm.R0, 0), asm.Return()))
			continue
		}
		body := cat(nullCtx, loop(1, fmt.Sprintf("f%d", i+1)), exit0)
		body[0] = body[0].WithSymbol(fmt.Sprintf("f%d", i))
		funcs = append(funcs, body)
	}
	return callbackProgram(main, funcs...)
}

// TestCallbacks checks the callback helpers' rules on the kernels of
// series (6.1.0, 6.1.192, 6.12.19, 6.12.118, 6.18.44): verdicts read from
// the kernels' verifier sources, and for 6.18 compared with this kernel by
// TestRealisticProgramsAgreeWithKernel on the C programs of
// testdata/progs/callbacks.c.
func TestCallbacks(t *testing.T) {
	all := func(v verdict) [5]verdict { return [5]verdict{v, v, v, v, v} }
	for _, tc := range []struct {
		name     string
		insns    asm.Instructions
		noFuncs  bool // loaded without func_info
		global   bool // the callback is a global function
		check    [5]verdict
		contains string // in the message on 6.18
	}{
		{name: "bpf_loop with a callback returning 0", insns: callbackProgram(cat(nullCtx, loop(4, "cb"), exit0), ret0), check: all(accept)},
		{name: "callback returning 2", insns: callbackProgram(cat(nullCtx, loop(4, "cb"), exit0),
			cbFunc("cb", asm.Mov.Imm(asm.R0, 2), asm.Return())), check: all(reject), contains: "At callback return"},
		{name: "callback returning an unknown value", insns: callbackProgram(cat(nullCtx, loop(4, "cb"), exit0),
			cbFunc("cb", random, asm.Return())), check: all(reject), contains: "At callback return"},
		{name: "callback returning a bit", insns: callbackProgram(cat(nullCtx, loop(4, "cb"), exit0),
			cbFunc("cb", random, asm.And.Imm(asm.R0, 1), asm.Return())), check: all(accept)},
		{name: "callback without return value", insns: callbackProgram(cat(nullCtx, loop(4, "cb"), exit0),
			cbFunc("cb", asm.Return())), check: all(reject), contains: "!read_ok"},
		{name: "no func_info", insns: callbackProgram(cat(nullCtx, loop(4, "cb"), exit0), ret0), noFuncs: true,
			check: all(reject), contains: "missing btf func_info"},
		{name: "global callback", insns: callbackProgram(cat(nullCtx, loop(4, "cb"), exit0), ret0), global: true,
			check: all(reject), contains: "not static"},
		// Since 6.7 bpf_loop(0, ...) never verifies the callback; 6.18
		// accepts the program anyway (testdata/progs/callbacks.c), which
		// is not modelled (nor whether a 6.1 stable release has the
		// 6.7 rules).
		{name: "bpf_loop of zero iterations", insns: callbackProgram(cat(nullCtx, loop(0, "cb"), exit0), ret0),
			check: all(unsupported)},
		// The kernel removes the never verified function as dead code,
		// then may or may not find a function at the address.
		{name: "callback address loaded but never called", insns: callbackProgram(
			cat(asm.Instructions{asm.LoadFuncPtr(asm.R2, "cb")}, exit0), ret0), check: all(unsupported)},
		{name: "context on the caller's stack read by the callback", insns: callbackProgram(cat(stackCtx, loop(4, "cb"), exit0),
			cbFunc("cb", asm.LoadMem(asm.R0, asm.R2, 0, asm.DWord), asm.And.Imm(asm.R0, 1), asm.Return())), check: all(accept)},
		{name: "callback reads past its context", insns: callbackProgram(cat(stackCtx, loop(4, "cb"), exit0),
			cbFunc("cb", asm.LoadMem(asm.R0, asm.R2, 8, asm.DWord), asm.Mov.Imm(asm.R0, 0), asm.Return())), check: all(reject), contains: "invalid read from stack"},
		{name: "NULL context dereferenced", insns: callbackProgram(cat(nullCtx, loop(4, "cb"), exit0),
			cbFunc("cb", asm.LoadMem(asm.R0, asm.R2, 0, asm.DWord), asm.Mov.Imm(asm.R0, 0), asm.Return())), check: all(reject), contains: "invalid mem access 'scalar'"},
		{name: "context that is not a stack pointer", insns: callbackProgram(cat(lookupArray0, asm.Instructions{
			asm.JEq.Imm(asm.R0, 0, "out"), asm.Mov.Reg(asm.R3, asm.R0)}, loop(4, "cb"), out0), ret0), check: all(reject), contains: "expected=fp"},
		{name: "callback changes a scalar of the caller", insns: callbackProgram(cat(stackCtx, loop(4, "cb"), exit0),
			cbFunc("cb", asm.StoreMem(asm.R2, 0, asm.R1, asm.DWord), asm.Mov.Imm(asm.R0, 0), asm.Return())),
			// (6.1.0 keeps the immediate as unknown bytes, not a
			// scalar: nothing to widen. Since 6.7 the kernel widens it
			// or not, and either way accepts.)
			check: [5]verdict{accept, unsupported, accept, accept, accept}},
		// A counter in the caller's stack, then an index into a map
		// value: bounded by nr_loops only if the kernel did not widen
		// it (it marks it precise, which the checker does not model).
		{name: "callback counter used as an index within bounds", insns: callbackProgram(counterIndex("big"), counterCB),
			check: [5]verdict{unsupported, unsupported, unsupported, unsupported, unsupported}},
		// Out of bounds even without widening: the kernel rejects.
		{name: "callback counter used as an index out of bounds", insns: callbackProgram(counterIndex("array"), counterCB),
			check: [5]verdict{unsupported, unsupported, reject, reject, reject}, contains: "invalid access to map value"},
		{name: "callback stores the same constant", insns: callbackProgram(cat(stackCtx, loop(4, "cb"), exit0),
			cbFunc("cb", asm.StoreImm(asm.R2, 0, 7, asm.DWord), asm.Mov.Imm(asm.R0, 0), asm.Return())), check: all(accept)},
		// The slot is written only by the callback: 6.7+ explore the
		// path where the callback never ran (privileged uninitialised
		// stack reads are allowed from 6.3 and 6.1.100); 6.1.0 does
		// not explore it (the checker has no verdict) and reads the
		// slot after the one iteration it verifies.
		{name: "caller reads a slot only the callback writes", insns: callbackProgram(cat(
			asm.Instructions{asm.Mov.Reg(asm.R3, asm.R10), asm.Add.Imm(asm.R3, -8)}, loop(4, "cb"),
			asm.Instructions{asm.LoadMem(asm.R0, asm.R10, -8, asm.DWord), asm.Return()}),
			cbFunc("cb", asm.StoreImm(asm.R2, 0, 1, asm.DWord), asm.Mov.Imm(asm.R0, 0), asm.Return())),
			check: [5]verdict{unsupported, accept, accept, accept, accept}},
		{name: "bpf_for_each_map_elem over an array reading values", insns: callbackProgram(cat(forEach("array", "cb"), exit0),
			cbFunc("cb", asm.LoadMem(asm.R0, asm.R3, 0, asm.DWord), asm.LoadMem(asm.R0, asm.R2, 0, asm.Word), asm.Mov.Imm(asm.R0, 0), asm.Return())), check: all(accept)},
		{name: "for_each callback writes its value", insns: callbackProgram(cat(forEach("hash", "cb"), exit0),
			cbFunc("cb", asm.StoreImm(asm.R3, 8, 1, asm.DWord), asm.Mov.Imm(asm.R0, 0), asm.Return())), check: all(accept)},
		{name: "for_each callback reads past its key", insns: callbackProgram(cat(forEach("array", "cb"), exit0),
			cbFunc("cb", asm.LoadMem(asm.R0, asm.R2, 4, asm.Word), asm.Mov.Imm(asm.R0, 0), asm.Return())), check: all(reject), contains: "map key"},
		{name: "for_each callback NULL-checks its key", insns: callbackProgram(cat(forEach("array", "cb"), exit0),
			cbFunc("cb", asm.Mov.Imm(asm.R0, 0), asm.JNE.Imm(asm.R2, 0, "ok"), asm.Mov.Imm(asm.R0, 2),
				asm.Return().WithSymbol("ok"))), check: all(accept)},
		{name: "for_each callback writes its key", insns: callbackProgram(cat(forEach("array", "cb"), exit0),
			cbFunc("cb", asm.StoreImm(asm.R2, 0, 1, asm.Word), asm.Mov.Imm(asm.R0, 0), asm.Return())), check: all(reject), contains: "write to change key"},
		{name: "for_each callback deletes its element", insns: callbackProgram(cat(forEach("hash", "cb"), exit0),
			cbFunc("cb", asm.Call(asm.FnMapDeleteElem), asm.Mov.Imm(asm.R0, 0), asm.Return())), check: all(accept)},
		{name: "for_each over an LPM trie", insns: callbackProgram(cat(forEach("lpm", "cb"), exit0), ret0), check: all(unsupported)},
		{name: "for_each over a program array", insns: callbackProgram(cat(forEach("progs", "cb"), exit0), ret0), check: all(reject), contains: "cannot pass map_type"},
		{name: "callbacks nested 7 deep (8 frames)", insns: nestedLoops(7), check: all(accept)},
		{name: "callbacks nested 8 deep (9 frames)", insns: nestedLoops(8), check: all(reject), contains: "too deep"},
		{name: "callback stack on top of the caller's", insns: callbackProgram(cat(
			asm.Instructions{asm.StoreImm(asm.R10, -256, 0, asm.DWord)}, nullCtx, loop(1, "cb"), exit0),
			cbFunc("cb", asm.StoreImm(asm.R10, -264, 0, asm.DWord), asm.Mov.Imm(asm.R0, 0), asm.Return())),
			check: all(reject), contains: "combined stack size"},
		{name: "the entry function as a callback", insns: cat(asm.Instructions{asm.Mov.Imm(asm.R3, 0).WithSymbol("main")},
			loop(1, "main"), exit0), check: all(unsupported)},
		{name: "arithmetic on a function address", insns: callbackProgram(cat(nullCtx, loop(1, "cb")[:2],
			asm.Instructions{asm.Add.Imm(asm.R2, 8), asm.Mov.Imm(asm.R4, 0), asm.Call(asm.FnLoop)}, exit0), ret0), check: all(unsupported)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			starts := funcStarts(t, tc.insns)
			for i, v := range series {
				env := progEnv{Program: "p", ProgramType: kernel.XDP, License: "GPL", Maps: cbMaps, FuncInfo: starts, KernelVersion: v}
				if tc.noFuncs {
					env.FuncInfo = nil
				}
				if tc.global {
					env.GlobalFuncs = map[int]*globalProto{starts[1]: {name: "cb", args: []globalArg{{kind: globalScalar}, {kind: globalScalar}}}}
				}
				err := checkInsns(tc.insns, env)
				got := accept
				switch {
				case errors.Is(err, ErrUnsupported):
					got = unsupported
				case err != nil:
					got = reject
				}
				if got != tc.check[i] {
					t.Errorf("Linux %v: %s (%v), want %s", v, got, err, tc.check[i])
				}
				if v == k618 && tc.contains != "" && (err == nil || !strings.Contains(err.Error(), tc.contains)) {
					t.Errorf("Linux %v: %v, want a message with %q", v, err, tc.contains)
				}
			}
		})
	}
}
