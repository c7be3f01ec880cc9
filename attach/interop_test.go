package attach_test

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/testenv"
)

// tool returns the path of an iproute2, bpftool or util-linux binary. A
// missing tool skips the test, or fails it under
// PUREBPF_REQUIRE_PRIVILEGED=1 (testenv.RequireTool): the library never
// needs the tools, but CI must run the interop tests.
func tool(t *testing.T, name string) string {
	t.Helper()
	testenv.RequireTool(t, name)
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(tool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func mustContain(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s output lacks %q:\n%s", what, w, out)
		}
	}
}

// bpffs mounts a private bpffs instance in a temporary directory, so that
// programs can be pinned for ip and tc to pick up, and unmounts it at the
// end.
func bpffs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, "mode=0700"); err != nil {
		testenv.Skip(t, "cannot mount a bpffs instance: "+err.Error())
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

// TestInteropToolsSeeOurs: what purebpf attaches, ip, tc and bpftool see.
func TestInteropToolsSeeOurs(t *testing.T) {
	testenv.RequireTool(t, "ip", "tc", "bpftool", "nsenter")
	p := newPair(t)
	ns := p.B.Netns.Name()
	xdpProg := dropworld(t)
	tcProg := loadReturn(t, "tc_interop", bpf.SchedCLS, tcActOK)
	xdpID, tcID := progID(t, xdpProg), progID(t, tcProg)

	xa, err := attach.XDP(attach.ByName(p.B.Name).In(p.B.Netns), xdpProg, attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodNetlink})
	if err != nil {
		t.Fatal(err)
	}
	defer xa.Close()
	ta, err := attach.TC(attach.ByName(p.B.Name).In(p.B.Netns), tcProg, attach.Egress, attach.TCOptions{Method: attach.MethodNetlink, Priority: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer ta.Close()

	out := run(t, "ip", "-n", ns, "-d", "link", "show", "dev", p.B.Name)
	mustContain(t, "ip link show", out, "xdpgeneric", fmt.Sprintf("prog/xdp id %d", xdpID))

	out = run(t, "tc", "-n", ns, "filter", "show", "dev", p.B.Name, "egress")
	f := ta.Filter()
	mustContain(t, "tc filter show", out, "pref 3 bpf", fmt.Sprintf("handle 0x%x", f.Handle),
		"tc_interop", "direct-action", fmt.Sprintf("id %d", tcID))

	out = run(t, "nsenter", "--net="+p.B.Netns.Path(), tool(t, "bpftool"), "net", "show", "dev", p.B.Name)
	mustContain(t, "bpftool net", out, fmt.Sprintf("generic id %d", xdpID), fmt.Sprintf("clsact/egress tc_interop id %d", tcID))

	if err := xa.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ta.Close(); err != nil {
		t.Fatal(err)
	}
	out = run(t, "ip", "-n", ns, "-d", "link", "show", "dev", p.B.Name)
	if strings.Contains(out, "prog/xdp") {
		t.Errorf("ip still shows an XDP program after Close:\n%s", out)
	}
	out = run(t, "tc", "-n", ns, "filter", "show", "dev", p.B.Name, "egress")
	if strings.TrimSpace(out) != "" {
		t.Errorf("tc still shows filters after Close:\n%s", out)
	}
}

// TestInteropToolsSeeOurTCX: bpftool shows the tcx link purebpf made
// (tcx: 6.6+).
func TestInteropToolsSeeOurTCX(t *testing.T) {
	testenv.RequireTool(t, "bpftool")
	p := newPair(t)
	testenv.SkipUnsupported(t, features.HaveTCX())
	tcxProg := loadReturn(t, "tcx_interop", bpf.SchedCLS, tcActOK)
	tcxID := progID(t, tcxProg)
	tcx, err := attach.TC(attach.ByName(p.B.Name).In(p.B.Netns), tcxProg, attach.Ingress, attach.TCOptions{Method: attach.MethodLink})
	if err != nil {
		t.Fatal(err)
	}
	defer tcx.Close()
	// bpftool before 7.3 does not list tcx in "net"; every version lists
	// the link.
	tcxList, err := attach.TCXPrograms(attach.ByName(p.B.Name).In(p.B.Netns), attach.Ingress)
	if err != nil || len(tcxList) != 1 || tcxList[0].ProgramID != tcxID {
		t.Fatalf("tcx list %+v, %v", tcxList, err)
	}
	out := run(t, "bpftool", "link", "show", "id", fmt.Sprint(tcxList[0].LinkID))
	mustContain(t, "bpftool link show", out, fmt.Sprintf("%d: ", tcxList[0].LinkID), fmt.Sprintf("prog %d", tcxID))
	if err := tcx.Close(); err != nil {
		t.Fatal(err)
	}
	if tcxList, err := attach.TCXPrograms(attach.ByName(p.B.Name).In(p.B.Netns), attach.Ingress); err != nil || len(tcxList) != 0 {
		t.Fatalf("tcx list after Close: %+v, %v", tcxList, err)
	}
}

// TestInteropOursSeeTools: what ip and tc attached, purebpf lists and
// detaches.
func TestInteropOursSeeTools(t *testing.T) {
	testenv.RequireTool(t, "ip", "tc")
	p := newPair(t)
	ns := p.B.Netns.Name()
	dir := bpffs(t)
	xdpProg := dropworld(t)
	tcProg := loadReturn(t, "tc_by_tc", bpf.SchedCLS, tcActOK)
	xdpPin, tcPin := filepath.Join(dir, "xdp"), filepath.Join(dir, "tc")
	if err := xdpProg.Pin(xdpPin); err != nil {
		t.Fatal(err)
	}
	if err := tcProg.Pin(tcPin); err != nil {
		t.Fatal(err)
	}
	xdpID, tcID := progID(t, xdpProg), progID(t, tcProg)

	run(t, "ip", "-n", ns, "link", "set", "dev", p.B.Name, "xdpgeneric", "pinned", xdpPin)
	st, err := attach.XDPPrograms(attach.ByName(p.B.Name).In(p.B.Netns))
	if err != nil {
		t.Fatal(err)
	}
	if st.ProgramID(attach.XDPGeneric) != xdpID || st.Mode() != attach.XDPGeneric {
		t.Fatalf("query after ip attached: %+v, want program %d in generic mode", st, xdpID)
	}
	// Our attach refuses to replace it; detaching with the wrong id fails.
	if _, err := attach.XDP(attach.ByName(p.B.Name).In(p.B.Netns), xdpPass(t), attach.XDPOptions{Mode: attach.XDPGeneric}); !errors.Is(err, unix.EBUSY) {
		t.Fatalf("attach over ip's program: %v, want EBUSY", err)
	}
	if err := attach.DetachXDP(attach.ByName(p.B.Name).In(p.B.Netns), attach.DetachXDPOptions{ExpectedProgram: xdpID + 1000}); !errors.Is(err, attach.ErrVanished) {
		t.Fatalf("detach with the wrong program id: %v, want ErrVanished", err)
	}
	if err := attach.DetachXDP(attach.ByName(p.B.Name).In(p.B.Netns), attach.DetachXDPOptions{ExpectedProgram: xdpID}); err != nil {
		t.Fatal(err)
	}
	if out := run(t, "ip", "-n", ns, "link", "show", "dev", p.B.Name); strings.Contains(out, "xdp") {
		t.Fatalf("ip still shows XDP after DetachXDP:\n%s", out)
	}
	if err := attach.DetachXDP(attach.ByName(p.B.Name).In(p.B.Netns), attach.DetachXDPOptions{}); !errors.Is(err, attach.ErrNotAttached) {
		t.Fatalf("detach with nothing attached: %v, want ErrNotAttached", err)
	}

	run(t, "tc", "-n", ns, "qdisc", "add", "dev", p.B.Name, "clsact")
	run(t, "tc", "-n", ns, "filter", "add", "dev", p.B.Name, "ingress", "pref", "5", "handle", "0x2", "bpf", "da", "pinned", tcPin)
	filters, err := attach.TCFilters(attach.ByName(p.B.Name).In(p.B.Netns), attach.Ingress)
	if err != nil {
		t.Fatal(err)
	}
	if len(filters) != 1 || filters[0].ProgramID != tcID || filters[0].Priority != 5 || filters[0].Handle != 2 || !filters[0].DirectAction || filters[0].Kind != "bpf" {
		t.Fatalf("filters after tc attached: %+v", filters)
	}
	t.Logf("tc's filter as we list it: %v", filters[0])
	if err := attach.DeleteTCFilter(attach.ByName(p.B.Name).In(p.B.Netns), filters[0]); err != nil {
		t.Fatal(err)
	}
	if out := run(t, "tc", "-n", ns, "filter", "show", "dev", p.B.Name, "ingress"); strings.TrimSpace(out) != "" {
		t.Fatalf("tc still shows filters after DeleteTCFilter:\n%s", out)
	}
	if err := attach.DeleteClsact(attach.ByName(p.B.Name).In(p.B.Netns)); err != nil {
		t.Fatal(err)
	}
	if out := run(t, "tc", "-n", ns, "qdisc", "show", "dev", p.B.Name); strings.Contains(out, "clsact") {
		t.Fatalf("tc still shows clsact after DeleteClsact:\n%s", out)
	}
}
