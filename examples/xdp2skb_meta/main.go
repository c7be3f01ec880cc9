// Command xdp2skb_meta is the tutorial's extra example 2, the kernel
// sample xdp2skb_meta.sh in Go: an XDP program (xdp_mark) writes the mark
// 42 into the packet's metadata area, a tc ingress program (tc_mark)
// copies it into skb->mark and logs it with bpf_trace_printk.
//
//	xdp2skb_meta --dev eth1 [-v] [--dry-run]   install both, as the script does, and exit
//	xdp2skb_meta --dev eth1 --list             show what is attached
//	xdp2skb_meta --dev eth1 --flush            remove both
//	xdp2skb_meta -demo                         datagrams arrive marked 42, in private namespaces
//	xdp2skb_meta -license proprietary -demo    the verifier's refusal of bpf_trace_printk
//
// -v prints each step as the equivalent ip/tc command; --dry-run prints the
// commands without running them. It needs root.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/examples/internal/cli"
	"github.com/purebpf/bpf/netns"
	"github.com/purebpf/bpf/verifier"
)

// The clang builds of bpf/xdp2skb_meta.c are embedded by their generated
// bindings, xdp2skbmeta_bpfel.go and xdp2skbmetanongpl_bpfel.go (go
// generate: bpfgen.go).

const objectName = "xdp2skb_meta_kern.o" // as the script calls it

// options are the script's flags plus the examples' common ones.
type options struct {
	cli.Flags
	flush, list, verbose, dryRun bool
	license                      string
}

func main() {
	var o options
	// Installing always replaces what is attached and leaves both programs
	// attached, as the script does: -force and -keep would do nothing.
	o.Flags.RegisterExcept(flag.CommandLine, "force", "keep")
	flag.Lookup("dev").Usage = "install on interface `IFACE` (or -list or -flush it) and exit"
	flag.StringVar(&o.Dev, "d", "", "short for -dev")
	flag.BoolVar(&o.flush, "flush", false, "remove the tc filter, the clsact qdisc and the XDP program")
	flag.BoolVar(&o.flush, "f", false, "short for -flush")
	flag.BoolVar(&o.list, "list", false, "list the tc ingress filters and the XDP program")
	flag.BoolVar(&o.verbose, "v", false, "print each step as the equivalent ip/tc command")
	flag.BoolVar(&o.verbose, "verbose", false, "same as -v")
	flag.BoolVar(&o.dryRun, "dry-run", false, "print the commands, run nothing")
	flag.StringVar(&o.license, "license", "gpl", "gpl, or proprietary: load the non-GPL variant, which the kernel refuses")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: xdp2skb_meta [-v|-verbose] [-build clang|asm] [-license gpl|proprietary] [-mode auto|generic|native] [-n NETNS]\n"+
			"                    (-dev|-d) IFACE [-flush|-f | -list | -dry-run]\n"+
			"       xdp2skb_meta [-build clang|asm] [-license gpl|proprietary] [-mode auto|generic|native] -demo\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if o.license != "gpl" && o.license != "proprietary" {
		fmt.Fprintf(os.Stderr, "ERROR: -license %q: want gpl or proprietary\n", o.license)
		os.Exit(4)
	}
	if err := o.Check(); err != nil || flag.NArg() != 0 {
		if err != nil {
			fmt.Fprintln(os.Stderr, "ERROR:", err)
		}
		flag.Usage()
		os.Exit(2)
	}
	var err error
	switch {
	case o.Demo:
		err = runDemo(os.Stdout, o)
	case o.list:
		err = list(os.Stdout, o)
	case o.flush:
		err = flush(os.Stdout, o)
	default:
		err = install(os.Stdout, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(2)
	}
}

