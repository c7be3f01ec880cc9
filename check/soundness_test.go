package check

import (
	"encoding/binary"
	"testing"
	"unsafe"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/internal/testenv"
)

// withOff, withDst and withSrc set a field of ins (reserved-field cases).
func withOff(ins asm.Instruction, off int16) asm.Instruction      { ins.Offset = off; return ins }
func withDst(ins asm.Instruction, r asm.Register) asm.Instruction { ins.Dst = r; return ins }
func withSrc(ins asm.Instruction, r asm.Register) asm.Instruction { ins.Src = r; return ins }

// TestSoundnessRegressions holds one program per false accept and false
// ErrRejected class found by the mutation differential (issue 16): the
// checker's verdict, and the running kernel's, which must agree with the
// table on every modelled kernel (these rules did not change between 6.1
// and 6.18).
func TestSoundnessRegressions(t *testing.T) {
	sockFilter := func(body ...asm.Instruction) asm.Instructions {
		return append(append(asm.Instructions{asm.Mov.Reg(asm.R6, asm.R1)}, body...), asm.Mov.Imm(asm.R0, 0), asm.Return())
	}
	xdp := func(body ...asm.Instruction) asm.Instructions {
		return append(append(asm.Instructions{}, body...), asm.Mov.Imm(asm.R0, 2), asm.Return())
	}
	// csum_diff(from r1, from_size r2, to = fp-8 (4 initialised bytes), 4, seed 0)
	csum := func(from asm.Instruction, size int32) asm.Instructions {
		return xdp(
			asm.StoreImm(asm.R10, -8, 0, asm.DWord),
			from,
			asm.Mov.Imm(asm.R2, size),
			asm.Mov.Reg(asm.R3, asm.R10),
			asm.Add.Imm(asm.R3, -8),
			asm.Mov.Imm(asm.R4, 4),
			asm.Mov.Imm(asm.R5, 0),
			asm.Call(asm.FnCsumDiff),
		)
	}
	// lookup in map m with an 8-byte key on the stack, then read size
	// bytes at off of the value when it is not NULL.
	lookup := func(m string, off int16, size asm.Size) asm.Instructions {
		return xdp(
			asm.StoreImm(asm.R10, -8, 32, asm.Word),
			asm.StoreImm(asm.R10, -4, 0x0a000001, asm.Word),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -8),
			asm.LoadMapPtr(asm.R1, m),
			asm.Call(asm.FnMapLookupElem),
			asm.JEq.Imm(asm.R0, 0, "out"),
			asm.LoadMem(asm.R1, asm.R0, off, size),
			asm.Mov.Imm(asm.R0, 2).WithSymbol("out"),
		)
	}
	tests := []struct {
		name   string
		typ    kernel.ProgramType
		insns  asm.Instructions
		check  verdict // the checker's verdict
		kernel verdict // the kernel's (accept or reject)
	}{
		// LD_IMM64: off is reserved (178 mutants).
		{"ldimm64_off", kernel.XDP, xdp(withOff(asm.LoadImm64(asm.R1, 7), 1)), reject, reject},
		{"ldimm64_ok", kernel.XDP, xdp(asm.LoadImm64(asm.R1, 7)), accept, accept},
		// LD_ABS/LD_IND: dst must be R0, off 0, LD_ABS has no source (39).
		{"ldabs_dst", kernel.SocketFilter, sockFilter(withDst(asm.LoadAbs(12, asm.Half), asm.R1)), reject, reject},
		{"ldabs_off", kernel.SocketFilter, sockFilter(withOff(asm.LoadAbs(12, asm.Half), 2)), reject, reject},
		{"ldabs_src", kernel.SocketFilter, sockFilter(withSrc(asm.LoadAbs(12, asm.Half), asm.R1)), reject, reject},
		{"ldind_dst", kernel.SocketFilter, sockFilter(asm.Mov.Imm(asm.R7, 2), withDst(asm.LoadInd(asm.R7, 12, asm.Byte), asm.R2)), reject, reject},
		{"ldind_off", kernel.SocketFilter, sockFilter(asm.Mov.Imm(asm.R7, 2), withOff(asm.LoadInd(asm.R7, 12, asm.Byte), -1)), reject, reject},
		{"ldabs_ok", kernel.SocketFilter, sockFilter(asm.LoadAbs(12, asm.Half)), accept, accept},
		{"ldind_ok", kernel.SocketFilter, sockFilter(asm.Mov.Imm(asm.R7, 2), asm.LoadInd(asm.R7, 12, asm.Byte)), accept, accept},
		// bpf_csum_diff: NULL needs size 0, a non-NULL scalar is no
		// memory even with size 0, sizes are not negative (6).
		{"csum_null_size4", kernel.XDP, csum(asm.Mov.Imm(asm.R1, 0), 4), reject, reject},
		{"csum_scalar_size0", kernel.XDP, csum(asm.Mov.Imm(asm.R1, 1), 0), reject, reject},
		{"csum_null_negative", kernel.XDP, csum(asm.Mov.Imm(asm.R1, 0), -1), reject, reject},
		{"csum_null_size0", kernel.XDP, csum(asm.Mov.Imm(asm.R1, 0), 0), accept, accept},
		// 32-bit pointer subtraction (cilium's NAT path): an unknown
		// scalar for privileged programs.
		{"sub32_ptr_ptr", kernel.XDP, xdp(
			asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
			asm.LoadMem(asm.R3, asm.R1, 4, asm.Word),
			asm.Sub.Reg32(asm.R3, asm.R2),
			asm.Mov.Reg(asm.R0, asm.R3),
		), accept, accept},
		{"sub32_ptr_imm", kernel.XDP, xdp(asm.Mov.Reg(asm.R2, asm.R1), asm.Sub.Imm32(asm.R2, 4), asm.Mov.Reg(asm.R0, asm.R2)), accept, accept},
		{"add32_ptr_imm", kernel.XDP, xdp(asm.Mov.Reg(asm.R2, asm.R1), asm.Add.Imm32(asm.R2, 4)), reject, reject},
		// LPM trie lookups return the value.
		{"lpm_lookup", kernel.XDP, lookup("lpm", 0, asm.DWord), accept, accept},
		{"lpm_lookup_oob", kernel.XDP, lookup("lpm", 4, asm.DWord), reject, reject},
		// A lookup in an array of maps returns the inner map or NULL;
		// updates are refused.
		{"outer_lookup", kernel.XDP, xdp(
			asm.StoreImm(asm.R10, -8, 0, asm.DWord),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -8),
			asm.LoadMapPtr(asm.R1, "outer"),
			asm.Call(asm.FnMapLookupElem),
		), accept, accept},
		{"inner_lookup", kernel.XDP, xdp(
			asm.StoreImm(asm.R10, -8, 0, asm.DWord),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -8),
			asm.LoadMapPtr(asm.R1, "outer"),
			asm.Call(asm.FnMapLookupElem),
			asm.JEq.Imm(asm.R0, 0, "out"),
			asm.Mov.Reg(asm.R1, asm.R0),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -8),
			asm.Call(asm.FnMapLookupElem),
			asm.JEq.Imm(asm.R0, 0, "out"),
			asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
			asm.Mov.Imm(asm.R0, 2).WithSymbol("out"),
		), accept, accept},
		{"inner_lookup_oob", kernel.XDP, xdp(
			asm.StoreImm(asm.R10, -8, 0, asm.DWord),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -8),
			asm.LoadMapPtr(asm.R1, "outer"),
			asm.Call(asm.FnMapLookupElem),
			asm.JEq.Imm(asm.R0, 0, "out"),
			asm.Mov.Reg(asm.R1, asm.R0),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -8),
			asm.Call(asm.FnMapLookupElem),
			asm.JEq.Imm(asm.R0, 0, "out"),
			asm.LoadMem(asm.R1, asm.R0, 4, asm.DWord),
			asm.Mov.Imm(asm.R0, 2).WithSymbol("out"),
		), reject, reject},
		{"inner_unchecked", kernel.XDP, xdp(
			asm.StoreImm(asm.R10, -8, 0, asm.DWord),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -8),
			asm.LoadMapPtr(asm.R1, "outer"),
			asm.Call(asm.FnMapLookupElem),
			asm.Mov.Reg(asm.R1, asm.R0),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -8),
			asm.Call(asm.FnMapLookupElem),
		), reject, reject},
		{"outer_update", kernel.XDP, xdp(
			asm.StoreImm(asm.R10, -8, 0, asm.DWord),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -8),
			asm.Mov.Reg(asm.R3, asm.R10),
			asm.Add.Imm(asm.R3, -8),
			asm.Mov.Imm(asm.R4, 0),
			asm.LoadMapPtr(asm.R1, "outer"),
			asm.Call(asm.FnMapUpdateElem),
		), reject, reject},
	}
	env := loadEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := genProg{name: tt.name, typ: tt.typ, license: "GPL", insns: tt.insns}
			err := checkInsns(tt.insns, checkOpts(p))
			if got := verdictOf(err); got != tt.check {
				t.Errorf("check: %v (%v), want %v", got, err, tt.check)
			}
			klog, kerr := env.kernelVerdict(p, 0)
			if got := verdictOf(kerr); got != tt.kernel {
				t.Errorf("kernel: %v (%s), want %v", got, lastLine(klog), tt.kernel)
			}
		})
	}
}

