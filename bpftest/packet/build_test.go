package packet

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"testing"
)

var (
	ip1  = netip.MustParseAddr("10.0.0.1")
	ip2  = netip.MustParseAddr("10.0.0.2")
	ip61 = netip.MustParseAddr("2001:db8::1")
	ip62 = netip.MustParseAddr("2001:db8::2")
	mac1 = DefaultSrcMAC()
	mac2 = DefaultDstMAC()
	eth  = Ethernet{Dst: mac2, Src: mac1}
)

// pingData is the 56-byte payload of the Linux ping captures below: a
// 16-byte timestamp then bytes 0x10..0x37.
func pingData() []byte {
	b := []byte{0x2d, 0x08, 0xf4, 0x60, 0, 0, 0, 0, 0x6c, 0x83, 0x0d, 0, 0, 0, 0, 0}
	for i := byte(0x10); i <= 0x37; i++ {
		b = append(b, i)
	}
	return b
}

// TestKnownGood compares builder output with reference frames. The first
// group are published captures (their checksums were computed by the
// sending hosts); the second were laid out by hand with an independent
// script (Python struct packing plus a textbook RFC 1071 loop) and spot
// checked by hand.
func TestKnownGood(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	jpcapData := []byte{0x68, 0xc8, 0x05, 0x3b, 0x60, 0xff, 0x0b, 0x00}
	for i := byte(0x08); i <= 0x37; i++ {
		jpcapData = append(jpcapData, i)
	}
	tests := []struct {
		name      string
		got       []byte
		want      string
		truncated LayerType // expected parse result for header-only references
	}{
		{
			// Wikipedia "IPv4 header checksum" example header.
			name: "wikipedia IPv4 header",
			got: Build(IPv4{TotalLength: 0x73, Flags: DontFragment, TTL: 64, Protocol: ProtoUDP,
				Src: netip.MustParseAddr("192.168.0.1"), Dst: netip.MustParseAddr("192.168.0.199")}),
			want:      "4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7",
			truncated: LayerUDP,
		},
		{
			// tcpdump -X of "ping localhost" on Linux: echo request.
			name: "tcpdump ping localhost request",
			got:  Build(IPv4{ID: 0x9210, Flags: DontFragment, TTL: 64, Src: lo, Dst: lo}, ICMPv4{Type: ICMPv4EchoRequest, ID: 0x5514, Seq: 1}, Payload(pingData())),
			want: "4500 0054 9210 4000 4001 aa96 7f00 0001 7f00 0001 0800 492b 5514 0001" + hex.EncodeToString(pingData()),
		},
		{
			// The matching echo reply (no DF, next IP ID).
			name: "tcpdump ping localhost reply",
			got:  Build(IPv4{ID: 0x9211, TTL: 64, Src: lo, Dst: lo}, ICMPv4{Type: ICMPv4EchoReply, ID: 0x5514, Seq: 1}, Payload(pingData())),
			want: "4500 0054 9211 0000 4001 ea95 7f00 0001 7f00 0001 0000 512b 5514 0001" + hex.EncodeToString(pingData()),
		},
		{
			// jpcap's documented sample echo request, with its all-zero
			// Ethernet header.
			name: "jpcap echo request frame",
			got: Build(Ethernet{}, IPv4{ID: 0x10, TTL: 64, Src: lo, Dst: lo},
				ICMPv4{Type: ICMPv4EchoRequest, ID: 0xf703, Seq: 0}, Payload(jpcapData)),
			want: "0000 0000 0000 0000 0000 0000 0800 4500 0054 0010 0000 4001 7c97 7f00 0001 7f00 0001 0800 3bf6 f703 0000" + hex.EncodeToString(jpcapData),
		},
		{
			// A captured TCP ACK with NOP, NOP, timestamp options.
			name: "captured TCP ACK with timestamps",
			got: Build(
				IPv4{ID: 0xeda5, Flags: DontFragment, TTL: 64, Src: netip.MustParseAddr("172.22.104.109"), Dst: netip.MustParseAddr("74.125.159.103")},
				TCP{SrcPort: 0xaf1f, DstPort: 80, Seq: 0xe8338b62, Ack: 0xfc13da66, Flags: ACK, Window: 0x5c,
					Options: []byte{1, 1, 8, 10, 0x04, 0xb8, 0x66, 0xf7, 0x4a, 0xdd, 0x90, 0x45}}),
			want: "4500 0034 eda5 4000 4006 4eb6 ac16 686d 4a7d 9f67 af1f 0050 e833 8b62 fc13 da66 8010 005c 37a6 0000 0101 080a 04b8 66f7 4add 9045",
		},

		// Hand-derived references.
		{
			name: "TCPv4 SYN shortcut",
			got:  TCPv4(netip.AddrPortFrom(ip1, 1234), netip.AddrPortFrom(ip2, 80), SYN),
			want: "020000000002020000000001 0800 4500002800000000400666ce0a0000010a000002 04d2005000000000000000005002ffff96be0000",
		},
		{
			name: "UDPv4 shortcut, odd payload",
			got:  UDPv4(netip.AddrPortFrom(ip1, 5000), netip.AddrPortFrom(ip2, 53), []byte("hello")),
			want: "020000000002020000000001 0800 4500002100000000401166ca0a0000010a000002 13880035000d9442 68656c6c6f",
		},
		{
			name: "ICMPEchoV4 shortcut",
			got:  ICMPEchoV4(netip.MustParseAddr("192.168.1.10"), netip.MustParseAddr("192.168.1.1"), 0x4242, 7, []byte("ping!")),
			want: "020000000002020000000001 0800 45000021000000004001f780c0a8010ac0a80101 0800b5e542420007 70696e6721",
		},
		{
			name: "TCPv6 SYN shortcut",
			got:  TCPv6(netip.AddrPortFrom(ip61, 40000), netip.AddrPortFrom(ip62, 80), SYN),
			want: "020000000002020000000001 86dd 6000000000140640 20010db8000000000000000000000001 20010db8000000000000000000000002 9c40005000000000000000005002ffffb7dd0000",
		},
		{
			name: "UDPv6 shortcut, odd payload",
			got:  UDPv6(netip.AddrPortFrom(ip61, 1234), netip.AddrPortFrom(ip62, 4321), []byte("abc")),
			want: "020000000002020000000001 86dd 60000000000b1140 20010db8000000000000000000000001 20010db8000000000000000000000002 04d210e1000bca4d 616263",
		},
		{
			name: "ICMPEchoV6 shortcut",
			got:  ICMPEchoV6(ip61, ip62, 0x1234, 1, []byte("0123456789")),
			want: "020000000002020000000001 86dd 6000000000123a40 20010db8000000000000000000000001 20010db8000000000000000000000002 80000cff12340001 30313233343536373839",
		},
		{
			name: "ICMPEchoReplyV6 shortcut",
			got:  ICMPEchoReplyV6(ip62, ip61, 0x4242, 7, []byte("ping!")),
			want: "020000000002020000000001 86dd 60000000000d3a40 20010db8000000000000000000000002 20010db8000000000000000000000001 8100e12842420007 70696e6721",
		},
		{
			name: "QinQ IPv4 UDP with DSCP, DF, ID",
			got: Build(eth, VLAN{Priority: 3, ID: 100}, VLAN{DropEligible: true, ID: 200},
				IPv4{TOS: 0xb8, ID: 0xbeef, Flags: DontFragment, TTL: 17, Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("198.51.100.7")},
				UDP{SrcPort: 7, DstPort: 9}, Payload{1, 2, 3, 4}),
			want: "020000000002020000000001 88a8 6064 8100 10c8 0800 45b80020beef40001111bde9c0000201c6336407 0007 0009 000c 0f84 01020304",
		},
		{
			name: "IPv4 router alert option, ICMP echo reply",
			got: Build(eth, IPv4{TTL: 1, Src: netip.MustParseAddr("10.1.2.3"), Dst: netip.MustParseAddr("10.3.2.1"), Options: []byte{0x94, 4, 0, 0}},
				ICMPv4{Type: ICMPv4EchoReply, ID: 7, Seq: 9}, Payload("xyz")),
			want: "020000000002020000000001 0800 460000230000000001010ccf0a0102030a030201 94040000 00000d7600070009 78797a",
		},
		{
			name: "IPv6 traffic class, flow label, TCP MSS option and data",
			got: Build(eth, IPv6{TrafficClass: 0x2e, FlowLabel: 0xabcde, HopLimit: 255, Src: netip.MustParseAddr("fe80::1"), Dst: netip.MustParseAddr("ff02::1")},
				TCP{SrcPort: 443, DstPort: 51000, Seq: 0x01020304, Ack: 0xa0b0c0d0, Flags: PSH | ACK, Window: 512, Options: []byte{2, 4, 5, 0xb4}},
				Payload("GET /")),
			want: "020000000002020000000001 86dd 62eabcde001d06ff fe800000000000000000000000000001 ff020000000000000000000000000001 01bbc73801020304a0b0c0d0601802009fa50000 020405b4 474554202f",
		},
		{
			// RFC 826 layout, no checksum: laid out by hand.
			name: "ARPRequest shortcut",
			got:  ARPRequest(mac1, ip1, ip2),
			want: "ffffffffffff 020000000001 0806 0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002",
		},
		{
			name: "ARPReply shortcut",
			got:  ARPReply(mac2, ip2, mac1, ip1),
			want: "020000000001 020000000002 0806 0001 0800 06 04 0002 020000000002 0a000002 020000000001 0a000001",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := mustHex(t, tt.want)
			if !bytes.Equal(tt.got, want) {
				t.Errorf("built\n%x\nwant\n%x", tt.got, want)
			}
			// The reference itself must verify with the independent
			// checksum, and the parser must agree.
			checkIndependently(t, want)
			first := LayerEthernet
			if want[0]>>4 == 4 {
				first = LayerIPv4
			}
			d, err := ParseFrom(first, want)
			if tt.truncated != LayerNone {
				if !errors.Is(err, ErrTruncated) || d.Truncated() != tt.truncated {
					t.Fatalf("Parse(reference) = %v, truncated in %v; want %v truncated", err, d.Truncated(), tt.truncated)
				}
				if !d.ChecksumValid(LayerIPv4) {
					t.Errorf("IPv4 header checksum of reference does not verify")
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(reference): %v", err)
			}
			if err := d.VerifyChecksums(); err != nil {
				t.Errorf("VerifyChecksums(reference): %v", err)
			}
		})
	}
}

