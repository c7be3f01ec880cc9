package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/purebpf/bpf/internal/testenv"
)

// initBudget is what a package's initialisation may allocate when bpfctl
// starts (GODEBUG=inittrace=1), as recorded on 2026-12-04 with Go 1.26.
// Work done there delays every command's first output: regexps are
// compiled, and tables built, on first use (sync.OnceValue) or written
// as static literals.
type initBudget struct{ bytes, allocs int }

var initBudgets = map[string]initBudget{
	// The offline verifier's map literals (helper prototypes, the probed
	// helper sets); the init functions of its ctx_*.go and helpers_*.go
	// files run on first use (14752 B, 73 allocs before); 7352 B, 47
	// allocs since issue 16 added the flow dissector, lock and socket map
	// tables.
	"github.com/purebpf/bpf/check": {7352, 47},
	// Probe descriptions whose probe functions are closures.
	"github.com/purebpf/bpf/features": {3040, 16},
	"github.com/purebpf/bpf/btf":      {664, 8},
	"github.com/purebpf/bpf/asm":      {256, 2},
	// bpfctl itself.
	"main": {4448, 55},
}

// defaultInitBudget is the budget of a purebpf package not listed.
var defaultInitBudget = initBudget{256, 6}

// TestStartupInitBudget builds bpfctl, runs "bpfctl help" with
// GODEBUG=inittrace=1 and fails for each purebpf package whose
// initialisation allocates more than its recorded budget (plus 512 bytes
// and 8 allocations of slack: an allocation of another goroutine can be
// counted in). It measures no time: what runs before main shows up as
// allocations (a compiled regexp is kilobytes and dozens of them).
func TestStartupInitBudget(t *testing.T) {
	testenv.RequireTool(t, "go")
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "bpfctl")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "help")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bpfctl help: %v\n%s", err, stderr.String())
	}
	line := regexp.MustCompile(`(?m)^init (\S+) @[0-9.]+ ms, [0-9.]+ ms clock, (\d+) bytes, (\d+) allocs$`)
	seen := 0
	for _, m := range line.FindAllStringSubmatch(stderr.String(), -1) {
		pkg := m[1]
		if pkg != "main" && !strings.HasPrefix(pkg, "github.com/purebpf/") {
			continue
		}
		seen++
		bytes, _ := strconv.Atoi(m[2])
		allocs, _ := strconv.Atoi(m[3])
		b, ok := initBudgets[pkg]
		if !ok {
			b = defaultInitBudget
		}
		if bytes > b.bytes+512 || allocs > b.allocs+8 {
			t.Errorf("init of %s allocates %d bytes in %d allocations, budget %d bytes, %d allocations: "+
				"make what it builds at start-up lazy (sync.OnceValue) or a static literal, or record the new budget in initBudgets with the reason",
				pkg, bytes, allocs, b.bytes, b.allocs)
		}
	}
	// bpfctl links a dozen purebpf packages; fewer lines means the trace
	// format changed and nothing was checked.
	if seen < 10 {
		t.Fatalf("found %d purebpf packages in the init trace, want 10 or more:\n%s", seen, stderr.String())
	}
}