// specs returns the two programs of the chosen build and license.
func specs(o options) (xdp, tc *bpf.ProgramSpec, err error) {
	license := "GPL"
	if o.license == "proprietary" {
		license = "Proprietary"
	}
	if o.Asm() {
		xdp, tc = asmSpecs(license)
		return xdp, tc, nil
	}
	loadSpec := LoadXdp2skbMetaSpec
	if o.license == "proprietary" {
		loadSpec = LoadXdp2skbMetaNonGPLSpec
	}
	// The section names type the programs: xdp_mark XDP, tc_mark SchedCLS.
	coll, err := loadSpec()
	if err != nil {
		return nil, nil, err
	}
	xdp, tc = coll.Programs["_xdp_mark"], coll.Programs["_tc_mark"]
	if xdp == nil || tc == nil {
		return nil, nil, errors.New("the object lacks _xdp_mark or _tc_mark")
	}
	return xdp, tc, nil
}

// loaded are both programs in the kernel.
type loaded struct{ xdp, tc *bpf.Program }

func (l *loaded) Close() {
	l.xdp.Close()
	l.tc.Close()
}

// load loads both programs, turning the verifier's refusal of a non-GPL
// tc_mark into the tutorial's lesson.
func load(o options) (*loaded, error) {
	xdpSpec, tcSpec, err := specs(o)
	if err != nil {
		return nil, err
	}
	xdp, err := bpf.NewProgram(xdpSpec)
	if err != nil {
		return nil, err
	}
	tc, err := bpf.NewProgram(tcSpec)
	if err != nil {
		xdp.Close()
		var verr *verifier.Error
		if errors.As(err, &verr) && strings.Contains(verr.Hint, "GPL") {
			return nil, fmt.Errorf("tc_mark cannot be loaded under the license %q: it calls bpf_trace_printk, which only GPL-compatible programs may call.\n"+
				"Fix: declare a GPL-compatible license in the object, as the tutorial does:\n"+
				"    char _license[] SEC(\"license\") = \"GPL\";\n(%w)", tcSpec.License, err)
		}
		return nil, err
	}
	return &loaded{xdp: xdp, tc: tc}, nil
}

