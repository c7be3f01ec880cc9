package bench

import (
	"bytes"
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/sys"
)

// mdTable returns the rows of the table of BENCHMARKS.md whose header row
// is header, each as column name -> cell.
func mdTable(t *testing.T, header string) []map[string]string {
	t.Helper()
	data, err := os.ReadFile("../BENCHMARKS.md")
	if err != nil {
		t.Fatal(err)
	}
	split := func(line string) []string {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		return cells
	}
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		if strings.TrimSpace(line) != header {
			continue
		}
		cols := split(header)
		var rows []map[string]string
		for _, line := range lines[i+2:] { // after the separator
			if !strings.HasPrefix(strings.TrimSpace(line), "|") {
				break
			}
			cells := split(line)
			if len(cells) != len(cols) {
				t.Fatalf("BENCHMARKS.md: %d cells in %q, the header has %d", len(cells), line, len(cols))
			}
			row := map[string]string{}
			for k, c := range cols {
				row[c] = cells[k]
			}
			rows = append(rows, row)
		}
		if len(rows) == 0 {
			t.Fatalf("BENCHMARKS.md: table %q has no rows", header)
		}
		return rows
	}
	t.Fatalf("BENCHMARKS.md has no table with the header %q", header)
	return nil
}

var allocsCell = regexp.MustCompile(`(?:^|\s)(\d+) allocs?\b`)

// recordedAllocs returns the allocation count of a cell ("1132 ns, 0
// allocs", or a bare number), and false for "-".
func recordedAllocs(t *testing.T, cell string) (int, bool) {
	t.Helper()
	if cell == "-" {
		return 0, false
	}
	s := cell
	if m := allocsCell.FindStringSubmatch(cell); m != nil {
		s = m[1]
	} else if f := strings.Fields(cell); len(f) > 0 {
		s = f[0] // "2 (the cursor's position buffers)"
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("BENCHMARKS.md: no allocation count in %q", cell)
	}
	return n, true
}

// checkAllocs compares the allocations per operation of each variant with
// the cell of its column in row.
func checkAllocs(t *testing.T, what string, runs int, row map[string]string, column func(v variant) string, vs []variant) {
	t.Helper()
	for _, v := range vs {
		cell, ok := row[column(v)]
		if !ok {
			t.Errorf("%s: BENCHMARKS.md has no column for %s", what, v.name)
			continue
		}
		want, ok := recordedAllocs(t, cell)
		if !ok {
			t.Errorf("%s %s: BENCHMARKS.md records no allocations (%q)", what, v.name, cell)
			continue
		}
		var err error
		got := testing.AllocsPerRun(runs, func() {
			if e := v.op(); e != nil && err == nil {
				err = e
			}
		})
		if err != nil {
			t.Fatalf("%s %s: %v", what, v.name, err)
		}
		if int(got) != want {
			t.Errorf("%s %s: %v allocations per operation; BENCHMARKS.md says %d", what, v.name, got, want)
		}
	}
}

