package verifier

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"testing"

	"github.com/purebpf/bpf/internal/gplprobe"
	"github.com/purebpf/bpf/internal/testenv"
)

// TestGPLOnlyTableMatchesKernel probes every helper of the table on the
// running kernel and compares what the kernel can answer: a helper no
// program type may call here (a subsystem not built in, a helper newer
// than the kernel) is not a mismatch.
func TestGPLOnlyTableMatchesKernel(t *testing.T) {
	testenv.RequirePrivileged(t)
	mismatches, unknown, err := gplprobe.Compare(gplOnly(), gplprobe.Probe)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mismatches {
		t.Error(m)
	}
	if len(unknown) > 0 {
		t.Logf("%d helpers of the table cannot be called by any program type on this kernel (not compared): %v", len(unknown), unknown)
	}
	// The helpers every modelled kernel has must have been compared.
	for _, id := range []int32{1, 2, 3, 6, 7, 12, 130} { // map helpers, trace_printk, prandom, tail_call, ringbuf_output
		for _, u := range unknown {
			if u == id {
				t.Errorf("helper %d: no verdict from the kernel", id)
			}
		}
	}
}

// TestGPLOnlyCompareFindsMismatch feeds the comparison a table with a
// deliberately wrong entry and checks that exactly that entry is reported,
// against the kernel when privileged and against fixed verdicts always.
func TestGPLOnlyCompareFindsMismatch(t *testing.T) {
	const wrong = int32(6) // bpf_trace_printk, GPL-only on every kernel
	table := maps.Clone(gplOnly())
	table[wrong] = false
	table[9999] = true // no such helper: unknown, not a mismatch

	fixed := func(id int32) (gplprobe.Verdict, error) {
		switch gpl, known := gplOnly()[id]; {
		case !known:
			return gplprobe.Unknown, nil
		case gpl:
			return gplprobe.GPLOnly, nil
		}
		return gplprobe.NotGPLOnly, nil
	}
	check := func(t *testing.T, probe func(int32) (gplprobe.Verdict, error)) {
		mismatches, unknown, err := gplprobe.Compare(table, probe)
		if err != nil {
			t.Fatal(err)
		}
		if len(mismatches) != 1 || mismatches[0].ID != wrong || mismatches[0].Verdict != gplprobe.GPLOnly {
			t.Errorf("mismatches %v, want only helper %d", mismatches, wrong)
		}
		found := false
		for _, u := range unknown {
			found = found || u == 9999
		}
		if !found {
			t.Errorf("helper 9999 not reported unknown: %v", unknown)
		}
	}
	t.Run("fixed", func(t *testing.T) { check(t, fixed) })
	t.Run("kernel", func(t *testing.T) {
		testenv.RequirePrivileged(t)
		check(t, gplprobe.Probe)
	})
	// A probe error stops the comparison.
	boom := errors.New("boom")
	if _, _, err := gplprobe.Compare(table, func(int32) (gplprobe.Verdict, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Errorf("Compare with a failing probe: %v", err)
	}
}

// TestProbeVerdicts checks the probe on helpers whose answer is known on
// every modelled kernel.
func TestProbeVerdicts(t *testing.T) {
	testenv.RequirePrivileged(t)
	tests := []struct {
		id   int32
		want gplprobe.Verdict
	}{
		{1, gplprobe.NotGPLOnly}, // map_lookup_elem
		{6, gplprobe.GPLOnly},    // trace_printk
		{9999, gplprobe.Unknown}, // no such helper
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.id), func(t *testing.T) {
			v, err := gplprobe.Probe(tt.id)
			if err != nil || v != tt.want {
				t.Errorf("Probe(%d) = %v, %v; want %v", tt.id, v, err, tt.want)
			}
		})
	}
}

// TestGPLOnlyTableGenerated checks that gplonly_gen.go is what go generate
// makes of the committed probe record (testdata/gplonly.txt), so the
// table is never edited by hand.
func TestGPLOnlyTableGenerated(t *testing.T) {
	record, err := os.ReadFile("testdata/gplonly.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, err := gplprobe.Generate("gplonly", record, "verifier", "testdata/gplonly.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("gplonly_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("gplonly_gen.go differs from what testdata/gplonly.txt generates: run go generate ./verifier")
	}
}
