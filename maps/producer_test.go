package maps

import (
	"encoding/binary"
	"errors"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/internal/sys"
)

// A tiny hand-assembled program that writes records to a map, run with
// BPF_PROG_TEST_RUN, so that reader tests do not depend on the loader.

type insn struct {
	op       uint8
	dst, src uint8
	off      int16
	imm      int32
}

func encode(insns []insn) []byte {
	b := make([]byte, 8*len(insns))
	for i, in := range insns {
		b[8*i] = in.op
		b[8*i+1] = in.dst | in.src<<4
		binary.LittleEndian.PutUint16(b[8*i+2:], uint16(in.off))
		binary.LittleEndian.PutUint32(b[8*i+4:], uint32(in.imm))
	}
	return b
}

const (
	helperPerfEventOutput = 25
	helperRingbufOutput   = 130
	progTypeSchedCls      = 3
)

// producer is a loaded program that emits one record of size bytes per
// run: bytes 0-7 hold 0x1122334455667788 + word index, ...
type producer struct {
	fd  *sys.FD
	pkt [64]byte
}

// newProducer loads a program that outputs a record of size bytes (a
// multiple of 8, at most 256) into m with bpf_ringbuf_output or, for a
// perf event array, bpf_perf_event_output on the current CPU.
func newProducer(tb testing.TB, m *Map, size int) *producer {
	tb.Helper()
	var prog []insn
	prog = append(prog, insn{op: 0xbf, dst: 6, src: 1}) // r6 = ctx
	for i := 0; i < size/8; i++ {
		prog = append(prog, insn{op: 0x7a, dst: 10, off: int16(-size + 8*i), imm: int32(i + 1)}) // *(u64*)(r10-size+8i) = i+1
	}
	ldMap := []insn{{op: 0x18, src: 1, imm: int32(m.FD())}, {}} // lddw rX, map fd
	if m.Type() == RingBuf {
		ldMap[0].dst = 1
		prog = append(prog, ldMap...)
		prog = append(prog,
			insn{op: 0xbf, dst: 2, src: 10},           // r2 = r10
			insn{op: 0x07, dst: 2, imm: int32(-size)}, // r2 += -size
			insn{op: 0xb7, dst: 3, imm: int32(size)},  // r3 = size
			insn{op: 0xb7, dst: 4, imm: 0},            // r4 = 0
			insn{op: 0x85, imm: helperRingbufOutput},  // call
		)
	} else {
		ldMap[0].dst = 2
		prog = append(prog, insn{op: 0xbf, dst: 1, src: 6}) // r1 = ctx
		prog = append(prog, ldMap...)
		prog = append(prog,
			insn{op: 0xb4, dst: 3, imm: -1},            // w3 = BPF_F_CURRENT_CPU
			insn{op: 0xbf, dst: 4, src: 10},            // r4 = r10
			insn{op: 0x07, dst: 4, imm: int32(-size)},  // r4 += -size
			insn{op: 0xb7, dst: 5, imm: int32(size)},   // r5 = size
			insn{op: 0x85, imm: helperPerfEventOutput}, // call
		)
	}
	prog = append(prog, insn{op: 0xb7, dst: 0, imm: 0}, insn{op: 0x95})
	code := encode(prog)
	license := []byte("GPL\x00")
	logBuf := make([]byte, 64<<10)
	attr := sys.ProgLoadAttr{
		ProgType: progTypeSchedCls,
		InsnCnt:  uint32(len(prog)),
		Insns:    sys.SlicePointer(code),
		License:  sys.SlicePointer(license),
		LogLevel: 1,
		LogSize:  uint32(len(logBuf)),
		LogBuf:   sys.SlicePointer(logBuf),
		ProgName: sys.NameBytes("maps_producer"),
	}
	fd, err := sys.ProgLoad(&attr)
	if err != nil {
		tb.Fatalf("load producer: %v\n%s", err, sys.CString(logBuf))
	}
	tb.Cleanup(func() { fd.Close() })
	return &producer{fd: fd}
}

// run executes the program n times.
func (p *producer) run(tb testing.TB, n int) {
	tb.Helper()
	attr := sys.ProgTestRunAttr{
		ProgFD:     p.fd.Uint(),
		DataIn:     sys.NewPointer(unsafe.Pointer(&p.pkt[0])),
		DataSizeIn: uint32(len(p.pkt)),
		Repeat:     uint32(n),
	}
	// Run on CPU 0 only: the perf tests count what one CPU's buffer
	// received and lost, and the kernel reports a loss only with the next
	// sample written on the same CPU.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var orig, cpu0 unix.CPUSet
	if err := unix.SchedGetaffinity(0, &orig); err == nil {
		cpu0.Set(0)
		if err := unix.SchedSetaffinity(0, &cpu0); err == nil {
			defer unix.SchedSetaffinity(0, &orig)
		}
	}
	for {
		err := sys.ProgTestRun(&attr)
		if errors.Is(err, unix.EINTR) {
			continue // a signal (the Go scheduler's preemption) interrupted the run
		}
		if err != nil {
			tb.Fatalf("run producer: %v", err)
		}
		return
	}
}
