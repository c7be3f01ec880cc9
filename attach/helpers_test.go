package attach_test

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest"
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
func flows(t testing.TB, p *bpftest.VethPair) (ping, tcp bool) {
	t.Helper()
	rep, err := bpftest.Ping(p.A.NS, p.B.Addr(), bpftest.PingOptions{Count: 3, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("ping: %v", err)
	}
	trep, err := bpftest.TCPTransfer(p.A.NS, p.B.NS, p.B.Addr(), bpftest.TCPOptions{Bytes: 16 << 10, Timeout: 1500 * time.Millisecond})
	return rep.Received == rep.Sent && rep.Sent == 3, err == nil && trep.Received == trep.Sent
}

func wantFlows(t testing.TB, p *bpftest.VethPair, want bool, when string) {
	t.Helper()
	if want {
		// A warm-up echo, which may be lost while the neighbour entry
		// starved by a dropping program is resolved again.
		if _, err := bpftest.Ping(p.A.NS, p.B.Addr(), bpftest.PingOptions{Count: 1, Timeout: 2 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	ping, tcp := flows(t, p)
	if ping != want || tcp != want {
		t.Fatalf("%s: ping ok=%v, tcp ok=%v; want traffic flowing=%v", when, ping, tcp, want)
	}
}

func newPair(t *testing.T) *bpftest.VethPair {
	t.Helper()
	bpftest.RequirePrivileged(t)
	return bpftest.NewVethPair(t, bpftest.WithIPv6(netip.Prefix{}, netip.Prefix{}))
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
