package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// testPkg is a package with tests and where its test binary goes.
type testPkg struct {
	Pkg    string // import path
	Dir    string // source directory
	ModDir string // directory of its module's go.mod
	Bin    string // file name of its test binary
}

// splitPatterns sends each package pattern to the module it names: a
// pattern under ./bench goes to the bench module (a separate go.mod),
// rewritten relative to it; everything else to the main module.
func splitPatterns(patterns []string) (main, bench []string) {
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
		case p == "./bench" || p == "bench":
			bench = append(bench, ".")
		case strings.HasPrefix(p, "./bench/"):
			bench = append(bench, "./"+strings.TrimPrefix(p, "./bench/"))
		case strings.HasPrefix(p, "bench/"):
			bench = append(bench, "./"+strings.TrimPrefix(p, "bench/"))
		default:
			main = append(main, p)
		}
	}
	return main, bench
}

// binName is the test binary's file name: the package path below the
// module with slashes as underscores.
func binName(pkg, module string) string {
	s := shortPkg(pkg, module)
	s = strings.NewReplacer("/", "_", " ", "", "(", "", ")", "").Replace(s)
	return s + ".test"
}

// hostOnly are the packages whose tests do not depend on the kernel and
// run natively only: the repository's tools (the API listing compiles the
// whole module with go list -export, minutes under TCG).
const hostOnly = "/internal/tools/"

// listTestPkgs lists the packages matching patterns in the module at
// modDir that have test files, except hostOnly ones.
func listTestPkgs(ctx context.Context, goBin, modDir, module string, patterns []string) ([]testPkg, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	args := append([]string{"list", "-f", `{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{"\t"}}{{.Dir}}{{end}}`}, patterns...)
	out, err := output(ctx, modDir, goBin, args...)
	if err != nil {
		return nil, err
	}
	var pkgs []testPkg
	for _, l := range strings.Split(out, "\n") {
		imp, dir, ok := strings.Cut(strings.TrimSpace(l), "\t")
		if !ok || strings.Contains(imp+"/", hostOnly) {
			continue
		}
		pkgs = append(pkgs, testPkg{Pkg: imp, Dir: dir, ModDir: modDir, Bin: binName(imp, module)})
	}
	return pkgs, nil
}

// buildTests compiles every package's test binary into binDir, par at a
// time. A package that does not build is returned in the map with the
// compiler's output; the others are not held up by it.
func buildTests(ctx context.Context, goBin string, pkgs []testPkg, binDir string, par int) map[string]string {
	failed := map[string]string{}
	var mu sync.Mutex
	sem := make(chan struct{}, max(par, 1))
	var wg sync.WaitGroup
	for _, p := range pkgs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			cmd := exec.CommandContext(ctx, goBin, "test", "-c", "-o", filepath.Join(binDir, p.Bin), p.Pkg)
			cmd.Dir = p.ModDir
			if out, err := cmd.CombinedOutput(); err != nil {
				mu.Lock()
				failed[p.Pkg] = fmt.Sprintf("go test -c %s: %v\n%s", p.Pkg, err, out)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return failed
}
