package features

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/sys"
)

// errnoENOTSUPP is the kernel-internal ENOTSUPP (524) that some bpf(2)
// paths return.
const errnoENOTSUPP = unix.Errno(524)

// probeLogSize is the verifier log buffer of probe loads: the programs are
// a few instructions long, and only the last lines matter.
const probeLogSize = 16 << 10

// probeProgram describes a probe load.
type probeProgram struct {
	typ    kernel.ProgramType
	attach kernel.AttachType
	insns  asm.Instructions
	flags  uint32
	// withLog asks for a level 1 verifier log.
	withLog bool
}

// retZero is "r0 = 0; exit", the smallest valid program of every type.
var retZero = asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}

// load loads the program. It returns the descriptor (the caller closes
// it), the verifier log when one was asked for, and the error. The
// attribute's log_true_size, written by kernels since 6.4, is returned
// too.
func (p probeProgram) load() (fd *sys.FD, log string, trueSize uint32, err error) {
	insns := p.insns
	if insns == nil {
		insns = retZero
	}
	code, err := insns.Encode(binary.NativeEndian)
	if err != nil {
		return nil, "", 0, fmt.Errorf("encode probe program: %w", err)
	}
	license := []byte("GPL\x00")
	attr := sys.ProgLoadAttr{
		ProgType:           uint32(p.typ),
		InsnCnt:            uint32(len(code) / asm.InstructionSize),
		Insns:              sys.SlicePointer(code),
		License:            sys.SlicePointer(license),
		ProgFlags:          p.flags,
		ExpectedAttachType: uint32(p.attach),
		ProgName:           sys.ObjName("probe"),
	}
	var buf []byte
	if p.withLog {
		buf = make([]byte, probeLogSize)
		attr.LogLevel, attr.LogSize, attr.LogBuf = 1, uint32(len(buf)), sys.SlicePointer(buf)
	}
	fd, err = sys.ProgLoad(&attr)
	runtime.KeepAlive(code)
	runtime.KeepAlive(license)
	if buf != nil {
		log = sys.CString(buf)
	}
	return fd, log, attr.LogTrueSize, err
}

// loadOK loads the program and reports nil if the kernel accepts it; the
// descriptor is closed again.
func (p probeProgram) loadOK() error {
	fd, _, _, err := p.load()
	if err == nil {
		fd.Close()
	}
	return err
}

// isEINVAL reports the errnos the kernel gives for an unknown type, flag,
// opcode or command (EINVAL), or for attribute bytes past the end of the
// bpf_attr it knows (E2BIG).
func isEINVAL(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.E2BIG)
}

// testRun runs fd once with attr (ProgFD is set here).
func testRun(fd *sys.FD, attr sys.ProgTestRunAttr) error {
	attr.ProgFD = fd.Uint()
	err := sys.ProgTestRun(&attr)
	runtime.KeepAlive(fd)
	return err
}

// frame is a 64-byte Ethernet frame for probe test runs (a broadcast
// frame of a local experimental EtherType; XDP probes drop or pass it,
// nothing transmits it).
// (A static literal: the element at 63 makes it 64 bytes long.)
var frame = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5, 63: 0}

// contextPointer returns the address and size of a context struct.
func contextPointer[T any](v *T) (sys.Pointer, uint32) {
	return sys.NewPointer(unsafe.Pointer(v)), uint32(unsafe.Sizeof(*v))
}
