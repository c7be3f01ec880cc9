// Package cli holds what the tutorial's example programs share: the common
// flags (-dev, -mode, -force, -keep, -n, -demo), XDP attachment as the
// flags ask, waiting for SIGINT/SIGTERM, and the demo's private network.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/elf"
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
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Dev, "dev", "", "attach to interface `IFACE` and run until interrupted")
	fs.StringVar(&f.Mode, "mode", "auto", "XDP mode: auto, generic (skb) or native (driver)")
	fs.BoolVar(&f.Force, "force", false, "replace a program that is already attached (like ip -force)")
	fs.BoolVar(&f.Keep, "keep", false, "leave the program attached when exiting (attaches through netlink)")
	fs.StringVar(&f.Netns, "n", "", "the network namespace `NAME` of -dev (as in ip -n)")
	fs.BoolVar(&f.Demo, "demo", false, "create two private network namespaces, attach there, send traffic, show the effect, clean up")
	fs.StringVar(&f.Build, "build", "clang", "which build to load: clang (the embedded object compiled from bpf/*.c) or asm (the same program in Go asm)")
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

// ObjectProgram parses an embedded clang object and returns the spec of
// the program named name, typed typ when its section has no conventional
// type (the "ip ... obj F sec S" override).
func ObjectProgram(obj []byte, name string, typ bpf.ProgramType) (*bpf.CollectionSpec, *bpf.ProgramSpec, error) {
	spec, err := elf.ParseWithOptions(obj, elf.Options{DefaultType: typ})
	if err != nil {
		return nil, nil, err
	}
	prog, ok := spec.Programs[name]
	if !ok {
		return nil, nil, fmt.Errorf("the embedded object has no program %s", name)
	}
	return spec, prog, nil
}

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

// OpenNetns opens the namespace of -n, or returns nil for the current one.
func (f *Flags) OpenNetns() (*netns.NetNS, error) {
	if f.Netns == "" {
		return nil, nil
	}
	return netns.OpenName(f.Netns)
}

