package main

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"strings"
)

// moduleIndex is what a kernel's modules.dep and modules.builtin say:
// where each loadable module is (relative to /lib/modules/<release>),
// what it depends on, and which modules are built into the kernel.
type moduleIndex struct {
	path    map[string]string   // module name -> relative path
	deps    map[string][]string // module name -> names of its dependencies
	builtin map[string]bool
}

// moduleName turns a module path ("kernel/net/9p/9pnet_virtio.ko.xz") into
// the name modprobe uses ("9pnet_virtio"); dashes and underscores are
// the same to the kernel, so names use underscores.
func moduleName(p string) string {
	b := path.Base(p)
	if i := strings.Index(b, ".ko"); i >= 0 {
		b = b[:i]
	}
	return strings.ReplaceAll(b, "-", "_")
}

// parseModulesDep reads modules.dep ("path: dep1 dep2 ...") and, when
// builtin is not nil, modules.builtin (one path a line).
func parseModulesDep(dep, builtin io.Reader) (*moduleIndex, error) {
	idx := &moduleIndex{path: map[string]string{}, deps: map[string][]string{}, builtin: map[string]bool{}}
	sc := bufio.NewScanner(dep)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		mod, rest, ok := strings.Cut(text, ":")
		if !ok || strings.TrimSpace(mod) == "" {
			return nil, fmt.Errorf("modules.dep line %d: no \"module:\" in %q", line, text)
		}
		mod = strings.TrimSpace(mod)
		name := moduleName(mod)
		idx.path[name] = mod
		var deps []string
		for _, d := range strings.Fields(rest) {
			deps = append(deps, moduleName(d))
		}
		idx.deps[name] = deps
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("modules.dep: %w", err)
	}
	if builtin != nil {
		sc := bufio.NewScanner(builtin)
		for sc.Scan() {
			if t := strings.TrimSpace(sc.Text()); t != "" {
				idx.builtin[moduleName(t)] = true
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("modules.builtin: %w", err)
		}
	}
	return idx, nil
}

// loadOrder returns the relative paths of the modules that must be
// inserted, in an order where every module comes after the modules it
// depends on, to make the wanted modules available. A wanted module built
// into the kernel needs nothing; one that is neither built in nor in
// modules.dep is an error.
func (idx *moduleIndex) loadOrder(wanted []string) ([]string, error) {
	var order []string
	state := map[string]int{} // 0 new, 1 visiting, 2 done
	var visit func(name string, chain []string) error
	visit = func(name string, chain []string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("module dependency cycle: %s -> %s", strings.Join(chain, " -> "), name)
		case 2:
			return nil
		}
		p, ok := idx.path[name]
		if !ok {
			if idx.builtin[name] {
				state[name] = 2
				return nil
			}
			if len(chain) > 0 {
				return fmt.Errorf("module %s (needed by %s) is neither in modules.dep nor built in", name, chain[len(chain)-1])
			}
			return fmt.Errorf("module %s is neither in modules.dep nor built in", name)
		}
		state[name] = 1
		for _, d := range idx.deps[name] {
			if err := visit(d, append(chain, name)); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, p)
		return nil
	}
	for _, w := range wanted {
		if err := visit(strings.ReplaceAll(w, "-", "_"), nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}
