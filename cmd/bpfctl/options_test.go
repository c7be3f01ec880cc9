package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/bpftest"
)

// TestCommandHelp walks every command: "bpfctl help CMD" and "bpfctl CMD
// -h" print the same help, which lists every option the command accepts
// (with its aliases) and the global ones.
func TestCommandHelp(t *testing.T) {
	for _, cmd := range commands() {
		name := strings.Join(cmd.words, " ")
		t.Run(name, func(t *testing.T) {
			viaHelp := mustBpfctl(t, append([]string{"help"}, cmd.words...)...)
			viaFlag := mustBpfctl(t, append(append([]string{}, cmd.words...), "-h")...)
			if viaHelp != viaFlag {
				t.Errorf("help %s and %s -h differ:\n%s\n%s", name, name, viaHelp, viaFlag)
			}
			if cmd.words[0] != "help" && !strings.Contains(viaHelp, "usage: bpfctl "+cmd.synopsis()) {
				t.Errorf("help of %s lacks its synopsis:\n%s", name, viaHelp)
			}
			for _, f := range append(append([]flagSpec{}, cmd.flags...), globalFlags...) {
				if f.help == "" {
					t.Errorf("option --%s of %s has no help text", f.name, name)
				}
				words := []string{"--" + f.name}
				for _, a := range f.aliases {
					if len(a) == 1 {
						words = append(words, "-"+a)
					} else {
						words = append(words, "--"+a)
					}
				}
				for _, w := range words {
					if !strings.Contains(viaHelp, w+" ") && !strings.Contains(viaHelp, w+",") {
						t.Errorf("help of %s lacks %s:\n%s", name, w, viaHelp)
					}
				}
			}
		})
	}
	// The options the issue found missing from the help are there.
	all := ""
	for _, cmd := range commands() {
		all += mustBpfctl(t, append([]string{"help"}, cmd.words...)...)
	}
	for _, w := range []string{"--force", "--type", "--pin-maps", "--opcodes", "--linum", "--no-mount", "--tracefs", "--exist", "--noexist", "--log", "--log-level"} {
		if !strings.Contains(all, w+" ") && !strings.Contains(all, w+",") {
			t.Errorf("no command's help lists %s", w)
		}
	}
	// An object alone lists its commands.
	if out := mustBpfctl(t, "map", "-h"); !strings.Contains(out, "map lookup MAP") || !strings.Contains(out, "map update") {
		t.Errorf("map -h:\n%s", out)
	}
	// The general help documents the exit statuses.
	if out := mustBpfctl(t, "help"); !strings.Contains(out, "exit status: 0 success; 1") || !strings.Contains(out, "3 map lookup") {
		t.Errorf("help lacks the exit statuses:\n%s", out)
	}
	if _, errOut, code := bpfctl(t, "help", "frob"); code != 2 || !strings.Contains(errOut, `unknown command "frob"`) {
		t.Errorf("help frob: exit %d, %q", code, errOut)
	}
}

// TestVerifierLog checks --log and --log-level on load, xdp attach and tc
// attach: a program the kernel refuses prints its whole verifier log on
// stderr before the one-line error; without the option only the line.
func TestVerifierLog(t *testing.T) {
	bpftest.RequirePrivileged(t)
	pins := privateBPFFS(t)
	xdp1 := filepath.Join(objDir, "xdp1/bpf/xdp1.o")
	layercoop := filepath.Join(objDir, "layercoop/bpf/layercoop.o")
	// The interface does not exist: the programs are refused before
	// bpfctl looks it up, and nothing can be attached anywhere.
	const dev = "h17nodev0"
	tests := []struct {
		name string
		args []string
		prog string
	}{
		// xdp1's program read as a tc program: its packet pointers are
		// scalars there.
		{"load", []string{"load", "--type", "sched_cls", xdp1}, "xdp_prog1"},
		// layercoop's tc program read as XDP, and its XDP program as tc.
		{"xdp attach", []string{"xdp", "attach", dev, layercoop, "--section", "tx", "--pin-maps", pins}, "layercoop_tx"},
		{"tc attach", []string{"tc", "attach", dev, "ingress", layercoop, "--section", "rx", "--pin-maps", pins}, "layercoop_rx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, short, code := bpfctl(t, tt.args...)
			if code != 1 || strings.Count(short, "\n") != 1 || !strings.Contains(short, "rejected by the verifier") {
				t.Fatalf("without --log: exit %d, stderr %q", code, short)
			}
			for _, opt := range [][]string{{"--log"}, {"--log-level", "2"}} {
				out, long, code := bpfctl(t, append(append([]string{}, tt.args...), opt...)...)
				if code != 1 || out != "" {
					t.Errorf("%s: exit %d, stdout %q", opt[0], code, out)
				}
				header := "bpfctl: verifier log of program " + tt.prog + ":\n"
				if !strings.HasPrefix(long, header) || !strings.HasSuffix(long, short) {
					t.Errorf("%s: stderr is not the log then the error line:\n%s", opt[0], long)
				}
				log := strings.TrimSuffix(strings.TrimPrefix(long, header), short)
				if strings.Count(log, "\n") < 3 || !strings.Contains(log, "processed ") {
					t.Errorf("%s: not a whole verifier log:\n%s", opt[0], log)
				}
			}
		})
	}
	// --log-level 2 prints the log of an accepted program too.
	out, errOut, code := bpfctl(t, "load", xdp1, "--log-level", "2")
	if code != 0 || !strings.Contains(out, "xdp_prog1") || !strings.HasPrefix(errOut, "bpfctl: verifier log of program xdp_prog1:\n") ||
		!strings.Contains(errOut, "processed ") {
		t.Errorf("accepted with --log-level 2: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, errOut, code := bpfctl(t, "load", xdp1, "--log-level", "9"); code != 2 || !strings.Contains(errOut, "--log-level 9") {
		t.Errorf("--log-level 9: exit %d, %q", code, errOut)
	}
}

