package main

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest/packet"
	"github.com/purebpf/bpf/examples/internal/cli"
)

// testFrames are the frames the demo feeds the program.
func testFrames() []struct {
	name  string
	frame []byte
} {
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	return []struct {
		name  string
		frame []byte
	}{
		{"ICMP echo request", packet.ICMPEchoV4(a, b, 1, 1, []byte("ping"))},
		{"TCP SYN to port 80", packet.TCPv4(netip.AddrPortFrom(a, 40000), netip.AddrPortFrom(b, 80), packet.SYN)},
		{"UDP datagram to port 53", packet.UDPv4(netip.AddrPortFrom(a, 40000), netip.AddrPortFrom(b, 53), []byte("query"))},
		{"ARP request", packet.ARPRequest(packet.DefaultSrcMAC(), a, b)},
	}
}

// runDemo loads dropworld, runs it on test frames, then sends real traffic
// between two private namespaces before, while and after it is attached.
func runDemo(w io.Writer, pass bool, flags cli.Flags) error {
	spec, err := programSpec(flags, pass)
	if err != nil {
		return err
	}
	prog, err := bpf.NewProgram(spec)
	if err != nil {
		return err
	}
	defer prog.Close()
	info, err := prog.Info()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Loaded %s (%s build): an XDP program of %d instructions that returns %s for every packet.\n",
		spec.Name, flags.BuildName(), spec.Instructions.RawLen(), verdict(pass))
	fmt.Fprintf(w, "  id %d, tag %s, %d instructions verified\n%s\n", info.ID, info.Tag, info.VerifiedInstructions, indent(spec.Instructions.String()))

	fmt.Fprintln(w, "Step 1: the kernel runs it on test frames (BPF_PROG_TEST_RUN):")
	for _, f := range testFrames() {
		res, err := prog.Run(bpf.RunOptions{Data: f.frame})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-26s -> %s\n", f.name, bpf.XDPAction(res.ReturnValue))
	}

	fmt.Fprintln(w, "\nStep 2: real traffic.")
	net, err := cli.NewNetwork(w)
	if err != nil {
		return err
	}
	defer net.Close()
	round := func(when string) error {
		ping, err := net.Ping(3)
		if err != nil {
			return err
		}
		tcp := "works"
		if ok, why := net.TCP(0); !ok {
			tcp = "fails (" + why + ")"
		}
		fmt.Fprintf(w, "  %-24s ping: %d of %d answered; TCP: %s   [%s: %s]\n",
			when+":", ping.Received, ping.Sent, tcp, net.B.Name, net.Describe())
		return nil
	}
	if err := round("without the program"); err != nil {
		return err
	}
	opts, err := flags.XDPOptions()
	if err != nil {
		return err
	}
	att, err := attach.XDP(net.B.Interface(), prog, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  attached dropworld to the server's %s (%s mode, through %s)\n", net.B.Name, att.Mode(), att.Method())
	err = round("with dropworld")
	if cerr := att.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "  detached")
	return round("after detaching")
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("    " + line + "\n")
	}
	return b.String()
}
