package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// TracefsDir is where tracefs is (or gets) mounted.
const TracefsDir = "/sys/kernel/tracing"

// TraceReader reads bpf_trace_printk lines from trace_pipe in the
// background, only those written after OpenTrace: trace_pipe also holds
// lines nobody has read yet, from earlier runs or other programs, so
// OpenTrace writes a marker unique to this reader into trace_marker and
// lines are collected from that marker on. trace_pipe is consumed by
// reading: a line read here is gone for other readers.
type TraceReader struct {
	f       *os.File
	mounted bool
	marker  string
	mu      sync.Mutex
	started bool
	lines   []string
	done    chan struct{}
}

// traceSeq tells apart the readers of one process.
var traceSeq atomic.Uint64

// OpenTrace opens trace_pipe, mounting tracefs on TracefsDir first if it
// is not mounted, writes its start marker into trace_marker and collects
// the lines after the marker that contain match.
func OpenTrace(match string) (*TraceReader, error) {
	r := &TraceReader{done: make(chan struct{})}
	r.marker = fmt.Sprintf("purebpf-example-trace pid %d reader %d start %d", os.Getpid(), traceSeq.Add(1), time.Now().UnixNano())
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
	if err := writeMarker(TracefsDir+"/trace_marker", r.marker); err != nil {
		r.f.Close()
		r.unmount()
		return nil, err
	}
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(r.f)
		for sc.Scan() {
			line := sc.Text()
			r.mu.Lock()
			switch {
			case !r.started:
				r.started = strings.Contains(line, r.marker)
			case strings.Contains(line, match):
				r.lines = append(r.lines, strings.TrimSpace(line))
			}
			r.mu.Unlock()
		}
	}()
	return r, nil
}

// WriteTraceMarker writes text into the trace buffer through
// trace_marker, where trace_pipe readers see it as a line of its own
// (mounting tracefs on TracefsDir for the write if it is not mounted).
func WriteTraceMarker(text string) error {
	path := TracefsDir + "/trace_marker"
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := unix.Mount("tracefs", TracefsDir, "tracefs", 0, ""); err != nil {
			return fmt.Errorf("mount tracefs on %s: %w", TracefsDir, err)
		}
		defer unix.Unmount(TracefsDir, unix.MNT_DETACH)
	}
	return writeMarker(path, text)
}

func writeMarker(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
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
