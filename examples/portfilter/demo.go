package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/examples/internal/cli"
)

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
		srv, err := cli.StartHTTPServer(net.B.Netns, net.B.Addr(), port)
		if err != nil {
			return err
		}
		defer srv.Close()
	}
	round := func(when string) error {
		var parts []string
		for _, port := range []int{80, 8080} {
			body, ok := cli.HTTPGet(net.A.Netns, net.B.Addr(), port)
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
	fmt.Fprintf(w, "  attached %s to the server's %s (%s mode, through %s)\n", spec.Name, net.B.Name, att.Mode(), att.Method())
	err = round("with " + spec.Name)
	if cerr := att.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "  detached")
	return round("after detaching")
}