// TestRecordedAllocs checks the allocations per operation that
// BENCHMARKS.md records for map element operations and NewCollection
// against the benchmarks' own operations. Times are measurements, not
// checked; allocation counts are facts of the code (and of the pinned
// cilium/ebpf version).
func TestRecordedAllocs(t *testing.T) {
	requireRoot(t)
	variants := map[string]func() []variant{
		"hash Lookup":    func() []variant { return elemVariants(t, sys.MapLookupElemCmd) },
		"hash Update":    func() []variant { return elemVariants(t, sys.MapUpdateElemCmd) },
		"per-CPU Lookup": func() []variant { return perCPUVariants(t) },
	}
	rows := mdTable(t, mapsHeader)
	for _, row := range rows {
		vs, ok := variants[row["benchmark"]]
		if !ok {
			t.Errorf("BENCHMARKS.md maps table: unknown row %q", row["benchmark"])
			continue
		}
		delete(variants, row["benchmark"])
		checkAllocs(t, row["benchmark"], 50, row, func(v variant) string { return v.name }, vs())
	}
	for name := range variants {
		t.Errorf("BENCHMARKS.md maps table has no row %q", name)
	}

	// Tables with a row per variant: the first column names it.
	for _, tt := range []struct {
		what, header  string
		label, column string            // the columns naming the row and counting allocations
		rows          map[string]string // row label -> variant
		variants      func(testing.TB) []variant
		runs          int
	}{
		{"NewCollection", newCollectionHeader, "variant", "allocs/op",
			map[string]string{"purebpf": "purebpf", "cilium": "cilium", "raw": "raw", "raw-nobtf": "raw-nobtf"}, newCollectionVariants, 50},
		{"Program.Run", runHeader, "variant", "allocs/op",
			map[string]string{"raw bpf(2)": "raw", "purebpf `Program.Run`": "purebpf", "cilium/ebpf v0.22.0 `Program.Run`": "cilium"}, runVariantsOf, 50},
		{"iterate 64k", iterateHeader, "method", "allocs",
			map[string]string{"purebpf BatchLookup, 4096 per call": "purebpf-batch", "purebpf NextKey + Lookup per element": "purebpf-nextkey-lookup",
				"cilium/ebpf BatchLookup, 4096 per call": "cilium-batch"}, iterateVariants, 2},
	} {
		byVariant := map[string]map[string]string{}
		for _, row := range mdTable(t, tt.header) {
			label := row[tt.label]
			v, ok := tt.rows[label]
			if !ok {
				t.Errorf("BENCHMARKS.md %s table: unknown row %q", tt.what, label)
				continue
			}
			byVariant[v] = row
		}
		for _, v := range tt.variants(t) {
			row, ok := byVariant[v.name]
			if !ok {
				t.Errorf("BENCHMARKS.md %s table has no row for %s", tt.what, v.name)
				continue
			}
			checkAllocs(t, tt.what, tt.runs, row, func(variant) string { return tt.column }, []variant{v})
		}
	}
}

// The header rows of the tables TestRecordedAllocs checks.
const (
	mapsHeader          = "| benchmark | raw | purebpf | purebpf-typed | cilium | cilium-alloc | purebpf / raw | cilium / raw |"
	newCollectionHeader = "| variant | what | ns/op | B/op | allocs/op | vs raw |"
	runHeader           = "| variant | time/op | allocs/op | vs raw |"
	iterateHeader       = "| method | time per pass | allocs |"
)

// parseHeader is the header row of BENCHMARKS.md's parse table.
const parseHeader = "| object | purebpf ns | cilium ns | ratio | purebpf allocs | cilium allocs | ratio |"

// TestRecordedParseAllocs checks the allocation columns of BENCHMARKS.md's
// parse table (elf.Parse against cilium/ebpf's LoadCollectionSpecFromReader)
// and the goal it states for every committed object: at most half of
// cilium/ebpf's allocations.
func TestRecordedParseAllocs(t *testing.T) {
	allocs := func(obj string) (pure, cil int) {
		data, err := os.ReadFile(obj)
		if err != nil {
			t.Fatal(err)
		}
		var perr, cerr error
		p := testing.AllocsPerRun(20, func() { _, perr = elf.Parse(data) })
		c := testing.AllocsPerRun(20, func() { _, cerr = ebpf.LoadCollectionSpecFromReader(bytes.NewReader(data)) })
		if err := errors.Join(perr, cerr); err != nil {
			t.Fatalf("%s: %v", obj, err)
		}
		return int(p), int(c)
	}
	measured := map[string][2]int{}
	for _, obj := range elfObjects(t) {
		p, c := allocs(obj)
		measured[objName(obj)] = [2]int{p, c}
		if 2*p > c {
			t.Errorf("%s: elf.Parse makes %d allocations, more than half of cilium/ebpf's %d", objName(obj), p, c)
		}
	}
	for _, row := range mdTable(t, parseHeader) {
		name := row["object"]
		got, ok := measured[name]
		if !ok {
			t.Errorf("BENCHMARKS.md parse table: %s is not a committed object", name)
			continue
		}
		p, _ := recordedAllocs(t, row["purebpf allocs"])
		c, _ := recordedAllocs(t, row["cilium allocs"])
		if got != [2]int{p, c} {
			t.Errorf("%s: parsing makes %d (purebpf) and %d (cilium) allocations; BENCHMARKS.md says %d and %d", name, got[0], got[1], p, c)
		}
	}
}
