package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// event is one line of test2json output (cmd/test2json's TestEvent).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

// testResult is one test or subtest.
type testResult struct {
	Name    string
	Result  string   // "pass", "fail", "skip", or "" when it never finished
	Output  []string // its own output lines, without the === / --- framing
	Elapsed float64
}

// pkgResult is one package's test binary on one kernel.
type pkgResult struct {
	Pkg     string
	Tests   []*testResult // in the order they started
	Output  []string      // output outside any test (panics, "FAIL", build errors)
	Result  string        // the package's own pass/fail/skip event
	Exit    int           // the binary's exit status (-1: did not exit)
	Seconds float64
	Note    string // why there is no or only a partial result
}

// framing matches the lines the testing package prints around a test's
// output; they say nothing test2json's actions do not.
var framing = regexp.MustCompile(`^\s*(=== (RUN|PAUSE|CONT|NAME)\s|--- (PASS|FAIL|SKIP): )`)

// readEvents decodes a test2json stream. A line that is not an event is
// kept as package output, so nothing the binary printed is lost.
func readEvents(r io.Reader) ([]event, error) {
	var evs []event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 {
			continue
		}
		if line[0] != '{' || json.Unmarshal(line, &e) != nil {
			evs = append(evs, event{Action: "output", Output: string(line) + "\n"})
			continue
		}
		evs = append(evs, e)
	}
	return evs, sc.Err()
}

// aggregate folds a package's events into a pkgResult.
func aggregate(pkg string, evs []event) *pkgResult {
	r := &pkgResult{Pkg: pkg, Exit: -1}
	byName := map[string]*testResult{}
	get := func(name string) *testResult {
		t := byName[name]
		if t == nil {
			t = &testResult{Name: name}
			byName[name] = t
			r.Tests = append(r.Tests, t)
		}
		return t
	}
	for _, e := range evs {
		switch e.Action {
		case "run":
			// With -test.count > 1 a test runs again under the
			// same name: each run is a test case of its own.
			if t := byName[e.Test]; t != nil && t.Result != "" {
				delete(byName, e.Test)
			}
			get(e.Test)
		case "output":
			for _, l := range strings.SplitAfter(e.Output, "\n") {
				l = strings.TrimRight(l, "\n")
				if l == "" {
					continue
				}
				if e.Test == "" {
					r.Output = append(r.Output, l)
				} else if !framing.MatchString(l) {
					t := get(e.Test)
					t.Output = append(t.Output, l)
				}
			}
		case "pass", "fail", "skip":
			if e.Test == "" {
				r.Result = e.Action
				continue
			}
			t := get(e.Test)
			t.Result = e.Action
			t.Elapsed = e.Elapsed
		}
	}
	return r
}

// leaves are the tests without subtests: the test cases that are
// counted. A parent's result only sums up its subtests'.
func (r *pkgResult) leaves() []*testResult {
	var out []*testResult
	for _, t := range r.Tests {
		parent := false
		for _, u := range r.Tests {
			if strings.HasPrefix(u.Name, t.Name+"/") {
				parent = true
				break
			}
		}
		if !parent {
			out = append(out, t)
		}
	}
	return out
}

// failures are the tests that failed or never finished, deepest first
// within their family: a parent that failed only because a subtest did
// is left out.
func (r *pkgResult) failures() []*testResult {
	var out []*testResult
	for _, t := range r.Tests {
		if t.Result == "pass" || t.Result == "skip" {
			continue
		}
		childFailed := false
		for _, u := range r.Tests {
			if strings.HasPrefix(u.Name, t.Name+"/") && u.Result != "pass" && u.Result != "skip" {
				childFailed = true
				break
			}
		}
		if !childFailed {
			out = append(out, t)
		}
	}
	return out
}

// counts returns passed, failed and skipped leaf tests; a test that never
// finished (the binary crashed or was killed in it) counts as failed.
func (r *pkgResult) counts() (pass, fail, skip int) {
	for _, t := range r.leaves() {
		switch t.Result {
		case "pass":
			pass++
		case "skip":
			skip++
		default:
			fail++
		}
	}
	return
}

// failed reports whether the package counts as failed: a failed or
// unfinished test, a failing package event, a non-zero exit, or no run.
func (r *pkgResult) failed() bool {
	_, f, _ := r.counts()
	return f > 0 || r.Result == "fail" || r.Exit != 0 || r.Note != ""
}

var fileLine = regexp.MustCompile(`^\s*[\w./-]+\.go:\d+: `)

// reason is a test's message in one line: its output lines trimmed and
// joined, the file:line prefix of t.Log/t.Skip lines dropped.
func (t *testResult) reason() string {
	var parts []string
	for _, l := range t.Output {
		l = strings.TrimSpace(fileLine.ReplaceAllString(l, ""))
		if l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " | ")
}

// cause is the first line a failing test printed through t.Error/t.Fatal
// (a "file.go:N: " line), else its first output line.
func (t *testResult) cause() string {
	for _, l := range t.Output {
		if fileLine.MatchString(l) {
			return strings.TrimSpace(l)
		}
	}
	for _, l := range t.Output {
		if s := strings.TrimSpace(l); s != "" {
			return s
		}
	}
	if t.Result == "" {
		return "did not finish"
	}
	return ""
}

// tail returns the last n lines of lines.
func tail(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}

func (r *pkgResult) String() string {
	p, f, s := r.counts()
	return fmt.Sprintf("%s: %d passed, %d failed, %d skipped", r.Pkg, p, f, s)
}
