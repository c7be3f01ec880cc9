package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest/packet"
	"github.com/purebpf/bpf/examples/internal/cli"
	"github.com/purebpf/bpf/examples/internal/frames"
	"github.com/purebpf/bpf/verifier"
)

func runDemo(w io.Writer, o options) error {
	l, err := load(o)
	var verr *verifier.Error
	if o.license == "proprietary" && errors.As(err, &verr) {
		// The lesson of the tutorial: show the refusal and its fix.
		fmt.Fprintf(w, "Loading the %s build under the license \"Proprietary\" fails, as the tutorial shows:\n\n%v\n\nVerifier details: instruction %d (%s): %s\n",
			map[bool]string{true: "asm", false: "clang"}[o.Asm()], err, verr.Index, verr.Instruction, verr.Message)
		return nil
	}
	if err != nil {
		return err
	}
	defer l.Close()
	build := map[bool]string{true: "asm", false: "clang"}[o.Asm()]
	fmt.Fprintf(w, "Loaded the %s build: xdp_mark (XDP) and tc_mark (tc).\n\nStep 1: test runs.\n", build)
	frame := packet.UDPv4(netipPort(frames.Client, 40000), netipPort(frames.Server, 53), []byte("query"))
	out := make([]byte, 256)
	ctx := &bpf.XDPContext{DataEnd: uint32(len(frame))}
	res, err := l.xdp.Run(bpf.RunOptions{Data: frame, DataOut: out, Context: ctx, ContextOut: ctx})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  xdp_mark: %s, metadata in front of the packet: % x\n", bpf.XDPAction(res.ReturnValue), out[:ctx.Data])
	skb := &bpf.SKBContext{}
	res, err = l.tc.Run(bpf.RunOptions{Data: frame, Context: skb, ContextOut: skb})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  tc_mark on a packet without metadata: %s, skb->mark = %d\n", bpf.TCAction(res.ReturnValue), skb.Mark)

	fmt.Fprintln(w, "\nStep 2: real traffic.")
	net, err := cli.NewNetwork(w)
	if err != nil {
		return err
	}
	defer net.Close()
	o.Dev, o.Netns = net.B.Name, net.B.Netns.Name()
	o.verbose = true
	fmt.Fprintln(w, "Installing on the server's interface, as xdp2skb_meta.sh does:")
	if err := install(indentWriter{w}, o); err != nil {
		return err
	}
	trace, terr := cli.OpenTrace("[TC] metadata")
	if terr != nil {
		fmt.Fprintf(w, "(cannot read trace_pipe: %v)\n", terr)
	}
	recv, err := listenMarks(net.B.Netns, net.B.Addr())
	if err != nil {
		return err
	}
	defer recv.Close()
	const n = 5
	report := func(when string) error {
		if err := sendDatagrams(net.A.Netns, net.B.Addr(), recv.port, n); err != nil {
			return err
		}
		marks, err := recv.receive(n, 2*time.Second)
		if err != nil {
			return err
		}
		count := map[uint32]int{}
		for _, m := range marks {
			count[m]++
		}
		fmt.Fprintf(w, "%s: %d of %d datagrams arrived; with skb->mark 42: %d, with 41: %d, other: %d\n",
			when, len(marks), n, count[markFromXDP], count[markNoMeta], len(marks)-count[markFromXDP]-count[markNoMeta])
		return nil
	}
	if err := report("With xdp_mark and tc_mark"); err != nil {
		return err
	}
	if trace != nil {
		lines := trace.Lines(n, 2*time.Second)
		trace.Close()
		fmt.Fprintf(w, "trace_pipe shows %d lines of tc_mark since the demo began (one per packet with metadata: the %d datagrams, and any ARP or IPv6 neighbour traffic), for example:\n", len(lines), n)
		for i, line := range lines {
			if i == 2 {
				break
			}
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
	fmt.Fprintln(w, "Removing xdp_mark only:")
	if err := step(indentWriter{w}, o, xdpOffCommand(o, attach.ByName(o.Dev).In(net.B.Netns)), false, func() error {
		return attach.DetachXDP(attach.ByName(o.Dev).In(net.B.Netns), attach.DetachXDPOptions{})
	}); err != nil {
		return err
	}
	if err := report("With tc_mark alone"); err != nil {
		return err
	}
	fmt.Fprintln(w, "Flushing:")
	return flush(indentWriter{w}, o)
}

// indentWriter indents what is written to it by two spaces.
type indentWriter struct{ w io.Writer }

func (i indentWriter) Write(b []byte) (int, error) {
	s := strings.TrimSuffix(string(b), "\n")
	_, err := io.WriteString(i.w, "  "+strings.ReplaceAll(s, "\n", "\n  ")+"\n")
	return len(b), err
}