// TestMapLoadWithValueOffset: a resolved map pointer load (PseudoMapFD)
// whose second slot has an immediate: "unrecognized bpf_ld_imm64 insn".
func TestMapLoadWithValueOffset(t *testing.T) {
	env := loadEnv(t)
	m := env.maps["hash"]
	for _, hi := range []int64{0, 1} {
		ld := asm.LoadMapPtr(asm.R1, "hash")
		ld.SetMapFD(m.FD())
		ld.Constant |= hi << 32
		insns := asm.Instructions{ld, asm.Mov.Imm(asm.R0, 2), asm.Return()}
		err := checkInsns(insns, progEnv{ProgramType: kernel.XDP, License: "GPL", MapsByFD: env.fds})
		_, kerr := env.kernelVerdict(genProg{name: "mapfd", typ: kernel.XDP, license: "GPL", insns: insns}, 0)
		want := accept
		if hi != 0 {
			want = reject
		}
		if verdictOf(err) != want || verdictOf(kerr) != want {
			t.Errorf("hi=%d: check %v (%v), kernel %v (%v), want %v", hi, verdictOf(err), err, verdictOf(kerr), kerr, want)
		}
	}
}

// TestLdImm64SecondSlot: the second slot of LD_IMM64 has no fields in
// asm.Instruction; Decode refuses non-zero ones (so the checker never sees
// them) and the kernel rejects them ("invalid bpf_ld_imm64 insn").
func TestLdImm64SecondSlot(t *testing.T) {
	testenv.RequirePrivileged(t)
	base, err := asm.Instructions{asm.LoadImm64(asm.R0, 1), asm.Return()}.Encode(binary.NativeEndian)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []struct {
		name string
		at   int
		val  byte
	}{{"opcode", 8, 0x18}, {"registers", 9, 0x01}, {"offset", 10, 0x01}} {
		code := append([]byte(nil), base...)
		code[field.at] = field.val
		if _, err := asm.Decode(code, binary.NativeEndian); err == nil {
			t.Errorf("%s: Decode accepted a second slot with a non-zero %s", field.name, field.name)
		}
		if err := rawLoad(code, kernel.XDP); err == nil {
			t.Errorf("%s: the kernel accepted a second slot with a non-zero %s", field.name, field.name)
		}
	}
}

