package main

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/bpftest"
)

// TestTracePermission runs bpfctl trace as an unprivileged uid (on one
// locked thread, in a private mount namespace): whether tracefs is
// mounted or not, the error says that permission is missing, and with
// tracefs mounted it does not blame the mount.
func TestTracePermission(t *testing.T) {
	bpftest.RequirePrivileged(t)
	type result struct {
		code   int
		stderr string
	}
	var mounted, unmounted, explicit result
	var setup string
	inPrivateMountNS(t, func() {
		for _, d := range tracefsDirs {
			for unix.Unmount(d, unix.MNT_DETACH) == nil {
			}
		}
		dir := t.TempDir()
		if err := unix.Mount("tracefs", dir, "tracefs", 0, ""); err != nil {
			setup = "mount tracefs: " + err.Error()
			return
		}
		if err := unix.Mount("tracefs", tracefsDirs[0], "tracefs", 0, ""); err != nil {
			setup = "mount tracefs: " + err.Error()
			return
		}
		// setresuid for this thread only (Go's syscall.Setresuid
		// changes every thread of the process).
		if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, 65534, 65534, 65534); errno != 0 {
			setup = "setresuid: " + errno.Error()
			return
		}
		_, e, code := bpfctl(t, "trace", "--count", "1")
		mounted = result{code, e}
		_, e, code = bpfctl(t, "trace", "--count", "1", "--tracefs", dir)
		explicit = result{code, e}
		// Unmounting needs the privilege back: saved uid 65534 cannot,
		// so the not-mounted case runs in a second namespace.
	})
	if setup != "" {
		t.Fatal(setup)
	}
	inPrivateMountNS(t, func() {
		// debugfs too: where it is mounted (mode 0700), an unprivileged
		// user cannot even look for its tracing directory, and bpfctl
		// rightly says only that permission is missing.
		for _, d := range append(tracefsDirs, "/sys/kernel/debug") {
			for unix.Unmount(d, unix.MNT_DETACH) == nil {
			}
		}
		if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, 65534, 65534, 65534); errno != 0 {
			setup = "setresuid: " + errno.Error()
			return
		}
		_, e, code := bpfctl(t, "trace", "--count", "1")
		unmounted = result{code, e}
	})
	if setup != "" {
		t.Fatal(setup)
	}
	tests := []struct {
		name string
		r    result
		want []string
		not  string
	}{
		{"tracefs mounted", mounted, []string{"/sys/kernel/tracing/trace_pipe: permission denied", "readable by root only", "run bpfctl trace as root"}, "not mounted"},
		{"--tracefs", explicit, []string{"permission denied", "readable by root only"}, "not mounted"},
		{"tracefs not mounted", unmounted, []string{"tracefs is not mounted", "mounting it was refused: operation not permitted", "run bpfctl trace as root"}, ""},
	}
	for _, tt := range tests {
		if tt.r.code != 1 {
			t.Errorf("%s: exit %d, want 1 (%q)", tt.name, tt.r.code, tt.r.stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(tt.r.stderr, w) {
				t.Errorf("%s: stderr %q lacks %q", tt.name, tt.r.stderr, w)
			}
		}
		if tt.not != "" && strings.Contains(tt.r.stderr, tt.not) {
			t.Errorf("%s: stderr %q says %q", tt.name, tt.r.stderr, tt.not)
		}
	}
}

// TestLinkNeedsPin checks that xdp attach and tc attach refuse --link
// without --pin (the link would die with bpfctl) before attaching
// anything.
func TestLinkNeedsPin(t *testing.T) {
	p := newPair(t)
	ns := p.A.Netns.Name()
	bpffs := privateBPFFS(t)
	obj := filepath.Join(objDir, "layercoop/bpf/layercoop.o")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"xdp", "attach", p.A.Name, obj, "--section", "rx"}, "--link without --pin: the XDP link would be detached when bpfctl exits"},
		{[]string{"tc", "attach", p.A.Name, "ingress", obj, "--section", "tx"}, "--link without --pin: the tcx link would be detached when bpfctl exits"},
	}
	for _, tt := range tests {
		args := append([]string{"-n", ns}, tt.args...)
		out, errOut, code := bpfctl(t, append(args, "--link", "--pin-maps", bpffs)...)
		if code != 2 || out != "" || !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "give --pin PATH") {
			t.Errorf("%s --link: exit %d, stdout %q, stderr %q", tt.args[0], code, out, errOut)
		}
	}
	var nl []netJSON
	unmarshal(t, mustBpfctl(t, "-n", ns, "net", "list", "--json"), &nl)
	for _, n := range nl {
		if len(n.XDP) != 0 || len(n.TC) != 0 {
			t.Errorf("attached after the refusals: %+v", n)
		}
	}
}

