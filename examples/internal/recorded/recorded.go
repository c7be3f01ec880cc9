// Package recorded reads the figures that BENCHMARKS.md records about the
// examples, so that the examples' tests can check them: a recorded figure
// that stops holding fails a test instead of going stale.
package recorded

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Section is the heading of the section of BENCHMARKS.md whose first
// table holds the instruction counts.
const Section = "## examples: Go asm builds vs clang -O2"

// header is the header row of the instruction count table.
const header = "| object | program | asm instructions | clang instructions |"

// Count is one row of the instruction count table: the Go asm build and
// the clang build (the program in the committed object) of one program.
type Count struct {
	Asm, Clang int
}

// Key names a row: the object file and the program in it.
func Key(object, program string) string { return object + " " + program }

// File returns the path of BENCHMARKS.md, found in the working directory
// or one of its parents (tests run in their package's directory).
func File() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "BENCHMARKS.md")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no BENCHMARKS.md in the working directory or above")
		}
		dir = parent
	}
}

// InstructionCounts parses the instruction count table of BENCHMARKS.md
// (the first table after Section, with the columns of header), keyed by
// Key(object, program).
func InstructionCounts() (map[string]Count, error) {
	path, err := File()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseCounts(data, path)
}

func parseCounts(data []byte, path string) (map[string]Count, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	state := 0 // 0: before Section, 1: looking for header, 2: in the table
	counts := map[string]Count{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch state {
		case 0:
			if line == Section {
				state = 1
			}
		case 1:
			if strings.HasPrefix(line, "## ") {
				return nil, fmt.Errorf("%s: section %q has no table %q", path, Section, header)
			}
			if line == header {
				state = 2
			}
		case 2:
			if strings.HasPrefix(line, "|--") || strings.HasPrefix(line, "| --") {
				continue
			}
			if !strings.HasPrefix(line, "|") {
				if len(counts) == 0 {
					return nil, fmt.Errorf("%s: the instruction count table is empty", path)
				}
				return counts, nil
			}
			cells := strings.Split(strings.Trim(line, "|"), "|")
			if len(cells) != 4 {
				return nil, fmt.Errorf("%s:%d: %d cells, want 4", path, n, len(cells))
			}
			for i := range cells {
				cells[i] = strings.Trim(strings.TrimSpace(cells[i]), "`")
			}
			a, err1 := strconv.Atoi(cells[2])
			c, err2 := strconv.Atoi(cells[3])
			if err := errors.Join(err1, err2); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, n, err)
			}
			k := Key(cells[0], cells[1])
			if _, dup := counts[k]; dup {
				return nil, fmt.Errorf("%s:%d: %s is listed twice", path, n, k)
			}
			counts[k] = Count{Asm: a, Clang: c}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if state < 2 || len(counts) == 0 {
		return nil, fmt.Errorf("%s: no instruction count table (section %q, header %q)", path, Section, header)
	}
	return counts, nil
}

// Check fails tb unless BENCHMARKS.md records exactly these counts for
// program in object, and unless the asm build is no longer than clang's.
func Check(tb testing.TB, object, program string, asm, clang int) {
	tb.Helper()
	counts, err := InstructionCounts()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("%s %s instructions: asm %d, clang %d", object, program, asm, clang)
	if asm > clang {
		tb.Errorf("%s %s: the asm build has %d instructions, clang's %d", object, program, asm, clang)
	}
	got, ok := counts[Key(object, program)]
	if !ok {
		tb.Errorf("BENCHMARKS.md records no instruction counts for %s %s (asm %d, clang %d)", object, program, asm, clang)
		return
	}
	if got != (Count{asm, clang}) {
		tb.Errorf("BENCHMARKS.md says %s %s has %d (asm) / %d (clang) instructions; they are %d / %d", object, program, got.Asm, got.Clang, asm, clang)
	}
}
