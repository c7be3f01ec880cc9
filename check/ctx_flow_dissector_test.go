package check

import (
	"errors"
	"fmt"
	"testing"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
)

// TestFlowDissectorContextAgreesWithKernel compares every access to the
// flow dissector's __sk_buff (and around it) with the kernel, then every
// access to struct bpf_flow_keys through the flow_keys pointer, moved by
// constants and by a variable, and the packet and return value rules.
func TestFlowDissectorContextAgreesWithKernel(t *testing.T) {
	env := loadEnv(t)
	requireProgramType(t, kernel.FlowDissector)
	probes := ctxProbes(kernel.FlowDissector, span(-9, skbSize+9))
	keys := func(name string, body ...asm.Instruction) genProg {
		insns := asm.Instructions{asm.LoadMem(asm.R2, asm.R1, skbFlowKeys, asm.DWord)}
		insns = append(insns, body...)
		insns = append(insns, asm.Mov.Imm(asm.R0, 0), asm.Return())
		return genProg{name: "flow_keys/" + name, class: "ctx", typ: kernel.FlowDissector, license: "GPL", insns: insns}
	}
	for off := int16(-3); off < flowKeysSize+3; off++ {
		for _, size := range []asm.Size{asm.Byte, asm.Half, asm.Word, asm.DWord} {
			n := fmt.Sprintf("%d/%d", off, size.Sizeof())
			probes = append(probes,
				keys(n+"/load", asm.LoadMem(asm.R3, asm.R2, off, size)),
				keys(n+"/store", asm.Mov.Imm(asm.R3, 7), asm.StoreMem(asm.R2, off, asm.R3, size)),
				keys(n+"/storeimm", asm.StoreImm(asm.R2, off, 7, size)),
				// The pointer moved by a constant first.
				keys(n+"/moved", asm.Add.Imm(asm.R2, int32(off)), asm.LoadMem(asm.R3, asm.R2, 0, size)),
			)
		}
	}
	probes = append(probes,
		keys("variable", asm.Call(asm.FnGetPrandomU32), asm.And.Imm(asm.R0, 7),
			asm.LoadMem(asm.R2, asm.R6, skbFlowKeys, asm.DWord), asm.Add.Reg(asm.R2, asm.R0), asm.LoadMem(asm.R3, asm.R2, 0, asm.Byte)),
		keys("atomic", asm.Mov.Imm(asm.R3, 1), asm.AtomicAdd(asm.R2, 0, asm.R3, asm.Word)),
		keys("spill", asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord), asm.LoadMem(asm.R4, asm.RFP, -8, asm.DWord),
			asm.StoreImm(asm.R4, 8, 1, asm.Half)),
		keys("null_check", asm.JEq.Imm(asm.R2, 0, "out"), asm.StoreImm(asm.R2, 0, 1, asm.Half), asm.Mov.Imm(asm.R0, 0).WithSymbol("out")),
		keys("and", asm.And.Imm(asm.R2, -8)),
		keys("alu32", asm.Add.Imm32(asm.R2, 4)),
	)
	pkt := func(name string, body ...asm.Instruction) genProg {
		insns := asm.Instructions{
			asm.LoadMem(asm.R2, asm.R1, skbData, asm.Word),
			asm.LoadMem(asm.R3, asm.R1, skbDataEnd, asm.Word),
			asm.Mov.Reg(asm.R4, asm.R2), asm.Add.Imm(asm.R4, 14),
			asm.JGT.Reg(asm.R4, asm.R3, "out"),
		}
		insns = append(insns, body...)
		insns = append(insns, asm.Mov.Imm(asm.R0, 0).WithSymbol("out"), asm.Return())
		return genProg{name: "pkt/" + name, class: "ctx", typ: kernel.FlowDissector, license: "GPL", insns: insns}
	}
	probes = append(probes,
		pkt("read", asm.LoadMem(asm.R5, asm.R2, 12, asm.Half)),
		pkt("read_past", asm.LoadMem(asm.R5, asm.R2, 13, asm.Half)),
		pkt("write", asm.StoreImm(asm.R2, 0, 0, asm.Byte)),
	)
	ret := func(name string, insns ...asm.Instruction) genProg {
		return genProg{name: "ret/" + name, class: "ctx", typ: kernel.FlowDissector, license: "GPL", insns: insns}
	}
	probes = append(probes,
		ret("ok", asm.Mov.Imm(asm.R0, 0), asm.Return()),
		ret("drop", asm.Mov.Imm(asm.R0, 2), asm.Return()),
		ret("continue", asm.Mov.Imm(asm.R0, 129), asm.Return()),
		ret("negative", asm.Mov.Imm(asm.R0, -1), asm.Return()),
		ret("random", asm.Call(asm.FnGetPrandomU32), asm.Return()),
		ret("ctx", asm.Mov.Reg(asm.R0, asm.R1), asm.Return()),
		ret("load_bytes",
			asm.Mov.Reg(asm.R3, asm.RFP), asm.Add.Imm(asm.R3, -16),
			asm.Mov.Imm(asm.R2, 0), asm.Mov.Imm(asm.R4, 14),
			asm.Call(asm.FnSkbLoadBytes), asm.Return()),
		ret("store_bytes",
			asm.StoreImm(asm.RFP, -8, 0, asm.DWord),
			asm.Mov.Reg(asm.R3, asm.RFP), asm.Add.Imm(asm.R3, -8),
			asm.Mov.Imm(asm.R2, 0), asm.Mov.Imm(asm.R4, 8), asm.Mov.Imm(asm.R5, 0),
			asm.Call(asm.FnSkbStoreBytes), asm.Return()),
	)
	var accepted, total int
	for _, p := range probes {
		if p.name == "flow_keys/variable" {
			// R6 holds the context across the call.
			p.insns = append(asm.Instructions{asm.Mov.Reg(asm.R6, asm.R1)}, p.insns...)
		}
		o := compare(t, env, p)
		total++
		if o.kernel == nil {
			accepted++
		}
		if o.falseAccept() || (o.falseReject() && !errors.Is(o.ours, ErrUnsupported)) {
			t.Errorf("%v", o)
		}
		if errors.Is(o.ours, ErrUnsupported) && p.name != "flow_keys/variable" {
			t.Errorf("%s: no verdict: %v", p.name, o.ours)
		}
	}
	t.Logf("%d flow dissector accesses (%d accepted by the kernel), all verdicts the kernel's", total, accepted)
}

