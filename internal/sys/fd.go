package sys

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// FD owns one file descriptor of a kernel object (program, map, link, BTF,
// namespace). Exactly one FD owns a descriptor; Close is idempotent and safe
// for concurrent use, and a descriptor whose FD becomes unreachable without
// Close is closed by a runtime cleanup as a safety net (never rely on it:
// close what you open).
type FD struct {
	raw     atomic.Int64
	cleanup runtime.Cleanup
}

// NewFD takes ownership of raw. The descriptor must be close-on-exec (every
// descriptor bpf(2) returns is). A descriptor numbered 0 is moved to a
// higher number first, so that a closed standard input can never be
// mistaken for a BPF object.
func NewFD(raw int) (*FD, error) {
	if raw < 0 {
		return nil, fmt.Errorf("invalid file descriptor %d", raw)
	}
	if raw == 0 {
		dup, err := unix.FcntlInt(uintptr(raw), unix.F_DUPFD_CLOEXEC, 1)
		unix.Close(raw)
		if err != nil {
			return nil, fmt.Errorf("move file descriptor 0: %w", err)
		}
		raw = dup
	}
	fd := &FD{}
	fd.raw.Store(int64(raw))
	fd.cleanup = runtime.AddCleanup(fd, func(raw int) { unix.Close(raw) }, raw)
	return fd, nil
}

// ErrClosed is the module's one "closed" sentinel: a method of a Program,
// Map, reader, Link or attachment called after its Close (or Release,
// Detach) fails with an error matching it. bpf, maps and attach export
// this value.
var ErrClosed = errors.New("closed")

// Closed returns an error matching ErrClosed when fd was closed (and
// still matching EBADF when err did), else err.
func (fd *FD) Closed(err error) error {
	if err == nil || fd.Int() >= 0 {
		return err
	}
	if errors.Is(err, unix.EBADF) {
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return ErrClosed
}

// Int returns the descriptor number, or -1 once the FD is closed.
func (fd *FD) Int() int {
	if fd == nil {
		return -1
	}
	return int(fd.raw.Load())
}

// Uint returns the descriptor number as the uint32 that bpf_attr fields
// take (0xffffffff once closed, which the kernel rejects as EBADF).
func (fd *FD) Uint() uint32 { return uint32(fd.Int()) }

// Close closes the descriptor. Closing twice, or closing a nil FD, returns
// nil.
func (fd *FD) Close() error {
	if fd == nil {
		return nil
	}
	raw := fd.raw.Swap(-1)
	if raw < 0 {
		return nil
	}
	fd.cleanup.Stop()
	return unix.Close(int(raw))
}

// Dup returns a new FD for the same kernel object (close-on-exec).
func (fd *FD) Dup() (*FD, error) {
	raw := fd.Int()
	if raw < 0 {
		return nil, fmt.Errorf("dup: %w", unix.EBADF)
	}
	dup, err := unix.FcntlInt(uintptr(raw), unix.F_DUPFD_CLOEXEC, 1)
	if err != nil {
		return nil, fmt.Errorf("dup fd %d: %w", raw, err)
	}
	return NewFD(dup)
}

// String returns "fd N" for messages.
func (fd *FD) String() string { return fmt.Sprintf("fd %d", fd.Int()) }
