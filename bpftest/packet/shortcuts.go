package packet

import "net/netip"

// Defaults of the shortcut builders.
const (
	// DefaultTTL is the IPv4 TTL and IPv6 hop limit of shortcut frames.
	DefaultTTL = 64
	// DefaultWindow is the TCP window of shortcut frames.
	DefaultWindow = 65535
)

// The shortcut builders below return complete, unpadded Ethernet frames
// from DefaultSrcMAC to DefaultDstMAC (ARP requests: to Broadcast) with
// TTL / hop limit DefaultTTL, IPv4 ID 0 and no IP flags, and every length
// and checksum correct. For anything else, call Build with the layers.

// TCPv4 returns an Ethernet/IPv4/TCP frame without payload from src to dst
// with the given flags, sequence and acknowledgment number 0 and window
// DefaultWindow. Both addresses must be IPv4.
func TCPv4(src, dst netip.AddrPort, flags TCPFlags) []byte {
	return Build(
		Ethernet{Dst: DefaultDstMAC(), Src: DefaultSrcMAC()},
		IPv4{TTL: DefaultTTL, Src: src.Addr(), Dst: dst.Addr()},
		TCP{SrcPort: src.Port(), DstPort: dst.Port(), Flags: flags, Window: DefaultWindow},
	)
}

// TCPv6 is TCPv4 over IPv6. Both addresses must be IPv6.
func TCPv6(src, dst netip.AddrPort, flags TCPFlags) []byte {
	return Build(
		Ethernet{Dst: DefaultDstMAC(), Src: DefaultSrcMAC()},
		IPv6{HopLimit: DefaultTTL, Src: src.Addr(), Dst: dst.Addr()},
		TCP{SrcPort: src.Port(), DstPort: dst.Port(), Flags: flags, Window: DefaultWindow},
	)
}

// UDPv4 returns an Ethernet/IPv4/UDP frame carrying payload from src to
// dst. Both addresses must be IPv4.
func UDPv4(src, dst netip.AddrPort, payload []byte) []byte {
	return Build(
		Ethernet{Dst: DefaultDstMAC(), Src: DefaultSrcMAC()},
		IPv4{TTL: DefaultTTL, Src: src.Addr(), Dst: dst.Addr()},
		UDP{SrcPort: src.Port(), DstPort: dst.Port()},
		Payload(payload),
	)
}

// UDPv6 is UDPv4 over IPv6. Both addresses must be IPv6.
func UDPv6(src, dst netip.AddrPort, payload []byte) []byte {
	return Build(
		Ethernet{Dst: DefaultDstMAC(), Src: DefaultSrcMAC()},
		IPv6{HopLimit: DefaultTTL, Src: src.Addr(), Dst: dst.Addr()},
		UDP{SrcPort: src.Port(), DstPort: dst.Port()},
		Payload(payload),
	)
}

func icmp4(typ uint8, src, dst netip.Addr, id, seq uint16, payload []byte) []byte {
	return Build(
		Ethernet{Dst: DefaultDstMAC(), Src: DefaultSrcMAC()},
		IPv4{TTL: DefaultTTL, Src: src, Dst: dst},
		ICMPv4{Type: typ, ID: id, Seq: seq},
		Payload(payload),
	)
}

func icmp6(typ uint8, src, dst netip.Addr, id, seq uint16, payload []byte) []byte {
	return Build(
		Ethernet{Dst: DefaultDstMAC(), Src: DefaultSrcMAC()},
		IPv6{HopLimit: DefaultTTL, Src: src, Dst: dst},
		ICMPv6{Type: typ, ID: id, Seq: seq},
		Payload(payload),
	)
}

// ICMPEchoV4 returns an Ethernet/IPv4 ICMP echo request (ping) from src to
// dst with identifier id, sequence number seq and the given data.
func ICMPEchoV4(src, dst netip.Addr, id, seq uint16, payload []byte) []byte {
	return icmp4(ICMPv4EchoRequest, src, dst, id, seq, payload)
}

// ICMPEchoReplyV4 returns an Ethernet/IPv4 ICMP echo reply; arguments as for
// ICMPEchoV4.
func ICMPEchoReplyV4(src, dst netip.Addr, id, seq uint16, payload []byte) []byte {
	return icmp4(ICMPv4EchoReply, src, dst, id, seq, payload)
}

// ICMPEchoV6 returns an Ethernet/IPv6 ICMPv6 echo request from src to dst
// with identifier id, sequence number seq and the given data.
func ICMPEchoV6(src, dst netip.Addr, id, seq uint16, payload []byte) []byte {
	return icmp6(ICMPv6EchoRequest, src, dst, id, seq, payload)
}

// ICMPEchoReplyV6 returns an Ethernet/IPv6 ICMPv6 echo reply; arguments as
// for ICMPEchoV6.
func ICMPEchoReplyV6(src, dst netip.Addr, id, seq uint16, payload []byte) []byte {
	return icmp6(ICMPv6EchoReply, src, dst, id, seq, payload)
}

// ARPRequest returns a broadcast Ethernet ARP request from senderMAC and
// senderIP asking for the MAC of targetIP (target MAC zero).
func ARPRequest(senderMAC MAC, senderIP, targetIP netip.Addr) []byte {
	return Build(
		Ethernet{Dst: Broadcast(), Src: senderMAC},
		ARP{Op: ARPOpRequest, SenderMAC: senderMAC, SenderIP: senderIP, TargetIP: targetIP},
	)
}

// ARPReply returns an Ethernet ARP reply from senderMAC and senderIP to
// targetMAC and targetIP, announcing that senderIP is at senderMAC.
func ARPReply(senderMAC MAC, senderIP netip.Addr, targetMAC MAC, targetIP netip.Addr) []byte {
	return Build(
		Ethernet{Dst: targetMAC, Src: senderMAC},
		ARP{Op: ARPOpReply, SenderMAC: senderMAC, SenderIP: senderIP, TargetMAC: targetMAC, TargetIP: targetIP},
	)
}
