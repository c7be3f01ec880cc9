// Command layercoop is the tutorial's Example 3: two programs at two
// layers cooperate through one map. layercoop_rx runs at XDP on the way
// in, layercoop_tx at tc egress on the way out; both count packets and
// bytes per {source, destination} IPv4 pair in the hash map "flows".
//
//	layercoop -demo                    traffic between private namespaces, then the flow table
//	layercoop -dev eth1 [-mode ...]    attach both to eth1, print the table every 2 s until Ctrl-C
//	          [-pin DIR]               pin "flows" in DIR (a bpffs directory) to share it
//
// On exit both programs are detached and unloaded. It needs root.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
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

// The clang build of bpf/layercoop.c (make -C examples) is embedded by its
// generated bindings, layercoop_bpfel.go (go generate: bpfgen.go).

func main() {
	var flags cli.Flags
	flags.RegisterExcept(flag.CommandLine, "keep") // it detaches both programs on exit
	pin := flag.String("pin", "", "pin the map flows in `DIR` (a directory on a bpffs mount), as iproute2 does")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: layercoop [-build clang|asm] (-demo | -dev IFACE [-mode auto|generic|native] [-force] [-n NETNS] [-pin DIR])\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := flags.Check(); err != nil || flag.NArg() != 0 {
		if err != nil {
			fmt.Fprintln(os.Stderr, "layercoop:", err)
		}
		flag.Usage()
		os.Exit(2)
	}
	var err error
	if flags.Demo {
		err = runDemo(os.Stdout, flags)
	} else {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		err = run(ctx, os.Stdout, flags, *pin, 2*time.Second)
	}
	if err != nil {
		cli.Fatal("layercoop", err)
	}
}

// coop is layercoop loaded: both programs and their shared map.
type coop struct {
	rx, tx *bpf.Program
	flows  *maps.Map
	coll   *bpf.Collection
	insns  [2]int // raw instruction counts of rx and tx
}

// clangSpec parses the clang object. Its sections "rx" and "tx" have no
// conventional program type: the tutorial loads rx with "ip link set dev D
// xdp obj F sec rx" and tx with tc's "bpf obj F sec tx", so they are typed
// XDP and SchedCLS here.
func clangSpec() (*bpf.CollectionSpec, error) {
	return LoadLayercoopSpec() // bpfgen -section rx=XDP -section tx=SchedCLS
}

// load loads the clang object (or the asm build) with "flows" pinned in
// pinDir, or not pinned when pinDir is "".
func load(useAsm bool, pinDir string) (*coop, error) {
	var spec *bpf.CollectionSpec
	if useAsm {
		rx, tx := asmSpecs()
		spec = &bpf.CollectionSpec{
			Programs: map[string]*bpf.ProgramSpec{rx.Name: rx, tx.Name: tx},
			Maps:     map[string]*maps.Spec{"flows": mapSpec()},
		}
	} else {
		var err error
		if spec, err = clangSpec(); err != nil {
			return nil, err
		}
	}
	flows := spec.Maps["flows"]
	if pinDir != "" {
		flows.Pinning, flows.PinPath = maps.PinByName, pinDir
	} else {
		flows.Pinning, flows.PinPath = maps.PinNone, ""
	}
	coll, err := bpf.NewCollection(spec)
	if err != nil {
		return nil, err
	}
	return &coop{rx: coll.Programs["layercoop_rx"], tx: coll.Programs["layercoop_tx"], flows: coll.Maps["flows"], coll: coll,
		insns: [2]int{spec.Programs["layercoop_rx"].Instructions.RawLen(), spec.Programs["layercoop_tx"].Instructions.RawLen()}}, nil
}

func (c *coop) Close() { c.coll.Close() }

// attachment is both programs attached to one interface.
type attachment struct {
	xdp *attach.XDPAttachment
	tc  *attach.TCAttachment
}

// attach attaches rx at XDP (as the flags ask) and tx at tc egress of
// iface.
func (c *coop) attach(iface attach.Interface, flags cli.Flags) (*attachment, error) {
	opts, err := flags.XDPOptions()
	if err != nil {
		return nil, err
	}
	xdp, err := attach.XDP(iface, c.rx, opts)
	if err != nil {
		return nil, err
	}
	tc, err := attach.TC(iface, c.tx, attach.Egress, attach.TCOptions{})
	if err != nil {
		xdp.Close()
		return nil, err
	}
	return &attachment{xdp: xdp, tc: tc}, nil
}

// Close detaches both programs.
func (a *attachment) Close() error {
	return errors.Join(a.tc.Close(), a.xdp.Close())
}

// flow is one direction of a conversation.
type flow struct {
	src, dst netip.Addr
	flowCounters
}

func (c *coop) flowTable() ([]flow, error) {
	tm, err := maps.AsTyped[flowKey, flowCounters](c.flows)
	if err != nil {
		return nil, err
	}
	var out []flow
	var k flowKey
	var v flowCounters
	it := tm.Iterate()
	for it.Next(&k, &v) {
		out = append(out, flow{netip.AddrFrom4(k.Saddr), netip.AddrFrom4(k.Daddr), v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].src != out[j].src {
			return out[i].src.Less(out[j].src)
		}
		return out[i].dst.Less(out[j].dst)
	})
	return out, it.Err()
}

// printTable prints the flows of the interface's host: packets from a
// peer were counted by rx (XDP, in), packets to it by tx (tc, out).
func printTable(w io.Writer, flows []flow) {
	fmt.Fprintf(w, "  %-15s    %-15s  %8s %10s\n", "source", "destination", "packets", "bytes")
	for _, f := range flows {
		fmt.Fprintf(w, "  %-15s -> %-15s  %8d %10d\n", f.src, f.dst, f.Packets, f.Bytes)
	}
}

func run(ctx context.Context, w io.Writer, flags cli.Flags, pinDir string, interval time.Duration) error {
	c, err := load(flags.Asm(), pinDir)
	if err != nil {
		return err
	}
	defer c.Close()
	ns, err := flags.OpenNetns()
	if err != nil {
		return err
	}
	if ns != nil {
		defer ns.Close()
	}
	a, err := c.attach(attach.ByName(flags.Dev).In(ns), flags)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "layercoop_rx attached to %s at XDP (%s mode), layercoop_tx at tc egress (%s). Ctrl-C to stop.\n", flags.Dev, a.xdp.Mode(), a.tc.Method())
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
			flows, err := c.flowTable()
			if err != nil {
				a.Close()
				return err
			}
			fmt.Fprintf(w, "%s:\n", time.Now().Format(time.TimeOnly))
			printTable(w, flows)
		}
	}
	if err := a.Close(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Detached and unloaded both programs.")
	return nil
}
