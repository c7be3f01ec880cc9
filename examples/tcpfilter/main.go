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
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/examples/internal/cli"
)

// The clang builds of bpf/tcpfilter.c (make -C examples) are embedded by
// their generated bindings, tcpfilter_bpfel.go and tcpfiltericmp_bpfel.go
// (go generate: bpfgen.go).

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

// programSpec returns the build the flags ask for, passing proto: the
// clang object, or the same program built with Go asm (program.go). The
// object's function tcpfilter is in .text, a section without a
// conventional program type, so it is typed XDP, as "ip link set dev D
// xdp obj tcpfilter.o sec .text" does.
func programSpec(flags cli.Flags, proto int32) (*bpf.ProgramSpec, error) {
	if flags.Asm() {
		return asmSpec(proto), nil
	}
	loadSpec := LoadTcpfilterSpec
	if proto == protoICMP {
		loadSpec = LoadTcpfilterICMPSpec
	}
	coll, err := loadSpec()
	if err != nil {
		return nil, err
	}
	spec := coll.Programs["tcpfilter"]
	if spec == nil {
		return nil, errors.New("the object has no program tcpfilter")
	}
	spec.Type = bpf.XDP
	return spec, nil
}

// serve loads the program, attaches it to -dev and detaches it when wait
// returns (on SIGINT or SIGTERM); with -keep it leaves it attached.
func serve(w io.Writer, proto int32, flags cli.Flags, wait func()) error {
	spec, err := programSpec(flags, proto)
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
	opts, err := flags.XDPOptions()
	if err != nil {
		return err
	}
	att, err := cli.AttachXDP(w, attach.ByName(flags.Dev).In(ns), prog, opts)
	if err != nil {
		return err
	}
	cli.PrintAttached(w, spec.Name, att)
	if flags.Keep {
		fmt.Fprintf(w, "Leaving it attached (-keep). Remove it with: %s\n", flags.RemoveXDPCommand(att.Mode()))
		return att.Release() // keeps the program attached, drops only our descriptors
	}
	fmt.Fprintln(w, "Press Ctrl-C to detach.")
	wait()
	if err := att.Close(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Detached.")
	return nil
}
