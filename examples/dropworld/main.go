// Command dropworld is the tutorial's first example: an XDP program that
// drops every packet.
//
//	dropworld -demo                 show it on real traffic in private namespaces
//	dropworld -pass -demo           the XDP_PASS variant the tutorial asks you to try
//	dropworld -dev eth1 [-mode generic|native] [-force] [-keep]
//	                                attach to eth1 until Ctrl-C (what
//	                                `ip -force link set dev eth1 xdp obj dropworld.o sec .text` does)
//
// The demo creates and removes its own namespaces; nothing touches the
// host's interfaces. It needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/bpftest/packet"
	"github.com/purebpf/bpf/examples/internal/cli"
)

func main() {
	var flags cli.Flags
	pass := flag.Bool("pass", false, "build the XDP_PASS variant instead of XDP_DROP")
	cli.Parse("dropworld", "[-pass] [-build clang|asm] (-demo | -dev IFACE [-mode auto|generic|native] [-force] [-keep] [-n NETNS])", &flags, nil)
	var err error
	if flags.Demo {
		err = runDemo(os.Stdout, *pass, flags)
	} else {
		err = run(os.Stdout, *pass, flags, func() { cli.WaitForSignal(context.Background()) })
	}
	if err != nil {
		cli.Fatal("dropworld", err)
	}
}

// run attaches to -dev and detaches when wait returns (on SIGINT or
// SIGTERM), unless -keep.
func run(w io.Writer, pass bool, flags cli.Flags, wait func()) error {
	spec, err := programSpec(flags, pass)
	if err != nil {
		return err
	}
	return cli.ServeSpec(w, spec, flags, wait)
}

func verdict(pass bool) bpf.XDPAction {
	if pass {
		return bpf.XDPPass
	}
	return bpf.XDPDrop
}

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
	traffic := func(when string) error {
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
	return net.BeforeDuringAfter(w, "dropworld", prog, flags, traffic)
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("    " + line + "\n")
	}
	return b.String()
}
