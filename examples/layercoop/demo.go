package main

import (
	"fmt"
	"io"

	"github.com/purebpf/bpf/examples/internal/cli"
)

func runDemo(w io.Writer, flags cli.Flags) error {
	c, err := load(flags.Asm(), "")
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Fprintf(w, "Loaded the %s build: layercoop_rx (XDP, %d instructions) and layercoop_tx (tc, %d instructions), sharing the hash map flows.\n",
		map[bool]string{true: "asm", false: "clang"}[flags.Asm()], c.insns[0], c.insns[1])
	net, err := cli.NewNetwork(w)
	if err != nil {
		return err
	}
	defer net.Close()
	a, err := c.attach(net.B.Interface(), flags)
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(w, "Attached to the server's %s: layercoop_rx at XDP (%s mode), layercoop_tx at tc egress (through %s).\n", net.B.Name, a.xdp.Mode(), a.tc.Method())
	t, err := net.SendTraffic()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Traffic from the client: %s\n", t)
	flows, err := c.flowTable()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Flows seen on the server (%s -> %s counted by XDP on the way in, %s -> %s by tc on the way out):\n", net.A.Addr(), net.B.Addr(), net.B.Addr(), net.A.Addr())
	printTable(w, flows)
	return nil
}
