package bpftest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/internal/rtnl"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/netns"
)

// This file holds the package's only TestMain: tests added to bpftest in
// other files are covered by its leak check too.

// ourNamespaces lists the names in /run/netns that this process created.
func ourNamespaces() []string {
	ents, _ := os.ReadDir(netns.RunDir)
	prefix := fmt.Sprintf("%s%d-", bpftest.NamePrefix, os.Getpid())
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names
}

// openFDs describes the process's open descriptors.
func openFDs() []string {
	ents, _ := os.ReadDir("/proc/self/fd")
	var fds []string
	for _, e := range ents {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		fds = append(fds, e.Name()+" -> "+target)
	}
	return fds
}

// hostVeths lists the veth interfaces of the host's namespace.
func hostVeths() ([]string, error) {
	c, err := rtnl.Dial(-1)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	links, err := c.Links()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, l := range links {
		if l.Kind == "veth" {
			names = append(names, l.Name)
		}
	}
	return names, nil
}

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		os.Exit(m.Run())
	}
	// Start the runtime's network poller now, so its descriptors are
	// counted before the tests and not taken for a leak.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	vethsBefore, err := hostVeths()
	if err != nil {
		fmt.Fprintln(os.Stderr, "leak check: list host links:", err)
		os.Exit(1)
	}
	fdsBefore := openFDs()

	code := m.Run()

	var leaks []string
	if ns := ourNamespaces(); len(ns) > 0 {
		leaks = append(leaks, fmt.Sprintf("namespaces left in %s: %v", netns.RunDir, ns))
	}
	if vethsAfter, err := hostVeths(); err != nil {
		leaks = append(leaks, fmt.Sprintf("list host links: %v", err))
	} else {
		for _, v := range vethsAfter {
			if !slices.Contains(vethsBefore, v) {
				leaks = append(leaks, "veth in the host namespace: "+v)
			}
		}
	}
	if fdsAfter := openFDs(); len(fdsAfter) != len(fdsBefore) {
		leaks = append(leaks, fmt.Sprintf("open descriptors: %d before the tests, %d after:\n\t%s",
			len(fdsBefore), len(fdsAfter), strings.Join(fdsAfter, "\n\t")))
	}
	if len(leaks) > 0 {
		fmt.Fprintln(os.Stderr, "leak check failed:\n"+strings.Join(leaks, "\n"))
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// childEnv makes TestChildFixtureFails fail on purpose, in a child process
// started by TestCleanupAfterFailure.
const childEnv = "BPFTEST_CHILD_FAIL"

func TestChildFixtureFails(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("helper of TestCleanupAfterFailure; runs only in its child process")
	}
	testenv.RequirePrivileged(t)
	report := func(p *bpftest.VethPair) {
		for _, ns := range []*netns.NetNS{p.A.NS, p.B.NS} {
			if _, err := os.Stat(ns.Path()); err == nil {
				fmt.Printf("CREATED %s\n", ns.Name())
			}
		}
	}
	p := bpftest.NewVethPair(t)
	report(p)
	switch mode {
	case "fatal":
		t.Fatal("failing on purpose")
	case "panic":
		panic("failing on purpose")
	case "subtest":
		t.Run("sub", func(t *testing.T) {
			report(bpftest.NewVethPair(t))
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
