package main

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// sampleEvents is go tool test2json's output for a binary run with
// -test.v=test2json: a pass, a skip, subtests (pass, skip, fail over two
// lines), a Fatal, and a test the -test.timeout alarm interrupted (it
// never gets a result). The last line is not JSON at all.
const sampleEvents = `{"Action":"start","Package":"example.com/p"}
{"Action":"run","Package":"example.com/p","Test":"TestPass"}
{"Action":"output","Package":"example.com/p","Test":"TestPass","Output":"=== RUN   TestPass\n"}
{"Action":"output","Package":"example.com/p","Test":"TestPass","Output":"    x_test.go:3: fine\n"}
{"Action":"output","Package":"example.com/p","Test":"TestPass","Output":"--- PASS: TestPass (0.00s)\n"}
{"Action":"pass","Package":"example.com/p","Test":"TestPass","Elapsed":0.5}
{"Action":"run","Package":"example.com/p","Test":"TestSkip"}
{"Action":"output","Package":"example.com/p","Test":"TestSkip","Output":"=== RUN   TestSkip\n"}
{"Action":"output","Package":"example.com/p","Test":"TestSkip","Output":"    x_test.go:4: kernel lacks a feature: tcx (6.6+)\n"}
{"Action":"output","Package":"example.com/p","Test":"TestSkip","Output":"--- SKIP: TestSkip (0.00s)\n"}
{"Action":"skip","Package":"example.com/p","Test":"TestSkip"}
{"Action":"run","Package":"example.com/p","Test":"TestSub"}
{"Action":"output","Package":"example.com/p","Test":"TestSub","Output":"=== RUN   TestSub\n"}
{"Action":"run","Package":"example.com/p","Test":"TestSub/a"}
{"Action":"output","Package":"example.com/p","Test":"TestSub/a","Output":"=== RUN   TestSub/a\n"}
{"Action":"output","Package":"example.com/p","Test":"TestSub/a","Output":"--- PASS: TestSub/a (0.00s)\n"}
{"Action":"pass","Package":"example.com/p","Test":"TestSub/a"}
{"Action":"run","Package":"example.com/p","Test":"TestSub/b"}
{"Action":"output","Package":"example.com/p","Test":"TestSub/b","Output":"=== RUN   TestSub/b\n"}
{"Action":"output","Package":"example.com/p","Test":"TestSub/b","Output":"    x_test.go:7: needs 6.14\n"}
{"Action":"output","Package":"example.com/p","Test":"TestSub/b","Output":"--- SKIP: TestSub/b (0.00s)\n"}
{"Action":"skip","Package":"example.com/p","Test":"TestSub/b"}
{"Action":"run","Package":"example.com/p","Test":"TestSub/c"}
{"Action":"output","Package":"example.com/p","Test":"TestSub/c","Output":"=== RUN   TestSub/c\n"}
{"Action":"output","Package":"example.com/p","Test":"TestSub/c","Output":"    x_test.go:8: got 1\n"}
{"Action":"output","Package":"example.com/p","Test":"TestSub/c","Output":"        want 2\n"}
{"Action":"output","Package":"example.com/p","Test":"TestSub/c","Output":"--- FAIL: TestSub/c (0.00s)\n"}
{"Action":"fail","Package":"example.com/p","Test":"TestSub/c"}
{"Action":"output","Package":"example.com/p","Test":"TestSub","Output":"--- FAIL: TestSub (0.00s)\n"}
{"Action":"fail","Package":"example.com/p","Test":"TestSub"}
{"Action":"run","Package":"example.com/p","Test":"TestFatal"}
{"Action":"output","Package":"example.com/p","Test":"TestFatal","Output":"=== RUN   TestFatal\n"}
{"Action":"output","Package":"example.com/p","Test":"TestFatal","Output":"    x_test.go:10: load: rejected\n"}
{"Action":"output","Package":"example.com/p","Test":"TestFatal","Output":"--- FAIL: TestFatal (0.00s)\n"}
{"Action":"fail","Package":"example.com/p","Test":"TestFatal"}
{"Action":"run","Package":"example.com/p","Test":"TestSleep"}
{"Action":"output","Package":"example.com/p","Test":"TestSleep","Output":"=== RUN   TestSleep\n"}
{"Action":"output","Package":"example.com/p","Test":"TestSleep","Output":"panic: test timed out after 1s\n"}
{"Action":"output","Package":"example.com/p","Test":"TestSleep","Output":"\trunning tests:\n"}
{"Action":"output","Package":"example.com/p","Test":"TestSleep","Output":"\t\tTestSleep (1s)\n"}
{"Action":"output","Package":"example.com/p","Test":"TestSleep","Output":"\t/usr/local/go/src/testing/testing.go:2802 +0x354\n"}
not json: the binary's last words
`

