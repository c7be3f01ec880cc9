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
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/examples/internal/cli"
)

// The clang builds of bpf/dropworld.c (make -C examples) are embedded by
// their generated bindings, dropworld_bpfel.go and dropworldpass_bpfel.go
// (go generate: bpfgen.go).

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
	loadSpec := LoadDropworldSpec
	if pass {
		loadSpec = LoadDropworldPassSpec
	}
	coll, err := loadSpec()
	if err != nil {
		return nil, err
	}
	spec := coll.Programs["dropworld"]
	if spec == nil {
		return nil, errors.New("the object has no program dropworld")
	}
	spec.Type = bpf.XDP
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

func verdict(pass bool) bpf.XDPAction {
	if pass {
		return bpf.XDPPass
	}
	return bpf.XDPDrop
}