// inPrivateMountNS runs f on a locked thread in a new mount namespace
// whose mounts do not propagate to the host's: mounting and unmounting
// /sys/fs/bpf there leaves the host's alone. The thread is discarded when
// f returns.
func inPrivateMountNS(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	var failure string
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			failure = "unshare mount namespace: " + err.Error()
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			failure = "make mounts private: " + err.Error()
			return
		}
		f()
	}()
	<-done
	if failure != "" {
		t.Fatal(failure)
	}
}

// TestPinDirectory checks load --pin in a private mount namespace: with
// nothing mounted at /sys/fs/bpf, bpfctl mounts a bpffs (or with
// --no-mount says that none is mounted); a directory on another file
// system, an old pin in the way and a directory without write permission
// are refused with the reason.
func TestPinDirectory(t *testing.T) {
	bpftest.RequirePrivileged(t)
	// The last load runs as an unprivileged user, who must be able to
	// read the object wherever the tree is (a CI clone can be in a
	// 0700 directory).
	xdp1 := readableCopy(t, filepath.Join(objDir, "xdp1/bpf/xdp1.o"))
	notBPF := t.TempDir()
	var results []string
	record := func(args ...string) {
		out, errOut, code := bpfctl(t, args...)
		results = append(results, strings.Join(args[3:], " ")+"\x00"+out+"\x00"+errOut+"\x00"+string(rune('0'+code)))
	}
	var mountedBefore, mountedAfter bool
	var noBPFFS bool
	inPrivateMountNS(t, func() {
		// Whatever the host has there, this namespace starts without a
		// bpffs at /sys/fs/bpf.
		for unix.Unmount(bpffsRoot, unix.MNT_DETACH) == nil {
		}
		m, _ := statfsMagic(bpffsRoot)
		noBPFFS = m != bpffsMagic
		record("load", xdp1, "--pin", bpffsRoot+"/h17/a", "--no-mount")
		m, _ = statfsMagic(bpffsRoot)
		mountedBefore = m == bpffsMagic
		record("load", xdp1, "--pin", bpffsRoot+"/h17/a")
		m, _ = statfsMagic(bpffsRoot)
		mountedAfter = m == bpffsMagic
		record("load", xdp1, "--pin", bpffsRoot+"/h17/a")
		record("load", xdp1, "--pin", filepath.Join(notBPF, "pins"))
		os.Chmod(bpffsRoot+"/h17", 0o700)
		// An unprivileged uid for this thread only (raw setresuid: Go's
		// syscall.Setresuid changes every thread).
		if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, 65534, 65534, 65534); errno != 0 {
			results = append(results, "setresuid: "+errno.Error())
			return
		}
		record("load", xdp1, "--pin", bpffsRoot+"/h17/b")
	})
	if !noBPFFS {
		t.Fatal("could not unmount /sys/fs/bpf in the private namespace")
	}
	if mountedBefore || !mountedAfter {
		t.Errorf("bpffs at /sys/fs/bpf: before %v, after load --pin %v (want false, true)", mountedBefore, mountedAfter)
	}
	want := []struct {
		code int
		out  string
		err  string
	}{
		{1, "", `no bpffs is mounted at /sys/fs/bpf (--no-mount: mount one with "mount -t bpf bpf /sys/fs/bpf")`},
		{0, "pinned /sys/fs/bpf/h17/a/xdp_prog1", ""},
		{1, "", "/sys/fs/bpf/h17/a/xdp_prog1: BPF_OBJ_PIN: file exists (remove the old pin first)"},
		{1, "", "is on " + fsNameOf(t, notBPF) + ", not a bpffs: pins live on a bpf file system"},
		{1, "", "pin directory /sys/fs/bpf/h17/b: mkdir /sys/fs/bpf/h17: permission denied (pinning needs write access"},
	}
	if len(results) != len(want) {
		t.Fatalf("results: %q", results)
	}
	for i, w := range want {
		r := strings.Split(results[i], "\x00")
		if int(r[3][0]-'0') != w.code || !strings.Contains(r[1], w.out) || !strings.Contains(r[2], w.err) || (w.err == "") != (r[2] == "") {
			t.Errorf("load --pin %s: exit %s, stdout %q, stderr %q; want exit %d, %q, %q", r[0], r[3], r[1], r[2], w.code, w.out, w.err)
		}
	}
}

