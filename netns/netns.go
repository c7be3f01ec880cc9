// Package netns creates, opens and enters Linux network namespaces.
//
// A *NetNS owns one file descriptor that refers to a network namespace.
// Named namespaces are persisted the way iproute2's "ip netns add" does: a
// bind mount of the namespace file onto /run/netns/NAME, so that they outlive
// the process and are visible to "ip netns". Anonymous namespaces live only as
// long as something (such as the handle's descriptor, a socket or an interface
// in use) refers to them.
//
// Code runs inside a namespace through (*NetNS).Do, which switches a locked OS
// thread into the namespace for the duration of a call and always switches it
// back. No function of this package returns while leaving an OS thread of the
// process in a foreign namespace: a thread that cannot be switched back is
// never handed back to the Go scheduler and exits with its goroutine.
//
// Sockets (including netlink and packet sockets) stay bound to the namespace
// they were created in, so the usual pattern is to create them inside Do and
// use them from any goroutine afterwards.
//
// Everything here needs CAP_SYS_ADMIN (setns, unshare, mount); network
// namespaces need Linux 3.0 (setns), /proc/thread-self needs Linux 3.17 and
// the namespace type check NS_GET_NSTYPE needs Linux 4.11.
package netns

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/internal/nsclose"
)

// RunDir is the directory holding the bind mounts of named namespaces, the
// same one iproute2 uses.
const RunDir = "/run/netns"

// threadNSPath is the network namespace of the calling thread.
const threadNSPath = "/proc/thread-self/ns/net"

// NetNS is a handle to a network namespace. It owns one file descriptor;
// Close releases it. Methods are safe for concurrent use, except that Close
// and Delete must not race with a Do that is still running.
type NetNS struct {
	name string // "" for anonymous or opened-by-path namespaces
	path string // "" for anonymous namespaces

	mu     sync.RWMutex
	fd     int // -1 once closed
	closed bool
}

// Error is the error type returned by this package. It names the namespace
// and the operation; Err is the cause, reachable with errors.Is / errors.As.
type Error struct {
	Op   string // "create", "open", "enter", "delete", ...
	Name string // the namespace's name or path; "" when anonymous
	Err  error
}

func (e *Error) Error() string {
	name := e.Name
	if name == "" {
		name = "(anonymous)"
	}
	return fmt.Sprintf("netns %s %s: %v", e.Op, name, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrClosed is returned by operations on a closed handle.
var ErrClosed = errors.New("namespace handle is closed")

// validName checks a namespace name the way it will be used: as one path
// element below RunDir.
func validName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case name == "." || name == "..":
		return fmt.Errorf("invalid name %q", name)
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("name %q contains '/' or NUL", name)
	case len(name) > 255:
		return fmt.Errorf("name longer than 255 bytes")
	}
	return nil
}

// New creates a network namespace and persists it as /run/netns/NAME, like
// "ip netns add NAME". It fails with an error wrapping os.ErrExist if the
// name is taken. The returned handle refers to the new namespace; Delete
// removes the name again.
//
// New makes RunDir a shared mount point first if it is not one (binding it
// onto itself when it is not a mount point at all), so that the namespace
// mount propagates to other mount namespaces, as iproute2 does.
func New(name string) (*NetNS, error) {
	if err := validName(name); err != nil {
		return nil, &Error{Op: "create", Name: name, Err: err}
	}
	path := filepath.Join(RunDir, name)
	if err := prepareRunDir(); err != nil {
		return nil, &Error{Op: "create", Name: name, Err: err}
	}
	// The mount target must exist; O_EXCL makes the name ours.
	f, err := unix.Open(path, unix.O_RDONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &Error{Op: "create", Name: name, Err: &os.PathError{Op: "create", Path: path, Err: err}}
	}
	unix.Close(f)

	fd, err := inNewNS(func() error {
		if err := unix.Mount(threadNSPath, path, "none", unix.MS_BIND, ""); err != nil {
			return &os.PathError{Op: "bind mount", Path: path, Err: err}
		}
		return nil
	})
	if err != nil {
		// The mount, if it happened, is undone by the thread's exit only
		// for the namespace, not for the file system: clean up explicitly.
		_ = unix.Unmount(path, unix.MNT_DETACH)
		_ = os.Remove(path)
		return nil, &Error{Op: "create", Name: name, Err: err}
	}
	return &NetNS{name: name, path: path, fd: fd}, nil
}

