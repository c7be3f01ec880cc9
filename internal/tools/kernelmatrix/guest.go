package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

func say(format string, a ...any) {
	fmt.Fprintf(os.Stdout, "kernelmatrix: "+format+"\n", a...)
}

func readPlan(file string) (*plan, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var p plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("plan %s: %w", file, err)
	}
	return &p, nil
}

// guestInit is PID 1 of the guest, started by the initramfs after
// switch_root with /proc, /sys and /dev already mounted. It mounts what
// the tests expect, points the kernel's module loader at the package's
// module tree, brings up lo, runs the plan in a child process while
// reaping orphans (PID 1's duty), and powers the machine off.
func guestInit(planFile string) {
	defer func() {
		unix.Sync()
		_ = unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	}()
	p, err := readPlan(planFile)
	if err != nil {
		say("guest: %v", err)
		return
	}
	if err := guestSetup(p); err != nil {
		say("guest setup: %v", err)
		return
	}
	cmd := exec.Command("/proc/self/exe", "-guest-run", planFile)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		say("guest: %v", err)
		return
	}
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid == cmd.Process.Pid {
			break
		}
	}
	_ = os.WriteFile(filepath.Join(p.OutDir, "done"), []byte("done\n"), 0o644)
	say("guest done")
}

// guestRun is the child of guestInit that runs the test binaries.
func guestRun(planFile string) {
	p, err := readPlan(planFile)
	if err != nil {
		say("guest: %v", err)
		os.Exit(2)
	}
	runPlan(p, func(s string) { say("%s", s) })
}

func guestSetup(p *plan) error {
	type mnt struct {
		src, target, fstype string
		flags               uintptr
		data                string
	}
	var mounts []mnt
	if p.TmpfsTmp {
		mounts = append(mounts, mnt{"tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"})
	}
	for _, m := range append(mounts, []mnt{
		{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "gid=5,mode=620,ptmxmode=666"},
		{"tmpfs", "/dev/shm", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
		{"bpf", "/sys/fs/bpf", "bpf", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "mode=700"},
		{"tracefs", "/sys/kernel/tracing", "tracefs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
		{"debugfs", "/sys/kernel/debug", "debugfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
		{"cgroup2", "/sys/fs/cgroup", "cgroup2", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	}...) {
		if err := os.MkdirAll(m.target, 0o755); err != nil {
			return err
		}
		if err := unix.Mount(m.src, m.target, m.fstype, m.flags, m.data); err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.fstype, m.target, err)
		}
	}
	// The kernel runs modprobe_path to load a module on demand (veth,
	// sch_ingress, cls_bpf, ...). busybox's modprobe reads the
	// modules.dep and modules.alias kernelmatrix made with busybox depmod.
	if p.Busybox != "" {
		dir := "/run/kernelmatrix-sbin"
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		mp := filepath.Join(dir, "modprobe")
		if err := os.Symlink(p.Busybox, mp); err != nil {
			return err
		}
		if err := os.WriteFile("/proc/sys/kernel/modprobe", []byte(mp+"\n"), 0o644); err != nil {
			return err
		}
	}
	if err := unix.Sethostname([]byte("kernelmatrix")); err != nil {
		return err
	}
	if err := linkUp("lo"); err != nil {
		return err
	}
	var u unix.Utsname
	_ = unix.Uname(&u)
	cmdline, _ := os.ReadFile("/proc/cmdline")
	clock, _ := os.ReadFile("/sys/devices/system/clocksource/clocksource0/current_clocksource")
	info := fmt.Sprintf("release %s\nversion %s\ncmdline %s\nclocksource %s\n", unix.ByteSliceToString(u.Release[:]),
		unix.ByteSliceToString(u.Version[:]), strings.TrimSpace(string(cmdline)), strings.TrimSpace(string(clock)))
	if err := os.WriteFile(filepath.Join(p.OutDir, "boot"), []byte(info), 0o644); err != nil {
		return err
	}
	say("guest up: %s", unix.ByteSliceToString(u.Release[:]))
	return nil
}

// linkUp sets IFF_UP on a network interface.
func linkUp(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%s up: %w", name, err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return fmt.Errorf("%s up: %w", name, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("%s up: %w", name, err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("%s up: %w", name, err)
	}
	return nil
}
