package main

import (
	"fmt"
	"io"
	"time"

	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/examples/internal/cli"
)

// protoNames labels the slots of rxcnt the demo's traffic fills. Slot 0
// is where xdp_prog1 counts what has no IP protocol number for it (an
// ethertype other than IPv4 and IPv6 after up to two VLAN tags, such as
// ARP; an IP header cut short) and also the IPv6 packets whose next header
// is 0, hop-by-hop options, as in the MLD listener reports an interface
// sends when it comes up.
var protoNames = map[uint32]string{
	0:  "not IPv4/IPv6 such as ARP, IPv6 hop-by-hop such as MLD reports, or a truncated IP header",
	1:  "ICMP",
	6:  "TCP",
	17: "UDP",
	58: "ICMPv6",
}

func runDemo(w io.Writer, hash, pass bool, flags cli.Flags) error {
	p, err := load(flags.Asm(), hash, pass)
	if err != nil {
		return err
	}
	defer p.Close()
	fmt.Fprintf(w, "Loaded %s (%s build, %d instructions) with map rxcnt (%s, 256 entries).\n", p.spec.Name, map[bool]string{true: "Go asm", false: "clang"}[flags.Asm()], p.spec.Instructions.RawLen(), p.m.Type())
	net, err := cli.NewNetwork(w)
	if err != nil {
		return err
	}
	defer net.Close()
	if _, err := net.Ping(1); err != nil { // resolve the neighbours first
		return err
	}
	opts, err := flags.XDPOptions()
	if err != nil {
		return err
	}
	att, err := attach.XDP(net.B.Interface(), p.prog, opts)
	if err != nil {
		return err
	}
	defer att.Close()
	fmt.Fprintf(w, "Attached to the server's %s (%s mode). Sending from the client: 4 pings, 1 TCP connection attempt, 6 UDP datagrams, 2 IPv6 pings.\n", net.B.Name, att.Mode())
	ping, err := net.Ping(4)
	if err != nil {
		return err
	}
	tcpOK, _ := net.TCP(0)
	udp, err := net.UDP(6)
	if err != nil {
		return err
	}
	ping6, err := testnet.Ping(net.A.Netns, net.B.IPv6.Addr(), testnet.PingOptions{Count: 2, Timeout: 300 * time.Millisecond})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  the server answered %d pings, TCP %v, received %d datagrams, answered %d IPv6 pings (xdp1 %s them)\n",
		ping.Received, map[bool]string{true: "connected", false: "did not connect"}[tcpOK], udp, ping6.Received,
		map[bool]string{true: "passes", false: "drops"}[pass])
	counts, err := p.counts()
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Packets counted in rxcnt, per IP protocol (summed over CPUs):")
	for _, k := range sortedKeys(counts) {
		name := protoNames[k]
		if name == "" {
			name = "?"
		}
		fmt.Fprintf(w, "  proto %3d (%s): %d\n", k, name, counts[k])
	}
	return nil
}
