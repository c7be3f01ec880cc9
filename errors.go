package bpf

import (
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/maps"
	"github.com/purebpf/bpf/verifier"
)

// ErrNotSupported is the module's one "not supported" sentinel, returned
// (wrapped) when the running kernel lacks a feature an operation needs
// (the text says "by the running kernel") and when purebpf does not
// implement what an object needs (elf's errors say "for this object's
// shape"; attach.ErrModeNotSupported says "by the device"). Test with
// errors.Is. The errors of packages maps, elf and attach match it too
// (they have no copy of their own); features.ErrNotSupported is the same
// value, for the features package, which bpf imports. errors.As with a
// *features.Error gives the feature's name and the Linux release that
// introduced it.
var ErrNotSupported = sys.ErrNotSupported

// ErrNotPinned matches errors of Unpin on a Program, Map or attach.Link
// that has no pin of its own (it was neither pinned nor opened from a
// pin, or its pin was removed already). It also matches os.ErrNotExist.
// It is the same value as maps.ErrNotPinned.
var ErrNotPinned = maps.ErrNotPinned

// ErrClosed matches errors of every method of a Program or Map called
// after its Close, and of attach's links and attachments after their
// Close, Release or Detach (except Close, which may be called again). It
// is the same value as maps.ErrClosed.
var ErrClosed = maps.ErrClosed

// loadError is the error NewProgram and NewCollection return. Its text is
// the wrapped error's; formatted with %+v it also prints the whole
// verifier log when a *verifier.Error is in the chain, as that error's
// own %+v does, so that callers need not unwrap it first.
type loadError struct{ err error }

func (e *loadError) Error() string { return e.err.Error() }
func (e *loadError) Unwrap() error { return e.err }

// Format prints the message for %v and %s, %q quotes it, and %+v appends
// "verifier log:" and the log of the *verifier.Error in the chain, if any.
func (e *loadError) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('+'):
		io.WriteString(f, e.Error())
		var verr *verifier.Error
		if errors.As(e.err, &verr) && verr.Log != "" {
			io.WriteString(f, "\nverifier log:\n"+verr.Log)
		}
	case verb == 'q':
		fmt.Fprintf(f, "%q", e.Error())
	default:
		io.WriteString(f, e.Error())
	}
}

// wrapLoad makes err a *loadError (nil stays nil).
func wrapLoad(err error) error {
	if err == nil {
		return nil
	}
	return &loadError{err}
}

// unnamed shows a *verifier.Error without its "program NAME: " prefix, in
// messages that name the program already ("load program xdp1: rejected by
// the verifier ..."); errors.As still finds the *verifier.Error, with
// its Program field.
type unnamed struct{ e *verifier.Error }

func (u unnamed) Error() string {
	c := *u.e
	c.Program = ""
	return c.Error()
}

func (u unnamed) Unwrap() error { return u.e }

// privilegeHint says which privileges loading a program of type t needs:
// the kernel refuses it with EPERM otherwise (bpf_prog_load checks
// CAP_BPF, plus CAP_NET_ADMIN for network types and CAP_PERFMON for
// tracing types; CAP_SYS_ADMIN stands for all of them).
func privilegeHint(t ProgramType) string {
	var net, perf bool
	switch t {
	case SchedCLS, SchedACT, XDP, LWTIn, LWTOut, LWTXmit, LWTSeg6Local, SkSKB, SkMsg, LircMode2,
		FlowDissector, CGroupDevice, CGroupSock, CGroupSockAddr, CGroupSockopt, CGroupSysctl,
		SockOps, Netfilter:
		net = true
	case Kprobe, TracePoint, PerfEvent, RawTracepoint, RawTracepointWritable, Tracing, LSM, StructOps:
		perf = true
	case Extension:
		net, perf = true, true
	}
	caps := "CAP_BPF"
	switch {
	case net && perf:
		caps = "CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON"
	case net:
		caps = "CAP_BPF and CAP_NET_ADMIN"
	case perf:
		caps = "CAP_BPF and CAP_PERFMON"
	}
	return fmt.Sprintf("loading %s programs needs root or %s (CAP_SYS_ADMIN before Linux 5.8)", t, caps)
}

// sysAdminHint explains an EPERM of the commands that look objects up by
// id (BPF_*_GET_NEXT_ID, BPF_*_GET_FD_BY_ID): they need CAP_SYS_ADMIN.
func sysAdminHint(err error) error {
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("needs root or CAP_SYS_ADMIN: %w", err)
	}
	return err
}
