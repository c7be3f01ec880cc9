// Command xdp1 is the tutorial's Example 2, the kernel sample xdp1 in Go:
// an XDP program counts packets per IP protocol in the per-CPU array rxcnt
// and drops them; user space prints the rate per protocol every second.
//
//	xdp1 [-S] [-N] [-F] [-hash] [-pass] IFACE     as the sample: -S skb (generic) mode, -N native
//	                                            mode, -F replace what is attached
//	xdp1 -demo                                  count ICMP, TCP, UDP and ICMPv6 sent through
//	                                            private namespaces
//
// On exit it detaches the program only if it is still the one attached.
// It needs root.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/examples/internal/cli"
	"github.com/purebpf/bpf/maps"
)

// The clang builds of bpf/xdp1.c (make -C examples), array or hash
// counters, dropping or passing, are embedded by their generated bindings
// xdp1_bpfel.go, xdp1pass_bpfel.go, xdp1hash_bpfel.go and
// xdp1hashpass_bpfel.go (go generate: bpfgen.go).

func main() {
	var flags cli.Flags
	flags.Register(flag.CommandLine)
	skb := flag.Bool("S", false, "use skb (generic) mode")
	native := flag.Bool("N", false, "enforce native mode")
	force := flag.Bool("F", false, "force loading: replace a program that is already attached")
	hash := flag.Bool("hash", false, "keep the counters in a per-CPU hash map instead of an array (the tutorial's exercise)")
	pass := flag.Bool("pass", false, "let the packets pass instead of dropping them (the tutorial's exercise)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: xdp1 [-S|-N|-mode auto|generic|native] [-F|-force] [-keep] [-hash] [-pass] [-build clang|asm] [-n NETNS] (-dev IFACE | IFACE)\n"+
			"       xdp1 [-S|-N|-mode auto|generic|native] [-hash] [-pass] [-build clang|asm] -demo\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 1 && flags.Dev == "" {
		flags.Dev = flag.Arg(0)
	}
	switch {
	case *skb && *native:
		fmt.Fprintln(os.Stderr, "xdp1: -S and -N exclude each other")
		os.Exit(2)
	case *skb:
		flags.Mode = "generic"
	case *native:
		flags.Mode = "native"
	}
	flags.Force = flags.Force || *force
	if err := flags.Check(); err != nil || flag.NArg() > 1 {
		if err != nil {
			fmt.Fprintln(os.Stderr, "xdp1:", err)
		}
		flag.Usage()
		os.Exit(1)
	}
	var err error
	if flags.Demo {
		err = runDemo(os.Stdout, *hash, *pass, flags)
	} else {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		err = run(ctx, os.Stdout, *hash, *pass, flags, time.Second)
	}
	if err != nil {
		cli.Fatal("xdp1", err)
	}
}

// program is xdp1 loaded together with its map.
type program struct {
	spec *bpf.ProgramSpec
	prog *bpf.Program
	m    *maps.Map
	coll *bpf.Collection
}

// clangSpec parses the object of the variant: the program xdp_prog1 (in
// section "xdp", which types it XDP) and its map rxcnt.
func clangSpec(hash, pass bool) (*bpf.CollectionSpec, error) {
	loadSpec := map[[2]bool]func() (*bpf.CollectionSpec, error){
		{false, false}: LoadXdp1Spec, {false, true}: LoadXdp1PassSpec,
		{true, false}: LoadXdp1HashSpec, {true, true}: LoadXdp1HashPassSpec,
	}[[2]bool{hash, pass}]
	return loadSpec()
}

// load loads xdp1 and rxcnt into the kernel, from the clang object or
// built with Go asm (program.go).
func load(useAsm, hash, pass bool) (*program, error) {
	var spec *bpf.CollectionSpec
	if useAsm {
		spec = &bpf.CollectionSpec{
			Programs: map[string]*bpf.ProgramSpec{"xdp_prog1": asmSpec(hash, pass)},
			Maps:     map[string]*maps.Spec{"rxcnt": mapSpec(hash)},
		}
	} else {
		var err error
		if spec, err = clangSpec(hash, pass); err != nil {
			return nil, err
		}
	}
	coll, err := bpf.NewCollection(spec)
	if err != nil {
		return nil, err
	}
	return &program{spec: spec.Programs["xdp_prog1"], prog: coll.Programs["xdp_prog1"], m: coll.Maps["rxcnt"], coll: coll}, nil
}

func (p *program) Close() { p.coll.Close() }

// counts returns the packets counted per protocol, summed over the CPUs.
func (p *program) counts() (map[uint32]uint64, error) {
	ncpu, err := maps.PossibleCPUs()
	if err != nil {
		return nil, err
	}
	out := make(map[uint32]uint64)
	var key uint32
	values := make([]uint64, ncpu)
	it := p.m.Iterate()
	for it.Next(&key, values) {
		var sum uint64
		for _, v := range values {
			sum += v
		}
		if sum > 0 {
			out[key] = sum
		}
	}
	return out, it.Err()
}

func sortedKeys(m map[uint32]uint64) []uint32 {
	keys := make([]uint32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// run attaches xdp1 to -dev through netlink, as the sample does, prints
// "proto N: X pkt/s" every interval until ctx ends, then detaches if the
// program attached is still ours.
func run(ctx context.Context, w io.Writer, hash, pass bool, flags cli.Flags, interval time.Duration) error {
	p, err := load(flags.Asm(), hash, pass)
	if err != nil {
		return err
	}
	defer p.Close()
	ns, err := flags.OpenNetns()
	if err != nil {
		return err
	}
	if ns != nil {
		defer ns.Close()
	}
	mode, err := flags.XDPMode()
	if err != nil {
		return err
	}
	att, err := cli.AttachXDP(w, attach.ByName(flags.Dev).In(ns), p.prog, attach.XDPOptions{Mode: mode, Method: attach.MethodNetlink, Replace: flags.Force})
	if err != nil {
		return fmt.Errorf("link set xdp fd failed: %w", err)
	}
	defer att.Close()
	prev := map[uint32]uint64{}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
			cur, err := p.counts()
			if err != nil {
				return err
			}
			for _, k := range sortedKeys(cur) {
				if cur[k] > prev[k] {
					fmt.Fprintf(w, "proto %d: %10d pkt/s\n", k, uint64(float64(cur[k]-prev[k])/interval.Seconds()))
				}
			}
			prev = cur
		}
	}
	if flags.Keep {
		// Leave the program attached: drop only our descriptors.
		fmt.Fprintf(w, "Leaving it attached (-keep). Remove it with: %s\n", flags.RemoveXDPCommand(att.Mode()))
		return att.Release()
	}
	switch err := att.Detach(); {
	case errors.Is(err, attach.ErrVanished):
		fmt.Fprintln(w, "program on interface changed, not removing")
	case errors.Is(err, attach.ErrNotAttached):
		fmt.Fprintln(w, "couldn't find a prog id on a given interface")
	case err != nil:
		return err
	}
	return nil
}
