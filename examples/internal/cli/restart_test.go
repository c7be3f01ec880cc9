package cli

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/testnet"
)

func loadXDP(t *testing.T, name string) *bpf.Program {
	t.Helper()
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: name, Type: bpf.XDP, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, int32(bpf.XDPPass)), asm.Return()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prog.Close() })
	return prog
}

func xdpOn(t *testing.T, iface attach.Interface) bpf.ProgramID {
	t.Helper()
	st, err := attach.XDPPrograms(iface)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Programs) > 1 {
		t.Fatalf("%d XDP programs attached", len(st.Programs))
	}
	if len(st.Programs) == 0 {
		return 0
	}
	return st.Programs[0].ProgramID
}

// TestAttachXDPRestart: an example restarted while a stale instance of its
// own program is attached (through netlink, as a killed run or -keep
// leaves it) replaces that program; a program of another name on the same
// hook is left alone and the error names it.
func TestAttachXDPRestart(t *testing.T) {
	bpftest.RequirePrivileged(t)
	pair := bpftest.NewVethPair(t, testnet.VethOptions{NoIPv6: true})
	iface := pair.B.Interface()
	tests := []struct {
		name string
		opts attach.XDPOptions // the restarted run's
	}{
		{"default", attach.XDPOptions{}},
		{"generic", attach.XDPOptions{Mode: attach.XDPGeneric}},
		{"netlink", attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodNetlink}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Someone else's program: left alone.
			other, err := attach.XDP(iface, loadXDP(t, "other"), attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodNetlink})
			if err != nil {
				t.Fatal(err)
			}
			otherID := xdpOn(t, iface)
			var out bytes.Buffer
			_, err = AttachXDP(&out, iface, loadXDP(t, "example"), tt.opts)
			if !errors.Is(err, attach.ErrExists) || !strings.Contains(err.Error(), "program "+strconv.FormatUint(uint64(otherID), 10)) {
				t.Fatalf("restart over another program: %v, want ErrExists naming program %d", err, otherID)
			}
			if got := xdpOn(t, iface); got != otherID {
				t.Fatalf("the other program %d was replaced by %d", otherID, got)
			}
			if err := other.Close(); err != nil {
				t.Fatal(err)
			}

			// A stale instance of the example's own program: replaced.
			stale, err := attach.XDP(iface, loadXDP(t, "example"), attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodNetlink})
			if err != nil {
				t.Fatal(err)
			}
			if err := stale.Release(); err != nil {
				t.Fatal(err)
			}
			staleID := xdpOn(t, iface)
			fresh := loadXDP(t, "example")
			att, err := AttachXDP(&out, iface, fresh, tt.opts)
			if err != nil {
				t.Fatalf("restart over its own stale program: %v", err)
			}
			freshID := att.ProgramID()
			if got := xdpOn(t, iface); got != freshID || freshID == staleID {
				t.Fatalf("after the restart program %d is attached, want the new %d (stale was %d)", got, freshID, staleID)
			}
			if !strings.Contains(out.String(), "Replaced the stale example (program id "+strconv.FormatUint(uint64(staleID), 10)+")") {
				t.Errorf("output does not say what was replaced:\n%s", out.String())
			}
			if err := att.Close(); err != nil {
				t.Fatal(err)
			}
			if got := xdpOn(t, iface); got != 0 {
				t.Fatalf("program %d still attached after Close", got)
			}
		})
	}
}
