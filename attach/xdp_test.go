package attach_test

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/netns"
)

func TestXDPDropworld(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   attach.XDPMode
		method attach.Method
		want   attach.XDPMode
	}{
		{"netlink/generic", attach.Generic, attach.Netlink, attach.Generic},
		{"netlink/native", attach.Native, attach.Netlink, attach.Native},
		{"netlink/default", attach.DefaultMode, attach.Netlink, attach.Native}, // veth has native XDP
		{"link/generic", attach.Generic, attach.Link, attach.Generic},
		{"link/native", attach.Native, attach.Link, attach.Native},
		{"auto/generic", attach.Generic, attach.Auto, attach.Generic},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			if tc.method == attach.Link {
				testenv.SkipUnsupported(t, features.HaveXDPLink())
			}
			prog := dropworld(t)
			id := progID(t, prog)

			wantFlows(t, p, true, "before attach")
			att, err := attach.XDP(p.B.Name, prog, attach.XDPOptions{Mode: tc.mode, Method: tc.method, Netns: p.B.NS})
			if err != nil {
				t.Fatal(err)
			}
			defer att.Close()
			wantMethod := tc.method
			if wantMethod == attach.Auto {
				wantMethod = autoXDPMethod(t)
			}
			if att.Method() != wantMethod || att.Mode() != tc.want || att.ProgramID() != id || att.Interface().Index != p.B.Index {
				t.Fatalf("attachment: method %v mode %v prog %d iface %v; want %v %v %d %d",
					att.Method(), att.Mode(), att.ProgramID(), att.Interface(), wantMethod, tc.want, id, p.B.Index)
			}
			st, err := attach.QueryXDP(p.B.Index, p.B.NS)
			if err != nil {
				t.Fatal(err)
			}
			if st.ID(tc.want) != id || st.Mode() != tc.want || len(st.Programs) != 1 {
				t.Fatalf("query while attached: %+v, want id %d in %v mode", st, id, tc.want)
			}
			wantFlows(t, p, false, "dropworld attached")

			if err := att.Close(); err != nil {
				t.Fatal(err)
			}
			st, err = attach.QueryXDP(p.B.Name, p.B.NS)
			if err != nil {
				t.Fatal(err)
			}
			if st.Attached() {
				t.Fatalf("query after Close: %+v, want nothing attached", st)
			}
			wantFlows(t, p, true, "after detach")
			if err := att.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
		})
	}
}

