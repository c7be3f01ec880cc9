package cli

import (
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/purebpf/bpf/internal/testenv"
)

// TestUsageNamesEveryFlag builds every example, runs it with -h and
// checks that the usage synopsis (the text before the first blank line)
// names each flag of the flag list that follows it, so that no option
// is only discoverable by reading the defaults.
func TestUsageNamesEveryFlag(t *testing.T) {
	testenv.RequireTool(t, "go")
	out, err := exec.Command("go", "list", "-f", `{{if eq .Name "main"}}{{.ImportPath}}{{end}}`, "github.com/purebpf/bpf/examples/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	commands := strings.Fields(string(out))
	if len(commands) < 6 {
		t.Fatalf("found %d commands under examples/ (%v), want the 6 examples at least", len(commands), commands)
	}
	// One go build for all: with -o a directory it writes each command
	// there under its base name.
	dir := t.TempDir()
	if out, err := exec.Command("go", append([]string{"build", "-o", dir + "/"}, commands...)...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	flagLine := regexp.MustCompile(`(?m)^  -(\S+)`)
	for _, cmd := range commands {
		name := path.Base(cmd)
		t.Run(name, func(t *testing.T) {
			bin := filepath.Join(dir, name)
			// -h exits with status 0 (flag.ErrHelp); the text is on stderr.
			help, err := exec.Command(bin, "-h").CombinedOutput()
			if err != nil {
				t.Fatalf("%s -h: %v\n%s", name, err, help)
			}
			synopsis, list, ok := strings.Cut(string(help), "\n\n")
			if !ok || !strings.HasPrefix(synopsis, "usage: "+name+" ") {
				t.Fatalf("%s -h does not start with a usage synopsis and a blank line:\n%s", name, help)
			}
			flags := flagLine.FindAllStringSubmatch(list, -1)
			if len(flags) == 0 {
				t.Fatalf("%s -h lists no flags:\n%s", name, help)
			}
			for _, f := range flags {
				mention := regexp.MustCompile(`(^|[\s\[(|])--?` + regexp.QuoteMeta(f[1]) + `($|[\s\])|])`)
				if !mention.MatchString(synopsis) {
					t.Errorf("%s: the usage synopsis does not name -%s:\n%s", name, f[1], synopsis)
				}
			}
		})
	}
}
