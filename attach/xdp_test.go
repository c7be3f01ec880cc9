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
		{"netlink/generic", attach.XDPGeneric, attach.MethodNetlink, attach.XDPGeneric},
		{"netlink/native", attach.XDPNative, attach.MethodNetlink, attach.XDPNative},
		{"netlink/default", attach.XDPDefault, attach.MethodNetlink, attach.XDPNative}, // veth has native XDP
		{"link/generic", attach.XDPGeneric, attach.MethodLink, attach.XDPGeneric},
		{"link/native", attach.XDPNative, attach.MethodLink, attach.XDPNative},
		{"auto/generic", attach.XDPGeneric, attach.MethodAuto, attach.XDPGeneric},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			if tc.method == attach.MethodLink {
				testenv.SkipUnsupported(t, features.HaveXDPLink())
			}
			prog := dropworld(t)
			id := progID(t, prog)

			wantFlows(t, p, true, "before attach")
			att, err := attach.XDP(attach.ByName(p.B.Name).In(p.B.Netns), prog, attach.XDPOptions{Mode: tc.mode, Method: tc.method})
			if err != nil {
				t.Fatal(err)
			}
			defer att.Close()
			wantMethod := tc.method
			if wantMethod == attach.MethodAuto {
				wantMethod = autoXDPMethod(t)
			}
			if att.Method() != wantMethod || att.Mode() != tc.want || att.ProgramID() != id || att.Interface().Index != p.B.Index {
				t.Fatalf("attachment: method %v mode %v prog %d iface %v; want %v %v %d %d",
					att.Method(), att.Mode(), att.ProgramID(), att.Interface(), wantMethod, tc.want, id, p.B.Index)
			}
			st, err := attach.XDPPrograms(attach.ByIndex(p.B.Index).In(p.B.Netns))
			if err != nil {
				t.Fatal(err)
			}
			if st.ProgramID(tc.want) != id || st.Mode() != tc.want || len(st.Programs) != 1 {
				t.Fatalf("query while attached: %+v, want id %d in %v mode", st, id, tc.want)
			}
			wantFlows(t, p, false, "dropworld attached")

			if err := att.Close(); err != nil {
				t.Fatal(err)
			}
			st, err = attach.XDPPrograms(attach.ByName(p.B.Name).In(p.B.Netns))
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
	ns := p.B.Netns
	first, second, third := dropworld(t), xdpPass(t), xdpPass(t)
	opts := attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodNetlink}

	a1, err := attach.XDP(attach.ByName(p.B.Name).In(ns), first, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a1.Close()

	// A second attach without Replace fails and leaves the first in place.
	_, err = attach.XDP(attach.ByName(p.B.Name).In(ns), second, opts)
	if !errors.Is(err, unix.EBUSY) {
		t.Fatalf("second attach without Replace: %v, want EBUSY", err)
	}
	if !strings.Contains(err.Error(), "already attached") || !strings.Contains(err.Error(), p.B.Name) || !strings.Contains(err.Error(), ns.String()) {
		t.Errorf("error lacks the kernel's text, interface or namespace: %v", err)
	}
	assertXDP(t, p.B.Name, ns, attach.XDPGeneric, progID(t, first))

	// Link-based attach cannot take over either.
	if _, err := attach.XDP(attach.ByName(p.B.Name).In(ns), second, attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodLink}); !errors.Is(err, unix.EBUSY) {
		t.Fatalf("link attach over a netlink program: %v, want EBUSY", err)
	}

	// Atomic replace with the wrong expected program fails.
	_, err = attach.XDP(attach.ByName(p.B.Name).In(ns), second, attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodNetlink, ExpectedProgram: progID(t, third)})
	if !errors.Is(err, unix.EEXIST) {
		t.Fatalf("replace with wrong expected program: %v, want EEXIST", err)
	}
	assertXDP(t, p.B.Name, ns, attach.XDPGeneric, progID(t, first))
	// An expected id that no loaded program has is a vanished expectation.
	_, err = attach.XDP(attach.ByName(p.B.Name).In(ns), second, attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodNetlink, ExpectedProgram: 0x7fffffff})
	if !errors.Is(err, attach.ErrVanished) {
		t.Fatalf("replace expecting a program that does not exist: %v, want ErrVanished", err)
	}
	assertXDP(t, p.B.Name, ns, attach.XDPGeneric, progID(t, first))

	// Atomic replace with the right one swaps.
	a2, err := attach.XDP(attach.ByName(p.B.Name).In(ns), second, attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodNetlink, ExpectedProgram: progID(t, first)})
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()
	assertXDP(t, p.B.Name, ns, attach.XDPGeneric, progID(t, second))

	// Replace (ip's -force) swaps whatever is there.
	o := opts
	o.Replace = true
	a3, err := attach.XDP(attach.ByIndex(p.B.Index).In(ns), third, o)
	if err != nil {
		t.Fatal(err)
	}
	defer a3.Close()
	assertXDP(t, p.B.Name, ns, attach.XDPGeneric, progID(t, third))

	// Closing attachments whose program was replaced leaves the current
	// one in place; Detach says why it did nothing.
	if err := a2.Detach(); !errors.Is(err, attach.ErrVanished) {
		t.Fatalf("Detach of a replaced attachment: %v, want ErrVanished", err)
	}
	if err := a1.Close(); err != nil {
		t.Fatalf("Close of a replaced attachment: %v", err)
	}
	assertXDP(t, p.B.Name, ns, attach.XDPGeneric, progID(t, third))

	// Update swaps atomically from the attachment.
	if err := a3.Update(first); err != nil {
		t.Fatal(err)
	}
	assertXDP(t, p.B.Name, ns, attach.XDPGeneric, progID(t, first))
	if err := a3.Close(); err != nil {
		t.Fatal(err)
	}
	assertXDP(t, p.B.Name, ns, attach.XDPDefault, 0)
}