func TestXDPReplaceSemantics(t *testing.T) {
	p := newPair(t)
	ns := p.B.NS
	first, second, third := dropworld(t), xdpPass(t), xdpPass(t)
	opts := attach.XDPOptions{Mode: attach.Generic, Method: attach.Netlink, Netns: ns}

	a1, err := attach.XDP(p.B.Name, first, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a1.Close()

	// A second attach without Replace fails and leaves the first in place.
	_, err = attach.XDP(p.B.Name, second, opts)
	if !errors.Is(err, unix.EBUSY) {
		t.Fatalf("second attach without Replace: %v, want EBUSY", err)
	}
	if !strings.Contains(err.Error(), "already attached") || !strings.Contains(err.Error(), p.B.Name) || !strings.Contains(err.Error(), ns.String()) {
		t.Errorf("error lacks the kernel's text, interface or namespace: %v", err)
	}
	assertXDP(t, p.B.Name, ns, attach.Generic, progID(t, first))

	// Link-based attach cannot take over either.
	if _, err := attach.XDP(p.B.Name, second, attach.XDPOptions{Mode: attach.Generic, Method: attach.Link, Netns: ns}); !errors.Is(err, unix.EBUSY) {
		t.Fatalf("link attach over a netlink program: %v, want EBUSY", err)
	}

	// Atomic replace with the wrong expected program fails.
	_, err = attach.XDP(p.B.Name, second, attach.XDPOptions{Mode: attach.Generic, Method: attach.Netlink, Netns: ns, ExpectedProgram: third})
	if !errors.Is(err, unix.EEXIST) {
		t.Fatalf("replace with wrong expected program: %v, want EEXIST", err)
	}
	assertXDP(t, p.B.Name, ns, attach.Generic, progID(t, first))

	// Atomic replace with the right one swaps.
	a2, err := attach.XDP(p.B.Name, second, attach.XDPOptions{Mode: attach.Generic, Method: attach.Netlink, Netns: ns, ExpectedProgram: first})
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()
	assertXDP(t, p.B.Name, ns, attach.Generic, progID(t, second))

	// Replace (ip's -force) swaps whatever is there.
	o := opts
	o.Replace = true
	a3, err := attach.XDP(p.B.Index, third, o)
	if err != nil {
		t.Fatal(err)
	}
	defer a3.Close()
	assertXDP(t, p.B.Name, ns, attach.Generic, progID(t, third))

	// Closing attachments whose program was replaced leaves the current
	// one in place; Detach says why it did nothing.
	if err := a2.Detach(); !errors.Is(err, attach.ErrVanished) {
		t.Fatalf("Detach of a replaced attachment: %v, want ErrVanished", err)
	}
	if err := a1.Close(); err != nil {
		t.Fatalf("Close of a replaced attachment: %v", err)
	}
	assertXDP(t, p.B.Name, ns, attach.Generic, progID(t, third))

	// Update swaps atomically from the attachment.
	if err := a3.Update(first); err != nil {
		t.Fatal(err)
	}
	assertXDP(t, p.B.Name, ns, attach.Generic, progID(t, first))
	if err := a3.Close(); err != nil {
		t.Fatal(err)
	}
	assertXDP(t, p.B.Name, ns, attach.DefaultMode, 0)
}

func TestXDPModeClash(t *testing.T) {
	p := newPair(t)
	a, err := attach.XDP(p.B.Name, dropworld(t), attach.XDPOptions{Mode: attach.Generic, Method: attach.Netlink, Netns: p.B.NS})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, err = attach.XDP(p.B.Name, xdpPass(t), attach.XDPOptions{Mode: attach.Native, Method: attach.Netlink, Netns: p.B.NS})
	if !errors.Is(err, unix.EEXIST) {
		t.Fatalf("native over generic: %v, want EEXIST", err)
	}
	var ae *attach.Error
	if !errors.As(err, &ae) || !strings.Contains(ae.Message, "Native and generic XDP can't be active at the same time") {
		t.Fatalf("error does not carry the kernel's extended ack: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"attach XDP to", p.B.Name, "(ifindex ", "in netns " + p.B.NS.String(), "(netlink: Native and generic", "file exists"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}

func TestXDPErrors(t *testing.T) {
	p := newPair(t)
	cls := loadReturn(t, "cls", bpf.SchedCLS, 0)
	for _, tc := range []struct {
		name  string
		iface any
		prog  *bpf.Program
		opts  attach.XDPOptions
		want  error
	}{
		{"missing interface", "nosuch0", dropworld(t), attach.XDPOptions{Netns: p.B.NS}, attach.ErrNoInterface},
		{"missing index", 9999, dropworld(t), attach.XDPOptions{Netns: p.B.NS}, attach.ErrNoInterface},
		{"interface of the other namespace", p.A.Name, dropworld(t), attach.XDPOptions{Netns: p.B.NS}, attach.ErrNoInterface},
		{"wrong program type", p.B.Name, cls, attach.XDPOptions{Netns: p.B.NS}, attach.ErrProgramType},
		{"offload on veth", p.B.Name, dropworld(t), attach.XDPOptions{Mode: attach.Offload, Method: attach.Netlink, Netns: p.B.NS}, attach.ErrModeNotSupported},
		{"native on loopback", "lo", dropworld(t), attach.XDPOptions{Mode: attach.Native, Method: attach.Netlink, Netns: p.B.NS}, attach.ErrModeNotSupported},
		{"native link on loopback", "lo", dropworld(t), attach.XDPOptions{Mode: attach.Native, Method: attach.Link, Netns: p.B.NS}, attach.ErrModeNotSupported},
		{"nil program", p.B.Name, nil, attach.XDPOptions{Netns: p.B.NS}, attach.ErrProgramType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			switch i := tc.iface.(type) {
			case string:
				_, err = attach.XDP(i, tc.prog, tc.opts)
			case int:
				_, err = attach.XDP(i, tc.prog, tc.opts)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			t.Log(err)
		})
	}
	st, err := attach.QueryXDP(p.B.Name, p.B.NS)
	if err != nil || st.Attached() {
		t.Fatalf("failed attaches left something: %+v %v", st, err)
	}
}

func assertXDP(t *testing.T, iface string, n *netns.NetNS, mode attach.XDPMode, id uint32) {
	t.Helper()

	st, err := attach.QueryXDP(iface, n)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.ID(mode); got != id {
		t.Fatalf("%s: program in %v mode is %d, want %d (%+v)", iface, mode, got, id, st)
	}
}