// rawLoad loads raw instructions into the kernel (no log).
func rawLoad(code []byte, typ kernel.ProgramType) error {
	license := []byte("GPL\x00")
	attr := sys.ProgLoadAttr{
		ProgType: uint32(typ),
		InsnCnt:  uint32(len(code) / 8),
		Insns:    sys.NewPointer(unsafe.Pointer(&code[0])),
		License:  sys.NewPointer(unsafe.Pointer(&license[0])),
	}
	fd, err := sys.ProgLoad(&attr)
	if err == nil {
		fd.Close()
	}
	return err
}

// TestGlobalFunctions: a global function is verified by the kernel, and
// the checker, on its own from its BTF prototype (its int * argument may
// be NULL), so global_call of testdata/globalfunc.o is rejected; the same
// code as a static function is verified in the caller's context and
// accepted; a NULL check makes the global function safe; a context
// argument is the context; a caller must pass the whole pointee.
func TestGlobalFunctions(t *testing.T) {
	testenv.RequirePrivileged(t)
	cs, err := elf.Open("testdata/globalfunc.o")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][2]verdict{
		"global_call":      {reject, reject},
		"static_call":      {accept, accept},
		"global_checked":   {accept, accept},
		"global_ctx":       {accept, accept},
		"global_too_small": {reject, reject},
	} {
		one := cs.Copy()
		for n := range one.Programs {
			if n != name {
				delete(one.Programs, n)
			}
		}
		err := Collection(one, Options{})
		if got := verdictOf(err); got != want[0] {
			t.Errorf("%s: check %v (%v), want %v", name, got, err, want[0])
		}
		coll, kerr := bpf.NewCollection(one)
		if kerr == nil {
			coll.Close()
		}
		if got := verdictOf(kerr); got != want[1] {
			t.Errorf("%s: kernel %v (%v), want %v", name, got, kerr, want[1])
		}
	}
}
