package faultinject_test

import (
	"errors"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/features"
	fi "github.com/purebpf/bpf/internal/faultinject"
	"github.com/purebpf/bpf/internal/sys"
)

func loadReturn(t *testing.T, name string, typ bpf.ProgramType, ret int32) *bpf.Program {
	t.Helper()
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name: name, Type: typ, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, ret), asm.Return()},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prog.Close() })
	return prog
}

var linkCreate = fi.Call{Kind: fi.BPF, Cmd: uint32(sys.LinkCreateCmd)}

// TestSweepAttach fails every request of attach.XDP (each method and
// mode) and attach.TC (filters and tcx, both hooks) on a veth in a
// namespace of its own.
func TestSweepAttach(t *testing.T) {
	testenv := bpftest.RequirePrivileged
	testenv(t)
	p := bpftest.NewVethPair(t, testnet.VethOptions{NoIPv6: true})
	iface := attach.ByName(p.B.Name).In(p.B.Netns)
	e := &env{iface: p.B.Interface(), reset: func() {
		attach.DeleteClsact(iface)
		attach.DetachXDP(iface, attach.DetachXDPOptions{})
	}}
	xdp := loadReturn(t, "sweep_xdp", bpf.XDP, int32(bpf.XDPPass))
	tc := loadReturn(t, "sweep_tc", bpf.SchedCLS, 0)
	want := []string{p.B.Name}

	type xdpCase struct {
		method attach.Method
		mode   attach.XDPMode
	}
	var xdpCases []xdpCase
	for _, mode := range []attach.XDPMode{attach.XDPDefault, attach.XDPGeneric, attach.XDPNative} {
		xdpCases = append(xdpCases, xdpCase{attach.MethodNetlink, mode})
		if features.HaveXDPLink() == nil {
			xdpCases = append(xdpCases, xdpCase{attach.MethodLink, mode})
		}
	}
	xdpCases = append(xdpCases, xdpCase{attach.MethodAuto, attach.XDPGeneric})
	for _, c := range xdpCases {
		name := fmt.Sprintf("attach.XDP %v %v", c.method, c.mode)
		absorb := func(r fi.Rule) bool {
			switch {
			case c.method == attach.MethodAuto && r.Kind == fi.BPF && r.Cmd == linkCreate.Cmd && r.Errno == unix.E2BIG:
				// A link request refused as the kernel refuses unknown
				// link types: Auto falls back to netlink.
				return true
			case c.mode == attach.XDPDefault && r.Kind == fi.Netlink && r.Cmd == unix.RTM_GETLINK && r.N == 2:
				// Asking which mode the kernel chose, after the attach:
				// Mode stays XDPDefault when that fails.
				return true
			}
			return false
		}
		t.Run(name, func(t *testing.T) {
			sweepAbsorb(t, e, name, want, absorb, func() (func(), error) {
				a, err := attach.XDP(iface, xdp, attach.XDPOptions{Method: c.method, Mode: c.mode})
				if err != nil {
					return nil, err
				}
				return func() {
					if err := a.Detach(); err != nil {
						t.Fatal(err)
					}
				}, nil
			})
		})
	}

	methods := []attach.Method{attach.MethodNetlink}
	if features.HaveTCX() == nil {
		methods = append(methods, attach.MethodLink)
	} else {
		t.Logf("tcx not swept: %v", features.HaveTCX())
	}
	for _, hook := range []attach.Hook{attach.Ingress, attach.Egress} {
		for _, m := range methods {
			name := fmt.Sprintf("attach.TC %v %v", hook, m)
			t.Run(name, func(t *testing.T) {
				sweepAbsorb(t, e, name, want, nil, func() (func(), error) {
					a, err := attach.TC(iface, tc, hook, attach.TCOptions{Method: m})
					if err != nil {
						return nil, err
					}
					return func() {
						if err := a.Detach(); err != nil {
							t.Fatal(err)
						}
						if m == attach.MethodNetlink {
							if err := attach.DeleteClsact(iface); err != nil {
								t.Fatal(err)
							}
						}
					}, nil
				})
			})
		}
	}
	// A clsact qdisc that was there before stays when the attach fails.
	if err := attach.EnsureClsact(iface); err != nil {
		t.Fatal(err)
	}
	e.reset = func() {
		attach.DeleteTCFilters(iface, attach.Ingress)
		attach.EnsureClsact(iface)
	}
	name := "attach.TC ingress netlink (clsact present)"
	t.Run(name, func(t *testing.T) {
		sweepAbsorb(t, e, name, want, nil, func() (func(), error) {
			a, err := attach.TC(iface, tc, attach.Ingress, attach.TCOptions{Method: attach.MethodNetlink})
			if err != nil {
				return nil, err
			}
			return func() {
				if err := a.Detach(); err != nil {
					t.Fatal(err)
				}
			}, nil
		})
	})
	if errors.Is(features.HaveXDPLink(), bpf.ErrNotSupported) {
		t.Logf("XDP links not swept: %v", features.HaveXDPLink())
	}
}
