package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// TracefsDir is where tracefs is (or gets) mounted.
const TracefsDir = "/sys/kernel/tracing"

// TraceReader reads bpf_trace_printk lines from trace_pipe in the
// background. trace_pipe is consumed by reading: a line read here is gone
// for other readers.
type TraceReader struct {
	f       *os.File
	mounted bool
	mu      sync.Mutex
	lines   []string
	done    chan struct{}
}

// OpenTrace opens trace_pipe, mounting tracefs on TracefsDir first if it
// is not mounted, and collects the lines that contain match.
func OpenTrace(match string) (*TraceReader, error) {
	r := &TraceReader{done: make(chan struct{})}
	path := TracefsDir + "/trace_pipe"
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := unix.Mount("tracefs", TracefsDir, "tracefs", 0, ""); err != nil {
			return nil, fmt.Errorf("mount tracefs on %s: %w", TracefsDir, err)
		}
		r.mounted = true
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		r.unmount()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.f = os.NewFile(uintptr(fd), path)
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(r.f)
		for sc.Scan() {
			if line := sc.Text(); strings.Contains(line, match) {
				r.mu.Lock()
				r.lines = append(r.lines, strings.TrimSpace(line))
				r.mu.Unlock()
			}
		}
	}()
	return r, nil
}

func (r *TraceReader) unmount() {
	if r.mounted {
		unix.Unmount(TracefsDir, unix.MNT_DETACH)
		r.mounted = false
	}
}

// Lines waits up to wait for at least want lines and returns what was
// collected so far.
func (r *TraceReader) Lines(want int, wait time.Duration) []string {
	deadline := time.Now().Add(wait)
	for {
		r.mu.Lock()
		n := len(r.lines)
		r.mu.Unlock()
		if n >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// Close stops reading and unmounts tracefs if OpenTrace mounted it.
func (r *TraceReader) Close() error {
	r.f.SetReadDeadline(time.Now())
	err := r.f.Close()
	<-r.done
	r.unmount()
	if errors.Is(err, syscall.EBADF) {
		err = nil
	}
	return err
}
