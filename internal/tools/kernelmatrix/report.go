package main

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
)

// kernelRun is everything one kernel produced.
type kernelRun struct {
	K       *kernel
	Results map[string]*pkgResult // by import path; nil entry: not run
	VM      *vmResult             // nil for the running kernel
	Seconds float64               // wall clock: boot to power-off, or the native run
	Err     error                 // the kernel could not be prepared or booted
}

// problems lists what went wrong with the kernel itself, not its tests.
func (kr *kernelRun) problems() []string {
	var p []string
	if kr.Err != nil {
		p = append(p, kr.Err.Error())
	}
	if vm := kr.VM; vm != nil {
		if vm.TimedOut {
			p = append(p, fmt.Sprintf("guest timed out after %.0fs", vm.Seconds))
		}
		if vm.Panic != "" {
			p = append(p, "guest: "+strings.TrimSpace(vm.Panic))
		}
		if vm.Err != nil {
			p = append(p, vm.Err.Error())
		}
	}
	return p
}

// failed reports whether anything on this kernel failed.
func (kr *kernelRun) failed(pkgs []string) bool {
	if len(kr.problems()) > 0 {
		return true
	}
	for _, p := range pkgs {
		if r := kr.Results[p]; r == nil || r.failed() {
			return true
		}
	}
	return false
}

// shortPkg drops the module path: "github.com/purebpf/bpf/maps" is
// "maps", the module's root package is "bpf (root)".
func shortPkg(pkg, module string) string {
	if pkg == module {
		return path0(module) + " (root)"
	}
	if s, ok := strings.CutPrefix(pkg, module+"/"); ok {
		return s
	}
	return pkg
}

func path0(module string) string {
	if i := strings.LastIndex(module, "/"); i >= 0 {
		return module[i+1:]
	}
	return module
}

// cell is one package on one kernel: "ok" or "FAIL" and the passed,
// failed and skipped test cases.
func cell(r *pkgResult) string {
	if r == nil {
		return "not run"
	}
	p, f, s := r.counts()
	status := "ok"
	if r.failed() {
		status = "FAIL"
	}
	c := fmt.Sprintf("%s %d/%d/%d", status, p, f, s)
	if r.Note != "" {
		c += " (" + r.Note + ")"
	}
	return c
}

func totals(kr *kernelRun, pkgs []string) (p, f, s int) {
	for _, pkg := range pkgs {
		if r := kr.Results[pkg]; r != nil {
			a, b, c := r.counts()
			p, f, s = p+a, f+b, s+c
		}
	}
	return
}

// skipEntry is one skipped test and the kernels it was skipped on.
type skipEntry struct {
	Pkg, Test, Reason string
	Kernels           []string
}

// skips groups the skipped tests of all kernels by package, test and
// reason.
func skips(runs []*kernelRun, pkgs []string) []skipEntry {
	var out []skipEntry
	at := map[[3]string]int{}
	for _, pkg := range pkgs {
		for _, kr := range runs {
			r := kr.Results[pkg]
			if r == nil {
				continue
			}
			for _, t := range r.leaves() {
				if t.Result != "skip" {
					continue
				}
				key := [3]string{pkg, t.Name, t.reason()}
				if i, ok := at[key]; ok {
					out[i].Kernels = append(out[i].Kernels, kr.K.Label())
					continue
				}
				at[key] = len(out)
				out = append(out, skipEntry{Pkg: pkg, Test: t.Name, Reason: key[2], Kernels: []string{kr.K.Label()}})
			}
		}
	}
	return out
}

