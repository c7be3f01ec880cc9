package check

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"unsafe"

	"github.com/purebpf/bpf/asm"
	bpffeatures "github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/internal/testenv"
)

// requireProgramType skips (naming the type) when the kernel lacks it.
func requireProgramType(t *testing.T, typ kernel.ProgramType) {
	t.Helper()
	if err := bpffeatures.HaveProgramType(typ); err != nil {
		if errors.Is(err, bpffeatures.ErrNotSupported) {
			testenv.Skip(t, fmt.Sprintf("program type %s: %v", typ, err))
		}
		t.Fatal(err)
	}
}

// loadAttached loads insns (no maps) as a program of type typ and
// expected attach type at and returns the kernel's verdict.
func loadAttached(typ kernel.ProgramType, at kernel.AttachType, insns asm.Instructions) error {
	code, err := insns.Encode(binary.NativeEndian)
	if err != nil {
		return err
	}
	license := []byte("GPL\x00")
	attr := sys.ProgLoadAttr{
		ProgType:           uint32(typ),
		ExpectedAttachType: uint32(at),
		InsnCnt:            uint32(len(code) / 8),
		Insns:              sys.NewPointer(unsafe.Pointer(&code[0])),
		License:            sys.NewPointer(unsafe.Pointer(&license[0])),
	}
	fd, err := sys.ProgLoad(&attr)
	if err == nil {
		fd.Close()
	}
	return err
}

// TestSKBContextsAgreeWithKernel compares every access to __sk_buff (and
// around it) of cgroup_skb, sk_skb and lwt programs with the kernel.
func TestSKBContextsAgreeWithKernel(t *testing.T) {
	env := loadEnv(t)
	for _, typ := range []kernel.ProgramType{kernel.CGroupSKB, kernel.SkSKB, kernel.LWTIn, kernel.LWTOut, kernel.LWTXmit} {
		t.Run(typ.String(), func(t *testing.T) { testSKBContext(t, env, typ) })
	}
}

func testSKBContext(t *testing.T, env *kernelEnv, typ kernel.ProgramType) {
	requireProgramType(t, typ)
	var accepted, total int
	for _, p := range ctxProbes(typ, span(-9, skbSize+9)) {
		o := compare(t, env, p)
		total++
		if o.kernel == nil {
			accepted++
		}
		if o.falseAccept() || o.falseReject() {
			t.Errorf("%v", o)
		}
		// The socket pointer is modelled only as a whole.
		sk := p.insns[len(p.insns)-3].Offset
		partSK := sk > skbSK && sk < skbSK+8
		if o.ours != nil && errors.Is(o.ours, ErrUnsupported) && !partSK {
			t.Errorf("%s: no verdict: %v", p.name, o.ours)
		}
	}
	t.Logf("%d context accesses (%d accepted by the kernel), all verdicts the kernel's", total, accepted)
}

