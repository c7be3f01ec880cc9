// Package bpftest helps users test BPF programs in their own go tests: it
// gates tests that need privileges, builds throw-away network topologies
// (named network namespaces joined by veth pairs, with addresses) that are
// removed again when the test ends, and sends bounded traffic through them.
//
// Everything that touches the kernel needs root (CAP_SYS_ADMIN and
// CAP_NET_ADMIN); call RequirePrivileged first. Namespaces created here are
// named NamePrefix plus the process id and a random suffix, so parallel test
// processes never collide, and none of the fixtures touches the host's own
// interfaces or routes.
package bpftest

import (
	"testing"

	"github.com/purebpf/bpf/internal/testenv"
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

// RequireFeature skips tb, stating the reason, when probe reports that the
// running kernel lacks a feature (probe returns an error), or fails tb when
// PUREBPF_REQUIRE_PRIVILEGED is 1. name describes the feature, such as
// "BPF_F_TEST_XDP_LIVE_FRAMES (5.18+)".
func RequireFeature(tb testing.TB, name string, probe func() error) {
	tb.Helper()
	if err := probe(); err != nil {
		testenv.Skip(tb, "kernel lacks "+name+": "+err.Error())
	}
}
