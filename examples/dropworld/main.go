// Command dropworld is the tutorial's first example: an XDP program that
// drops every packet.
//
//	dropworld -demo          load it, run it on test frames, then show its
//	                         effect on real traffic in private namespaces
//	dropworld -pass -demo    the XDP_PASS variant
//
// Everything happens in namespaces the demo creates and removes; nothing
// touches the host's interfaces. It needs root (CAP_BPF, CAP_NET_ADMIN).
package main

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/packet"
)

func main() {
	pass := flag.Bool("pass", false, "build the XDP_PASS variant instead of XDP_DROP")
	demo := flag.Bool("demo", false, "run the demo in private network namespaces")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: dropworld [-pass] -demo\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if !*demo || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := runDemo(os.Stdout, *pass); err != nil {
		fmt.Fprintln(os.Stderr, "dropworld:", err)
		os.Exit(1)
	}
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

func runDemo(w io.Writer, pass bool) error {
	spec := Spec(pass)
	prog, err := bpf.NewProgram(spec)
	if err != nil {
		return err
	}
	defer prog.Close()
	info, err := prog.Info()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Loaded %s: an XDP program of %d instructions that returns %s for every packet.\n",
		spec.Name, len(spec.Instructions), bpf.XDPAction(spec.Instructions[0].Constant))
	fmt.Fprintf(w, "  id %d, tag %s, %d instructions verified\n%s\n", info.ID, info.Tag, info.VerifiedInstructions, indent(spec.Instructions.String()))

	fmt.Fprintln(w, "Step 1: the kernel runs it on test frames (BPF_PROG_TEST_RUN):")
	for _, f := range testFrames() {
		res, err := prog.Run(&bpf.RunOptions{Data: f.frame})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-26s -> %s\n", f.name, bpf.XDPAction(res.ReturnValue))
	}

	fmt.Fprintln(w, "Step 2: real traffic between two private network namespaces:")
	pair, err := bpftest.CreateVethPair()
	if err != nil {
		return fmt.Errorf("create namespaces: %w", err)
	}
	defer pair.Close()
	fmt.Fprintf(w, "  %s (%s, namespace %s) <-> %s (%s, namespace %s)\n",
		pair.A.Name, pair.A.Addr(), pair.A.NS.Name(), pair.B.Name, pair.B.Addr(), pair.B.NS.Name())
	rep, err := bpftest.Ping(pair.A.NS, pair.B.Addr(), bpftest.PingOptions{Count: 3})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  ping %s without the program: %d of %d replies\n", pair.B.Addr(), rep.Received, rep.Sent)
	fmt.Fprintln(w, "Removed the namespaces and the program.")
	return nil
}

func indent(s string) string {
	out := ""
	for _, line := range splitLines(s) {
		out += "    " + line + "\n"
	}
	return out
}

func splitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			lines = append(lines, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}
