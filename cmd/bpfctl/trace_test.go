package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/internal/testenv"
	"golang.org/x/sys/unix"
)

// printkProgram loads an XDP program that prints msg with bpf_trace_printk.
func printkProgram(t *testing.T, msg string) *bpf.Program {
	t.Helper()
	b := []byte(msg + "\n\x00")
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	var insns asm.Instructions
	for i := 0; i < len(b); i += 8 {
		insns = append(insns,
			asm.LoadImm64(asm.R1, int64(binary.NativeEndian.Uint64(b[i:]))),
			asm.StoreMem(asm.R10, int16(i-len(b)), asm.R1, asm.DWord))
	}
	insns = append(insns,
		asm.Mov.Reg(asm.R1, asm.R10),
		asm.Add.Imm(asm.R1, int32(-len(b))),
		asm.Mov.Imm(asm.R2, int32(len(msg)+2)),
		asm.Call(asm.FnTracePrintk),
		asm.Mov.Imm(asm.R0, int32(bpf.XDPPass)),
		asm.Return())
	p, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "ctl_printk", Type: bpf.XDP, License: "GPL", Instructions: insns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// privateTracefs mounts tracefs on a temporary directory, so that the test
// does not change the host's mounts. The trace buffer behind it is the
// host's: the test holds the trace_pipe lock so that no other package's
// test consumes its lines meanwhile.
func privateTracefs(t *testing.T) string {
	t.Helper()
	testenv.LockTracePipe(t)
	dir := t.TempDir()
	if err := unix.Mount("tracefs", dir, "tracefs", 0, ""); err != nil {
		testenv.Skip(t, "mount tracefs: "+err.Error())
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

func TestTrace(t *testing.T) {
	bpftest.RequirePrivileged(t)
	dir := privateTracefs(t)
	marker := "bpfctl-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	p := printkProgram(t, marker)
	run3 := func() {
		for i := 0; i < 3; i++ {
			if _, err := p.Run(bpf.RunOptions{Data: make([]byte, 64)}); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The lines wait in the trace buffer until a reader takes them.
	// traceUntil reads with short timeouts until it has seen want marker
	// lines (or a minute has passed), so the test does not depend on how
	// fast bpfctl starts: under emulation a start can take longer than
	// its --timeout.
	traceUntil := func(want int, args ...string) string {
		var all strings.Builder
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
			all.WriteString(mustBpfctl(t, append([]string{"trace", "--tracefs", dir, "--timeout", "1s", "--count", "1000"}, args...)...))
			if strings.Count(all.String(), marker) >= want {
				break
			}
		}
		return all.String()
	}
	run3()
	out := traceUntil(3)
	if n := strings.Count(out, marker); n != 3 {
		t.Errorf("%d lines with %s in\n%s", n, marker, out)
	}

	// --timeout ends a trace that has nothing to read, and not before.
	start := time.Now()
	out = mustBpfctl(t, "trace", "--tracefs", dir, "--timeout", "500ms", "--count", "1000")
	if d := time.Since(start); d < 400*time.Millisecond || d > 60*time.Second {
		t.Errorf("--timeout 500ms took %v", d)
	}
	if strings.Contains(out, marker) {
		t.Errorf("lines read twice:\n%s", out)
	}

	run3()
	out = traceUntil(3, "--json")
	n := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var tj traceJSON
		unmarshal(t, sc.Text(), &tj)
		if tj.Message == marker {
			n++
			if tj.Event != "bpf_trace_printk" || tj.PID == 0 || tj.CPU < 0 || tj.Timestamp == 0 {
				t.Errorf("fields of %q: %+v", sc.Text(), tj)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d JSON records with message %s in\n%s", n, marker, out)
	}

	// --count stops early.
	run3()
	start = time.Now()
	out = mustBpfctl(t, "trace", "--tracefs", dir, "--timeout", "60s", "--count", "1")
	if strings.Count(out, "\n") != 1 || time.Since(start) > 50*time.Second {
		t.Errorf("--count 1 printed %q after %v", out, time.Since(start))
	}

	_, errOut, code := bpfctl(t, "trace", "--tracefs", t.TempDir())
	if code != 1 || !strings.Contains(errOut, "trace_pipe") {
		t.Errorf("tracefs without trace_pipe: exit %d, %q", code, errOut)
	}
}

// buildStatic builds bpfctl with CGO_ENABLED=0 into a temporary directory.
func buildStatic(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "bpfctl")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestTraceInterrupt checks that the process ends cleanly on SIGINT and
// SIGTERM.
func TestTraceInterrupt(t *testing.T) {
	bpftest.RequirePrivileged(t)
	dir := privateTracefs(t)
	bin := buildStatic(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cmd := exec.Command(bin, "trace", "--tracefs", dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Signal only once bpfctl handles the signal (a slow machine,
		// such as a qemu guest, can take longer than any fixed sleep to
		// get there, and until then the signal kills it).
		if err := waitTraceOpen(cmd.Process.Pid, 20*time.Second); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal(err)
		}
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%v: %v", sig, err)
			}
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			t.Errorf("%v: still running after 5s", sig)
		}
	}
}

// waitTraceOpen waits until process pid has trace_pipe open (bpfctl
// trace handles SIGINT and SIGTERM from before it opens it).
func waitTraceOpen(pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	for {
		fds, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, fd := range fds {
			if target, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && strings.HasSuffix(target, "/trace_pipe") {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bpfctl (pid %d) did not open trace_pipe within %v", pid, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
