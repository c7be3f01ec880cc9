package bpf_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/testenv"
)

// TestProgramIfindex: ProgramOptions.Ifindex reaches the kernel
// (prog_ifindex). A device-bound XDP program loaded for one end of a veth
// pair attaches there and is refused by the other end; an offloaded one is
// refused at load (veth has no BPF offload) with an error that names the
// ifindex.
func TestProgramIfindex(t *testing.T) {
	testenv.RequirePrivileged(t)
	ns := bpftest.NewNamespace(t)
	pair := bpftest.NewVethPair(t, testnet.VethOptions{NameA: "bound0", NameB: "bound1", NetnsA: ns, NetnsB: ns, NoIPv4: true, NoIPv6: true})
	dev := pair.A.Index
	want := "ifindex " + strconv.Itoa(dev)

	t.Run("device-bound", func(t *testing.T) {
		if v, err := kernel.RunningVersion(); err == nil && v.Less(kernel.V(6, 3, 0)) {
			t.Skipf("device-bound XDP programs (BPF_F_XDP_DEV_BOUND_ONLY) need Linux 6.3, running %v", v)
		}
		spec := xdpReturn(bpf.XDPPass)
		spec.Flags = bpf.XDPDevBoundOnly
		var prog *bpf.Program
		if err := ns.Do(func() (err error) {
			prog, err = bpf.NewProgramWithOptions(spec, bpf.ProgramOptions{Ifindex: dev})
			return err
		}); err != nil {
			t.Fatalf("load bound to %s: %v", want, err)
		}
		defer prog.Close()
		opts := attach.XDPOptions{Mode: attach.XDPNative, Method: attach.MethodNetlink}
		if a, err := attach.XDP(attach.ByName("bound1").In(ns), prog, opts); err == nil {
			a.Close()
			t.Fatal("a program bound to bound0 attached to bound1")
		}
		a, err := attach.XDP(attach.ByName("bound0").In(ns), prog, opts)
		if err != nil {
			t.Fatalf("attach to the device the program is bound to: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("offload", func(t *testing.T) {
		var err error
		ns.Do(func() error {
			var prog *bpf.Program
			prog, err = bpf.NewProgramWithOptions(xdpReturn(bpf.XDPPass), bpf.ProgramOptions{Ifindex: dev})
			if err == nil {
				prog.Close()
			}
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("offload to a veth: %v, want an error naming %s", err, want)
		}
		t.Log(err)
	})
}
