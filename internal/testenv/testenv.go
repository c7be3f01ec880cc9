// Package testenv decides whether tests that need privileges or kernel
// features can run, and turns "cannot run" into a skip or, under
// PUREBPF_REQUIRE_PRIVILEGED=1, a failure.
package testenv

import (
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/purebpf/bpf/internal/unsupported"

	"golang.org/x/sys/unix"
)

// RequireEnv is the environment variable that turns skips for missing
// privileges or kernel features into test failures. CI sets it to 1.
const RequireEnv = "PUREBPF_REQUIRE_PRIVILEGED"

// Required reports whether privileged tests must run (RequireEnv=1).
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// capability numbers from linux/capability.h.
const (
	capNetAdmin = 12
	capSysAdmin = 21
	capBPF      = 39
)

// hasCap reports whether the effective capability set of the calling
// thread holds capability c.
func hasCap(c uint) bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[c/32].Effective&(1<<(c%32)) != 0
}

// Skip skips the test with reason, or fails it when RequireEnv=1.
func Skip(tb testing.TB, reason string) {
	tb.Helper()
	if Required() {
		tb.Fatalf("cannot run (and %s=1 forbids skipping): %s", RequireEnv, reason)
	}
	tb.Skip(reason)
}

// RequirePrivileged skips (or fails, see Skip) a test that needs to load
// BPF programs, create maps and manage network interfaces and namespaces:
// CAP_BPF (or CAP_SYS_ADMIN) and CAP_NET_ADMIN.
func RequirePrivileged(tb testing.TB) {
	tb.Helper()
	if !hasCap(capBPF) && !hasCap(capSysAdmin) {
		Skip(tb, "needs CAP_BPF or CAP_SYS_ADMIN (run as root)")
	}
	if !hasCap(capNetAdmin) {
		Skip(tb, "needs CAP_NET_ADMIN (run as root)")
	}
}

// LockTracePipe serialises the tests of all packages that read
// trace_pipe (reading it consumes the lines, so two readers would steal
// each other's lines). The lock is released when the test ends.
func LockTracePipe(tb testing.TB) {
	tb.Helper()
	f, err := os.OpenFile(os.TempDir()+"/purebpf-trace_pipe.lock", os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		tb.Fatalf("trace_pipe lock: %v", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		tb.Fatalf("trace_pipe lock: %v", err)
	}
	tb.Cleanup(func() { f.Close() })
}

// RequireTool skips (or fails, see Skip) a test that runs the named
// programs (bpftool, ip, tc, clang, ...) when one is not on PATH. A
// missing tool is never a kernel limitation, so under RequireEnv=1 it is
// a failure.
func RequireTool(tb testing.TB, names ...string) {
	tb.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			Skip(tb, "needs the "+n+" program: "+err.Error())
		}
	}
}

// SkipUnsupported skips tb when err says that the running kernel lacks a
// feature (errors.Is(err, unsupported.ErrNotSupported), as the features probes
// return), even under RequireEnv=1: a kernel without the feature cannot
// run the test. Any other non-nil err (a probe that failed for lack of
// privileges, say) fails tb. A nil err returns and the test goes on.
func SkipUnsupported(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	if errors.Is(err, unsupported.ErrNotSupported) {
		tb.Skip("kernel lacks a feature: " + err.Error())
	}
	tb.Fatalf("feature probe failed: %v", err)
}
