package bpftest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/internal/leakcheck"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/netns"
)

// This file holds the package's only TestMain: tests added to bpftest in
// other files are covered by its leak check too (testnet has the same one).

func TestMain(m *testing.M) { os.Exit(leakcheck.Run(m, testnet.NamePrefix)) }

// childEnv makes TestChildFixtureFails fail on purpose, in a child process
// started by TestCleanupAfterFailure.
const childEnv = "BPFTEST_CHILD_FAIL"

func TestChildFixtureFails(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("helper of TestCleanupAfterFailure; runs only in its child process")
	}
	testenv.RequirePrivileged(t)
	report := func(p *testnet.VethPair) {
		for _, ns := range []*netns.NetNS{p.A.Netns, p.B.Netns} {
			if _, err := os.Stat(ns.Path()); err == nil {
				fmt.Printf("CREATED %s\n", ns.Name())
			}
		}
	}
	p := bpftest.NewVethPair(t, testnet.VethOptions{})
	report(p)
	switch mode {
	case "fatal":
		t.Fatal("failing on purpose")
	case "panic":
		panic("failing on purpose")
	case "subtest":
		t.Run("sub", func(t *testing.T) {
			report(bpftest.NewVethPair(t, testnet.VethOptions{}))
			t.FailNow()
		})
	case "fatal-in-do":
		p.A.Do(func() error {
			t.Fatal("failing on purpose inside Do")
			return nil
		})
	}
}

func TestCleanupAfterFailure(t *testing.T) {
	bpftest.RequirePrivileged(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode       string
		namespaces int
	}{
		{"fatal", 2},
		{"panic", 2},
		{"subtest", 4},
		{"fatal-in-do", 2},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, exe, "-test.run=^TestChildFixtureFails$", "-test.v")
			cmd.Env = append(os.Environ(), childEnv+"="+tt.mode)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("child test passed; want a failure:\n%s", out)
			}
			if strings.Contains(string(out), "leak check failed") {
				t.Errorf("child's leak check failed:\n%s", out)
			}
			var names []string
			for _, line := range strings.Split(string(out), "\n") {
				if name, ok := strings.CutPrefix(line, "CREATED "); ok {
					names = append(names, name)
				}
			}
			if len(names) != tt.namespaces {
				t.Fatalf("child reported %d existing namespaces, want %d:\n%s", len(names), tt.namespaces, out)
			}
			for _, name := range names {
				if _, err := os.Stat(netns.RunDir + "/" + name); !os.IsNotExist(err) {
					t.Errorf("namespace %s still exists after the failed test (stat: %v)", name, err)
				}
			}
		})
	}
}