// step prints (with -v or --dry-run) and runs (unless --dry-run) one step
// of the script. ignore lets the step fail, as "may fail" steps do.
func step(w io.Writer, o options, cmd string, ignore bool, fn func() error) error {
	if o.verbose || o.dryRun {
		fmt.Fprintln(w, cmd)
	}
	if o.dryRun {
		return nil
	}
	if err := fn(); err != nil && !ignore {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	return nil
}

// tool is "ip" or "tc" with -n NETNS when the interface is in the
// namespace of -n, so that the commands printed act where the steps do.
func (o options) tool(name string) string {
	if o.Netns != "" {
		return name + " -n " + o.Netns
	}
	return name
}

func openNS(o options) (*netns.NetNS, error) { return o.OpenNetns() }

// install does what xdp2skb_meta.sh does by default, leaving both
// programs attached when it exits.
func install(w io.Writer, o options) error {
	ns, err := openNS(o)
	if err != nil {
		return err
	}
	if ns != nil {
		defer ns.Close()
	}
	var l *loaded
	if !o.dryRun {
		if l, err = load(o); err != nil {
			return err
		}
		defer l.Close() // the attachments keep the programs
	}
	dev, iface := o.Dev, attach.ByName(o.Dev).In(ns)
	mode, err := o.XDPMode()
	if err != nil {
		return err
	}
	steps := []struct {
		cmd    string
		ignore bool
		fn     func() error
	}{
		{o.tool("tc") + " qdisc del dev " + dev + " clsact", true, func() error { return attach.DeleteClsact(iface) }},
		{o.tool("tc") + " qdisc add dev " + dev + " clsact", false, func() error { return attach.EnsureClsact(iface) }},
		{o.tool("tc") + " filter add dev " + dev + " ingress prio 1 handle 1 bpf da obj " + objectName + " sec tc_mark", false, func() error {
			a, err := attach.TC(iface, l.tc, attach.Ingress, attach.TCOptions{Method: attach.MethodNetlink, Priority: 1, Handle: 1})
			if err != nil {
				return err
			}
			return a.Release() // stays attached after we exit; flush removes it
		}},
		{xdpOffCommand(o, iface), true, func() error {
			return attach.DetachXDP(iface, attach.DetachXDPOptions{})
		}},
		{o.tool("ip") + " link set dev " + dev + " " + ipXDPKeyword(mode) + " obj " + objectName + " sec xdp_mark", false, func() error {
			a, err := attach.XDP(iface, l.xdp, attach.XDPOptions{Mode: mode, Method: attach.MethodNetlink})
			if err != nil {
				return err
			}
			return a.Release() // stays attached after we exit; flush removes it
		}},
	}
	for _, s := range steps {
		if err := step(w, o, s.cmd, s.ignore, s.fn); err != nil {
			return err
		}
	}
	return nil
}

// flush removes what install attached.
func flush(w io.Writer, o options) error {
	ns, err := openNS(o)
	if err != nil {
		return err
	}
	if ns != nil {
		defer ns.Close()
	}
	dev, iface := o.Dev, attach.ByName(o.Dev).In(ns)
	if err := step(w, o, o.tool("tc")+" filter del dev "+dev+" ingress", true, func() error { return attach.DeleteTCFilters(iface, attach.Ingress) }); err != nil {
		return err
	}
	if err := step(w, o, o.tool("tc")+" qdisc del dev "+dev+" clsact", true, func() error { return attach.DeleteClsact(iface) }); err != nil {
		return err
	}
	return step(w, o, xdpOffCommand(o, iface), false, func() error {
		err := attach.DetachXDP(iface, attach.DetachXDPOptions{})
		if errors.Is(err, attach.ErrNotAttached) {
			return nil
		}
		return err
	})
}

// list shows the tc ingress filters and the XDP program of -dev.
func list(w io.Writer, o options) error {
	ns, err := openNS(o)
	if err != nil {
		return err
	}
	if ns != nil {
		defer ns.Close()
	}
	if o.verbose {
		fmt.Fprintf(w, "%s filter show dev %s ingress\n", o.tool("tc"), o.Dev)
	}
	filters, err := attach.TCFilters(attach.ByName(o.Dev).In(ns), attach.Ingress)
	if err != nil && !errors.Is(err, attach.ErrNotAttached) {
		return err
	}
	for _, f := range filters {
		fmt.Fprintln(w, f)
	}
	if o.verbose {
		fmt.Fprintf(w, "%s link show dev %s | grep xdp\n", o.tool("ip"), o.Dev)
	}
	st, err := attach.XDPPrograms(attach.ByName(o.Dev).In(ns))
	if err != nil {
		return err
	}
	for _, p := range st.Programs {
		fmt.Fprintf(w, "    prog/%s id %d\n", p.Mode.IPName(), p.ProgramID)
	}
	return nil
}

// xdpOffCommand is the ip command that removes the XDP program of iface:
// "xdp off" removes only a driver-mode program where the driver has one,
// so the keyword is the mode of the program attached (of -mode when none
// is, or in a dry run).
func xdpOffCommand(o options, iface attach.Interface) string {
	mode, _ := o.XDPMode()
	if !o.dryRun {
		if st, err := attach.XDPPrograms(iface); err == nil && st.Attached() {
			mode = st.Mode()
		}
	}
	return o.tool("ip") + " link set dev " + o.Dev + " " + ipXDPKeyword(mode) + " off"
}

// ipXDPKeyword is the ip link keyword that attaches in mode: xdp (the
// driver's choice, as the script does), xdpgeneric or xdpdrv.
func ipXDPKeyword(mode attach.XDPMode) string {
	switch mode {
	case attach.XDPGeneric:
		return "xdpgeneric"
	case attach.XDPNative:
		return "xdpdrv"
	}
	return "xdp"
}