func TestXDPModeClash(t *testing.T) {
	p := newPair(t)
	a, err := attach.XDP(attach.ByName(p.B.Name).In(p.B.Netns), dropworld(t), attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodNetlink})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, err = attach.XDP(attach.ByName(p.B.Name).In(p.B.Netns), xdpPass(t), attach.XDPOptions{Mode: attach.XDPNative, Method: attach.MethodNetlink})
	if !errors.Is(err, unix.EEXIST) {
		t.Fatalf("native over generic: %v, want EEXIST", err)
	}
	var ae *attach.Error
	if !errors.As(err, &ae) || !strings.Contains(ae.Message, "Native and generic XDP can't be active at the same time") {
		t.Fatalf("error does not carry the kernel's extended ack: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"attach XDP to", p.B.Name, "(ifindex ", "in netns " + p.B.Netns.String(), "(netlink: Native and generic", "file exists"} {
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
		iface attach.Interface
		prog  *bpf.Program
		opts  attach.XDPOptions
		want  error
	}{
		{"missing interface", attach.ByName("nosuch0"), dropworld(t), attach.XDPOptions{}, attach.ErrNoInterface},
		{"missing index", attach.ByIndex(9999), dropworld(t), attach.XDPOptions{}, attach.ErrNoInterface},
		{"interface of the other namespace", attach.ByName(p.A.Name), dropworld(t), attach.XDPOptions{}, attach.ErrNoInterface},
		{"wrong program type", attach.ByName(p.B.Name), cls, attach.XDPOptions{}, attach.ErrProgramType},
		{"offload on veth", attach.ByName(p.B.Name), dropworld(t), attach.XDPOptions{Mode: attach.XDPOffload, Method: attach.MethodNetlink}, attach.ErrModeNotSupported},
		{"native on loopback", attach.ByName("lo"), dropworld(t), attach.XDPOptions{Mode: attach.XDPNative, Method: attach.MethodNetlink}, attach.ErrModeNotSupported},
		{"native link on loopback", attach.ByName("lo"), dropworld(t), attach.XDPOptions{Mode: attach.XDPNative, Method: attach.MethodLink}, attach.ErrModeNotSupported},
		{"nil program", attach.ByName(p.B.Name), nil, attach.XDPOptions{}, attach.ErrProgramType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := attach.XDP(tc.iface.In(p.B.Netns), tc.prog, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			t.Log(err)
		})
	}
	st, err := attach.XDPPrograms(attach.ByName(p.B.Name).In(p.B.Netns))
	if err != nil || st.Attached() {
		t.Fatalf("failed attaches left something: %+v %v", st, err)
	}
}

func assertXDP(t *testing.T, iface string, n *netns.NetNS, mode attach.XDPMode, id bpf.ProgramID) {
	t.Helper()

	st, err := attach.XDPPrograms(attach.ByName(iface).In(n))
	if err != nil {
		t.Fatal(err)
	}
	if got := st.ProgramID(mode); got != id {
		t.Fatalf("%s: program in %v mode is %d, want %d (%+v)", iface, mode, got, id, st)
	}
}
