package bench

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

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
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("BENCHMARKS.md: no allocation count in %q", cell)
	}
	return n, true
}

// checkAllocs compares the allocations per operation of each variant with
// the cell of its column in row.
func checkAllocs(t *testing.T, what string, row map[string]string, column func(v variant) string, vs []variant) {
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
		got := testing.AllocsPerRun(50, func() {
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
		checkAllocs(t, row["benchmark"], row, func(v variant) string { return v.name }, vs())
	}
	for name := range variants {
		t.Errorf("BENCHMARKS.md maps table has no row %q", name)
	}

	byName := map[string]map[string]string{}
	for _, row := range mdTable(t, newCollectionHeader) {
		byName[row["variant"]] = row
	}
	for _, v := range newCollectionVariants(t) {
		row, ok := byName[v.name]
		if !ok {
			t.Errorf("BENCHMARKS.md NewCollection table has no row %q", v.name)
			continue
		}
		checkAllocs(t, "NewCollection", row, func(variant) string { return "allocs/op" }, []variant{v})
	}
}

// The header rows of the tables TestRecordedAllocs checks.
const (
	mapsHeader          = "| benchmark | raw | purebpf | purebpf-typed | cilium | cilium-alloc | purebpf / raw | cilium / raw |"
	newCollectionHeader = "| variant | what | ns/op | B/op | allocs/op | vs raw |"
)
