package check

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
)

// rawInsn is one raw instruction slot.
type rawInsn struct {
	op       uint8
	dst, src uint8
	off      int16
	imm      int32
}

func (r rawInsn) append(b []byte) []byte {
	var s [8]byte
	s[0] = r.op
	if isBigEndianHost() {
		s[1] = r.dst<<4 | r.src&0xf
	} else {
		s[1] = r.src<<4 | r.dst&0xf
	}
	binary.NativeEndian.PutUint16(s[2:], uint16(r.off))
	binary.NativeEndian.PutUint32(s[4:], uint32(r.imm))
	return append(b, s[:]...)
}

// opcodeVariants returns, for opcode op, a well-formed instruction and the
// same with each field the kernel's check_* functions look at changed.
func opcodeVariants(op uint8) []rawInsn {
	cls := op & 7
	var base rawInsn
	switch cls {
	case 0: // LD
		base = rawInsn{op: op, imm: 12}
		if op&0xe0 == 0x40 { // IND
			base.src = 7
		}
	case 1: // LDX
		base = rawInsn{op: op, dst: 1, src: 10, off: -16}
	case 2: // ST
		base = rawInsn{op: op, dst: 10, off: -16, imm: 1}
	case 3: // STX
		base = rawInsn{op: op, dst: 10, src: 1, off: -16}
	case 4, 7: // ALU
		base = rawInsn{op: op, dst: 1, imm: 3}
		if op&0x08 != 0 {
			base.src, base.imm = 2, 0
		}
		if op&0xf0 == 0xd0 { // END
			base.imm = 16
		}
	case 5, 6: // JMP
		base = rawInsn{op: op, dst: 1, imm: 3}
		if op&0x08 != 0 {
			base.src, base.imm = 2, 0
		}
		switch op & 0xf0 {
		case 0x00: // JA
			base.dst, base.imm = 0, 0
		case 0x80: // CALL
			base.dst, base.imm = 0, int32(asm.FnKtimeGetNs)
		case 0x90: // EXIT
			base.dst, base.imm = 0, 0
		}
	}
	out := []rawInsn{base}
	add := func(f func(r *rawInsn)) {
		r := base
		f(&r)
		out = append(out, r)
	}
	for _, v := range []int16{1, -1, 8, 16, 32} {
		add(func(r *rawInsn) { r.off = v })
	}
	for _, v := range []int32{1, -1, 0, 16, 32, 64, 0x01, 0x40 | 1, 0xe1, 0xf1, 0x100, 0x110} {
		add(func(r *rawInsn) { r.imm = v })
	}
	for _, v := range []uint8{0, 1, 3, 10, 11} {
		add(func(r *rawInsn) { r.src = v })
		add(func(r *rawInsn) { r.dst = v })
	}
	return out
}

// opcodeProgram places ins after a prologue that gives R1-R9 small
// constants and zeroes 16 bytes of stack (socket filters keep the context
// in R6 for LD_ABS/LD_IND), and returns R0 = 0 after it.
func opcodeProgram(ins rawInsn) ([]byte, kernel.ProgramType) {
	typ := kernel.XDP
	var b []byte
	if ins.op&7 == 0 && ins.op != uint8(asm.LdImmDW) {
		typ = kernel.SocketFilter
		b = rawInsn{op: 0xbf, dst: 6, src: 1}.append(b) // r6 = r1
	}
	for r := uint8(1); r <= 9; r++ {
		if r == 6 && typ == kernel.SocketFilter {
			continue
		}
		b = rawInsn{op: 0xb7, dst: r, imm: int32(r)}.append(b)
	}
	b = rawInsn{op: 0x7a, dst: 10, off: -8}.append(b)  // *(u64 *)(r10 - 8) = 0
	b = rawInsn{op: 0x7a, dst: 10, off: -16}.append(b) // *(u64 *)(r10 - 16) = 0
	b = rawInsn{op: 0xb7, dst: 0}.append(b)            // r0 = 0
	b = ins.append(b)
	if ins.op == uint8(asm.LdImmDW) {
		b = rawInsn{}.append(b)
	}
	if ins.op != 0x95 {
		b = rawInsn{op: 0xb7, dst: 0}.append(b)
		b = rawInsn{op: 0x95}.append(b)
	}
	return b, typ
}

// TestOpcodeFieldsAgreeWithKernel runs every opcode of each class, well
// formed and with each field changed (reserved fields, registers, offsets,
// immediates), through the checker and the running kernel: the checker
// may not accept what the kernel rejects, nor claim ErrRejected for what
// it accepts. Instructions asm.Decode refuses must be refused by the
// kernel too. The checker models the running kernel's version, so the
// comparison holds on every modelled kernel (6.1 to 6.18).
func TestOpcodeFieldsAgreeWithKernel(t *testing.T) {
	env := loadEnv(t)
	classes := []string{"LD", "LDX", "ST", "STX", "ALU", "JMP", "JMP32", "ALU64"}
	for cls := uint8(0); cls < 8; cls++ {
		t.Run(classes[cls], func(t *testing.T) {
			var n, agree, unsup int
			for hi := 0; hi < 32; hi++ {
				op := uint8(hi)<<3 | cls
				for _, ins := range opcodeVariants(op) {
					if ins.op == uint8(asm.LdImmDW) && ins.src != 0 {
						// Pseudo sources take descriptors and ids from
						// the immediate: TestMapLoadWithValueOffset.
						continue
					}
					code, typ := opcodeProgram(ins)
					n++
					name := fmt.Sprintf("op %#02x dst %d src %d off %d imm %#x", ins.op, ins.dst, ins.src, ins.off, ins.imm)
					kerr := rawLoad(code, typ)
					insns, derr := asm.Decode(code, binary.NativeEndian)
					if derr != nil {
						if kerr == nil {
							// asm's business, reported, not the checker's.
							t.Logf("%s: asm.Decode refuses what the kernel accepts: %v", name, derr)
						} else {
							agree++
						}
						continue
					}
					err := checkInsns(insns, progEnv{Program: "op", ProgramType: typ, License: "GPL"})
					got := verdictOf(err)
					switch {
					case got == accept && kerr != nil:
						klog, _ := env.kernelVerdict(genProg{name: "op", typ: typ, license: "GPL", insns: insns}, 1)
						t.Errorf("%s: false accept (kernel: %s)", name, lastLine(klog))
					case got == reject && kerr == nil:
						t.Errorf("%s: false ErrRejected: %v", name, err)
					case got == unsupported:
						unsup++
					default:
						agree++
					}
				}
			}
			t.Logf("%s: %d instructions, %d verdicts agree with the kernel, %d ErrUnsupported", classes[cls], n, agree, unsup)
		})
	}
}
