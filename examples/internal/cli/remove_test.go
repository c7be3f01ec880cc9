package cli

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/internal/testenv"
)

// TestRemoveXDPCommandRemoves attaches a program the way -keep leaves it
// (netlink, released) to veth1 of one namespace, and the same to a decoy
// veth1 in another namespace standing for "the host". It runs the command
// RemoveXDPCommand prints from inside the decoy's namespace (as a shell
// on the host would run it), then checks that the program of -n is gone
// and the decoy's is still attached.
func TestRemoveXDPCommandRemoves(t *testing.T) {
	bpftest.RequirePrivileged(t)
	testenv.RequireTool(t, "ip")
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "xdp_pass", Type: bpf.XDP, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, int32(bpf.XDPPass)), asm.Return()}})
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	for _, c := range []struct {
		mode attach.XDPMode
		want string
	}{
		{attach.XDPGeneric, "xdpgeneric off"},
		{attach.XDPNative, "xdpdrv off"},
	} {
		t.Run(c.mode.String(), func(t *testing.T) {
			target := bpftest.NewVethPair(t, testnet.VethOptions{})
			decoy := bpftest.NewVethPair(t, testnet.VethOptions{})
			if target.B.Name != decoy.B.Name {
				t.Fatalf("want the same interface name in both namespaces, have %s and %s", target.B.Name, decoy.B.Name)
			}
			for _, ep := range []*testnet.Endpoint{target.B, decoy.B} {
				att, err := attach.XDP(ep.Interface(), prog, attach.XDPOptions{Mode: c.mode, Method: attach.MethodNetlink})
				if err != nil {
					t.Fatal(err)
				}
				if err := att.Release(); err != nil {
					t.Fatal(err)
				}
			}
			flags := Flags{Dev: target.B.Name, Netns: target.B.Netns.Name()}
			cmd := flags.RemoveXDPCommand(c.mode)
			wantPrefix := "ip -n " + target.B.Netns.Name() + " link set dev " + target.B.Name + " "
			if !strings.HasPrefix(cmd, wantPrefix) || !strings.HasSuffix(cmd, c.want) {
				t.Fatalf("RemoveXDPCommand = %q, want %q...%q", cmd, wantPrefix, c.want)
			}
			args := append([]string{"netns", "exec", decoy.B.Netns.Name()}, strings.Fields(cmd)...)
			if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", cmd, err, out)
			}
			if st, err := attach.XDPPrograms(target.B.Interface()); err != nil || st.Attached() {
				t.Errorf("after %q the program is still attached: %+v, %v", cmd, st, err)
			}
			if st, err := attach.XDPPrograms(decoy.B.Interface()); err != nil || st.ProgramID(c.mode) == 0 {
				t.Errorf("%q removed the decoy's program in the namespace it ran in: %+v, %v", cmd, st, err)
			}
			attach.DetachXDP(decoy.B.Interface(), attach.DetachXDPOptions{Mode: c.mode})
		})
	}

	// Without -n the command names the interface of the current
	// namespace, where the program is.
	flags := Flags{Dev: "eth1"}
	if got, want := flags.RemoveXDPCommand(attach.XDPDefault), "ip link set dev eth1 xdp off"; got != want {
		t.Errorf("RemoveXDPCommand = %q, want %q", got, want)
	}
}