// TestXDPAlreadyAttached checks the error of an XDP attach (netlink or
// link) where a program is attached: it names the program and --force,
// and --force replaces it.
func TestXDPAlreadyAttached(t *testing.T) {
	p := newPair(t)
	ns := p.A.Netns.Name()
	bpffs := privateBPFFS(t)
	obj := filepath.Join(objDir, "xdp1/bpf/xdp1.o")
	var first attachedJSON
	unmarshal(t, mustBpfctl(t, "-n", ns, "xdp", "attach", p.A.Name, obj, "--json"), &first)
	for _, extra := range [][]string{nil, {"--pin", filepath.Join(bpffs, "link")}} {
		args := append([]string{"-n", ns, "xdp", "attach", p.A.Name, obj}, extra...)
		out, errOut, code := bpfctl(t, args...)
		want := "xdp attach: " + p.A.Name + " already has an XDP program: program id " + itoa(first.ID) + " (" + first.Mode +
			"); replace it with --force (a netlink attachment), or remove it with \"bpfctl -n " + ns + " xdp detach " + p.A.Name + "\""
		if code != 1 || out != "" || !strings.Contains(errOut, want) {
			t.Errorf("attach %v over program %d: exit %d, stderr %q\nwant %q", extra, first.ID, code, errOut, want)
		}
	}
	var again attachedJSON
	unmarshal(t, mustBpfctl(t, "-n", ns, "xdp", "attach", p.A.Name, obj, "--force", "--json"), &again)
	var nl []netJSON
	unmarshal(t, mustBpfctl(t, "-n", ns, "net", "list", "--json"), &nl)
	if again.ID == first.ID || len(nl[0].XDP) != 1 || nl[0].XDP[0].ID != again.ID {
		t.Errorf("--force: attached %d over %d; net list %+v", again.ID, first.ID, nl)
	}
}

// TestNetJSONMatchesBpftool compares bpfctl net list (whole namespace, and
// "dev DEV") with bpftool net show, as parsed JSON: every key bpftool
// prints, at every level, is in bpfctl's output with the same value
// (bpfctl adds keys: prio, handle, method, direct_action of tc entries).
func TestNetJSONMatchesBpftool(t *testing.T) {
	p := newPair(t)
	ns := p.A.Netns.Name()
	mustBpfctl(t, "-n", ns, "xdp", "attach", p.A.Name, filepath.Join(objDir, "xdp1/bpf/xdp1.o"), "--mode", "generic")
	mustBpfctl(t, "-n", ns, "tc", "attach", p.A.Name, "egress", filepath.Join(objDir, "xdp2skb_meta/bpf/xdp2skb_meta.o"), "--section", "tc_mark")
	for _, args := range [][]string{nil, {"dev", p.A.Name}} {
		var bj, cj []map[string]any
		unmarshal(t, tool(t, "ip", append([]string{"netns", "exec", ns, "bpftool", "-j", "net", "show"}, args...)...), &bj)
		unmarshal(t, mustBpfctl(t, append([]string{"-n", ns, "net", "list", "-j"}, args...)...), &cj)
		if len(bj) != 1 || len(cj) != 1 {
			t.Fatalf("net show %v: bpftool %v, bpfctl %v", args, bj, cj)
		}
		entries := 0
		for key, bv := range bj[0] {
			blist, _ := bv.([]any)
			clist, ok := cj[0][key].([]any)
			if !ok || len(clist) != len(blist) {
				t.Errorf("net list %v: %s = %v, bpftool %v", args, key, cj[0][key], bv)
				continue
			}
			for i := range blist {
				compareJSONFields(t, "net list "+key, blist[i].(map[string]any), clist[i].(map[string]any))
				entries++
			}
		}
		if entries == 0 {
			t.Errorf("net show %v: nothing attached in bpftool's view: %v", args, bj)
		}
		// The plain text too, for one interface.
		if args != nil {
			want := tool(t, "ip", append([]string{"netns", "exec", ns, "bpftool", "net", "show"}, args...)...)
			if got := mustBpfctl(t, append([]string{"-n", ns, "net", "list"}, args...)...); got != want {
				t.Errorf("net list %v:\n%s", args, lineDiff(got, want))
			}
		}
	}
}

// TestMapLookupJSONMatchesBpftool compares map lookup --json of a present
// key with bpftool -j map lookup.
func TestMapLookupJSONMatchesBpftool(t *testing.T) {
	f := newFixture(t)
	for i, key := range [][]string{{"7", "0", "0", "0"}, {"2", "0", "0", "0"}} {
		id := itoa(f.mapIDs[i]) // the hash map, then the per-CPU array
		var bj, cj any
		unmarshal(t, tool(t, "bpftool", append([]string{"-j", "map", "lookup", "id", id, "key"}, key...)...), &bj)
		unmarshal(t, mustBpfctl(t, append([]string{"map", "lookup", id, "key", "--json"}, key...)...), &cj)
		if !reflect.DeepEqual(bj, cj) {
			t.Errorf("map lookup %s --json: got %v, bpftool %v", id, cj, bj)
		}
	}
}
