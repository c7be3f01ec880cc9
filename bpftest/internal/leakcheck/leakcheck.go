// Package leakcheck is the TestMain of the packages that build test
// networks (bpftest, bpftest/testnet): it runs the tests and then fails the
// run if they left namespaces, host veths or descriptors behind.
package leakcheck

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/purebpf/bpf/internal/rtnl"
	"github.com/purebpf/bpf/netns"
)

// ourNamespaces lists the names in /run/netns that this process created
// (prefix plus the process id).
func ourNamespaces(prefix string) []string {
	ents, _ := os.ReadDir(netns.RunDir)
	prefix = fmt.Sprintf("%s%d-", prefix, os.Getpid())
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

// Run runs m's tests and returns the exit code; as root it also compares
// the namespaces named prefix<pid>-..., the host's veths and the open
// descriptors before and after, and turns a leak into a failure. A
// package's TestMain calls os.Exit(leakcheck.Run(m, testnet.NamePrefix)).
func Run(m *testing.M, prefix string) int {
	if os.Geteuid() != 0 {
		return m.Run()
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
		return 1
	}
	fdsBefore := openFDs()

	code := m.Run()

	var leaks []string
	if ns := ourNamespaces(prefix); len(ns) > 0 {
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
	return code
}