// NewAnonymous creates a network namespace that has no name in the file
// system. It lives until the handle is closed and nothing else (an
// interface's peer, a socket, a process) refers to it.
func NewAnonymous() (*NetNS, error) {
	fd, err := inNewNS(nil)
	if err != nil {
		return nil, &Error{Op: "create", Err: err}
	}
	return &NetNS{fd: fd}, nil
}

// prepareRunDir creates RunDir and makes it a shared mount point.
func prepareRunDir() error {
	if err := os.MkdirAll(RunDir, 0o755); err != nil {
		return err
	}
	for tries := 0; ; tries++ {
		err := unix.Mount("", RunDir, "none", unix.MS_SHARED|unix.MS_REC, "")
		if err == nil {
			return nil
		}
		// EINVAL: RunDir is not a mount point. Bind it onto itself once,
		// then make the new mount shared.
		if err != unix.EINVAL || tries > 0 {
			return &os.PathError{Op: "make shared mount", Path: RunDir, Err: err}
		}
		if err := unix.Mount(RunDir, RunDir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return &os.PathError{Op: "bind mount", Path: RunDir, Err: err}
		}
	}
}

// inNewNS runs on a dedicated, locked OS thread: it moves the thread into a
// new network namespace, runs fn there (if not nil), opens the namespace,
// and moves the thread back. It returns the new namespace's descriptor.
func inNewNS(fn func() error) (int, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open(threadNSPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{-1, &os.PathError{Op: "open", Path: threadNSPath, Err: err}}
			return
		}
		defer unix.Close(orig)
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			// The thread did not move.
			runtime.UnlockOSThread()
			ch <- result{-1, os.NewSyscallError("unshare", err)}
			return
		}
		res := result{fd: -1}
		if fn != nil {
			res.err = fn()
		}
		if res.err == nil {
			fd, err := unix.Open(threadNSPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				res.err = &os.PathError{Op: "open", Path: threadNSPath, Err: err}
			} else {
				res.fd = fd
			}
		}
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			// Leave the thread locked: it is terminated when this
			// goroutine returns and never runs other goroutines.
			if res.fd >= 0 {
				unix.Close(res.fd)
			}
			ch <- result{-1, fmt.Errorf("switch thread back to its namespace: %w", os.NewSyscallError("setns", err))}
			return
		}
		runtime.UnlockOSThread()
		ch <- res
	}()
	r := <-ch
	return r.fd, r.err
}

// Open returns a handle to the network namespace at path, such as
// /run/netns/NAME, /proc/PID/ns/net or /proc/self/fd/N. It fails if the file
// is not a network namespace. A path below RunDir gives the handle that name.
func Open(path string) (*NetNS, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &Error{Op: "open", Name: path, Err: &os.PathError{Op: "open", Path: path, Err: err}}
	}
	if err := checkNetNS(fd); err != nil {
		unix.Close(fd)
		return nil, &Error{Op: "open", Name: path, Err: err}
	}
	ns := &NetNS{path: path, fd: fd}
	if dir, base := filepath.Split(filepath.Clean(path)); filepath.Clean(dir) == RunDir {
		ns.name = base
	}
	return ns, nil
}

// OpenName returns a handle to the named namespace /run/netns/NAME.
func OpenName(name string) (*NetNS, error) {
	if err := validName(name); err != nil {
		return nil, &Error{Op: "open", Name: name, Err: err}
	}
	return Open(filepath.Join(RunDir, name))
}

// Current returns a handle to the network namespace of the calling
// goroutine's OS thread; outside Do that is the namespace the process runs in.
func Current() (*NetNS, error) {
	runtime.LockOSThread()
	fd, err := unix.Open(threadNSPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	runtime.UnlockOSThread()
	if err != nil {
		return nil, &Error{Op: "open", Name: "current", Err: &os.PathError{Op: "open", Path: threadNSPath, Err: err}}
	}
	return &NetNS{fd: fd}, nil
}

// checkNetNS verifies that fd refers to a network namespace.
func checkNetNS(fd int) error {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return os.NewSyscallError("fstatfs", err)
	}
	if st.Type != unix.NSFS_MAGIC {
		return errors.New("not a namespace file")
	}
	typ, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil {
		return fmt.Errorf("query namespace type: %w", os.NewSyscallError("ioctl NS_GET_NSTYPE", err))
	}
	if typ != unix.CLONE_NEWNET {
		return fmt.Errorf("namespace type %#x is not a network namespace", typ)
	}
	return nil
}

// Name returns the namespace's name below RunDir, or "" if it has none.
func (n *NetNS) Name() string { return n.name }

// Path returns the file the handle was opened from (/run/netns/NAME for named
// namespaces), or "" for anonymous namespaces and Current.
func (n *NetNS) Path() string { return n.path }

