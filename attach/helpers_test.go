package attach_test

import (
	"errors"
	"testing"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/features"
)

// loadReturn loads a program of type typ that returns ret.
func loadReturn(t testing.TB, name string, typ bpf.ProgramType, ret int32) *bpf.Program {
	t.Helper()
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name:    name,
		Type:    typ,
		License: "GPL",
		Instructions: asm.Instructions{
			asm.Mov.Imm(asm.R0, ret),
			asm.Return(),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prog.Close() })
	return prog
}

func dropworld(t testing.TB) *bpf.Program {
	return loadReturn(t, "dropworld", bpf.XDP, int32(bpf.XDPDrop))
}

func xdpPass(t testing.TB) *bpf.Program {
	return loadReturn(t, "xdppass", bpf.XDP, int32(bpf.XDPPass))
}

func progID(t testing.TB, p *bpf.Program) bpf.ProgramID {
	t.Helper()
	info, err := p.Info()
	if err != nil {
		t.Fatal(err)
	}
	return info.ID
}

// flows reports whether a bounded ICMP echo exchange and a small TCP
// transfer from A to B get through.
func flows(t testing.TB, p *testnet.VethPair) (ping, tcp bool) {
	t.Helper()
	rep, err := testnet.Ping(p.A.Netns, p.B.Addr(), testnet.PingOptions{Count: 3, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("ping: %v", err)
	}
	trep, err := testnet.TCPTransfer(p.A.Netns, p.B.Netns, p.B.Addr(), testnet.TCPOptions{Bytes: 16 << 10, Timeout: 1500 * time.Millisecond})
	return rep.Received == rep.Sent && rep.Sent == 3, err == nil && trep.Received == trep.Sent
}

func wantFlows(t testing.TB, p *testnet.VethPair, want bool, when string) {
	t.Helper()
	if want {
		// A warm-up echo, which may be lost while the neighbour entry
		// starved by a dropping program is resolved again.
		if _, err := testnet.Ping(p.A.Netns, p.B.Addr(), testnet.PingOptions{Count: 1, Timeout: 2 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	ping, tcp := flows(t, p)
	if ping != want || tcp != want {
		t.Fatalf("%s: ping ok=%v, tcp ok=%v; want traffic flowing=%v", when, ping, tcp, want)
	}
}

func newPair(t *testing.T) *testnet.VethPair {
	t.Helper()
	bpftest.RequirePrivileged(t)
	return bpftest.NewVethPair(t, testnet.VethOptions{NoIPv6: true})
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// autoXDPMethod is what Method Auto must choose for XDP on this kernel: a
// bpf_link where features says the kernel has XDP links (5.9+), netlink
// otherwise.
func autoXDPMethod(t testing.TB) attach.Method {
	t.Helper()
	return autoMethod(t, features.HaveXDPLink())
}

// autoTCMethod is what Method Auto must choose for tc on this kernel: a
// tcx link where features says the kernel has tcx (6.6+), a cls_bpf filter
// otherwise.
func autoTCMethod(t testing.TB) attach.Method {
	t.Helper()
	return autoMethod(t, features.HaveTCX())
}

func autoMethod(t testing.TB, probe error) attach.Method {
	t.Helper()
	switch {
	case probe == nil:
		return attach.MethodLink
	case errors.Is(probe, bpf.ErrNotSupported):
		return attach.MethodNetlink
	}
	t.Fatalf("feature probe failed: %v", probe)
	return 0
}
