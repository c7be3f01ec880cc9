package main

import (
	"bytes"
	"os"
	"testing"
)

// TestRun loads the generated package's objects, runs the program once
// and checks the counter it reads back through the typed map.
func TestRun(t *testing.T) {
	if os.Getuid() != 0 && os.Getenv("PUREBPF_REQUIRE_PRIVILEGED") == "" {
		t.Skip("loading needs root")
	}
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("%+v", err)
	}
	if want := "xdp_prog1 returned 1 (XDP_DROP is 1); rxcnt[UDP] = 1\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}
