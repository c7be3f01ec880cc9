package attach_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/netns"
)

// The tests of this file and race_test.go run attachments in child
// processes: the test binary re-executed with -test.run=^TestChildAttach$
// and the environment below saying what to attach where.
const (
	childKind    = "PUREBPF_ATTACH_CHILD"   // what to attach (see childAttach)
	childNetns   = "PUREBPF_ATTACH_NETNS"   // path of the namespace
	childIfindex = "PUREBPF_ATTACH_IFINDEX" // the interface's index there
	childPin     = "PUREBPF_ATTACH_PIN"     // pin the link there ("": do not)
	childLink    = "PUREBPF_ATTACH_LINK"    // the link id of the *-update kinds
	childWait    = "PUREBPF_ATTACH_WAIT"    // "1": print READY, attach on a line of input
)

// TestChildAttach is the child process of the lifecycle and race tests.
// It attaches as its environment says, prints one RESULT line (with the
// program id, or why the kernel refused), then holds the attachment until
// its input ends and closes it (CLOSED line), unless it is killed first.
func TestChildAttach(t *testing.T) {
	kind := os.Getenv(childKind)
	if kind == "" {
		t.Skip("helper of the lifecycle and race tests; runs only in their child processes")
	}
	testenv.RequirePrivileged(t)
	ns, err := netns.Open(os.Getenv(childNetns))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	index, err := strconv.Atoi(os.Getenv(childIfindex))
	if err != nil {
		t.Fatal(err)
	}
	iface := attach.ByIndex(index).In(ns)
	in := bufio.NewReader(os.Stdin)
	if os.Getenv(childWait) == "1" {
		fmt.Println("READY")
		if _, err := in.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	att, prog, err := childAttach(t, kind, iface)
	if err == nil && os.Getenv(childPin) != "" {
		err = att.Pin(os.Getenv(childPin))
	}
	if err != nil {
		var ae *attach.Error
		var holder bpf.ProgramID
		if errors.As(err, &ae) {
			holder = ae.Holder
		}
		fmt.Printf("RESULT refused exists=%v holder=%d err=%s\n", errors.Is(err, attach.ErrExists), holder, strings.ReplaceAll(err.Error(), "\n", " "))
		io.Copy(io.Discard, in)
		return
	}
	var linkID attach.LinkID
	if info, err := att.Info(); err == nil {
		linkID = info.LinkID
	}
	fmt.Printf("RESULT ok prog=%d link=%d\n", progID(t, prog), linkID)
	io.Copy(io.Discard, in)
	fmt.Printf("CLOSED err=%v\n", att.Close())
}

// childAttach attaches a program of the child's own, as kind says.
func childAttach(t *testing.T, kind string, iface attach.Interface) (attach.Attachment, *bpf.Program, error) {
	xdp := func(opts attach.XDPOptions) (attach.Attachment, *bpf.Program, error) {
		prog := loadReturn(t, "child_xdp", bpf.XDP, int32(bpf.XDPPass))
		opts.Mode = attach.XDPGeneric
		att, err := attach.XDP(iface, prog, opts)
		if err != nil {
			return nil, nil, err
		}
		return att, prog, nil
	}
	tc := func(opts attach.TCOptions) (attach.Attachment, *bpf.Program, error) {
		prog := loadReturn(t, "child_tc", bpf.SchedCLS, tcActOK)
		att, err := attach.TC(iface, prog, attach.Ingress, opts)
		if err != nil {
			return nil, nil, err
		}
		return att, prog, nil
	}
	update := func(typ bpf.ProgramType, ret int32) (attach.Attachment, *bpf.Program, error) {
		id, err := strconv.ParseUint(os.Getenv(childLink), 10, 32)
		if err != nil {
			return nil, nil, err
		}
		prog := loadReturn(t, "child_update", typ, ret)
		l, err := attach.LinkFromID(attach.LinkID(id))
		if err != nil {
			return nil, nil, err
		}
		if err := l.Update(prog); err != nil {
			l.Close()
			return nil, nil, err
		}
		return l, prog, nil
	}
	switch kind {
	case "xdp-netlink":
		return xdp(attach.XDPOptions{Method: attach.MethodNetlink})
	case "xdp-netlink-replace":
		return xdp(attach.XDPOptions{Method: attach.MethodNetlink, Replace: true})
	case "xdp-link":
		return xdp(attach.XDPOptions{Method: attach.MethodLink})
	case "tc-filter":
		return tc(attach.TCOptions{Method: attach.MethodNetlink, Priority: 1, Handle: 1})
	case "tc-filter-replace":
		return tc(attach.TCOptions{Method: attach.MethodNetlink, Priority: 1, Handle: 1, Replace: true})
	case "tcx":
		return tc(attach.TCOptions{Method: attach.MethodLink})
	case "xdp-link-update":
		return update(bpf.XDP, int32(bpf.XDPPass))
	case "tcx-update":
		return update(bpf.SchedCLS, tcActOK)
	}
	return nil, nil, fmt.Errorf("unknown child kind %q", kind)
}

// child is a running TestChildAttach.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	done  bool
}

