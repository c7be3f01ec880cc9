package bench

import (
	"encoding/binary"
	"errors"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/internal/sys"
)

// ringProducer is a hand-assembled sched_cls program that calls
// bpf_ringbuf_output (helper 130) with a 16-byte record on each run.
type ringProducer struct {
	fd  *sys.FD
	pkt [64]byte
}

func newRingProducer(tb testing.TB, mapFD int) *ringProducer {
	tb.Helper()
	type insn struct {
		op, regs uint8
		off      int16
		imm      int32
	}
	prog := []insn{
		{op: 0x7a, regs: 10, off: -16, imm: 1},            // *(u64*)(r10-16) = 1
		{op: 0x7a, regs: 10, off: -8, imm: 2},             // *(u64*)(r10-8) = 2
		{op: 0x18, regs: 1 | 1<<4, imm: int32(mapFD)}, {}, // r1 = map
		{op: 0xbf, regs: 2 | 10<<4},   // r2 = r10
		{op: 0x07, regs: 2, imm: -16}, // r2 += -16
		{op: 0xb7, regs: 3, imm: 16},  // r3 = 16
		{op: 0xb7, regs: 4, imm: 0},   // r4 = 0
		{op: 0x85, imm: 130},          // call bpf_ringbuf_output
		{op: 0xb7, regs: 0, imm: 0},   // r0 = 0
		{op: 0x95},                    // exit
	}
	code := make([]byte, 8*len(prog))
	for i, in := range prog {
		code[8*i], code[8*i+1] = in.op, in.regs
		binary.LittleEndian.PutUint16(code[8*i+2:], uint16(in.off))
		binary.LittleEndian.PutUint32(code[8*i+4:], uint32(in.imm))
	}
	license := []byte("GPL\x00")
	fd, err := sys.ProgLoad(&sys.ProgLoadAttr{
		ProgType: 3, // sched_cls
		InsnCnt:  uint32(len(prog)),
		Insns:    sys.SlicePointer(code),
		License:  sys.SlicePointer(license),
	})
	if err != nil {
		tb.Fatalf("load ring producer: %v", err)
	}
	tb.Cleanup(func() { fd.Close() })
	return &ringProducer{fd: fd}
}

// run executes the program n times (one BPF_PROG_TEST_RUN).
func (p *ringProducer) run(tb testing.TB, n int) {
	attr := sys.ProgTestRunAttr{
		ProgFD:     p.fd.Uint(),
		DataIn:     sys.NewPointer(unsafe.Pointer(&p.pkt[0])),
		DataSizeIn: uint32(len(p.pkt)),
		Repeat:     uint32(n),
	}
	if err := sys.ProgTestRun(&attr); err != nil && !errors.Is(err, unix.EINTR) {
		tb.Fatalf("run ring producer: %v", err)
	}
}
