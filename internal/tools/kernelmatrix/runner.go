package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// plan is what one kernel runs: the test binaries, in order, with the
// environment and flags they get. The host writes it as JSON into the
// work directory; the guest (or, for the running kernel, the host
// itself) executes it with runPlan.
type plan struct {
	Kernel      string
	BinDir      string // where the test binaries are (as seen by the runner)
	OutDir      string // where results go (as seen by the runner)
	Env         []string
	Parallel    int           // test binaries run at the same time
	TestTimeout time.Duration // -test.timeout of each binary
	Run         string        // -test.run, "" for all
	Skip        string        // -test.skip
	Count       int           // -test.count
	Jobs        []job
	Busybox     string // host path of a busybox with modprobe (guest only)
	TmpfsTmp    bool   // mount a tmpfs on /tmp (guest only)
}

// job is one package's test binary.
type job struct {
	Index int
	Pkg   string // import path
	Dir   string // package source directory: the binary's working directory
	Bin   string // file name under BinDir
}

// jobStatus is what the runner records about one binary's run, next to
// its output (<index>.out), in <index>.status.
type jobStatus struct {
	Pkg      string
	Exit     int // exit status; -1 when it did not exit normally
	Signal   string
	Seconds  float64
	Killed   bool   // killed after TestTimeout plus a grace period
	StartErr string `json:",omitempty"`
}

func (p *plan) outFile(j job) string {
	return filepath.Join(p.OutDir, fmt.Sprintf("%03d.out", j.Index))
}
func (p *plan) statusFile(j job) string {
	return filepath.Join(p.OutDir, fmt.Sprintf("%03d.status", j.Index))
}

func (p *plan) args() []string {
	a := []string{"-test.v=test2json", "-test.paniconexit0", fmt.Sprintf("-test.timeout=%s", p.TestTimeout)}
	if p.Count > 0 {
		a = append(a, fmt.Sprintf("-test.count=%d", p.Count))
	}
	if p.Run != "" {
		a = append(a, "-test.run="+p.Run)
	}
	if p.Skip != "" {
		a = append(a, "-test.skip="+p.Skip)
	}
	return a
}

// killGrace is how long after its own -test.timeout a binary may run
// before the runner kills its process group (the testing package's
// timeout prints every goroutine first; a binary stuck in the kernel
// never reaches it).
const killGrace = time.Minute

// runPlan runs every job, at most p.Parallel at a time in plan order,
// writing each binary's combined output and status to p.OutDir and a
// progress line per binary to progress, which is never called
// concurrently.
func runPlan(p *plan, progress func(string)) {
	par := max(p.Parallel, 1)
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for _, j := range p.Jobs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			st := runJob(p, j)
			// progress is called under mu: one call at a time, so
			// callers need no locking of their own.
			mu.Lock()
			defer mu.Unlock()
			done++
			msg := fmt.Sprintf("[%d/%d] %s: exit %d in %.1fs", done, len(p.Jobs), j.Pkg, st.Exit, st.Seconds)
			if st.Killed {
				msg += " (killed: timeout)"
			}
			if st.StartErr != "" {
				msg += " (" + st.StartErr + ")"
			}
			progress(msg)
		}()
	}
	wg.Wait()
}

func runJob(p *plan, j job) jobStatus {
	st := jobStatus{Pkg: j.Pkg, Exit: -1}
	defer func() {
		b, _ := json.Marshal(st)
		_ = os.WriteFile(p.statusFile(j), append(b, '\n'), 0o644)
	}()
	out, err := os.Create(p.outFile(j))
	if err != nil {
		st.StartErr = err.Error()
		return st
	}
	defer out.Close()
	cmd := exec.Command(filepath.Join(p.BinDir, j.Bin), p.args()...)
	cmd.Dir = j.Dir
	cmd.Env = p.Env
	cmd.Stdout = out
	cmd.Stderr = out
	// Own process group: a timeout kills the binary and whatever it
	// started (ping, ip, go build ...).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		st.StartErr = err.Error()
		return st
	}
	pgid := cmd.Process.Pid
	var killed atomic.Bool
	timer := time.AfterFunc(p.TestTimeout+killGrace, func() {
		killed.Store(true)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	})
	err = cmd.Wait()
	timer.Stop()
	st.Killed = killed.Load()
	// Leftover background processes of the binary.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	st.Seconds = time.Since(start).Seconds()
	if ps := cmd.ProcessState; ps != nil {
		st.Exit = ps.ExitCode()
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			st.Signal = ws.Signal().String()
		}
	} else if err != nil {
		st.StartErr = err.Error()
	}
	return st
}