// startChild starts TestChildAttach attaching kind to ep; env adds to its
// environment.
func startChild(t *testing.T, kind string, ep *testnet.Endpoint, env ...string) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, exe, "-test.run=^TestChildAttach$", "-test.count=1")
	cmd.Env = append(os.Environ(), childKind+"="+kind, childNetns+"="+ep.Netns.Path(), childIfindex+"="+strconv.Itoa(ep.Index))
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			c.lines <- s.Text()
		}
		close(c.lines)
	}()
	t.Cleanup(func() {
		if !c.done {
			cmd.Process.Kill()
			cmd.Wait()
		}
		cancel()
	})
	return c
}

// expect returns the rest of the first line of output that starts with
// prefix; the child's other output (the test binary's PASS) is skipped.
func (c *child) expect(t *testing.T, prefix string) string {
	t.Helper()
	for line := range c.lines {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			return strings.TrimSpace(rest)
		}
	}
	t.Fatalf("child ended without printing %q (exit: %v)", prefix, c.cmd.Wait())
	return ""
}

// result reads the RESULT line: the program the child attached, or 0 and
// the refusal (with the holder the error named).
func (c *child) result(t *testing.T) (prog bpf.ProgramID, link attach.LinkID, refusal string, exists bool, holder bpf.ProgramID) {
	t.Helper()
	r := c.expect(t, "RESULT ")
	if rest, ok := strings.CutPrefix(r, "ok "); ok {
		var p, l uint32
		if _, err := fmt.Sscanf(rest, "prog=%d link=%d", &p, &l); err != nil {
			t.Fatalf("child printed %q: %v", r, err)
		}
		return bpf.ProgramID(p), attach.LinkID(l), "", false, 0
	}
	rest, ok := strings.CutPrefix(r, "refused ")
	if !ok {
		t.Fatalf("child printed %q", r)
	}
	var h uint32
	if _, err := fmt.Sscanf(rest, "exists=%t holder=%d", &exists, &h); err != nil {
		t.Fatalf("child printed %q: %v", r, err)
	}
	_, refusal, _ = strings.Cut(rest, "err=")
	return 0, 0, refusal, exists, bpf.ProgramID(h)
}

// kill ends the child with SIGKILL, before it detaches anything.
func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := c.cmd.Wait()
	c.done = true
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v", err)
	}
}

// finish ends the child's input, so that it closes its attachment and
// exits; it returns what Close said.
func (c *child) finish(t *testing.T) string {
	t.Helper()
	c.stdin.Close()
	closed := ""
	for line := range c.lines {
		if rest, ok := strings.CutPrefix(line, "CLOSED "); ok {
			closed = rest
		}
	}
	err := c.cmd.Wait()
	c.done = true
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	return closed
}

// hookState lists the programs on the hook a child kind attaches to:
// generic XDP, the ingress tc filters, or ingress tcx.
func hookState(t *testing.T, kind string, iface attach.Interface) []bpf.ProgramID {
	t.Helper()
	var ids []bpf.ProgramID
	switch {
	case strings.HasPrefix(kind, "xdp"):
		st, err := attach.XDPPrograms(iface)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range st.Programs {
			ids = append(ids, p.ProgramID)
		}
	case strings.HasPrefix(kind, "tc-filter"):
		fs, err := attach.TCFilters(iface, attach.Ingress)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			ids = append(ids, f.ProgramID)
		}
	case strings.HasPrefix(kind, "tcx"):
		ps, err := attach.TCXPrograms(iface, attach.Ingress)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			ids = append(ids, p.ProgramID)
		}
	default:
		t.Fatalf("unknown kind %q", kind)
	}
	return ids
}

