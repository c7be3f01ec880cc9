// Package waiting helps the examples' tests watch a program that runs in
// the background: its output as it is written, and conditions polled with
// a generous deadline instead of fixed sleeps (emulated kernels are slow).
package waiting

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// Buffer is a bytes.Buffer that one goroutine writes while another reads.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// For polls cond every 10 ms for up to a minute and fails tb, naming
// what it waited for, if cond never holds.
func For(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting for %s", what)
		}
	}
}
