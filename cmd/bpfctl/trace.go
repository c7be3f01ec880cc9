package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Places where tracefs is usually mounted, in order of preference.
var tracefsDirs = []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}

// findTracefs returns a directory holding trace_pipe, mounting tracefs at
// /sys/kernel/tracing when none is mounted and mount is true. Missing
// permission is reported as such (a tracefs that is there but not
// readable is not "not mounted").
func findTracefs(dir string, mount bool) (string, error) {
	if dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "trace_pipe")); err != nil {
			if errors.Is(err, os.ErrPermission) {
				return "", fmt.Errorf("tracefs at %s: %w: %s", dir, err, tracePermission)
			}
			return "", fmt.Errorf("tracefs at %s: %w", dir, err)
		}
		return dir, nil
	}
	var denied error
	for _, d := range tracefsDirs {
		_, err := os.Stat(filepath.Join(d, "trace_pipe"))
		if err == nil {
			return d, nil
		}
		if errors.Is(err, os.ErrPermission) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", fmt.Errorf("%w: %s", denied, tracePermission)
	}
	if !mount {
		return "", fmt.Errorf("tracefs is not mounted at %s (and --no-mount was given)", strings.Join(tracefsDirs, " or "))
	}
	d := tracefsDirs[0]
	if err := unix.Mount("tracefs", d, "tracefs", 0, ""); err != nil {
		if errors.Is(err, unix.EPERM) {
			return "", fmt.Errorf("tracefs is not mounted at %s, and mounting it was refused: %w: %s", strings.Join(tracefsDirs, " or "), err, tracePermission)
		}
		return "", fmt.Errorf("mount tracefs at %s: %w", d, err)
	}
	return d, nil
}

// tracePermission says what reading trace_pipe takes.
const tracePermission = "trace_pipe is readable by root only (and mounting tracefs needs CAP_SYS_ADMIN): run bpfctl trace as root"

// traceJSON is one trace_pipe line, split into its fields where it has the
// usual "TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: MESSAGE" form.
type traceJSON struct {
	Task      string  `json:"task,omitempty"`
	PID       int     `json:"pid,omitempty"`
	CPU       int     `json:"cpu"`
	Flags     string  `json:"flags,omitempty"`
	Timestamp float64 `json:"timestamp,omitempty"`
	Event     string  `json:"event,omitempty"`
	Message   string  `json:"message"`
	Line      string  `json:"line"`
}

// parseTraceLine splits a trace_pipe line; fields it cannot find stay zero.
func parseTraceLine(line string) traceJSON {
	t := traceJSON{Line: line, Message: line, CPU: -1}
	open := strings.Index(line, "[")
	closeB := strings.Index(line, "]")
	if open < 0 || closeB < open {
		return t
	}
	head := strings.TrimSpace(line[:open])
	if dash := strings.LastIndexByte(head, '-'); dash > 0 {
		if pid, err := strconv.Atoi(head[dash+1:]); err == nil {
			t.Task, t.PID = head[:dash], pid
		}
	}
	if cpu, err := strconv.Atoi(line[open+1 : closeB]); err == nil {
		t.CPU = cpu
	}
	rest := strings.Fields(line[closeB+1:])
	// FLAGS TIMESTAMP: EVENT: MESSAGE...; FLAGS is absent in some formats.
	for i, f := range rest {
		ts, ok := strings.CutSuffix(f, ":")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(ts, 64)
		if err != nil {
			continue
		}
		t.Timestamp = v
		if i > 0 {
			t.Flags = rest[0]
		}
		after := line[closeB+1:]
		idx := strings.Index(after, f)
		msg := strings.TrimSpace(after[idx+len(f):])
		if ev, m, ok := strings.Cut(msg, ": "); ok && !strings.Contains(ev, " ") {
			t.Event, msg = ev, m
		}
		t.Message = msg
		break
	}
	return t
}

func trace(c *ctx, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected %q", args[0])
	}
	count, err := c.cl.uint("count", 0, 63)
	if err != nil {
		return err
	}
	timeout, err := c.cl.duration("timeout")
	if err != nil {
		return err
	}
	dir, err := findTracefs(c.cl.str("tracefs"), !c.cl.has("no-mount"))
	if err != nil {
		return err
	}
	// Interrupts are handled from before trace_pipe is open: once it is,
	// Ctrl-C ends the trace cleanly.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, unix.SIGTERM)
	defer signal.Stop(sigs)
	path := filepath.Join(dir, "trace_pipe")
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
			return fmt.Errorf("open %s: %w: %s", path, err, tracePermission)
		}
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer unix.Close(fd)
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}

	buf := make([]byte, 64<<10)
	var pending []byte
	var seen uint64
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for count == 0 || seen < count {
		select {
		case <-sigs:
			return nil
		default:
		}
		wait := 100 * time.Millisecond
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				return nil
			}
			wait = min(wait, left)
		}
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EAGAIN) {
			if err := c.out.Flush(); err != nil {
				return err
			}
			if _, err := unix.Poll(pfd, int(wait/time.Millisecond)+1); err != nil && !errors.Is(err, unix.EINTR) {
				return fmt.Errorf("poll %s: %w", path, err)
			}
			continue
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		pending = append(pending, buf[:n]...)
		for count == 0 || seen < count {
			i := bytes.IndexByte(pending, '\n')
			if i < 0 {
				break
			}
			line := string(pending[:i])
			pending = pending[i+1:]
			seen++
			if c.json {
				if err := c.writeJSON(parseTraceLine(line)); err != nil {
					return err
				}
			} else {
				c.out.WriteString(line)
				c.out.WriteByte('\n')
			}
		}
		if err := c.out.Flush(); err != nil {
			return err
		}
	}
	return nil
}
