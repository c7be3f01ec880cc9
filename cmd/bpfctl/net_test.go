package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/testnet"
)

func loadReturn(t *testing.T, name string, typ bpf.ProgramType, ret int32) (*bpf.Program, uint32) {
	t.Helper()
	p, err := bpf.NewProgram(&bpf.ProgramSpec{Name: name, Type: typ, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, ret), asm.Return()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	info, err := p.Info()
	if err != nil {
		t.Fatal(err)
	}
	return p, uint32(info.ID)
}

func newPair(t *testing.T) *testnet.VethPair {
	t.Helper()
	bpftest.RequirePrivileged(t)
	return bpftest.NewVethPair(t, testnet.VethOptions{NoIPv6: true})
}

// TestNetListMatchesBpftool attaches XDP and tc programs in a private
// namespace with the library and compares "bpfctl -n NS net list" with
// "ip netns exec NS bpftool net show".
func TestNetListMatchesBpftool(t *testing.T) {
	p := newPair(t)
	ns := p.A.Netns.Name()
	xdp, xdpID := loadReturn(t, "ctl_xdp", bpf.XDP, int32(bpf.XDPPass))
	tcp, tcID := loadReturn(t, "ctl_tc", bpf.SchedCLS, int32(bpf.TCActOK))
	tcx, tcxID := loadReturn(t, "ctl_tcx", bpf.SchedCLS, int32(bpf.TCActOK))

	xa, err := attach.XDP(attach.ByName(p.A.Name).In(p.A.Netns), xdp, attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodNetlink})
	if err != nil {
		t.Fatal(err)
	}
	defer xa.Close()
	ta, err := attach.TC(attach.ByName(p.A.Name).In(p.A.Netns), tcp, attach.Egress, attach.TCOptions{Method: attach.MethodNetlink, Name: "ctl.o:[tx]"})
	if err != nil {
		t.Fatal(err)
	}
	defer ta.Close()
	haveTCX := true
	la, err := attach.TC(attach.ByName(p.A.Name).In(p.A.Netns), tcx, attach.Ingress, attach.TCOptions{Method: attach.MethodLink})
	if errors.Is(err, bpf.ErrNotSupported) {
		haveTCX = false
	} else if err != nil {
		t.Fatal(err)
	} else {
		defer la.Close()
	}

	var got []netJSON
	unmarshal(t, mustBpfctl(t, "-n", ns, "net", "list", "--json"), &got)
	if len(got) != 1 {
		t.Fatalf("net list JSON: %+v", got)
	}
	wantXDP := []netXDPJSON{{Devname: p.A.Name, Ifindex: p.A.Index, Mode: "generic", ID: xdpID}}
	if !reflect.DeepEqual(got[0].XDP, wantXDP) {
		t.Errorf("xdp: got %+v, want %+v", got[0].XDP, wantXDP)
	}
	var clsact, tcxs []netTCJSON
	for _, e := range got[0].TC {
		if e.Method == "link" {
			tcxs = append(tcxs, e)
		} else {
			clsact = append(clsact, e)
		}
	}
	if len(clsact) != 1 || clsact[0].ID != tcID || clsact[0].Kind != "clsact/egress" || clsact[0].Name != "ctl.o:[tx]" || !clsact[0].DirectAc {
		t.Errorf("tc filters: %+v", clsact)
	}
	if haveTCX && (len(tcxs) != 1 || tcxs[0].ID != tcxID || tcxs[0].Kind != "tcx/ingress" || tcxs[0].Name != "ctl_tcx" || tcxs[0].LinkID == 0) {
		t.Errorf("tcx: %+v", tcxs)
	}

	// bpftool's view of the same namespace.
	var bt []struct {
		XDP []netXDPJSON `json:"xdp"`
		TC  []struct {
			Devname string `json:"devname"`
			Ifindex int    `json:"ifindex"`
			Kind    string `json:"kind"`
			Name    string `json:"name"`
			ID      uint32 `json:"id"`
		} `json:"tc"`
	}
	unmarshal(t, tool(t, "ip", "netns", "exec", ns, "bpftool", "-j", "net", "show"), &bt)
	if len(bt) != 1 || len(bt[0].TC) == 0 || !reflect.DeepEqual(bt[0].XDP, got[0].XDP) {
		t.Errorf("xdp: bpfctl %+v, bpftool %+v", got[0].XDP, bt)
	}
	for _, b := range bt[0].TC {
		if strings.HasPrefix(b.Kind, "tcx") {
			continue
		}
		if len(clsact) != 1 || b.Devname != clsact[0].Devname || b.Ifindex != clsact[0].Ifindex || b.Kind != clsact[0].Kind || b.Name != clsact[0].Name || b.ID != clsact[0].ID {
			t.Errorf("tc: bpfctl %+v, bpftool %+v", clsact, b)
		}
	}

	// Plain text: the XDP and clsact lines are bpftool's.
	plain := mustBpfctl(t, "-n", ns, "net", "list")
	for _, line := range strings.Split(tool(t, "ip", "netns", "exec", ns, "bpftool", "net", "show"), "\n") {
		if strings.Contains(line, "generic id") || strings.Contains(line, "clsact/") {
			if !strings.Contains(plain, line+"\n") {
				t.Errorf("bpfctl net list lacks bpftool's line %q:\n%s", line, plain)
			}
		}
	}

	// xdp list and tc list agree with the library, and with tc(8).
	if got := mustBpfctl(t, "xdp", "list", p.A.Name, "-n", ns); got != p.A.Name+"("+itoa(uint32(p.A.Index))+") generic id "+itoa(xdpID)+"\n" {
		t.Errorf("xdp list: %q", got)
	}
	tcOut := mustBpfctl(t, "tc", "list", p.A.Name, "egress", "-n", ns)
	if !strings.Contains(tcOut, "ctl.o:[tx] direct-action id "+itoa(tcID)) {
		t.Errorf("tc list: %q", tcOut)
	}
	if show := tool(t, "ip", "netns", "exec", ns, "tc", "filter", "show", "dev", p.A.Name, "egress"); !strings.Contains(show, "ctl.o:[tx] direct-action") {
		t.Errorf("tc filter show: %q", show)
	}

	// Detach both with bpfctl; the library sees them gone.
	mustBpfctl(t, "-n", ns, "xdp", "detach", p.A.Name)
	st, err := attach.XDPPrograms(attach.ByName(p.A.Name).In(p.A.Netns))
	if err != nil || st.Attached() {
		t.Errorf("after xdp detach: %+v, %v", st, err)
	}
	mustBpfctl(t, "-n", ns, "tc", "detach", p.A.Name, "egress")
	fs, err := attach.TCFilters(attach.ByName(p.A.Name).In(p.A.Netns), attach.Egress)
	if err != nil || len(fs) != 0 {
		t.Errorf("after tc detach: %+v, %v", fs, err)
	}
	_, errOut, code := bpfctl(t, "-n", ns, "xdp", "detach", p.A.Name)
	if code != 1 || !strings.Contains(errOut, "nothing attached") && !strings.Contains(errOut, p.A.Name) {
		t.Errorf("second detach: exit %d, %q", code, errOut)
	}
	_, errOut, code = bpfctl(t, "-n", ns, "xdp", "list", "nosuchdev0")
	if code != 1 || !strings.Contains(errOut, "nosuchdev0") {
		t.Errorf("unknown device: exit %d, %q", code, errOut)
	}
	_, errOut, code = bpfctl(t, "-n", "no-such-ns-bpfctl", "net", "list")
	if code != 1 || !strings.Contains(errOut, "no-such-ns-bpfctl") {
		t.Errorf("unknown namespace: exit %d, %q", code, errOut)
	}
}