// waitHook waits until the hook holds exactly want (in any order): the
// kernel releases a link whose last reference went away asynchronously.
// It gives up after 10 seconds.
func waitHook(t *testing.T, kind string, iface attach.Interface, want []bpf.ProgramID, when string) {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := slices.Sorted(slices.Values(hookState(t, kind, iface)))
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s hook holds programs %v, want %v", when, kind, got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// requireKind skips when the kernel lacks what kind needs.
func requireKind(t *testing.T, kind string) {
	t.Helper()
	switch {
	case strings.HasPrefix(kind, "xdp-link"):
		testenv.SkipUnsupported(t, features.HaveXDPLink())
	case strings.HasPrefix(kind, "tcx"):
		testenv.SkipUnsupported(t, features.HaveTCX())
	}
}

// TestProcessDeath: a process that attached and was killed with SIGKILL
// before detaching leaves exactly what the package documentation's
// lifecycle table says: netlink XDP programs, tc filters and pinned links
// stay attached (and can then be removed), unpinned links go away with
// the process.
func TestProcessDeath(t *testing.T) {
	tests := []struct {
		kind   string
		pinned bool
		stays  bool
	}{
		{"xdp-netlink", false, true},
		{"xdp-link", false, false},
		{"xdp-link", true, true},
		{"tc-filter", false, true},
		{"tcx", false, false},
		{"tcx", true, true},
	}
	for _, tt := range tests {
		name := tt.kind
		if tt.pinned {
			name += "-pinned"
		}
		t.Run(name, func(t *testing.T) {
			p := newPair(t)
			requireKind(t, tt.kind)
			iface := p.B.Interface()
			var env []string
			pin := ""
			if tt.pinned {
				pin = filepath.Join(bpffs(t), "link")
				env = append(env, childPin+"="+pin)
			}
			c := startChild(t, tt.kind, p.B, env...)
			prog, _, refusal, _, _ := c.result(t)
			if prog == 0 {
				t.Fatalf("child could not attach: %s", refusal)
			}
			waitHook(t, tt.kind, iface, []bpf.ProgramID{prog}, "child attached")
			c.kill(t)

			if !tt.stays {
				waitHook(t, tt.kind, iface, nil, "after SIGKILL")
				waitGone(t, prog)
				return
			}
			// Still there (the child's program is held by the hook only),
			// and still there a moment later.
			waitHook(t, tt.kind, iface, []bpf.ProgramID{prog}, "after SIGKILL")
			if held, err := bpf.ProgramFromID(prog); err != nil {
				t.Fatalf("program %d of the killed child: %v", prog, err)
			} else {
				held.Close()
			}
			// Then it can be removed by another process, as documented.
			switch {
			case tt.pinned:
				l, err := attach.LoadPinnedLink(pin)
				if err != nil {
					t.Fatal(err)
				}
				info, err := l.Info()
				if err != nil || info.ProgramID != prog {
					t.Fatalf("pinned link: %+v, %v; want program %d", info, err, prog)
				}
				if err := l.Unpin(); err != nil {
					t.Fatal(err)
				}
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
			case tt.kind == "xdp-netlink":
				if err := attach.DetachXDP(iface, attach.DetachXDPOptions{}); err != nil {
					t.Fatal(err)
				}
			case tt.kind == "tc-filter":
				if err := attach.DeleteTCFilters(iface, attach.Ingress); err != nil {
					t.Fatal(err)
				}
			}
			waitHook(t, tt.kind, iface, nil, "after removing it")
			waitGone(t, prog)
		})
	}
}

// waitGone waits until no program has id (the kernel frees a detached
// program asynchronously), for 10 seconds at most.
func waitGone(t *testing.T, id bpf.ProgramID) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := bpf.ProgramFromID(id)
		if err != nil {
			return
		}
		p.Close()
		if time.Now().After(deadline) {
			t.Fatalf("program %d still loaded after its last holder went away", id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
