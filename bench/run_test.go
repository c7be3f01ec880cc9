package bench

import (
	"testing"
	"unsafe"

	"github.com/cilium/ebpf"
	ciliumasm "github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/internal/testenv"
)

// frame64 is a 64-byte Ethernet/IPv4/TCP frame.
var frame64 = func() []byte {
	f := make([]byte, 64)
	copy(f, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0, 0x45, 0, 0, 50, 0, 1, 0, 0, 64, 6})
	return f
}()

func loadDrop(tb testing.TB) *bpf.Program {
	testenv.RequirePrivileged(tb)
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "drop", Type: bpf.XDP, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, int32(bpf.XDPDrop)), asm.Return()}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { prog.Close() })
	return prog
}

// BenchmarkRun compares one test run (repeat 1, 64-byte frame) through
// purebpf, through a raw bpf(2) system call with a preallocated attribute
// (the floor) and through cilium/ebpf.
func BenchmarkRun(b *testing.B) {
	runVariants(b, runVariantsOf(b))
}

// runVariantsOf are BenchmarkRun's variants (TestRecordedAllocs counts
// their allocations).
func runVariantsOf(tb testing.TB) []variant {
	prog := loadDrop(tb)
	opts := bpf.RunOptions{Data: frame64, Repeat: 1}
	attr := sys.ProgTestRunAttr{ProgFD: uint32(prog.FD()), DataSizeIn: uint32(len(frame64)), DataIn: sys.SlicePointer(frame64), Repeat: 1}
	cprog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Name: "drop", Type: ebpf.XDP, License: "GPL",
		Instructions: ciliumasm.Instructions{ciliumasm.Mov.Imm(ciliumasm.R0, 1), ciliumasm.Return()}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cprog.Close() })
	copts := &ebpf.RunOptions{Data: frame64, Repeat: 1}
	return []variant{
		{"purebpf", func() error { _, err := prog.Run(opts); return err }},
		{"raw", func() error {
			if _, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(sys.ProgTestRunCmd), uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr)); errno != 0 {
				return errno
			}
			return nil
		}},
		{"cilium", func() error { _, err := cprog.Run(copts); return err }},
	}
}
