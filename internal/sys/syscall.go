// Package sys is purebpf's layer over the bpf(2) system call: the command
// numbers, the bpf_attr layouts of each command exactly as the kernel UAPI
// defines them, typed wrappers, descriptor ownership and errno wrapping.
//
// Attribute structs hold pointers as Pointer (an unsafe.Pointer in an
// 8-byte slot) so the garbage collector keeps what they point at alive and
// in place while the kernel reads it. The package supports 64-bit Linux.
package sys

import (
	"runtime"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/internal/faultinject"
)

// The attribute layouts below store pointers in 8-byte slots.
var _ [8 - unsafe.Sizeof(uintptr(0))]struct{}
var _ [unsafe.Sizeof(uintptr(0)) - 8]struct{}

// Pointer is a user-space address in a bpf_attr or info struct (an
// __aligned_u64 in the UAPI). Keeping it an unsafe.Pointer, not an integer,
// keeps the memory alive and lets the runtime move stacks safely.
type Pointer struct{ ptr unsafe.Pointer }

// NewPointer wraps p.
func NewPointer(p unsafe.Pointer) Pointer { return Pointer{p} }

// SlicePointer points at the first byte of b, or is nil for an empty slice.
func SlicePointer(b []byte) Pointer {
	if len(b) == 0 {
		return Pointer{}
	}
	return Pointer{unsafe.Pointer(&b[0])}
}

// Cmd is a bpf(2) command (enum bpf_cmd).
type Cmd uint32

// bpf(2) commands used by purebpf.
const (
	MapCreateCmd               Cmd = 0
	MapLookupElemCmd           Cmd = 1
	MapUpdateElemCmd           Cmd = 2
	MapDeleteElemCmd           Cmd = 3
	MapGetNextKeyCmd           Cmd = 4
	ProgLoadCmd                Cmd = 5
	ObjPinCmd                  Cmd = 6
	ObjGetCmd                  Cmd = 7
	ProgAttachCmd              Cmd = 8
	ProgDetachCmd              Cmd = 9
	ProgTestRunCmd             Cmd = 10
	ProgGetNextIDCmd           Cmd = 11
	MapGetNextIDCmd            Cmd = 12
	ProgGetFDByIDCmd           Cmd = 13
	MapGetFDByIDCmd            Cmd = 14
	ObjGetInfoByFDCmd          Cmd = 15
	ProgQueryCmd               Cmd = 16
	BTFLoadCmd                 Cmd = 18
	BTFGetFDByIDCmd            Cmd = 19
	MapLookupAndDeleteElemCmd  Cmd = 21
	MapFreezeCmd               Cmd = 22
	BTFGetNextIDCmd            Cmd = 23
	MapLookupBatchCmd          Cmd = 24
	MapLookupAndDeleteBatchCmd Cmd = 25
	MapUpdateBatchCmd          Cmd = 26
	MapDeleteBatchCmd          Cmd = 27
	LinkCreateCmd              Cmd = 28
	LinkUpdateCmd              Cmd = 29
	LinkGetFDByIDCmd           Cmd = 30
	LinkGetNextIDCmd           Cmd = 31
	EnableStatsCmd             Cmd = 32
	LinkDetachCmd              Cmd = 34
	numCmds                        = 38
)

var cmdNames = [numCmds]string{
	"BPF_MAP_CREATE", "BPF_MAP_LOOKUP_ELEM", "BPF_MAP_UPDATE_ELEM", "BPF_MAP_DELETE_ELEM",
	"BPF_MAP_GET_NEXT_KEY", "BPF_PROG_LOAD", "BPF_OBJ_PIN", "BPF_OBJ_GET", "BPF_PROG_ATTACH",
	"BPF_PROG_DETACH", "BPF_PROG_TEST_RUN", "BPF_PROG_GET_NEXT_ID", "BPF_MAP_GET_NEXT_ID",
	"BPF_PROG_GET_FD_BY_ID", "BPF_MAP_GET_FD_BY_ID", "BPF_OBJ_GET_INFO_BY_FD", "BPF_PROG_QUERY",
	"BPF_RAW_TRACEPOINT_OPEN", "BPF_BTF_LOAD", "BPF_BTF_GET_FD_BY_ID", "BPF_TASK_FD_QUERY",
	"BPF_MAP_LOOKUP_AND_DELETE_ELEM", "BPF_MAP_FREEZE", "BPF_BTF_GET_NEXT_ID",
	"BPF_MAP_LOOKUP_BATCH", "BPF_MAP_LOOKUP_AND_DELETE_BATCH", "BPF_MAP_UPDATE_BATCH",
	"BPF_MAP_DELETE_BATCH", "BPF_LINK_CREATE", "BPF_LINK_UPDATE", "BPF_LINK_GET_FD_BY_ID",
	"BPF_LINK_GET_NEXT_ID", "BPF_ENABLE_STATS", "BPF_ITER_CREATE", "BPF_LINK_DETACH",
	"BPF_PROG_BIND_MAP", "BPF_TOKEN_CREATE", "BPF_PROG_STREAM_READ_BY_FD",
}

// String returns the UAPI name of the command, such as "BPF_PROG_LOAD".
func (c Cmd) String() string {
	if c < numCmds {
		return cmdNames[c]
	}
	return "bpf_cmd(" + strconv.FormatUint(uint64(c), 10) + ")"
}

// Error is a failed bpf(2) command. errors.Is(err, unix.EPERM) and
// errors.Is(err, os.ErrNotExist) see through it to the errno.
type Error struct {
	Cmd   Cmd
	Errno unix.Errno
}

func (e *Error) Error() string { return e.Cmd.String() + ": " + e.Errno.Error() }

// Unwrap returns the errno.
func (e *Error) Unwrap() error { return e.Errno }

// enoent holds one preallocated ENOENT error per command, so that the
// common "no such key" outcome of map operations never allocates.
var enoent = func() (errs [numCmds]Error) {
	for i := range errs {
		errs[i] = Error{Cmd: Cmd(i), Errno: unix.ENOENT}
	}
	return
}()

// wrap turns an errno into an *Error; ENOENT errors are shared values and
// must not be modified.
func wrap(cmd Cmd, errno unix.Errno) error {
	if errno == unix.ENOENT && cmd < numCmds {
		return &enoent[cmd]
	}
	return &Error{Cmd: cmd, Errno: errno}
}

// BPF issues bpf(cmd, attr, size). attr must point at the command's
// attribute struct. It returns the kernel's return value (a new descriptor
// for commands that create one) or an *Error.
func BPF(cmd Cmd, attr unsafe.Pointer, size uintptr) (int, error) {
	if p := faultinject.Active(); p != nil {
		if errno := p.Check(faultinject.BPF, uint32(cmd)); errno != 0 {
			return -1, wrap(cmd, errno)
		}
	}
	r, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
	runtime.KeepAlive(attr)
	if errno != 0 {
		return int(r), wrap(cmd, errno)
	}
	return int(r), nil
}

// bpfFD runs a command that returns a new descriptor and takes ownership
// of it.
func bpfFD(cmd Cmd, attr unsafe.Pointer, size uintptr) (*FD, error) {
	r, err := BPF(cmd, attr, size)
	if err != nil {
		return nil, err
	}
	return NewFD(r)
}
