package bpftest_test

import (
	"io"
	"os"
	"testing"

	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/testnet"
)

// ExampleNewVethPair shows the fixture inside a test function.
func ExampleNewVethPair() {
	testPing := func(t *testing.T) {
		bpftest.RequirePrivileged(t)
		pair := bpftest.NewVethPair(t, testnet.VethOptions{}) // removed again when t ends
		rep, err := testnet.Ping(pair.A.Netns, pair.B.IPv6.Addr(), testnet.PingOptions{Count: 2})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Received != rep.Sent {
			t.Errorf("%d of %d pings lost", rep.Lost(), rep.Sent)
		}
	}
	_ = testPing // in a _test.go file: func TestPing(t *testing.T) { ... }
}

// captureStdout runs fn with os.Stdout redirected and returns what it
// printed.
func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stdout := os.Stdout
	os.Stdout = w
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	func() {
		defer func() { os.Stdout = stdout; w.Close() }()
		fn()
	}()
	return string(<-done)
}
