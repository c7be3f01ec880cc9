package cli

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/purebpf/bpf/internal/testenv"
)

// TestBinariesDoNotLinkTesting builds the import graph of every command
// under examples/ (go list, test files excluded; this package is what
// they share) and fails for each one
// that links the package testing, naming the chain of imports that pulls
// it in: a program a reader runs must not carry the test framework (and
// its flags), so its demo fixtures come from bpftest/testnet, not bpftest.
func TestBinariesDoNotLinkTesting(t *testing.T) {
	testenv.RequireTool(t, "go")
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}} {{.Name}} {{join .Imports " "}}`, "github.com/purebpf/bpf/examples/...").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	var commands []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			t.Fatalf("go list printed %q", line)
		}
		imports[f[0]] = f[2:]
		if f[1] == "main" {
			commands = append(commands, f[0])
		}
	}
	// Six examples; a count below that means the pattern missed some.
	if len(commands) < 6 {
		t.Fatalf("found %d commands under examples/ (%v), want the 6 examples at least", len(commands), commands)
	}
	for _, cmd := range commands {
		if chain := importChain(imports, cmd, "testing"); chain != nil {
			t.Errorf("%s links testing: %s", cmd, strings.Join(chain, " -> "))
		}
	}
}

// importChain returns a shortest chain of imports from one package to
// another, or nil when from does not depend on to.
func importChain(imports map[string][]string, from, to string) []string {
	parent := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var chain []string
			for ; p != ""; p = parent[p] {
				chain = append([]string{p}, chain...)
			}
			return chain
		}
		for _, q := range imports[p] {
			if _, seen := parent[q]; !seen {
				parent[q] = p
				queue = append(queue, q)
			}
		}
	}
	return nil
}
