package maps

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/sys"
)

var (
	// ErrKeyNotExist matches errors for a key that is not in the map (and
	// for Pop or Peek on an empty queue or stack, and NextKey past the
	// last key). Such errors also match os.ErrNotExist and unix.ENOENT.
	ErrKeyNotExist = errors.New("key does not exist")
	// ErrKeyExist matches errors of UpdateNoExist on a key that exists.
	ErrKeyExist = errors.New("key already exists")
	// ErrMapFull matches errors of updates that need a new element in a map
	// that holds max_entries elements already.
	ErrMapFull = errors.New("map is full")
	// ErrIterationAborted is returned by Iterator.Err when concurrent
	// deletes kept the iterator from making progress.
	ErrIterationAborted = errors.New("iteration aborted: map changed too much during iteration")
	// ErrClosed matches errors of every operation on a Map or reader after
	// its Close. It is the same value as bpf.ErrClosed (which Programs,
	// and attach's links and attachments, return).
	ErrClosed = sys.ErrClosed
	// ErrNotPinned matches errors of Unpin on an object that has no pin
	// of its own (it was neither pinned nor opened from a pin, or its pin
	// was removed already). It also matches os.ErrNotExist. It is the
	// same value as bpf.ErrNotPinned.
	ErrNotPinned error = notPinned{}
)

// notPinned is ErrNotPinned: a distinct value that also matches
// os.ErrNotExist.
type notPinned struct{}

func (notPinned) Error() string        { return "not pinned" }
func (notPinned) Is(target error) bool { return target == os.ErrNotExist }

// enotsupp is the kernel-internal ENOTSUPP (524) that some bpf(2)
// commands return for unsupported operations.
const enotsupp = unix.Errno(524)

var errENOSPC error = unix.ENOSPC

// op names a map operation in error messages.
type op uint8

const (
	opLookup op = iota
	opUpdate
	opDelete
	opLookupAndDelete
	opNextKey
	opPush
	opPop
	opPeek
	opBatchLookup
	opBatchLookupAndDelete
	opBatchUpdate
	opBatchDelete
	numOps
)

var opNames = [numOps]string{
	"lookup", "update", "delete", "lookup and delete", "next key", "push", "pop", "peek",
	"batch lookup", "batch lookup and delete", "batch update", "batch delete",
}

// Error is a failed operation on the elements of an open map (lookup,
// update, delete, batches, iteration, reads of a perf or ring buffer): it
// names the map and the operation. errors.Is matches the sentinel the
// failure corresponds to (ErrKeyNotExist, ErrKeyExist, ErrMapFull,
// ErrClosed) and, through Err, the errno. Other failures (New, FromID, LoadPinned, Freeze, Pin, Info)
// are errors that name the map, its id or its pin path and wrap the
// bpf(2) error, not *Error.
type Error struct {
	Map string // name of the map
	Op  string // operation, such as "lookup"
	Err error  // cause: usually a bpf(2) error carrying the errno

	sentinel error
}

// Error returns "map NAME: OP: " followed by the sentinel's text, if any,
// and the cause's.
func (e *Error) Error() string {
	s := "map " + e.Map + ": " + e.Op + ": "
	if e.sentinel != nil && e.sentinel != ErrClosed {
		s += e.sentinel.Error() + ": "
	}
	return s + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel e corresponds to.
func (e *Error) Is(target error) bool { return target != nil && target == e.sentinel }

// wrapErr turns an error of a bpf(2) element command into an *Error. ENOENT
// gives the map's preallocated error for o, so misses do not allocate.
func (m *Map) wrapErr(o op, err error) error {
	var errno unix.Errno
	if se, ok := err.(*sys.Error); ok {
		errno = se.Errno
	}
	if errno == unix.ENOENT {
		return &m.notExist[o]
	}
	e := &Error{Map: m.name, Op: opNames[o], Err: err}
	switch errno {
	case unix.EEXIST:
		e.sentinel = ErrKeyExist
	case unix.E2BIG, unix.ENOSPC:
		if isArrayLike(m.typ) && errno == unix.E2BIG {
			e.sentinel = ErrKeyNotExist
			e.Err = &detailErr{"index out of range (max_entries " + itoa(uint64(m.maxEntries)) + ")", err}
		} else if o == opUpdate || o == opPush || o == opBatchUpdate {
			e.sentinel = ErrMapFull
			e.Err = &detailErr{"max_entries " + itoa(uint64(m.maxEntries)) + " reached", err}
		}
	case unix.EBADF:
		if m.fd.Int() < 0 {
			e.sentinel = ErrClosed
			e.Err = &detailErr{"map is closed", err}
		}
	case enotsupp, unix.EOPNOTSUPP:
		e.sentinel = features.ErrNotSupported
		e.Err = &detailErr{"operation not supported for " + m.typ.String() + " maps", err}
	}
	return e
}

// usageErr is an error in how the caller used a map (wrong sizes, types).
func (m *Map) usageErr(o op, msg string) error {
	return &Error{Map: m.name, Op: opNames[o], Err: errors.New(msg)}
}

// detailErr prefixes an explanation to an error and unwraps to it.
type detailErr struct {
	msg string
	err error
}

func (e *detailErr) Error() string { return e.msg + ": " + e.err.Error() }
func (e *detailErr) Unwrap() error { return e.err }

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return string(b[i:])
}

// sysAdminHint explains an EPERM of the commands that look maps up by id
// (BPF_MAP_GET_NEXT_ID, BPF_MAP_GET_FD_BY_ID): they need CAP_SYS_ADMIN.
func sysAdminHint(err error) error {
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("needs root or CAP_SYS_ADMIN: %w", err)
	}
	return err
}

// unnamedError shows an *Error without its "map NAME: " prefix, in
// messages that name the map already ("create map x: contents[0]: update:
// ..."); errors.As still finds the *Error.
type unnamedError struct{ e *Error }

func (u unnamedError) Error() string { return strings.TrimPrefix(u.e.Error(), "map "+u.e.Map+": ") }
func (u unnamedError) Unwrap() error { return u.e }

// withoutMapName returns err, an *Error shown without the map's name.
func withoutMapName(err error) error {
	if e, ok := err.(*Error); ok {
		return unnamedError{e}
	}
	return err
}
