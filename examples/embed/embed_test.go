package main

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/purebpf/bpf/internal/testenv"
)

// TestRun loads the generated package's objects, runs the program once
// per protocol and checks the counter it reads back through the typed
// map (xdp1 drops every frame and counts it under its IP protocol).
func TestRun(t *testing.T) {
	testenv.RequirePrivileged(t)
	for _, proto := range []uint8{17, 6, 1} {
		var out bytes.Buffer
		if err := run(&out, proto); err != nil {
			t.Fatalf("%+v", err)
		}
		if want := fmt.Sprintf("xdp_prog1 returned 1 (XDP_DROP is 1); rxcnt[%d] = 1\n", proto); out.String() != want {
			t.Errorf("got %q, want %q", out.String(), want)
		}
	}
}
