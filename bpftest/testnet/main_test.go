package testnet_test

import (
	"os"
	"testing"

	"github.com/purebpf/bpf/bpftest/internal/leakcheck"
	"github.com/purebpf/bpf/bpftest/testnet"
)

// The package's only TestMain: every test here is covered by the leak
// check (namespaces, host veths, descriptors), as bpftest's are.
func TestMain(m *testing.M) { os.Exit(leakcheck.Run(m, testnet.NamePrefix)) }