// textReport prints the matrix, each kernel's problems, every failure
// with the tail of its output, and every skip with its reason.
func textReport(w io.Writer, runs []*kernelRun, pkgs []string, module string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "package")
	for _, kr := range runs {
		fmt.Fprintf(tw, "\t%s", kr.K.Label())
	}
	fmt.Fprintln(tw)
	for _, pkg := range pkgs {
		fmt.Fprint(tw, shortPkg(pkg, module))
		for _, kr := range runs {
			fmt.Fprintf(tw, "\t%s", cell(kr.Results[pkg]))
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprint(tw, "total (passed/failed/skipped)")
	for _, kr := range runs {
		p, f, s := totals(kr, pkgs)
		fmt.Fprintf(tw, "\t%d/%d/%d", p, f, s)
	}
	fmt.Fprintln(tw)
	fmt.Fprint(tw, "wall clock")
	for _, kr := range runs {
		fmt.Fprintf(tw, "\t%s", fmtSeconds(kr.Seconds))
	}
	fmt.Fprintln(tw)
	tw.Flush()

	for _, kr := range runs {
		probs := kr.problems()
		if vm := kr.VM; vm != nil && len(vm.SoftLockups) > 0 {
			probs = append(probs, fmt.Sprintf("%d soft lockup reports on the console, first: %s", len(vm.SoftLockups), strings.TrimSpace(vm.SoftLockups[0])))
		}
		if len(probs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", kr.K.Label())
		for _, p := range probs {
			fmt.Fprintf(w, "  %s\n", p)
		}
		if vm := kr.VM; vm != nil && (vm.TimedOut || vm.Panic != "" || vm.Err != nil) {
			fmt.Fprintf(w, "  console (%s), last lines:\n", vm.Console)
			for _, l := range tail(vm.Tail, 40) {
				fmt.Fprintf(w, "    | %s\n", l)
			}
		}
	}

	for _, kr := range runs {
		for _, pkg := range pkgs {
			r := kr.Results[pkg]
			if r == nil || !r.failed() {
				continue
			}
			fails := r.failures()
			if len(fails) == 0 {
				fmt.Fprintf(w, "\nFAIL %s %s (exit %d)%s, last output:\n", kr.K.Label(), shortPkg(pkg, module), r.Exit, noteSuffix(r.Note))
				for _, l := range tail(r.Output, 20) {
					fmt.Fprintf(w, "    | %s\n", l)
				}
				continue
			}
			for _, t := range fails {
				fmt.Fprintf(w, "\nFAIL %s %s %s%s\n", kr.K.Label(), shortPkg(pkg, module), t.Name, noteSuffix(r.Note))
				for _, l := range excerpt(t.Output, 5, 10) {
					fmt.Fprintf(w, "    | %s\n", l)
				}
			}
		}
	}

	if sk := skips(runs, pkgs); len(sk) > 0 {
		fmt.Fprintln(w, "\nskipped:")
		for _, s := range sk {
			fmt.Fprintf(w, "  %s %s [%s]: %s\n", shortPkg(s.Pkg, module), s.Test, strings.Join(s.Kernels, ", "), s.Reason)
		}
	}
}

// excerpt shortens long output to its first head and last tail lines:
// the first line of a failure usually says what failed, the last ones
// where it ended.
func excerpt(lines []string, head, tail int) []string {
	if len(lines) <= head+tail+1 {
		return lines
	}
	out := append([]string(nil), lines[:head]...)
	out = append(out, fmt.Sprintf("... (%d lines)", len(lines)-head-tail))
	return append(out, lines[len(lines)-tail:]...)
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return " (" + note + ")"
}

func fmtSeconds(s float64) string {
	if s == 0 {
		return "-"
	}
	m := int(s) / 60
	return fmt.Sprintf("%dm%02ds", m, int(s)%60)
}

// mdEscape makes text safe inside a markdown table cell or list item.
func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	return s
}

// reportMeta says what a markdown report describes.
type reportMeta struct {
	Commit  string // commit (and "+ uncommitted changes") the tests were built from
	Date    string
	Command string
}

// markdownReport renders the matrix, the kernels, every failure's cause
// and every skip's reason as markdown.
func markdownReport(runs []*kernelRun, pkgs []string, module string, meta reportMeta) string {
	var b strings.Builder
	fmt.Fprintf(&b, "State at commit %s, %s, from `%s`.\n\n", meta.Commit, meta.Date, meta.Command)
	b.WriteString("| kernel | Debian package | wall clock | passed/failed/skipped | result |\n|---|---|---|---|---|\n")
	for _, kr := range runs {
		p, f, s := totals(kr, pkgs)
		pk := "(the host's own kernel, natively)"
		if !kr.K.native() {
			pk = fmt.Sprintf("`%s` %s", kr.K.Package, kr.K.Version)
		}
		res := "pass"
		if kr.failed(pkgs) {
			res = "FAIL"
		}
		probs := kr.problems()
		if kr.VM != nil && len(kr.VM.SoftLockups) > 0 {
			probs = append(probs, fmt.Sprintf("%d soft lockup reports on the console", len(kr.VM.SoftLockups)))
		}
		if len(probs) > 0 {
			res += ": " + mdEscape(strings.Join(probs, "; "))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d/%d/%d | %s |\n", kr.K.Label(), pk, fmtSeconds(kr.Seconds), p, f, s, res)
	}
	b.WriteString("\nTest cases passed/failed/skipped per package (a test with subtests counts its subtests):\n\n| package |")
	for _, kr := range runs {
		fmt.Fprintf(&b, " %s |", kr.K.Label())
	}
	b.WriteString("\n|---|")
	for range runs {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, pkg := range pkgs {
		fmt.Fprintf(&b, "| `%s` |", shortPkg(pkg, module))
		for _, kr := range runs {
			fmt.Fprintf(&b, " %s |", mdEscape(cell(kr.Results[pkg])))
		}
		b.WriteString("\n")
	}

	b.WriteString("\nFailures:\n\n")
	n := 0
	for _, kr := range runs {
		for _, pkg := range pkgs {
			r := kr.Results[pkg]
			if r == nil || !r.failed() {
				continue
			}
			fails := r.failures()
			if len(fails) == 0 {
				fmt.Fprintf(&b, "- %s `%s`: exit %d%s\n", kr.K.Label(), shortPkg(pkg, module), r.Exit, mdEscape(noteSuffix(r.Note)))
				n++
			}
			for _, t := range fails {
				fmt.Fprintf(&b, "- %s `%s` `%s`: %s\n", kr.K.Label(), shortPkg(pkg, module), t.Name, mdEscape(strings.TrimSpace(fileLine.ReplaceAllString(t.cause(), ""))))
				n++
			}
		}
	}
	if n == 0 {
		b.WriteString("none\n")
	}

	b.WriteString("\nSkips (every skipped test case and the reason it gave):\n\n")
	sk := skips(runs, pkgs)
	for _, s := range sk {
		fmt.Fprintf(&b, "- `%s` `%s` (%s): %s\n", shortPkg(s.Pkg, module), s.Test, strings.Join(s.Kernels, ", "), mdEscape(s.Reason))
	}
	if len(sk) == 0 {
		b.WriteString("none\n")
	}
	return b.String()
}

// Markers around the generated part of KERNELS.md.
const (
	sectionBegin = "<!-- kernelmatrix:begin (generated by go run ./internal/tools/kernelmatrix -markdown; do not edit) -->"
	sectionEnd   = "<!-- kernelmatrix:end -->"
)

// replaceSection puts section between the markers in doc, keeping
// everything around them; a doc without markers gets them appended.
func replaceSection(doc, section string) string {
	block := sectionBegin + "\n" + section + sectionEnd + "\n"
	i := strings.Index(doc, sectionBegin)
	j := strings.Index(doc, sectionEnd)
	if i < 0 || j < i {
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		if doc != "" {
			doc += "\n"
		}
		return doc + block
	}
	rest := doc[j+len(sectionEnd):]
	rest = strings.TrimPrefix(rest, "\n")
	return doc[:i] + block + rest
}

// sortByHistory orders jobs longest first by the durations of earlier
// runs, so that with several binaries at a time the longest do not start
// last; jobs never measured go first, in their original order.
func sortByHistory(jobs []job, hist map[string]float64) {
	sort.SliceStable(jobs, func(a, b int) bool {
		da, oka := hist[jobs[a].Pkg]
		db, okb := hist[jobs[b].Pkg]
		if oka != okb {
			return !oka
		}
		return da > db
	})
}

// historyKey is the series of a Debian kernel ("6.1" for 6.1.0-57-amd64,
// "6.12"), so that a new ABI number keeps its history; "running" for the
// host's kernel.
func historyKey(k *kernel) string {
	if k.native() {
		return "running"
	}
	if m := releaseSeries.FindStringSubmatch(k.Release); m != nil {
		return m[1]
	}
	return k.Release
}

var releaseSeries = regexp.MustCompile(`^(\d+\.\d+)[.-]`)

// historyFor is the history of key, or, for a kernel never measured, the
// longest duration any kernel had for each package.
func historyFor(hists map[string]map[string]float64, key string) map[string]float64 {
	if h := hists[key]; len(h) > 0 {
		return h
	}
	out := map[string]float64{}
	for _, h := range hists {
		for p, d := range h {
			out[p] = max(out[p], d)
		}
	}
	return out
}