// TestReturnRangesAgreeWithKernel compares the return value rules of
// cgroup_skb ingress and egress, sock_ops, sk_skb, lwt and
// cgroup_sock_addr programs with
// the kernel's, and packet reads and writes (cgroup_skb, lwt_in and
// lwt_out programs only read packets).
func TestReturnRangesAgreeWithKernel(t *testing.T) {
	testenv.RequirePrivileged(t)
	ret := func(v int32) asm.Instructions { return asm.Instructions{asm.Mov.Imm(asm.R0, v), asm.Return()} }
	masked := func(m int32) asm.Instructions {
		return asm.Instructions{asm.Call(asm.FnGetPrandomU32), asm.And.Imm(asm.R0, m), asm.Return()}
	}
	bounded := func(hi int32) asm.Instructions {
		return asm.Instructions{asm.Call(asm.FnGetPrandomU32), asm.JGT.Imm(asm.R0, hi, "out"), asm.Return(),
			asm.Mov.Imm(asm.R0, 1).WithSymbol("out"), asm.Return()}
	}
	progs := map[string]asm.Instructions{
		"ret0": ret(0), "ret1": ret(1), "ret2": ret(2), "ret3": ret(3), "ret4": ret(4), "ret-1": ret(-1),
		"and1": masked(1), "and3": masked(3), "and2": masked(2), "and7": masked(7),
		"le1": bounded(1), "le2": bounded(2), "le3": bounded(3), "le9": bounded(9),
		"random": {asm.Call(asm.FnGetPrandomU32), asm.Return()},
		"ctx":    {asm.Mov.Reg(asm.R0, asm.R1), asm.Return()},
		"pkt_write": {
			asm.LoadMem(asm.R2, asm.R1, skbData, asm.Word),
			asm.LoadMem(asm.R3, asm.R1, skbDataEnd, asm.Word),
			asm.Mov.Reg(asm.R4, asm.R2), asm.Add.Imm(asm.R4, 1),
			asm.Mov.Imm(asm.R0, 1),
			asm.JGT.Reg(asm.R4, asm.R3, "out"),
			asm.StoreImm(asm.R2, 0, 0, asm.Byte),
			asm.Return().WithSymbol("out"),
		},
		"pkt_read": {
			asm.LoadMem(asm.R2, asm.R1, skbData, asm.Word),
			asm.LoadMem(asm.R3, asm.R1, skbDataEnd, asm.Word),
			asm.Mov.Reg(asm.R4, asm.R2), asm.Add.Imm(asm.R4, 1),
			asm.Mov.Imm(asm.R0, 1),
			asm.JGT.Reg(asm.R4, asm.R3, "out"),
			asm.LoadMem(asm.R0, asm.R2, 0, asm.Byte),
			asm.And.Imm(asm.R0, 1),
			asm.Return().WithSymbol("out"),
		},
	}
	for _, tt := range []struct {
		typ kernel.ProgramType
		at  kernel.AttachType
	}{
		{kernel.CGroupSKB, kernel.AttachCGroupInetIngress},
		{kernel.CGroupSKB, kernel.AttachCGroupInetEgress},
		{kernel.SockOps, kernel.AttachCGroupSockOps},
		{kernel.SkSKB, kernel.AttachSkSKBStreamVerdict},
		{kernel.LWTIn, 0},
		{kernel.LWTOut, 0},
		{kernel.LWTXmit, 0},
		{kernel.CGroupSockAddr, kernel.AttachCGroupInet4Connect},
		{kernel.CGroupSockAddr, kernel.AttachCGroupInet6Bind},
		{kernel.CGroupSockAddr, kernel.AttachCGroupUDP4Recvmsg},
		{kernel.CGroupSock, kernel.AttachCGroupInetSockCreate},
		{kernel.SkMsg, kernel.AttachSkMsgVerdict},
	} {
		requireProgramType(t, tt.typ)
		at := tt.at
		for name, insns := range progs {
			if (tt.typ == kernel.SockOps || tt.typ == kernel.CGroupSockAddr || tt.typ == kernel.CGroupSock || tt.typ == kernel.SkMsg) && (name == "pkt_write" || name == "pkt_read") {
				continue // __sk_buff offsets
			}
			ours := checkInsns(insns, progEnv{Program: name, ProgramType: tt.typ, AttachType: at, License: "GPL"})
			theirs := loadAttached(tt.typ, at, insns)
			switch {
			case ours == nil && theirs != nil:
				t.Errorf("%s/%s: FALSE ACCEPT (kernel: %v)", at, name, theirs)
			case errors.Is(ours, ErrUnsupported):
				// A 64-bit unknown value or a negative constant: the
				// kernels' rules differ (known bits, bounds, 32 bits).
				if name != "random" && name != "ret-1" {
					t.Errorf("%s/%s: no verdict: %v", at, name, ours)
				}
			case ours != nil && theirs == nil:
				t.Errorf("%s/%s: false rejection: %v", at, name, ours)
			}
		}
	}
}

// TestSockOpsContextAgreesWithKernel compares every access to struct
// bpf_sock_ops (and around it) with the kernel.
func TestSockOpsContextAgreesWithKernel(t *testing.T) {
	env := loadEnv(t)
	requireProgramType(t, kernel.SockOps)
	var accepted, total int
	for _, p := range ctxProbes(kernel.SockOps, span(-9, sockOpsSize+9)) {
		o := compare(t, env, p)
		total++
		if o.kernel == nil {
			accepted++
		}
		if o.falseAccept() || (o.falseReject() && !errors.Is(o.ours, ErrUnsupported)) {
			t.Errorf("%v", o)
		}
		off := p.insns[len(p.insns)-3].Offset
		newer := off >= sockOpsSize61 && !kernelAtLeast(t, 6, 18)
		if o.ours != nil && errors.Is(o.ours, ErrUnsupported) && off != sockOpsSK && !newer {
			t.Errorf("%s: no verdict: %v", p.name, o.ours)
		}
	}
	t.Logf("%d context accesses (%d accepted by the kernel), all verdicts the kernel's", total, accepted)
}

