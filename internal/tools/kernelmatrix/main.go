// Command kernelmatrix runs the module's tests on several Linux kernels
// and prints a pass/fail/skip table per package and kernel.
//
// The kernels are Debian kernel packages, fetched with apt-get download
// and booted under qemu (TCG, no KVM needed), and the running kernel, on
// which the same test binaries run natively. Inside a guest only the
// kernel differs: the host's root is the guest's root (9p, read-only,
// under a tmpfs through overlayfs), so go, clang, bpftool and iproute2
// are the host's, and the package's own modules load on demand (veth,
// clsact, cls_bpf, ...). See KERNELS.md for the setup and the last table.
//
//	go run ./internal/tools/kernelmatrix [flags] [kernel ...]
//
// A kernel is "running", a series ("6.1": the newest generic amd64 image of
// that series in the apt lists), a package name, or a glob of package
// names. Everything is built once on the host; packages run one test
// binary after another with PUREBPF_REQUIRE_PRIVILEGED=1, as root, in
// their source directories. The exit status is 1 if a test failed, a
// package did not run, or a guest panicked or timed out; 2 if the run
// could not be set up.
package main

import (
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	// The guest side: PID 1 and the runner it starts (see guest.go).
	if len(os.Args) == 3 {
		switch os.Args[1] {
		case "-guest":
			guestInit(os.Args[2])
			return
		case "-guest-run":
			guestRun(os.Args[2])
			return
		}
	}
	os.Exit(run(os.Args[1:]))
}

type options struct {
	kernels     string
	pkgs        string
	run, skip   string
	count       int
	parallel    int
	timeout     time.Duration
	testTimeout time.Duration
	cache       string
	keep        bool
	markdown    string
	require     bool
	env         []string
	vm          vmConfig
}

