// Package bpftest holds the testing.TB helpers for testing BPF programs in
// go tests: it gates tests that need privileges or kernel features, runs
// programs once on a frame and asserts on the verdict, packet, context and
// maps, and ties the throw-away networks of package testnet (named network
// namespaces joined by veth pairs) to a test's lifetime.
//
// Everything that does not need a testing.TB (creating namespaces and veth
// pairs, ping, TCP, UDP, raw frames, capture, live-frames traffic) is in
// package testnet, which programs can use too.
//
// Everything that touches the kernel needs root (CAP_SYS_ADMIN and
// CAP_NET_ADMIN); call RequirePrivileged first.
package bpftest

import (
	"errors"
	"testing"

	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/internal/unsupported"
)

// RequireEnv is the environment variable that turns skips for missing
// privileges into failures (set it to 1 in CI so that privileged tests
// cannot silently stop running).
const RequireEnv = testenv.RequireEnv

// RequirePrivileged skips tb when the process lacks the privileges to load
// BPF programs and manage network interfaces and namespaces (CAP_BPF or
// CAP_SYS_ADMIN, and CAP_NET_ADMIN), stating the reason. When the
// environment variable PUREBPF_REQUIRE_PRIVILEGED is 1 it fails tb instead.
func RequirePrivileged(tb testing.TB) {
	tb.Helper()
	testenv.RequirePrivileged(tb)
}

// RequireFeature runs probe, a kernel feature probe such as
// features.HaveTCX, and acts on its answer:
//
//   - nil: the kernel has the feature and the test goes on;
//   - an error matching bpf.ErrNotSupported (errors.Is): the kernel lacks
//     the feature, and tb is skipped with a message naming it ("kernel
//     lacks name: ..."). This holds under PUREBPF_REQUIRE_PRIVILEGED=1 too:
//     a kernel without the feature cannot run the test, and that is no
//     failure of the test setup;
//   - any other error: the probe could not decide (for example it lacked
//     privileges), and tb fails.
//
// name describes the feature for the skip message, such as
// "BPF_F_TEST_XDP_LIVE_FRAMES (5.18+)". Call RequirePrivileged first: a
// probe without privileges fails rather than skips.
func RequireFeature(tb testing.TB, name string, probe func() error) {
	tb.Helper()
	err := probe()
	switch {
	case err == nil:
	case errors.Is(err, unsupported.ErrNotSupported):
		tb.Skip("kernel lacks " + name + ": " + err.Error())
	default:
		tb.Fatalf("probe for %s failed: %v", name, err)
	}
}
