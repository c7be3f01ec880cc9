// Package fds lets the examples' tests check that a run leaves no
// descriptors behind (a released attachment keeps its program attached
// but must not keep a socket or a program descriptor open in the
// process). It imports testing, so only tests may use it.
package fds

import (
	"os"
	"sort"
	"testing"
)

// Snapshot is the process's open descriptors: number -> what it refers to.
type Snapshot map[string]string

// Take lists the process's open descriptors.
func Take(tb testing.TB) Snapshot {
	tb.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Fatal(err)
	}
	s := Snapshot{}
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the descriptor ReadDir itself used, closed since
		}
		s[e.Name()] = target
	}
	return s
}

// ExpectNoneNew fails tb, listing them, if descriptors are open now that
// were not in before (or refer to something else).
func ExpectNoneNew(tb testing.TB, what string, before Snapshot) {
	tb.Helper()
	var leaked []string
	for fd, target := range Take(tb) {
		if before[fd] != target {
			leaked = append(leaked, fd+" -> "+target)
		}
	}
	sort.Strings(leaked)
	if len(leaked) > 0 {
		tb.Errorf("%s left descriptors open: %v", what, leaked)
	}
}
