package packet_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"

	"github.com/purebpf/bpf/bpftest/packet"
)

// Build a TCP SYN to port 80 with the shortcut and print it.
func ExampleTCPv4() {
	frame := packet.TCPv4(
		netip.MustParseAddrPort("10.0.0.1:1234"),
		netip.MustParseAddrPort("10.0.0.2:80"),
		packet.SYN,
	)
	fmt.Println(len(frame))
	fmt.Println(hex.EncodeToString(frame[:14]))   // Ethernet
	fmt.Println(hex.EncodeToString(frame[14:34])) // IPv4, header checksum 66ce
	fmt.Println(hex.EncodeToString(frame[34:]))   // TCP, checksum 96be
	// Output:
	// 54
	// 0200000000020200000000010800
	// 4500002800000000400666ce0a0000010a000002
	// 04d2005000000000000000005002ffff96be0000
}

// Build a frame layer by layer: lengths, protocol fields and checksums are
// derived unless set.
func ExampleBuild() {
	frame := packet.Build(
		packet.Ethernet{Src: packet.DefaultSrcMAC(), Dst: packet.DefaultDstMAC()},
		packet.VLAN{ID: 100},
		packet.IPv4{TTL: 64, Flags: packet.DontFragment, Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2")},
		packet.TCP{SrcPort: 40000, DstPort: 80, Seq: 1, Flags: packet.SYN, Window: 65535,
			Options: []byte{2, 4, 0x05, 0xb4}}, // MSS 1460
	)
	p, err := packet.Parse(frame)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.VLANs()[0].ID, p.IPv4().TotalLength, p.IPv4().Protocol)
	fmt.Println(p.TCP().DstPort, p.TCP().Flags, p.TCP().DataOffset)
	fmt.Println(p.ChecksumValid())
	// Output:
	// 100 44 TCP
	// 80 SYN 6
	// true
}

// Parse the frame a program returned and assert on it.
func ExampleParse() {
	// Pretend an XDP program answered this echo request in place.
	out := packet.ICMPEchoReplyV4(netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.1"), 7, 1, []byte("hi"))

	p, err := packet.Parse(out)
	if err != nil {
		panic(err)
	}
	fmt.Println(p) // a one-line summary for failure messages
	fmt.Println(p.Layers())
	fmt.Println(p.IPv4().Src, "->", p.IPv4().Dst)
	fmt.Println(p.Is(packet.LayerICMPv4), p.ICMPv4().Type == packet.ICMPv4EchoReply, p.ICMPv4().ID, string(p.Payload()))
	fmt.Println(p.ChecksumValid(packet.LayerIPv4, packet.LayerICMPv4))
	// Output:
	// Ethernet 02:00:00:00:00:01>02:00:00:00:00:02 | IPv4 10.0.0.2>10.0.0.1 ttl=64 proto=ICMP | ICMPv4 type=0 code=0 id=7 seq=1 | Payload 2
	// [Ethernet IPv4 ICMPv4 Payload]
	// 10.0.0.2 -> 10.0.0.1
	// true true 7 hi
	// true
}

// Reuse a buffer: building into spare capacity does not allocate.
func ExampleFrame_AppendTo() {
	tcp := &packet.TCP{SrcPort: 1000, DstPort: 80, Flags: packet.ACK}
	f := packet.Frame{Layers: []packet.Layer{
		&packet.Ethernet{},
		&packet.IPv4{TTL: 64, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")},
		tcp,
	}}
	buf := make([]byte, 0, 128)
	for seq := range uint32(3) {
		tcp.Seq = seq
		buf = f.AppendTo(buf[:0])
		p, _ := packet.Parse(buf)
		fmt.Println(p.TCP().Seq, p.ChecksumValid())
	}
	// Output:
	// 0 true
	// 1 true
	// 2 true
}

// Build malformed frames: a bad checksum and a frame cut short.
func ExampleFrame_malformed() {
	layers := []packet.Layer{
		packet.Ethernet{},
		packet.IPv6{HopLimit: 1, Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2")},
		packet.UDP{SrcPort: 53, DstPort: 53, ChecksumMode: packet.ChecksumBad},
		packet.Payload("query"),
	}
	p, _ := packet.Parse(packet.Build(layers...))
	fmt.Println(p.VerifyChecksums())

	cut := packet.Frame{Layers: layers, Truncate: 58}.Bytes() // 4 bytes into UDP
	p, err := packet.Parse(cut)
	fmt.Println(errors.Is(err, packet.ErrTruncated), p.Truncated(), p.IPv6() != nil)
	fmt.Println(err)
	// Output:
	// UDP checksum 0x540c is wrong, want 0x540d
	// true UDP true
	// decode UDP at offset 54: truncated: need 8 bytes, have 4
}