// checkIndependently walks a frame with minimal test-side code and verifies
// every checksum with naiveChecksum. It accepts frames starting with an
// Ethernet header (first byte 0x00 or 0x02 or 0xff in these tests) or with
// a bare IPv4 header (0x45..0x4f).
func checkIndependently(t *testing.T, f []byte) {
	t.Helper()
	off := 0
	et := uint16(0x0800)
	if f[0]>>4 != 4 {
		et = uint16(f[12])<<8 | uint16(f[13])
		off = 14
		for et == 0x8100 || et == 0x88a8 {
			et = uint16(f[off+2])<<8 | uint16(f[off+3])
			off += 4
		}
	}
	var pseudo []byte
	var proto byte
	var end int
	switch et {
	case 0x0800:
		hl := int(f[off]&0xf) * 4
		if c := naiveChecksum(f[off : off+hl]); c != 0 {
			t.Errorf("independent IPv4 header checksum check: %#04x, want 0", c)
		}
		proto = f[off+9]
		end = off + (int(f[off+2])<<8 | int(f[off+3]))
		pseudo = append(pseudo, f[off+12:off+20]...)
		off += hl
	case 0x86dd:
		proto = f[off+6]
		end = off + 40 + (int(f[off+4])<<8 | int(f[off+5]))
		pseudo = append(pseudo, f[off+8:off+40]...)
		off += 40
	default:
		return
	}
	if end > len(f) {
		return // header-only reference
	}
	l := end - off
	pseudo = append(pseudo, 0, 0, byte(l>>8), byte(l), 0, 0, 0, proto)
	switch proto {
	case 1:
		pseudo = nil
	case 6, 17, 58:
	default:
		return
	}
	if proto == 17 && et == 0x0800 && f[off+6] == 0 && f[off+7] == 0 {
		return
	}
	if c := naiveChecksum(pseudo, f[off:end]); c != 0 {
		t.Errorf("independent checksum check of protocol %d: %#04x, want 0", proto, c)
	}
}