// TestLinkAttachments attaches through bpf_link with bpfctl (--pin), and
// detaches by removing the pins.
func TestLinkAttachments(t *testing.T) {
	p := newPair(t)
	ns := p.A.Netns.Name()
	bpffs := privateBPFFS(t)
	obj := filepath.Join(objDir, "layercoop/bpf/layercoop.o")
	var x, c attachedJSON
	unmarshal(t, mustBpfctl(t, "-n", ns, "xdp", "attach", p.A.Name, obj, "--section", "rx", "--pin-maps", bpffs,
		"--pin", filepath.Join(bpffs, "xdplink"), "--json"), &x)
	if x.Method != "link" {
		t.Fatalf("xdp attach: %+v", x)
	}
	tcxOut, errOut, code := bpfctl(t, "-n", ns, "tc", "attach", p.A.Name, "ingress", obj, "--section", "tx", "--pin-maps", bpffs,
		"--pin", filepath.Join(bpffs, "tcxlink"), "--json")
	haveTCX := code == 0
	if haveTCX {
		unmarshal(t, tcxOut, &c)
	} else if !strings.Contains(errOut, "not supported") {
		t.Fatalf("tc attach --pin: %s", errOut)
	}
	var nl []netJSON
	unmarshal(t, mustBpfctl(t, "-n", ns, "net", "list", "--json"), &nl)
	if len(nl[0].XDP) != 1 || nl[0].XDP[0].ID != x.ID {
		t.Errorf("xdp after bpfctl exited: %+v", nl[0].XDP)
	}
	if haveTCX && (len(nl[0].TC) != 1 || nl[0].TC[0].ID != c.ID || nl[0].TC[0].Kind != "tcx/ingress") {
		t.Errorf("tcx after bpfctl exited: %+v", nl[0].TC)
	}
	// xdp detach and tc detach also detach links (the pins stay).
	mustBpfctl(t, "-n", ns, "xdp", "detach", p.A.Name)
	mustBpfctl(t, "-n", ns, "tc", "detach", p.A.Name, "ingress")
	for _, pin := range []string{"xdplink", "tcxlink"} {
		if haveTCX || pin == "xdplink" {
			if _, err := os.Stat(filepath.Join(bpffs, pin)); err != nil {
				t.Errorf("pin %s: %v", pin, err)
			}
		}
		os.Remove(filepath.Join(bpffs, pin))
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		unmarshal(t, mustBpfctl(t, "-n", ns, "net", "list", "--json"), &nl)
		if len(nl[0].XDP) == 0 && len(nl[0].TC) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still attached after the pins were removed: %+v", nl)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