// TestFlowDissectorHelpersByVersion checks that the current-task helpers,
// which flow dissectors gained with the networking types after 6.1, are
// not modelled on 6.1 while the helpers 6.1 gives them are accepted.
func TestFlowDissectorHelpersByVersion(t *testing.T) {
	for _, tt := range []struct {
		fn          asm.BuiltinFunc
		unsupported bool
	}{
		{asm.FnGetCurrentPidTgid, true},
		{asm.FnGetCurrentCgroupId, true},
		{asm.FnGetCurrentComm, true},
		{asm.FnKtimeGetNs, false},
		{asm.FnGetPrandomU32, false},
	} {
		insns := asm.Instructions{asm.Call(tt.fn), asm.Mov.Imm(asm.R0, 0), asm.Return()}
		if tt.fn == asm.FnGetCurrentComm {
			insns = append(asm.Instructions{asm.Mov.Reg(asm.R1, asm.RFP), asm.Add.Imm(asm.R1, -16), asm.Mov.Imm(asm.R2, 16)}, insns...)
		}
		err := checkInsns(insns, progEnv{ProgramType: kernel.FlowDissector, License: "GPL", KernelVersion: k61})
		if got := errors.Is(err, ErrUnsupported); got != tt.unsupported || (!tt.unsupported && err != nil) {
			t.Errorf("%s on 6.1: %v, want unsupported %v", tt.fn, err, tt.unsupported)
		}
	}
}