func fsNameOf(t *testing.T, dir string) string {
	m, err := statfsMagic(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := fsName(m); n != "" {
		return n
	}
	return "file system magic"
}

// TestPinDirectoryKeepsDeeperBPFFS checks that a bpffs mounted below
// /sys/fs/bpf (with something else at /sys/fs/bpf) is used as it is:
// mounting a bpffs on /sys/fs/bpf would hide it and its pins.
func TestPinDirectoryKeepsDeeperBPFFS(t *testing.T) {
	bpftest.RequirePrivileged(t)
	var failure string
	var rootMagic, deepMagic int64
	inPrivateMountNS(t, func() {
		for unix.Unmount(bpffsRoot, unix.MNT_DETACH) == nil {
		}
		if err := unix.Mount("tmpfs", bpffsRoot, "tmpfs", 0, "size=1m"); err != nil {
			failure = "mount tmpfs: " + err.Error()
			return
		}
		deep := bpffsRoot + "/deep"
		if err := os.Mkdir(deep, 0o700); err != nil {
			failure = err.Error()
			return
		}
		if err := unix.Mount("bpf", deep, "bpf", 0, "mode=0700"); err != nil {
			failure = "mount bpffs: " + err.Error()
			return
		}
		if err := preparePinDir(deep+"/pins", false); err != nil {
			failure = "preparePinDir: " + err.Error()
			return
		}
		rootMagic, _ = statfsMagic(bpffsRoot)
		deepMagic, _ = statfsMagic(deep + "/pins")
	})
	if failure != "" {
		t.Fatal(failure)
	}
	if rootMagic == bpffsMagic || deepMagic != bpffsMagic {
		t.Errorf("after preparePinDir: /sys/fs/bpf magic %#x (a bpffs was mounted over it: %v), the deeper directory's %#x (bpffs: %v)",
			rootMagic, rootMagic == bpffsMagic, deepMagic, deepMagic == bpffsMagic)
	}
}

// TestLoadPinAllOrNothing: when pinning a later program fails (an old pin
// in the way), the pins already made are removed, so no program stays
// loaded by a half-done load --pin.
func TestLoadPinAllOrNothing(t *testing.T) {
	bpftest.RequirePrivileged(t)
	obj := filepath.Join(objDir, "xdp2skb_meta/bpf/xdp2skb_meta.o")
	var failure, errOut string
	var code int
	var firstLeft bool
	inPrivateMountNS(t, func() {
		dir := t.TempDir()
		if err := unix.Mount("bpf", dir, "bpf", 0, "mode=0700"); err != nil {
			failure = "mount bpffs: " + err.Error()
			return
		}
		// _tc_mark is pinned first, then _xdp_mark, whose path is taken.
		// (bpffs takes directories but no regular files.)
		if err := os.Mkdir(filepath.Join(dir, "_xdp_mark"), 0o700); err != nil {
			failure = err.Error()
			return
		}
		_, errOut, code = bpfctl(t, "load", obj, "--pin", dir, "--no-mount")
		_, err := os.Stat(filepath.Join(dir, "_tc_mark"))
		firstLeft = err == nil
	})
	if failure != "" {
		t.Fatal(failure)
	}
	if code != 1 || !strings.Contains(errOut, "_xdp_mark") {
		t.Fatalf("load --pin over an old pin: exit %d, %q", code, errOut)
	}
	if firstLeft {
		t.Error("the first program's pin was left behind after the second failed")
	}
}

// readableCopy copies the file at path into a new directory that every
// user can read and returns the copy's path.
func readableCopy(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "bpfctl-readable-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(dir, filepath.Base(path))
	if err := os.WriteFile(cp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return cp
}