func TestAggregate(t *testing.T) {
	evs, err := readEvents(strings.NewReader(sampleEvents))
	if err != nil {
		t.Fatal(err)
	}
	r := aggregate("example.com/p", evs)

	type want struct {
		result, reason, cause string
	}
	wants := map[string]want{
		"TestPass":  {"pass", "fine", "x_test.go:3: fine"},
		"TestSkip":  {"skip", "kernel lacks a feature: tcx (6.6+)", "x_test.go:4: kernel lacks a feature: tcx (6.6+)"},
		"TestSub":   {"fail", "", ""},
		"TestSub/a": {"pass", "", ""},
		"TestSub/b": {"skip", "needs 6.14", "x_test.go:7: needs 6.14"},
		"TestSub/c": {"fail", "got 1 | want 2", "x_test.go:8: got 1"},
		"TestFatal": {"fail", "load: rejected", "x_test.go:10: load: rejected"},
		"TestSleep": {"", "panic: test timed out after 1s | running tests: | TestSleep (1s) | /usr/local/go/src/testing/testing.go:2802 +0x354", "panic: test timed out after 1s"},
	}
	var names []string
	for _, tr := range r.Tests {
		names = append(names, tr.Name)
		w, ok := wants[tr.Name]
		if !ok {
			t.Errorf("unexpected test %q", tr.Name)
			continue
		}
		if tr.Result != w.result || tr.reason() != w.reason || tr.cause() != w.cause {
			t.Errorf("%s: got result %q reason %q cause %q; want %q %q %q", tr.Name, tr.Result, tr.reason(), tr.cause(), w.result, w.reason, w.cause)
		}
	}
	wantOrder := []string{"TestPass", "TestSkip", "TestSub", "TestSub/a", "TestSub/b", "TestSub/c", "TestFatal", "TestSleep"}
	if !reflect.DeepEqual(names, wantOrder) {
		t.Errorf("tests %q, want %q", names, wantOrder)
	}
	if want := []string{"not json: the binary's last words"}; !reflect.DeepEqual(r.Output, want) {
		t.Errorf("package output %q, want %q", r.Output, want)
	}
	// Leaves: TestSub is counted through its three subtests.
	p, f, s := r.counts()
	if p != 2 || f != 3 || s != 2 {
		t.Errorf("counts %d/%d/%d, want 2/3/2", p, f, s)
	}
	var fails []string
	for _, tr := range r.failures() {
		fails = append(fails, tr.Name)
	}
	if want := []string{"TestSub/c", "TestFatal", "TestSleep"}; !reflect.DeepEqual(fails, want) {
		t.Errorf("failures %q, want %q", fails, want)
	}
}

func TestPkgFailed(t *testing.T) {
	pass := &testResult{Name: "TestA", Result: "pass"}
	skip := &testResult{Name: "TestB", Result: "skip"}
	tests := []struct {
		name string
		r    pkgResult
		want bool
	}{
		{"all passed", pkgResult{Tests: []*testResult{pass, skip}, Result: "pass", Exit: 0}, false},
		{"no tests matched", pkgResult{Result: "pass", Exit: 0}, false},
		{"exit status", pkgResult{Tests: []*testResult{pass}, Result: "pass", Exit: 1}, true},
		{"killed", pkgResult{Tests: []*testResult{pass}, Exit: -1}, true},
		{"package failed (TestMain)", pkgResult{Result: "fail", Exit: 0}, true},
		{"note", pkgResult{Tests: []*testResult{pass}, Result: "pass", Exit: 0, Note: "not run"}, true},
		{"unfinished test", pkgResult{Tests: []*testResult{{Name: "TestC"}}, Exit: 0}, true},
	}
	for _, tt := range tests {
		if got := tt.r.failed(); got != tt.want {
			t.Errorf("%s: failed() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestAggregateCount checks that a test run several times (-test.count)
// counts each run.
func TestAggregateCount(t *testing.T) {
	var b strings.Builder
	for i, res := range []string{"pass", "fail", "pass"} {
		fmt.Fprintf(&b, `{"Action":"run","Test":"TestA"}`+"\n")
		fmt.Fprintf(&b, `{"Action":"output","Test":"TestA","Output":"    a_test.go:1: run %d\n"}`+"\n", i)
		fmt.Fprintf(&b, `{"Action":"%s","Test":"TestA"}`+"\n", res)
	}
	evs, err := readEvents(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	r := aggregate("p", evs)
	if p, f, s := r.counts(); p != 2 || f != 1 || s != 0 {
		t.Errorf("counts %d/%d/%d, want 2/1/0", p, f, s)
	}
	if fs := r.failures(); len(fs) != 1 || fs[0].reason() != "run 1" {
		t.Errorf("failures %+v, want the second run", fs)
	}
}
