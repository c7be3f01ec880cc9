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
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/examples/internal/cli"
)

// The clang builds of bpf/portfilter.c (make -C examples) are embedded by
// their generated bindings, portfilter_bpfel.go and portfiltericmp_bpfel.go
// (go generate: bpfgen.go).

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

// programSpec returns the build the flags ask for: the clang object, or
// the same program built with Go asm (program.go). The object's section
// "filter" has no conventional program type, so it is typed XDP, as "ip
// link set dev D xdp obj portfilter.o sec filter" does.
func programSpec(flags cli.Flags, dropICMP bool) (*bpf.ProgramSpec, error) {
	if flags.Asm() {
		return asmSpec(dropICMP), nil
	}
	loadSpec := LoadPortfilterSpec
	if dropICMP {
		loadSpec = LoadPortfilterICMPSpec
	}
	coll, err := loadSpec()
	if err != nil {
		return nil, err
	}
	spec := coll.Programs["portfilter"]
	if spec == nil {
		return nil, errors.New("the object has no program portfilter")
	}
	spec.Type = bpf.XDP
	return spec, nil
}

// serve loads the program, attaches it to -dev and detaches it when wait
// returns (on SIGINT or SIGTERM); with -keep it leaves it attached.
func serve(w io.Writer, dropICMP bool, flags cli.Flags, wait func()) error {
	spec, err := programSpec(flags, dropICMP)
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
