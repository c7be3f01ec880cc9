package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// vmConfig is how every guest is booted.
type vmConfig struct {
	Qemu    string
	SMP     int
	Mem     string
	CPU     string
	Timeout time.Duration // hard limit for one guest, boot to power-off
	Append  string        // extra kernel command line
	Msize   int
}

// vmResult is what the host saw of one guest.
type vmResult struct {
	Seconds     float64
	TimedOut    bool
	Console     string   // path of the console log
	Tail        []string // last lines of the console
	Panic       string   // first "Kernel panic" line
	SoftLockups []string // "soft lockup" lines
	Err         error    // qemu failed to start or exited with an error
}

// consoleWatch scans the guest's serial console: it keeps the last lines,
// hands kernelmatrix progress lines to progress, and notes panics and
// soft lockups.
type consoleWatch struct {
	tail        []string
	maxTail     int
	panicLine   string
	softLockups []string
	progress    func(string)
}

// terminalControl matches the escape sequences SeaBIOS and the kernel
// send to the serial terminal (reset, clear screen, wrap mode).
var terminalControl = regexp.MustCompile(`\x1b(\[[0-9;?]*[A-Za-z]|[a-zA-Z])`)

func (c *consoleWatch) line(l string) {
	l = terminalControl.ReplaceAllString(strings.TrimRight(l, "\r"), "")
	if c.maxTail > 0 {
		c.tail = append(c.tail, l)
		if len(c.tail) > c.maxTail {
			c.tail = c.tail[len(c.tail)-c.maxTail:]
		}
	}
	if i := strings.Index(l, "kernelmatrix: "); i >= 0 && c.progress != nil {
		c.progress(l[i+len("kernelmatrix: "):])
	}
	if strings.Contains(l, "Kernel panic") && c.panicLine == "" {
		c.panicLine = l
	}
	if strings.Contains(l, "soft lockup") {
		c.softLockups = append(c.softLockups, l)
	}
}

// kernelCmdline is the guest kernel's command line. panic=-1 with qemu's
// -no-reboot turns a panic into the end of qemu. softlockup_panic=0 keeps
// a soft lockup report a report, whatever the kernel's build default: under
// emulation a CPU can look stuck for seconds (see KERNELS.md); the runner
// counts the reports and its timeouts end a real hang. loglevel=5 puts
// warnings (WARN_ON, lockup traces) on the console.
func kernelCmdline(extra string) string {
	s := "console=ttyS0,115200 rdinit=/init panic=-1 softlockup_panic=0 loglevel=5"
	if extra = strings.TrimSpace(extra); extra != "" {
		s += " " + extra
	}
	return s
}

func qemuArgs(cfg vmConfig, k *kernel, initrd, work string) []string {
	return []string{
		"-nodefaults", "-no-user-config", "-nographic",
		"-serial", "stdio", "-monitor", "none",
		"-machine", "pc", "-accel", "tcg", "-cpu", cfg.CPU,
		"-smp", fmt.Sprint(cfg.SMP), "-m", cfg.Mem,
		"-kernel", k.Vmlinuz, "-initrd", initrd,
		"-append", kernelCmdline(cfg.Append),
		"-no-reboot",
		"-fsdev", "local,id=fsroot,path=/,security_model=none,readonly=on,multidevs=remap",
		"-device", "virtio-9p-pci,fsdev=fsroot,mount_tag=" + tagRoot,
		"-fsdev", "local,id=fsmods,path=" + k.ModDir + ",security_model=none,readonly=on",
		"-device", "virtio-9p-pci,fsdev=fsmods,mount_tag=" + tagModules,
		"-fsdev", "local,id=fswork,path=" + work + ",security_model=passthrough",
		"-device", "virtio-9p-pci,fsdev=fswork,mount_tag=" + tagWork,
	}
}

// boot runs one guest to completion (or to cfg.Timeout) and captures its
// console in consoleLog.
func boot(ctx context.Context, cfg vmConfig, k *kernel, initrd, work, consoleLog string, progress func(string)) vmResult {
	res := vmResult{Console: consoleLog}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	logf, err := os.Create(consoleLog)
	if err != nil {
		res.Err = err
		return res
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, cfg.Qemu, qemuArgs(cfg, k, initrd, work)...)
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	watch := &consoleWatch{maxTail: 60, progress: progress}
	scanDone := make(chan struct{})
	go func() {
		defer close(scanDone)
		sc := bufio.NewScanner(io.TeeReader(pr, logf))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			watch.line(sc.Text())
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	start := time.Now()
	err = cmd.Run()
	pw.Close()
	<-scanDone
	res.Seconds = time.Since(start).Seconds()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		res.TimedOut = true
	} else if err != nil {
		res.Err = fmt.Errorf("%s: %w", cfg.Qemu, err)
	}
	res.Tail = watch.tail
	res.Panic = watch.panicLine
	res.SoftLockups = watch.softLockups
	return res
}
