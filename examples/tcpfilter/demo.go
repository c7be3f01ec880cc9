package main

import (
	"fmt"
	"io"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/examples/internal/cli"
)

func protoName(p int32) string {
	if p == protoICMP {
		return "ICMP"
	}
	return "TCP"
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
