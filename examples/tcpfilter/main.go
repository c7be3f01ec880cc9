// Command tcpfilter is the tutorial's Example 1: an XDP program that passes
// only TCP (IPv4) and drops everything else, ICMP and ARP included.
//
//	tcpfilter -demo               TCP connects while ping and UDP fail, in private namespaces
//	tcpfilter -allow icmp -demo   the tutorial's exercise: only ICMP passes
//	tcpfilter -dev eth1 [-mode generic|native] [-force] [-keep]
//
// The demo creates and removes its own namespaces; nothing touches the
// host's interfaces. It needs root.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/examples/internal/cli"
)

func main() {
	var flags cli.Flags
	allow := flag.String("allow", "tcp", "the protocol to pass: tcp, or icmp (the tutorial's exercise)")
	var proto int32
	cli.Parse("tcpfilter", "[-allow tcp|icmp] [-build clang|asm] (-demo | -dev IFACE [-mode auto|generic|native] [-force] [-keep] [-n NETNS])", &flags,
		func() (err error) { proto, err = parseAllow(*allow); return err })
	var err error
	if flags.Demo {
		err = runDemo(os.Stdout, proto, flags)
	} else {
		err = serve(os.Stdout, proto, flags, func() { cli.WaitForSignal(context.Background()) })
	}
	if err != nil {
		cli.Fatal("tcpfilter", err)
	}
}

func parseAllow(s string) (int32, error) {
	switch s {
	case "tcp":
		return protoTCP, nil
	case "icmp":
		return protoICMP, nil
	}
	return 0, fmt.Errorf("-allow %q: want tcp or icmp", s)
}

func protoName(p int32) string {
	if p == protoICMP {
		return "ICMP"
	}
	return "TCP"
}

func serve(w io.Writer, proto int32, flags cli.Flags, wait func()) error {
	spec, err := programSpec(flags, proto)
	if err != nil {
		return err
	}
	return cli.ServeSpec(w, spec, flags, wait)
}

func runDemo(w io.Writer, proto int32, flags cli.Flags) error {
	spec, err := programSpec(flags, proto)
	if err != nil {
		return err
	}
	prog, err := bpf.NewProgram(spec)
	if err != nil {
		return err
	}
	defer prog.Close()
	fmt.Fprintf(w, "Loaded %s (%s build, %d instructions): passes IPv4 %s, drops everything else.\n\n", spec.Name, flags.BuildName(), spec.Instructions.RawLen(), protoName(proto))
	if err := cli.PrintVerdicts(w, prog); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nStep 2: real traffic.")
	net, err := cli.NewNetwork(w)
	if err != nil {
		return err
	}
	defer net.Close()
	round := func(when string) error {
		t, err := net.SendTraffic()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-26s %s\n", when+":", t)
		return nil
	}
	return net.BeforeDuringAfter(w, spec.Name, prog, flags, round)
}
