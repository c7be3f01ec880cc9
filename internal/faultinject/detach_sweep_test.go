package faultinject_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/features"
	fi "github.com/purebpf/bpf/internal/faultinject"
)

// TestSweepDetach fails every request that Detach and Close make, for
// each kind of attachment (XDP through netlink and through a link, tc
// filters and tcx): the error wraps the errno and names the request, the
// program stays attached (the attachment is intact), and a second Detach,
// without faults, removes it and leaves nothing behind. ENODEV from the
// XDP detach request means that the interface is gone: the attachment
// ends (ErrVanished).
func TestSweepDetach(t *testing.T) {
	bpftest.RequirePrivileged(t)
	p := bpftest.NewVethPair(t, testnet.VethOptions{NoIPv6: true})
	iface := attach.ByName(p.B.Name).In(p.B.Netns)
	e := &env{iface: p.B.Interface(), reset: func() {
		attach.DeleteClsact(iface)
		attach.DetachXDP(iface, attach.DetachXDPOptions{})
	}}
	xdp := loadReturn(t, "sweep_xdp", bpf.XDP, int32(bpf.XDPPass))
	tc := loadReturn(t, "sweep_tc", bpf.SchedCLS, 0)

	type kind struct {
		name   string
		attach func() (attach.Attachment, error)
		// attached reports whether the program is still on its hook.
		attached func() bool
	}
	xdpOn := func() bool {
		st, err := attach.XDPPrograms(iface)
		if err != nil {
			t.Fatal(err)
		}
		return len(st.Programs) > 0
	}
	tcOn := func(m attach.Method) func() bool {
		return func() bool {
			if m == attach.MethodLink {
				ps, err := attach.TCXPrograms(iface, attach.Ingress)
				if err != nil {
					t.Fatal(err)
				}
				return len(ps) > 0
			}
			fs, err := attach.TCFilters(iface, attach.Ingress)
			if err != nil {
				// No clsact qdisc left: no filter either.
				t.Logf("tc filters: %v", err)
				return false
			}
			return len(fs) > 0
		}
	}
	kinds := []kind{{"XDP netlink", func() (attach.Attachment, error) {
		return attach.XDP(iface, xdp, attach.XDPOptions{Method: attach.MethodNetlink, Mode: attach.XDPGeneric})
	}, xdpOn}}
	if err := features.HaveXDPLink(); err == nil {
		kinds = append(kinds, kind{"XDP link", func() (attach.Attachment, error) {
			return attach.XDP(iface, xdp, attach.XDPOptions{Method: attach.MethodLink, Mode: attach.XDPGeneric})
		}, xdpOn})
	} else {
		t.Logf("XDP links not swept: %v", err)
	}
	kinds = append(kinds, kind{"tc netlink", func() (attach.Attachment, error) {
		return attach.TC(iface, tc, attach.Ingress, attach.TCOptions{Method: attach.MethodNetlink})
	}, tcOn(attach.MethodNetlink)})
	if err := features.HaveTCX(); err == nil {
		kinds = append(kinds, kind{"tcx", func() (attach.Attachment, error) {
			return attach.TC(iface, tc, attach.Ingress, attach.TCOptions{Method: attach.MethodLink})
		}, tcOn(attach.MethodLink)})
	} else {
		t.Logf("tcx not swept: %v", err)
	}

	for _, k := range kinds {
		for _, end := range []string{"Detach", "Close"} {
			name := k.name + " " + end
			t.Run(name, func(t *testing.T) {
				do := func(a attach.Attachment) error {
					if end == "Close" {
						return a.Close()
					}
					return a.Detach()
				}
				mustAttach := func() attach.Attachment {
					t.Helper()
					a, err := k.attach()
					if err != nil {
						t.Fatalf("%s: attach: %v", name, err)
					}
					return a
				}
				// Settle the process caches, then record the requests.
				if err := do(mustAttach()); err != nil {
					t.Fatalf("%s without faults: %v", name, err)
				}
				base := e.snapshot(t)
				a := mustAttach()
				plan := fi.Arm()
				err := do(a)
				fi.Disarm()
				if err != nil {
					t.Fatalf("%s without faults (recording): %v", name, err)
				}
				calls := plan.Calls()
				if d := base.diff(e.snapshot(t)); d != "" {
					t.Fatalf("%s without faults leaves: %s", name, d)
				}
				if len(calls) == 0 && end == "Detach" {
					t.Fatalf("%s made no request", name)
				}
				for _, errno := range errnos {
					for _, r := range fi.Points(calls, errno) {
						step := stepName(fi.Call{Kind: r.Kind, Cmd: r.Cmd})
						where := fmt.Sprintf("%s, %s #%d failing with %v", name, step, r.N, errno)
						a := mustAttach()
						plan := fi.Arm(r)
						err := do(a)
						fi.Disarm()
						if len(plan.Fired()) == 0 {
							if err := do(a); err != nil {
								t.Fatalf("%s: %v", where, err)
							}
							continue
						}
						sweepStats.injected++
						if errno == unix.ENODEV && k.name == "XDP netlink" {
							// The kernel's answer when the interface is
							// gone: the attachment ends (ErrVanished;
							// Close says nothing). Here the interface is
							// still there: remove what stays by hand.
							if !(err == nil && end == "Close") && !errors.Is(err, attach.ErrVanished) {
								t.Errorf("%s: %s: %v, want an error matching ErrVanished", where, end, err)
							}
							if err := do(a); err != nil && !errors.Is(err, bpf.ErrClosed) {
								t.Errorf("%s: %s after the interface vanished: %v, want nothing or ErrClosed", where, end, err)
							}
							sweepStats.absorbed++
							e.reset()
							base = e.snapshot(t)
							continue
						}
						if err == nil {
							t.Errorf("%s: %s succeeded: the failure was ignored", where, end)
							continue
						}
						sweepStats.failed++
						if !errors.Is(err, errno) {
							t.Errorf("%s: error does not match the errno: %v", where, err)
						}
						if !strings.Contains(err.Error(), step) {
							t.Errorf("%s: error does not name the step %s: %v", where, step, err)
						}
						if !k.attached() {
							t.Errorf("%s: the program is gone although %s failed", where, end)
						}
						if err := do(a); err != nil {
							t.Errorf("%s: %s again, without faults: %v", where, end, err)
						}
						if d := base.diff(e.snapshot(t)); d != "" {
							t.Errorf("%s: left behind: %s", where, d)
							e.reset()
							base = e.snapshot(t)
						}
					}
				}
			})
		}
	}
}