func run(args []string) int {
	var o options
	fs := flag.NewFlagSet("kernelmatrix", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: kernelmatrix [flags] [kernel ...]\n\nkernel: running, a series (6.1, 6.12), a linux-image package name or glob\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.kernels, "kernels", "", "comma-separated kernels (added to the arguments; default 6.1,6.12,running)")
	fs.StringVar(&o.pkgs, "pkg", "./...,./bench/...", "comma-separated package patterns; ./bench/... is the bench module")
	fs.StringVar(&o.run, "run", "", "run only tests matching this regexp (-test.run)")
	fs.StringVar(&o.skip, "skip", "", "skip tests matching this regexp (-test.skip)")
	fs.IntVar(&o.count, "count", 1, "run each test this many times (-test.count)")
	fs.IntVar(&o.parallel, "p", 2, "test binaries run at the same time on one kernel (as go test -p)")
	fs.DurationVar(&o.timeout, "timeout", 40*time.Minute, "hard limit for one guest, boot to power-off")
	fs.DurationVar(&o.testTimeout, "test-timeout", 20*time.Minute, "-test.timeout of each test binary (killed a minute later)")
	fs.StringVar(&o.cache, "cache", "/var/cache/purebpf-kernels", "where kernel packages are kept between runs")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (test binaries, outputs, console logs)")
	fs.StringVar(&o.markdown, "markdown", "", "write the table and skip reasons into this markdown file (between kernelmatrix markers)")
	fs.BoolVar(&o.require, "require-privileged", true, "set PUREBPF_REQUIRE_PRIVILEGED=1 for the tests")
	fs.Func("env", "NAME=VALUE set for the tests (repeatable), e.g. -env PUREBPF_MUTANTS=20000", func(v string) error {
		if name, _, ok := strings.Cut(v, "="); !ok || name == "" {
			return fmt.Errorf("%q is not NAME=VALUE", v)
		}
		o.env = append(o.env, v)
		return nil
	})
	fs.StringVar(&o.vm.Qemu, "qemu", "qemu-system-x86_64", "qemu binary")
	fs.IntVar(&o.vm.SMP, "smp", 2, "guest CPUs")
	fs.StringVar(&o.vm.Mem, "mem", "3G", "guest memory")
	fs.StringVar(&o.vm.CPU, "cpu", "max", "guest CPU model")
	fs.StringVar(&o.vm.Append, "append", "", "extra guest kernel command line")
	fs.IntVar(&o.vm.Msize, "msize", 512000, "9p msize (bytes per 9p message)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o.vm.Timeout = o.timeout
	var specs []string
	for _, s := range append(strings.Split(o.kernels, ","), fs.Args()...) {
		if s = strings.TrimSpace(s); s != "" {
			specs = append(specs, s)
		}
	}
	if len(specs) == 0 {
		specs = []string{"6.1", "6.12", "running"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m, err := newMatrix(ctx, o, specs)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kernelmatrix: %v\n", err)
		return 2
	}
	defer m.cleanup()
	return m.execute(ctx, args)
}

// matrix is one invocation: the kernels, the built test binaries and the
// work directory.
type matrix struct {
	o        options
	kernels  []*kernel
	goBin    string
	modDir   string
	module   string
	busybox  string
	work     string
	pkgs     []testPkg
	buildErr map[string]string
	env      []string
	tmpfsTmp bool // a guest mounts a tmpfs on /tmp
}

func newMatrix(ctx context.Context, o options, specs []string) (*matrix, error) {
	m := &matrix{o: o}
	var err error
	if m.goBin, err = exec.LookPath("go"); err != nil {
		return nil, err
	}
	gomod, err := output(ctx, "", m.goBin, "env", "GOMOD")
	if err != nil {
		return nil, err
	}
	if gomod = strings.TrimSpace(gomod); gomod == "" || gomod == os.DevNull {
		return nil, errors.New("run inside the module (no go.mod here)")
	}
	m.modDir = filepath.Dir(gomod)
	mod, err := output(ctx, m.modDir, m.goBin, "list", "-m")
	if err != nil {
		return nil, err
	}
	m.module = strings.TrimSpace(mod)

	needVM := false
	for _, s := range specs {
		needVM = needVM || s != "running"
	}
	if needVM {
		for _, t := range []string{o.vm.Qemu, "apt-get", "apt-cache", "dpkg-deb", "xz"} {
			if _, err := exec.LookPath(t); err != nil {
				return nil, fmt.Errorf("booting Debian kernels needs %s: %w", t, err)
			}
		}
		if m.busybox, err = exec.LookPath("busybox"); err != nil {
			return nil, fmt.Errorf("the initramfs needs a static busybox (Debian: busybox-static): %w", err)
		}
		if err := checkStatic(m.busybox); err != nil {
			return nil, err
		}
	}
	updated := false
	for _, s := range specs {
		k, err := resolveKernel(ctx, s, &updated)
		if err != nil {
			return nil, err
		}
		if !k.native() {
			if err := os.MkdirAll(o.cache, 0o755); err != nil {
				return nil, err
			}
			if err := k.fetch(ctx, o.cache, m.busybox); err != nil {
				if updated {
					return nil, err
				}
				// Stale lists name a version the mirror no
				// longer has: refresh them and try again.
				fmt.Fprintf(os.Stderr, "kernelmatrix: %v; running apt-get update\n", err)
				if _, err := output(ctx, "", "apt-get", "update", "-qq"); err != nil {
					return nil, err
				}
				updated = true
				if k, err = resolveKernel(ctx, s, &updated); err != nil {
					return nil, err
				}
				if err := k.fetch(ctx, o.cache, m.busybox); err != nil {
					return nil, err
				}
			}
		}
		m.kernels = append(m.kernels, k)
	}

	if m.work, err = os.MkdirTemp("", "kernelmatrix-"); err != nil {
		return nil, err
	}
	if err := os.Mkdir(filepath.Join(m.work, "bin"), 0o755); err != nil {
		return nil, err
	}
	mainPats, benchPats := splitPatterns(strings.Split(o.pkgs, ","))
	if m.pkgs, err = listTestPkgs(ctx, m.goBin, m.modDir, m.module, mainPats); err != nil {
		return nil, err
	}
	if len(benchPats) > 0 {
		benchDir := filepath.Join(m.modDir, "bench")
		if _, err := os.Stat(filepath.Join(benchDir, "go.mod")); err == nil {
			bp, err := listTestPkgs(ctx, m.goBin, benchDir, m.module, benchPats)
			if err != nil {
				return nil, err
			}
			m.pkgs = append(m.pkgs, bp...)
		}
	}
	if len(m.pkgs) == 0 {
		return nil, fmt.Errorf("no packages with tests match %s", o.pkgs)
	}
	if m.env, err = m.testEnv(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// checkStatic refuses a dynamically linked busybox: the initramfs has no
// libc.
func checkStatic(file string) error {
	f, err := elf.Open(file)
	if err != nil {
		return fmt.Errorf("busybox %s: %w", file, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("busybox %s is dynamically linked; the initramfs needs a static one (Debian: busybox-static)", file)
		}
	}
	return nil
}

// testEnv is the environment of every test binary, in guests and on the
// host alike: the host's PATH and Go directories (writable in a guest
// through the overlay), no module downloads, no toolchain switch.
func (m *matrix) testEnv(ctx context.Context) ([]string, error) {
	out, err := output(ctx, m.modDir, m.goBin, "env", "-json", "GOCACHE", "GOMODCACHE", "GOPATH")
	if err != nil {
		return nil, err
	}
	var ge map[string]string
	if err := json.Unmarshal([]byte(out), &ge); err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	path := os.Getenv("PATH")
	if gd := filepath.Dir(m.goBin); !strings.Contains(":"+path+":", ":"+gd+":") {
		path = gd + ":" + path
	}
	home := os.Getenv("HOME")
	if home == "" {
		home = "/root"
	}
	env := []string{
		"PATH=" + path, "HOME=" + home, "LANG=C.UTF-8",
		"GOCACHE=" + ge["GOCACHE"], "GOMODCACHE=" + ge["GOMODCACHE"], "GOPATH=" + ge["GOPATH"],
		"GOTOOLCHAIN=local", "GOPROXY=off",
	}
	if m.o.require {
		env = append(env, "PUREBPF_REQUIRE_PRIVILEGED=1")
	}
	env = append(env, m.o.env...)
	// A guest gets a fresh tmpfs on /tmp, unless the sources or the Go
	// directories are there (a clone in /tmp must stay visible).
	m.tmpfsTmp = true
	for _, d := range []string{m.modDir, ge["GOCACHE"], ge["GOMODCACHE"], ge["GOPATH"]} {
		if d == "/tmp" || strings.HasPrefix(d, "/tmp/") {
			m.tmpfsTmp = false
		}
		if d == "/run" || strings.HasPrefix(d, "/run/") {
			return nil, fmt.Errorf("%s is under /run, which a guest replaces with a tmpfs", d)
		}
	}
	return env, nil
}

func (m *matrix) cleanup() {
	if m.work == "" {
		return
	}
	if m.o.keep {
		fmt.Fprintf(os.Stderr, "kernelmatrix: kept %s\n", m.work)
		return
	}
	_ = os.RemoveAll(m.work)
}

func (m *matrix) pkgNames() []string {
	var out []string
	for _, p := range m.pkgs {
		out = append(out, p.Pkg)
	}
	return out
}

func (m *matrix) execute(ctx context.Context, args []string) int {
	start := time.Now()
	fmt.Fprintf(os.Stderr, "kernelmatrix: building %d test binaries\n", len(m.pkgs))
	m.buildErr = buildTests(ctx, m.goBin, m.pkgs, filepath.Join(m.work, "bin"), 2)
	fmt.Fprintf(os.Stderr, "kernelmatrix: built in %.0fs\n", time.Since(start).Seconds())
	if ctx.Err() != nil {
		return 2
	}
	self, err := os.Executable()
	if err == nil {
		err = copyFile(self, filepath.Join(m.work, "kernelmatrix"), 0o755)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kernelmatrix: %v\n", err)
		return 2
	}
	// Durations of earlier runs: the committed ones (recorded with
	// KERNELS.md, so that a fresh CI machine starts the long packages
	// first too), then this machine's.
	committed := filepath.Join(m.modDir, ".ci", "kernels", "durations.json")
	hist := loadHistory(committed)
	for k, v := range loadHistory(filepath.Join(m.o.cache, "durations.json")) {
		hist[k] = v
	}
	var runs []*kernelRun
	for _, k := range m.kernels {
		if ctx.Err() != nil {
			break
		}
		runs = append(runs, m.runKernel(ctx, k, hist))
	}
	if m.o.run == "" && m.o.skip == "" && m.o.count <= 1 {
		saveHistory(filepath.Join(m.o.cache, "durations.json"), hist)
		if m.o.markdown != "" {
			saveHistory(committed, hist)
		}
	}

	pkgs := m.shownPkgs(runs)
	fmt.Println()
	textReport(os.Stdout, runs, pkgs, m.module)
	if m.o.markdown != "" {
		meta := reportMeta{Commit: m.commit(ctx), Date: time.Now().UTC().Format("2006-01-02"),
			Command: invokedAs() + " " + strings.Join(args, " ")}
		doc, err := os.ReadFile(m.o.markdown)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(os.Stderr, "kernelmatrix: %v\n", err)
			return 2
		}
		out := replaceSection(string(doc), markdownReport(runs, pkgs, m.module, meta))
		if err := os.WriteFile(m.o.markdown, []byte(out), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "kernelmatrix: %v\n", err)
			return 2
		}
	}
	if ctx.Err() != nil {
		return 2
	}
	for _, kr := range runs {
		if kr.failed(pkgs) {
			return 1
		}
	}
	return 0
}

// shownPkgs leaves out packages that ran no test on any kernel (a -run
// filter that matches nothing there) and did not fail.
func (m *matrix) shownPkgs(runs []*kernelRun) []string {
	var out []string
	for _, p := range m.pkgNames() {
		show := false
		for _, kr := range runs {
			r := kr.Results[p]
			show = show || r == nil || r.failed() || len(r.leaves()) > 0
		}
		if show {
			out = append(out, p)
		}
	}
	return out
}

// commit names the source the tests were built from.
func (m *matrix) commit(ctx context.Context) string {
	c, err := output(ctx, m.modDir, "git", "rev-parse", "--short", "HEAD")
	if err != nil {
		return "(unknown)"
	}
	c = strings.TrimSpace(c)
	args := []string{"status", "--porcelain", "--untracked-files=no", "--", "."}
	if m.o.markdown != "" {
		// The report's own file does not make the tests differ.
		if abs, err := filepath.Abs(m.o.markdown); err == nil {
			args = append(args, ":(exclude)"+abs)
		}
	}
	if st, err := output(ctx, m.modDir, "git", args...); err == nil && strings.TrimSpace(st) != "" {
		c += " + uncommitted changes"
	}
	return c
}

func (m *matrix) plan(k *kernel, hist map[string]float64) *plan {
	p := &plan{
		Kernel: k.Label(), Env: m.env, Parallel: m.o.parallel, TmpfsTmp: m.tmpfsTmp,
		TestTimeout: m.o.testTimeout, Run: m.o.run, Skip: m.o.skip, Count: m.o.count,
	}
	for i, tp := range m.pkgs {
		if _, bad := m.buildErr[tp.Pkg]; bad {
			continue
		}
		p.Jobs = append(p.Jobs, job{Index: i, Pkg: tp.Pkg, Dir: tp.Dir, Bin: tp.Bin})
	}
	sortByHistory(p.Jobs, hist)
	return p
}

func (m *matrix) runKernel(ctx context.Context, k *kernel, hists map[string]map[string]float64) *kernelRun {
	kr := &kernelRun{K: k, Results: map[string]*pkgResult{}}
	hk := historyKey(k)
	if hists[hk] == nil {
		hists[hk] = map[string]float64{}
	}
	p := m.plan(k, historyFor(hists, hk))
	hostOut := filepath.Join(m.work, "out-"+k.key())
	if err := os.Mkdir(hostOut, 0o755); err != nil {
		kr.Err = err
		return kr
	}
	progress := func(s string) { fmt.Fprintf(os.Stderr, "[%s] %s\n", k.Label(), s) }
	start := time.Now()
	if k.native() {
		p.BinDir, p.OutDir = filepath.Join(m.work, "bin"), hostOut
		progress(fmt.Sprintf("running %d test binaries natively", len(p.Jobs)))
		runPlan(p, progress)
		kr.Seconds = time.Since(start).Seconds()
	} else {
		p.BinDir, p.OutDir = guestWork+"/bin", guestWork+"/out-"+k.key()
		p.Busybox = m.busybox
		planFile := "plan-" + k.key() + ".json"
		b, _ := json.MarshalIndent(p, "", "\t")
		if err := os.WriteFile(filepath.Join(m.work, planFile), b, 0o644); err != nil {
			kr.Err = err
			return kr
		}
		initrd := filepath.Join(m.work, "initramfs-"+k.key()+".cpio")
		lib, err := filepath.EvalSymlinks("/lib")
		if err != nil {
			lib = "/lib"
		}
		params := initParams{
			RootTag: tagRoot, ModulesTag: tagModules, WorkTag: tagWork,
			ModulesAt: filepath.Join(lib, "modules", k.Release), WorkAt: guestWork,
			Init: guestWork + "/kernelmatrix", InitArgs: "-guest " + guestWork + "/" + planFile,
			Msize: m.o.vm.Msize,
		}
		if err := buildInitramfs(ctx, k, m.busybox, initrd, params); err != nil {
			kr.Err = err
			return kr
		}
		progress(fmt.Sprintf("booting %s (%s) with %d test binaries", k.Package, k.Version, len(p.Jobs)))
		vm := boot(ctx, m.o.vm, k, initrd, m.work, filepath.Join(m.work, "console-"+k.key()+".log"), progress)
		// The console log outlives the work directory: the report
		// points at the copy in the cache.
		keep := filepath.Join(m.o.cache, "console-"+k.key()+".log")
		if err := copyFile(vm.Console, keep, 0o644); err == nil {
			vm.Console = keep
		}
		kr.VM = &vm
		kr.Seconds = vm.Seconds
		if _, err := os.Stat(filepath.Join(hostOut, "done")); err != nil && !vm.TimedOut && vm.Panic == "" && vm.Err == nil {
			kr.Err = errors.New("the guest stopped before finishing its plan (see the console log)")
		}
		p.OutDir = hostOut
	}
	m.collect(ctx, kr, p)
	for _, j := range p.Jobs {
		if r := kr.Results[j.Pkg]; r != nil && r.Note == "" {
			hists[hk][j.Pkg] = math.Round(r.Seconds*10) / 10
		}
	}
	for pkg, out := range m.buildErr {
		kr.Results[pkg] = &pkgResult{Pkg: pkg, Exit: -1, Note: "build failed", Output: strings.Split(strings.TrimSpace(out), "\n")}
	}
	progress(fmt.Sprintf("finished in %s", fmtSeconds(kr.Seconds)))
	return kr
}

// collect turns the outputs and statuses in p.OutDir into results.
func (m *matrix) collect(ctx context.Context, kr *kernelRun, p *plan) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, j := range p.Jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := m.collectJob(ctx, p, j)
			mu.Lock()
			kr.Results[j.Pkg] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
}

func (m *matrix) collectJob(ctx context.Context, p *plan, j job) *pkgResult {
	var st jobStatus
	b, err := os.ReadFile(p.statusFile(j))
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	out, oerr := os.Open(p.outFile(j))
	if oerr != nil {
		return &pkgResult{Pkg: j.Pkg, Exit: -1, Note: "not run"}
	}
	defer out.Close()
	cmd := exec.CommandContext(ctx, m.goBin, "tool", "test2json", "-p", j.Pkg)
	cmd.Stdin = out
	stdout, _ := cmd.StdoutPipe()
	var r *pkgResult
	if err := cmd.Start(); err == nil {
		evs, _ := readEvents(stdout)
		_ = cmd.Wait()
		r = aggregate(j.Pkg, evs)
	} else {
		r = &pkgResult{Pkg: j.Pkg, Note: "test2json: " + err.Error()}
	}
	switch {
	case err != nil:
		r.Exit = -1
		r.Note = "interrupted (no exit status)"
	case st.StartErr != "":
		r.Exit = -1
		r.Note = st.StartErr
	case st.Killed:
		r.Exit, r.Seconds = st.Exit, st.Seconds
		r.Note = fmt.Sprintf("killed after %s", p.TestTimeout+killGrace)
	default:
		r.Exit, r.Seconds = st.Exit, st.Seconds
	}
	return r
}

func copyFile(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// loadHistory reads earlier runs' durations per kernel and package.
func loadHistory(file string) map[string]map[string]float64 {
	h := map[string]map[string]float64{}
	if b, err := os.ReadFile(file); err == nil {
		_ = json.Unmarshal(b, &h)
	}
	return h
}

func saveHistory(file string, h map[string]map[string]float64) {
	if b, err := json.MarshalIndent(h, "", "\t"); err == nil {
		_ = os.MkdirAll(filepath.Dir(file), 0o755)
		_ = os.WriteFile(file, b, 0o644)
	}
}

// invokedAs is how the report names the command: .ci/kernels/run sets
// KERNELMATRIX_COMMAND to its own name.
func invokedAs() string {
	if c := os.Getenv("KERNELMATRIX_COMMAND"); c != "" {
		return c
	}
	return "go run ./internal/tools/kernelmatrix"
}
