// Package cli is the tutorial examples' scaffolding, so that each main.go
// can show the library's flow itself (parse the object, load, attach, read
// the maps): the common flags (-dev, -mode, -force, -keep, -n, -demo,
// -build) and the XDP options they ask for, waiting for SIGINT/SIGTERM,
// printing, and the demo's private network with its traffic (on
// bpftest/testnet, so that the example binaries do not link testing).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/examples/internal/frames"
	"github.com/purebpf/bpf/netns"
)

// Flags are the options every example takes.
type Flags struct {
	Dev   string // interface to attach to (real mode)
	Mode  string // auto, generic or native
	Force bool   // replace what is attached (ip -force)
	Keep  bool   // leave the program attached on exit
	Netns string // the namespace of Dev, by name
	Demo  bool   // run the demo in private namespaces
	Build string // clang (the embedded object) or asm (Go asm builders)
}

// Register adds the common flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) { f.RegisterExcept(fs) }

// RegisterExcept adds the common flags to fs but the ones named in omit
// (without the dash), for an example in which they would do nothing.
func (f *Flags) RegisterExcept(fs *flag.FlagSet, omit ...string) {
	skip := func(name string) bool {
		for _, o := range omit {
			if o == name {
				return true
			}
		}
		return false
	}
	if !skip("dev") {
		fs.StringVar(&f.Dev, "dev", "", "attach to interface `IFACE` and run until interrupted")
	}
	if !skip("mode") {
		fs.StringVar(&f.Mode, "mode", "auto", "XDP mode: auto, generic (skb) or native (driver)")
	}
	if !skip("force") {
		fs.BoolVar(&f.Force, "force", false, "replace a program that is already attached (like ip -force)")
	}
	if !skip("keep") {
		fs.BoolVar(&f.Keep, "keep", false, "leave the program attached when exiting (attaches through netlink)")
	}
	if !skip("n") {
		fs.StringVar(&f.Netns, "n", "", "the network namespace `NAME` of -dev (as in ip -n)")
	}
	if !skip("demo") {
		fs.BoolVar(&f.Demo, "demo", false, "create two private network namespaces, attach there, send traffic, show the effect, clean up")
	}
	if !skip("build") {
		fs.StringVar(&f.Build, "build", "clang", "which build to load: clang (the embedded object compiled from bpf/*.c) or asm (the same program in Go asm)")
	}
}

// Check validates the combination of flags.
func (f *Flags) Check() error {
	if f.Demo == (f.Dev != "") {
		return errors.New("give exactly one of -demo and -dev IFACE")
	}
	if _, err := f.XDPMode(); err != nil {
		return err
	}
	if f.Build != "clang" && f.Build != "asm" && f.Build != "" {
		return fmt.Errorf("unknown -build %q: want clang or asm", f.Build)
	}
	return nil
}

// Asm reports whether -build asm was asked for.
func (f *Flags) Asm() bool { return f.Build == "asm" }

// XDPMode converts -mode.
func (f *Flags) XDPMode() (attach.XDPMode, error) {
	switch f.Mode {
	case "auto", "":
		return attach.XDPDefault, nil
	case "generic", "skb":
		return attach.XDPGeneric, nil
	case "native", "drv", "driver":
		return attach.XDPNative, nil
	}
	return 0, fmt.Errorf("unknown -mode %q: want auto, generic or native", f.Mode)
}

// XDPOptions are the attach options the flags ask for: the mode of
// -mode, Replace with -force, and netlink with -keep or -force (a bpf_link
// is detached when its last descriptor closes, and cannot replace a
// program attached through netlink).
func (f *Flags) XDPOptions() (attach.XDPOptions, error) {
	mode, err := f.XDPMode()
	if err != nil {
		return attach.XDPOptions{}, err
	}
	opts := attach.XDPOptions{Mode: mode, Replace: f.Force}
	if f.Keep || f.Force {
		opts.Method = attach.MethodNetlink
	}
	return opts, nil
}

// PrintAttached says what att is: where, in which mode, through what.
func PrintAttached(w io.Writer, name string, att *attach.XDPAttachment) {
	fmt.Fprintf(w, "%s attached to %s in %s mode through %s, program id %d.\n",
		name, att.Interface(), att.Mode(), att.Method(), att.ProgramID())
}

// OpenNetns opens the namespace of -n, or returns nil for the current one.
func (f *Flags) OpenNetns() (*netns.NetNS, error) {
	if f.Netns == "" {
		return nil, nil
	}
	return netns.OpenName(f.Netns)
}

// WaitForSignal blocks until SIGINT or SIGTERM (or ctx ends).
func WaitForSignal(ctx context.Context) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
}

// Fatal prints err as one line and exits with status 1.
func Fatal(name string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
	os.Exit(1)
}

// Parse registers the common flags, parses the command line and checks
// it (with check, if not nil, for the example's own flags). On a mistake
// it prints the problem and the usage line and exits with status 2.
func Parse(name, usage string, flags *Flags, check func() error) {
	flags.Register(flag.CommandLine)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s %s\n\n", name, usage)
		flag.PrintDefaults()
	}
	flag.Parse()
	err := flags.Check()
	if err == nil && check != nil {
		err = check()
	}
	if err == nil && flag.NArg() != 0 {
		err = fmt.Errorf("unexpected argument %q", flag.Arg(0))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		flag.Usage()
		os.Exit(2)
	}
}

// PrintVerdicts runs an XDP program on every test frame and prints its
// verdicts.
func PrintVerdicts(w io.Writer, prog *bpf.Program) error {
	fmt.Fprintln(w, "Step 1: verdicts on test frames (BPF_PROG_TEST_RUN):")
	for _, f := range frames.All() {
		res, err := prog.Run(bpf.RunOptions{Data: f.Bytes})
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		fmt.Fprintf(w, "  %-32s -> %s\n", f.Name, bpf.XDPAction(res.ReturnValue))
	}
	return nil
}

// BuildName names the build the flags chose, for what the demos print.
func (f *Flags) BuildName() string {
	if f.Asm() {
		return "Go asm"
	}
	return "clang"
}

// RemoveXDPCommand is the ip command that removes the XDP program the
// flags attached and left in place (-keep): "ip -n NETNS link set dev IFACE
// xdpgeneric off" for a program in the namespace of -n (a bare "ip link"
// there would act on the host interface of the same name, if any), with
// the keyword of the mode it runs in (a plain "xdp off" removes only the
// driver-mode program of an interface that has a driver mode).
func (f *Flags) RemoveXDPCommand(mode attach.XDPMode) string {
	ip := "ip"
	if f.Netns != "" {
		ip = "ip -n " + f.Netns
	}
	keyword := "xdp"
	switch mode {
	case attach.XDPGeneric:
		keyword = "xdpgeneric"
	case attach.XDPNative:
		keyword = "xdpdrv"
	case attach.XDPOffload:
		keyword = "xdpoffload"
	}
	return fmt.Sprintf("%s link set dev %s %s off", ip, f.Dev, keyword)
}