// AttachXDP attaches prog to -dev as the flags say. With -keep it uses
// netlink so that the program stays attached after the process exits.
func (f *Flags) AttachXDP(prog *bpf.Program, ns *netns.NetNS) (*attach.XDPAttachment, error) {
	mode, err := f.XDPMode()
	if err != nil {
		return nil, err
	}
	opts := attach.XDPOptions{Mode: mode, Replace: f.Force}
	if f.Keep || f.Force {
		opts.Method = attach.MethodNetlink
	}
	return attach.XDP(attach.ByName(f.Dev).In(ns), prog, opts)
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

// Network is the demo's private network: two namespaces joined by a veth
// pair, 192.0.2.1 (A, the client) and 192.0.2.2 (B, where programs are
// attached).
type Network struct {
	*bpftest.VethPair
	w    io.Writer
	sigs chan os.Signal
}

// NewNetwork creates the demo's namespaces and prints what it made.
func NewNetwork(w io.Writer) (*Network, error) {
	pair, err := bpftest.CreateVethPair()
	if err != nil {
		return nil, fmt.Errorf("create the demo's network namespaces: %w", err)
	}
	fmt.Fprintf(w, "Created two network namespaces joined by a veth pair:\n  client %s %s (namespace %s)  <->  server %s %s (namespace %s)\n",
		pair.A.Name, pair.A.Addr(), pair.A.NS.Name(), pair.B.Name, pair.B.Addr(), pair.B.NS.Name())
	n := &Network{VethPair: pair, w: w, sigs: make(chan os.Signal, 1)}
	// Interrupted demos remove their namespaces too.
	signal.Notify(n.sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-n.sigs; ok {
			n.VethPair.Close()
			fmt.Fprintln(os.Stderr, "interrupted: removed the demo's namespaces")
			os.Exit(130)
		}
	}()
	return n, nil
}

// Close removes the namespaces.
func (n *Network) Close() error {
	signal.Stop(n.sigs)
	close(n.sigs)
	err := n.VethPair.Close()
	if err == nil {
		fmt.Fprintln(n.w, "Removed the namespaces (and with them everything attached there).")
	}
	return err
}

// Ping sends count echo requests from A to B and returns the report.
func (n *Network) Ping(count int) (bpftest.PingReport, error) {
	return bpftest.Ping(n.A.NS, n.B.Addr(), bpftest.PingOptions{Count: count, Timeout: 500 * time.Millisecond})
}

// TCP opens one connection from A to a listener on B (port 0: any free
// port) and sends a few bytes. It reports whether they arrived, and why
// not; a connection that cannot be made is a result, not an error.
func (n *Network) TCP(port int) (ok bool, why string) {
	rep, err := bpftest.TCPTransfer(n.A.NS, n.B.NS, n.B.Addr(), bpftest.TCPOptions{Bytes: 1024, Port: port, Timeout: time.Second})
	var netErr net.Error
	switch {
	case errors.As(err, &netErr) && netErr.Timeout():
		return false, "timed out"
	case errors.Is(err, syscall.ECONNREFUSED):
		return false, "refused"
	case err != nil:
		return false, err.Error()
	case rep.Received != rep.Sent:
		return false, fmt.Sprintf("%d of %d bytes arrived", rep.Received, rep.Sent)
	}
	return true, ""
}

// Describe says what is attached at B's XDP hook, the way ip link show
// does ("prog/xdp id 42" or "prog/xdpgeneric id 42"), or "no XDP program".
func (n *Network) Describe() string {
	st, err := attach.QueryXDP(attach.ByName(n.B.Name).In(n.B.NS))
	if err != nil {
		return "query failed: " + err.Error()
	}
	if !st.Attached() {
		return "no XDP program"
	}
	var parts []string
	for _, p := range st.Programs {
		parts = append(parts, fmt.Sprintf("prog/%s id %d", p.Mode.IPName(), p.ID))
	}
	return strings.Join(parts, ", ")
}

// UDP sends count datagrams from A to a listener on B and returns how
// many arrived.
func (n *Network) UDP(count int) (received int, err error) {
	rep, err := bpftest.UDPSend(n.A.NS, n.B.NS, n.B.Addr(), bpftest.UDPOptions{Count: count, Timeout: 500 * time.Millisecond})
	if err != nil {
		return 0, err
	}
	return rep.Received, nil
}

// Traffic is one round of the demo's traffic: pings, a TCP connection and
// UDP datagrams from A to B.
type Traffic struct {
	PingSent, PingReceived int
	TCP                    bool
	TCPWhy                 string
	UDPSent, UDPReceived   int
}

// String prints the round on one line.
func (t Traffic) String() string {
	tcp := "works"
	if !t.TCP {
		tcp = "fails (" + t.TCPWhy + ")"
	}
	return fmt.Sprintf("ping: %d of %d answered; TCP: %s; UDP: %d of %d arrived", t.PingReceived, t.PingSent, tcp, t.UDPReceived, t.UDPSent)
}

// SendTraffic runs one round: 3 pings, one TCP connection, 5 datagrams.
func (n *Network) SendTraffic() (Traffic, error) {
	ping, err := n.Ping(3)
	if err != nil {
		return Traffic{}, err
	}
	t := Traffic{PingSent: ping.Sent, PingReceived: ping.Received, UDPSent: 5}
	t.TCP, t.TCPWhy = n.TCP(0)
	if t.UDPReceived, err = n.UDP(t.UDPSent); err != nil {
		return Traffic{}, err
	}
	return t, nil
}

// ServeXDP attaches prog to -dev as the flags say, prints what it did,
// and detaches when wait returns (wait is where an example blocks until
// SIGINT or SIGTERM, printing statistics if it has any). With -keep it
// returns at once and leaves the program attached.
func ServeXDP(w io.Writer, name string, prog *bpf.Program, flags Flags, wait func()) error {
	ns, err := flags.OpenNetns()
	if err != nil {
		return err
	}
	if ns != nil {
		defer ns.Close()
	}
	att, err := flags.AttachXDP(prog, ns)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s attached to %s in %s mode through %s, program id %d.\n",
		name, att.Interface(), att.Mode(), att.Method(), att.ProgramID())
	if flags.Keep {
		fmt.Fprintf(w, "Leaving it attached (-keep). Remove it with: ip link set dev %s %s off\n", flags.Dev, att.Mode().IPName())
		return att.Release() // keeps the program attached, closes our descriptors
	}
	fmt.Fprintln(w, "Press Ctrl-C to detach.")
	wait()
	if err := att.Close(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Detached.")
	return nil
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

// ServeSpec loads spec and serves it on -dev (see ServeXDP).
func ServeSpec(w io.Writer, spec *bpf.ProgramSpec, flags Flags, wait func()) error {
	prog, err := bpf.NewProgram(spec)
	if err != nil {
		return err
	}
	defer prog.Close()
	return ServeXDP(w, spec.Name, prog, flags, wait)
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

// BeforeDuringAfter is the demos' experiment: one round of traffic
// without the program, one with prog attached to the server's interface
// (as the flags say), one after detaching it. round sends the traffic and
// prints what happened, labelled with when.
func (n *Network) BeforeDuringAfter(w io.Writer, name string, prog *bpf.Program, flags Flags, round func(when string) error) error {
	if err := round("without the program"); err != nil {
		return err
	}
	flags.Dev = n.B.Name
	att, err := flags.AttachXDP(prog, n.B.NS)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  attached %s to the server's %s (%s mode, through %s)\n", name, n.B.Name, att.Mode(), att.Method())
	if err := round("with " + name); err != nil {
		att.Close()
		return err
	}
	if err := att.Close(); err != nil {
		return err
	}
	fmt.Fprintln(w, "  detached")
	return round("after detaching")
}
