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
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest/packet"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/examples/internal/cli"
)

// The clang builds of bpf/dropworld.c (make -C examples).
var (
	//go:embed bpf/dropworld.o
	objectDrop []byte
	//go:embed bpf/dropworld_pass.o
	objectPass []byte
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

// clangSpec parses the clang object. dropworld is a function in .text, a
// section without a conventional program type, so it is typed XDP, as
// "ip link set dev D xdp obj dropworld.o sec .text" does.
func clangSpec(pass bool) (*bpf.ProgramSpec, error) {
	obj := objectDrop
	if pass {
		obj = objectPass
	}
	coll, err := elf.ParseWithOptions(obj, elf.Options{DefaultType: bpf.XDP})
	if err != nil {
		return nil, err
	}
	spec := coll.Programs["dropworld"]
	if spec == nil {
		return nil, errors.New("the object has no program dropworld")
	}
	return spec, nil
}

// programSpec returns the build the flags ask for: the clang object, or
// the same program built with Go asm (program.go).
func programSpec(flags cli.Flags, pass bool) (*bpf.ProgramSpec, error) {
	if flags.Asm() {
		return Spec(pass), nil
	}
	return clangSpec(pass)
}

// run loads dropworld, attaches it to -dev and detaches it when wait
// returns (on SIGINT or SIGTERM); with -keep it leaves it attached.
func run(w io.Writer, pass bool, flags cli.Flags, wait func()) error {
	spec, err := programSpec(flags, pass)
	if err != nil {
		return err
	}
	prog, err := bpf.NewProgram(spec)
	if err != nil {
		return err
	}
	defer prog.Close() // an attachment holds its own reference
	ns, err := flags.OpenNetns()
	if err != nil {
		return err
	}
	if ns != nil {
		defer ns.Close()
	}
	opts, err := flags.XDPOptions(ns)
	if err != nil {
		return err
	}
	att, err := attach.XDP(flags.Dev, prog, opts)
	if err != nil {
		return err
	}
	cli.PrintAttached(w, spec.Name, att)
	if flags.Keep {
		fmt.Fprintf(w, "Leaving it attached (-keep). Remove it with: ip link set dev %s %s off\n", flags.Dev, att.Mode().IPName())
		return nil
	}
	fmt.Fprintln(w, "Press Ctrl-C to detach.")
	wait()
	if err := att.Close(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Detached.")
	return nil
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
		res, err := prog.Run(&bpf.RunOptions{Data: f.frame})
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
	opts, err := flags.XDPOptions(net.B.NS)
	if err != nil {
		return err
	}
	att, err := attach.XDP(net.B.Name, prog, opts)
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
