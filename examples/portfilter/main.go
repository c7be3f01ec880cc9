// Command portfilter is the tutorial's extra example 1: an XDP program (in
// ELF section "filter") that drops TCP segments from or to port 80, so web
// servers on port 80 become unreachable while other ports keep working.
//
//	portfilter -demo               web servers on ports 80 and 8080; only 8080 answers
//	portfilter -drop-icmp -demo    the tutorial's exercise: ICMP is dropped too
//	portfilter -dev eth1 [-mode generic|native] [-force] [-keep]
//
// The demo creates and removes its own namespaces. It needs root.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/examples/internal/cli"
)

func main() {
	var flags cli.Flags
	dropICMP := flag.Bool("drop-icmp", false, "also drop ICMP (the tutorial's exercise)")
	cli.Parse("portfilter", "[-drop-icmp] [-build clang|asm] (-demo | -dev IFACE [-mode auto|generic|native] [-force] [-keep] [-n NETNS])", &flags, nil)
	var err error
	if flags.Demo {
		err = runDemo(os.Stdout, *dropICMP, flags)
	} else {
		err = serve(os.Stdout, *dropICMP, flags, func() { cli.WaitForSignal(context.Background()) })
	}
	if err != nil {
		cli.Fatal("portfilter", err)
	}
}

func serve(w io.Writer, dropICMP bool, flags cli.Flags, wait func()) error {
	spec, err := programSpec(flags, dropICMP)
	if err != nil {
		return err
	}
	return cli.ServeSpec(w, spec, flags, wait)
}

func runDemo(w io.Writer, dropICMP bool, flags cli.Flags) error {
	spec, err := programSpec(flags, dropICMP)
	if err != nil {
		return err
	}
	prog, err := bpf.NewProgram(spec)
	if err != nil {
		return err
	}
	defer prog.Close()
	fmt.Fprintf(w, "Loaded %s (%s build, section %s, %d instructions): drops TCP from or to port 80.\n\n", spec.Name, flags.BuildName(), spec.Section, spec.Instructions.RawLen())
	if err := cli.PrintVerdicts(w, prog); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nStep 2: web servers on ports 80 and 8080 in the server's namespace.")
	net, err := cli.NewNetwork(w)
	if err != nil {
		return err
	}
	defer net.Close()
	for _, port := range []int{80, 8080} {
		srv, err := cli.StartHTTPServer(net.B.NS, net.B.Addr(), port)
		if err != nil {
			return err
		}
		defer srv.Close()
	}
	round := func(when string) error {
		var parts []string
		for _, port := range []int{80, 8080} {
			body, ok := cli.HTTPGet(net.A.NS, net.B.Addr(), port)
			if ok {
				parts = append(parts, fmt.Sprintf("http://%s:%d answers %q", net.B.Addr(), port, strings.TrimSpace(body)))
			} else {
				parts = append(parts, fmt.Sprintf("http://%s:%d fails (%s)", net.B.Addr(), port, body))
			}
		}
		ping, err := net.Ping(3)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %s\n    %s; ping: %d of %d answered\n", when+":", strings.Join(parts, "; "), ping.Received, ping.Sent)
		return nil
	}
	return net.BeforeDuringAfter(w, spec.Name, prog, flags, round)
}
