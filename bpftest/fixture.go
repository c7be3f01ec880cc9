package bpftest

import (
	"net/netip"
	"testing"

	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/netns"
)

// The fixtures are built by package testnet, which does not import testing
// (so that programs can use them too); bpftest ties them to a test's
// lifetime. The names below are testnet's, kept here so that a test needs
// only this package.

// NamePrefix starts the name of every namespace this package creates. The
// rest is "<pid>-<8 random hex digits>".
const NamePrefix = testnet.NamePrefix

// Default addresses of a veth pair: TEST-NET-1 and the IPv6 documentation
// prefix, which are never routed on real networks.
var (
	DefaultIPv4A = testnet.DefaultIPv4A
	DefaultIPv4B = testnet.DefaultIPv4B
	DefaultIPv6A = testnet.DefaultIPv6A
	DefaultIPv6B = testnet.DefaultIPv6B
)

// Default interface names of a veth pair, each inside its own namespace.
const (
	DefaultNameA = testnet.DefaultNameA
	DefaultNameB = testnet.DefaultNameB
)

// Endpoint is one end of a veth pair (see testnet.Endpoint).
type Endpoint = testnet.Endpoint

// VethPair is a veth pair between two network namespaces (see
// testnet.VethPair).
type VethPair = testnet.VethPair

// VethOption configures CreateVethPair and NewVethPair (see
// testnet.VethOption).
type VethOption = testnet.VethOption

// CreateNamespace creates a named network namespace with its loopback
// interface up, as testnet.CreateNamespace does. The caller removes it
// with Delete; tests use NewNamespace instead.
func CreateNamespace() (*netns.NetNS, error) { return testnet.CreateNamespace() }

// NewNamespace creates a namespace like CreateNamespace and deletes it when
// tb and its subtests end, whether they pass, fail or panic. It fails tb if
// the namespace cannot be created.
func NewNamespace(tb testing.TB) *netns.NetNS {
	tb.Helper()
	ns, err := testnet.CreateNamespace()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := ns.Delete(); err != nil {
			tb.Errorf("bpftest: cleanup: %v", err)
		}
	})
	return ns
}

// CreateVethPair creates a veth pair as testnet.CreateVethPair does. The
// caller must Close the pair; tests use NewVethPair.
func CreateVethPair(opts ...VethOption) (*VethPair, error) { return testnet.CreateVethPair(opts...) }

// NewVethPair creates a veth pair like CreateVethPair and removes it (and
// the namespaces it created) when tb and its subtests end, whether they
// pass, fail or panic. It fails tb if the pair cannot be created.
func NewVethPair(tb testing.TB, opts ...VethOption) *VethPair {
	tb.Helper()
	p, err := testnet.CreateVethPair(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := p.Close(); err != nil {
			tb.Errorf("bpftest: cleanup: %v", err)
		}
	})
	return p
}

// WithNames sets the interface names (default "veth0" in A, "veth1" in B).
func WithNames(a, b string) VethOption { return testnet.WithNames(a, b) }

// WithIPv4 sets the IPv4 addresses of the ends (see testnet.WithIPv4).
func WithIPv4(a, b netip.Prefix) VethOption { return testnet.WithIPv4(a, b) }

// WithIPv6 sets the IPv6 addresses of the ends (see testnet.WithIPv6).
func WithIPv6(a, b netip.Prefix) VethOption { return testnet.WithIPv6(a, b) }

// WithMTU sets the MTU of both ends (default 1500).
func WithMTU(mtu int) VethOption { return testnet.WithMTU(mtu) }

// WithNamespaces puts the ends into existing namespaces instead of new
// ones (see testnet.WithNamespaces).
func WithNamespaces(a, b *netns.NetNS) VethOption { return testnet.WithNamespaces(a, b) }
