package bpftest

import (
	"testing"

	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/netns"
)

// NewNamespace creates a network namespace as testnet.CreateNamespace does
// and deletes it when tb and its subtests end, whether they pass, fail or
// panic. It fails tb if the namespace cannot be created.
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

// NewVethPair creates a veth pair as testnet.CreateVethPair does (the zero
// opts is the default pair) and removes it, and the namespaces it created,
// when tb and its subtests end, whether they pass, fail or panic. It fails
// tb if the pair cannot be created.
func NewVethPair(tb testing.TB, opts testnet.VethOptions) *testnet.VethPair {
	tb.Helper()
	p, err := testnet.CreateVethPair(opts)
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
