package verifier

import (
	"testing"

	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/verifier/internal/gplprobe"
)

// TestGPLOnlyTableMatchesKernel probes every helper of the table on the
// running kernel and compares.
func TestGPLOnlyTableMatchesKernel(t *testing.T) {
	testenv.RequirePrivileged(t)
	for id, gpl := range gplOnly {
		v, err := gplprobe.Probe(id)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]gplprobe.Verdict{true: gplprobe.GPLOnly, false: gplprobe.NotGPLOnly}[gpl]; v != want {
			t.Errorf("helper %d: table says GPL-only=%v, kernel verdict %d", id, gpl, v)
		}
	}
}