// kernelAtLeast reports whether the running kernel is at least
// major.minor.
func kernelAtLeast(t *testing.T, major, minor int) bool {
	v, err := kernel.RunningVersion()
	if err != nil {
		t.Fatal(err)
	}
	return v.AtLeast(kernel.V(major, minor, 0))
}

// TestSockAddrContextAgreesWithKernel compares every access to struct
// bpf_sock_addr (and around it) with the kernel, for each modelled attach
// type.
func TestSockAddrContextAgreesWithKernel(t *testing.T) {
	testenv.RequirePrivileged(t)
	requireProgramType(t, kernel.CGroupSockAddr)
	for at := range sockAddrFamily {
		var accepted, total int
		for _, p := range ctxProbes(kernel.CGroupSockAddr, span(-9, sockAddrSize+9)) {
			// A valid return value for every hook.
			p.insns[len(p.insns)-2] = asm.Mov.Imm(asm.R0, 1)
			ours := checkInsns(p.insns, progEnv{Program: p.name, ProgramType: p.typ, AttachType: at, License: "GPL"})
			theirs := loadAttached(p.typ, at, p.insns)
			total++
			if theirs == nil {
				accepted++
			}
			off := p.insns[len(p.insns)-3].Offset
			switch {
			case ours == nil && theirs != nil:
				t.Errorf("%s/%s: FALSE ACCEPT (kernel: %v)", at, p.name, theirs)
			case errors.Is(ours, ErrUnsupported):
				if off != sockAddrSK {
					t.Errorf("%s/%s: no verdict: %v", at, p.name, ours)
				}
			case ours != nil && theirs == nil:
				t.Errorf("%s/%s: false rejection: %v", at, p.name, ours)
			}
		}
		t.Logf("%s: %d context accesses (%d accepted by the kernel)", at, total, accepted)
	}
}

// TestSockContextAgreesWithKernel compares every access to struct
// bpf_sock (and around it) of cgroup_sock programs with the kernel, for
// each modelled attach type.
func TestSockContextAgreesWithKernel(t *testing.T) {
	testenv.RequirePrivileged(t)
	requireProgramType(t, kernel.CGroupSock)
	for _, at := range sockAttachTypes {
		var accepted, total int
		for _, p := range ctxProbes(kernel.CGroupSock, span(-9, sockSize+9)) {
			ours := checkInsns(p.insns, progEnv{Program: p.name, ProgramType: p.typ, AttachType: at, License: "GPL"})
			theirs := loadAttached(p.typ, at, p.insns)
			total++
			if theirs == nil {
				accepted++
			}
			switch {
			case ours == nil && theirs != nil:
				t.Errorf("%s/%s: FALSE ACCEPT (kernel: %v)", at, p.name, theirs)
			case errors.Is(ours, ErrUnsupported):
				t.Errorf("%s/%s: no verdict: %v", at, p.name, ours)
			case ours != nil && theirs == nil:
				t.Errorf("%s/%s: false rejection: %v", at, p.name, ours)
			}
		}
		t.Logf("%s: %d context accesses (%d accepted by the kernel)", at, total, accepted)
	}
}

// TestSkMsgContextAgreesWithKernel compares every access to struct
// sk_msg_md (and around it) with the kernel.
func TestSkMsgContextAgreesWithKernel(t *testing.T) {
	env := loadEnv(t)
	requireProgramType(t, kernel.SkMsg)
	var accepted, total int
	for _, p := range ctxProbes(kernel.SkMsg, span(-9, skMsgSize+9)) {
		o := compare(t, env, p)
		total++
		if o.kernel == nil {
			accepted++
		}
		if o.falseAccept() || (o.falseReject() && !errors.Is(o.ours, ErrUnsupported)) {
			t.Errorf("%v", o)
		}
		if off := p.insns[len(p.insns)-3].Offset; errors.Is(o.ours, ErrUnsupported) && off != skMsgSK {
			t.Errorf("%s: no verdict: %v", p.name, o.ours)
		}
	}
	t.Logf("%d context accesses (%d accepted by the kernel), all verdicts the kernel's", total, accepted)
}
