// Package frames is the fixed set of frames the tutorial's examples are
// tested on: every example's clang and asm builds must give the same
// verdict on each of them.
package frames

import (
	"net/netip"

	"github.com/purebpf/bpf/bpftest/packet"
)

// Frame is a named test frame.
type Frame struct {
	Name  string
	Bytes []byte
}

var (
	// Client and Server are the addresses of the demo network.
	Client = netip.MustParseAddr("192.0.2.1")
	Server = netip.MustParseAddr("192.0.2.2")
	// Client6 and Server6 are their IPv6 addresses.
	Client6 = netip.MustParseAddr("2001:db8::1")
	Server6 = netip.MustParseAddr("2001:db8::2")
)

func tcp4(sport, dport uint16) []byte {
	return packet.TCPv4(netip.AddrPortFrom(Client, sport), netip.AddrPortFrom(Server, dport), packet.SYN)
}

// vlan builds an IPv4 frame behind the given VLAN tags.
func vlan(proto packet.IPProtocol, tags ...packet.VLAN) []byte {
	layers := []packet.Layer{packet.Ethernet{Dst: packet.DefaultDstMAC(), Src: packet.DefaultSrcMAC()}}
	for _, t := range tags {
		layers = append(layers, t)
	}
	layers = append(layers, packet.IPv4{TTL: 64, Src: Client, Dst: Server, Protocol: proto})
	switch proto {
	case packet.ProtoTCP:
		layers = append(layers, packet.TCP{SrcPort: 40000, DstPort: 80, Flags: packet.SYN, Window: 65535})
	case packet.ProtoUDP:
		layers = append(layers, packet.UDP{SrcPort: 40000, DstPort: 53}, packet.Payload("query"))
	}
	return packet.Build(layers...)
}

// All returns the test frames: TCP to and from port 80, TCP to 8080,
// UDP, ICMP, ARP, IPv6 (TCP, UDP, ICMPv6), VLAN-tagged (one and two tags)
// and truncated frames.
func All() []Frame {
	tcp80 := tcp4(40000, 80)
	return []Frame{
		{"TCP to port 80", tcp80},
		{"TCP from port 80", tcp4(80, 40000)},
		{"TCP to port 8080", tcp4(40000, 8080)},
		{"UDP to port 53", packet.UDPv4(netip.AddrPortFrom(Client, 40000), netip.AddrPortFrom(Server, 53), []byte("query"))},
		{"UDP to port 80", packet.UDPv4(netip.AddrPortFrom(Client, 40000), netip.AddrPortFrom(Server, 80), []byte("query"))},
		{"ICMP echo request", packet.ICMPEchoV4(Client, Server, 1, 1, []byte("ping"))},
		{"ARP request", packet.ARPRequest(packet.DefaultSrcMAC(), Client, Server)},
		{"IPv6 TCP to port 80", packet.TCPv6(netip.AddrPortFrom(Client6, 40000), netip.AddrPortFrom(Server6, 80), packet.SYN)},
		{"IPv6 UDP to port 53", packet.UDPv6(netip.AddrPortFrom(Client6, 40000), netip.AddrPortFrom(Server6, 53), []byte("query"))},
		{"ICMPv6 echo request", packet.ICMPEchoV6(Client6, Server6, 1, 1, []byte("ping"))},
		{"VLAN TCP to port 80", vlan(packet.ProtoTCP, packet.VLAN{ID: 10})},
		{"QinQ UDP to port 53", vlan(packet.ProtoUDP, packet.VLAN{ID: 100}, packet.VLAN{ID: 10})},
		{"truncated: Ethernet header only", tcp80[:14]},
		{"truncated: IPv4 header cut", tcp80[:14+10]},
		{"truncated: TCP header cut", tcp80[:14+20+2]},
	}
}