// FD returns the handle's file descriptor, or -1 after Close. The descriptor
// stays owned by the handle: do not close it.
func (n *NetNS) FD() int {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.fd
}

// String describes the namespace for messages.
func (n *NetNS) String() string {
	switch {
	case n.name != "":
		return n.name
	case n.path != "":
		return n.path
	}
	return fmt.Sprintf("netns(fd %d)", n.FD())
}

func (n *NetNS) label() string {
	if n.name != "" {
		return n.name
	}
	return n.path
}

// Close releases the handle's descriptor. A named namespace stays in
// /run/netns (see Delete). Closing twice is safe. Close also closes the
// rtnetlink socket package attach keeps for this namespace (once no
// netlink attachment made through it is left open), so that only the
// caller's own references keep the namespace alive.
func (n *NetNS) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	fd := n.fd
	n.fd = -1
	err := unix.Close(fd)
	n.mu.Unlock()
	// Sockets this module keeps in the namespace (attach's rtnetlink
	// connections) are closed with the handle, so that they do not keep
	// a deleted namespace alive. (Outside the lock: the hooks take their
	// own locks, which are held while calling FD.)
	nsclose.Closed(n)
	if err != nil {
		return &Error{Op: "close", Name: n.label(), Err: os.NewSyscallError("close", err)}
	}
	return nil
}

// Delete removes a named namespace's bind mount and its file in RunDir, like
// "ip netns delete", and closes the handle. For other handles it only
// closes. The kernel destroys the namespace (and its interfaces; a veth
// whose end is destroyed takes its peer along) once nothing refers to it.
// Deleting twice is safe.
func (n *NetNS) Delete() error {
	var errs []error
	if n.name != "" {
		if err := unix.Unmount(n.path, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
			errs = append(errs, &os.PathError{Op: "unmount", Path: n.path, Err: err})
		}
		if err := os.Remove(n.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := n.Close(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return &Error{Op: "delete", Name: n.label(), Err: errors.Join(errs...)}
	}
	return nil
}

// Do runs fn on an OS thread switched into the namespace and returns fn's
// error. fn runs on a new goroutine locked to its thread; the caller waits
// for it. Goroutines that fn starts do not inherit the namespace, but
// sockets fn creates stay in it. After fn returns the thread is switched
// back to the namespace it was in; if that fails, Do returns an error and
// the thread is terminated instead of being reused.
//
// A panic in fn is re-raised on the calling goroutine. If fn calls
// runtime.Goexit (testing.TB.FailNow does), the calling goroutine exits too,
// so FailNow inside Do behaves as it does outside.
func (n *NetNS) Do(fn func() error) error {
	// Hold the read lock until the thread has entered the namespace, so
	// that a concurrent Close cannot close (and the process reuse) the
	// descriptor in between.
	n.mu.RLock()
	fd := n.fd
	if fd < 0 {
		n.mu.RUnlock()
		return &Error{Op: "enter", Name: n.label(), Err: ErrClosed}
	}
	type result struct {
		err     error
		panicV  any
		panics  bool
		goexit  bool
		fnError bool
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open(threadNSPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			n.mu.RUnlock() // (an RWMutex may be released by another goroutine)
			runtime.UnlockOSThread()
			ch <- result{err: &os.PathError{Op: "open", Path: threadNSPath, Err: err}}
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		n.mu.RUnlock()
		if err != nil {
			unix.Close(orig)
			runtime.UnlockOSThread()
			ch <- result{err: os.NewSyscallError("setns", err)}
			return
		}
		res := result{goexit: true}
		defer func() {
			if res.goexit {
				// fn panicked or called runtime.Goexit.
				if v := recover(); v != nil {
					res.goexit = false
					res.panics = true
					res.panicV = v
				}
			}
			err := unix.Setns(orig, unix.CLONE_NEWNET)
			unix.Close(orig)
			if err != nil {
				// Stay locked: the thread exits with this goroutine.
				ch <- result{err: fmt.Errorf("switch thread back to its namespace: %w", os.NewSyscallError("setns", err))}
				return
			}
			runtime.UnlockOSThread()
			ch <- res
		}()
		res.err = fn()
		res.fnError = true
		res.goexit = false
	}()
	r := <-ch
	switch {
	case r.panics:
		panic(r.panicV)
	case r.goexit:
		runtime.Goexit()
	case r.err != nil && !r.fnError:
		return &Error{Op: "enter", Name: n.label(), Err: r.err}
	}
	return r.err
}
