package packet

import (
	"bytes"
	"net/netip"
	"reflect"
	"slices"
	"testing"
)

// roundTripCases covers every layer combination the builder and parser
// support. Options are multiples of 4 bytes so parsed structs compare equal.
func roundTripCases() []struct {
	name   string
	layers []Layer
	want   []LayerType
} {
	tcp := TCP{SrcPort: 1234, DstPort: 80, Seq: 100, Ack: 200, Flags: SYN | ACK, Window: 1000}
	tcpOpts := TCP{SrcPort: 5, DstPort: 6, Flags: PSH | ACK | URG | FIN | RST, Urgent: 3, Window: 9,
		Options: []byte{2, 4, 0x05, 0xb4, 1, 3, 3, 7}}
	udp := UDP{SrcPort: 53, DstPort: 33000}
	ip4 := IPv4{TOS: 0x10, ID: 77, Flags: DontFragment, TTL: 64, Src: ip1, Dst: ip2}
	ip6 := IPv6{TrafficClass: 0xa0, FlowLabel: 0x12345, HopLimit: 3, Src: ip61, Dst: ip62}
	E := []LayerType{LayerEthernet}
	with := func(l ...LayerType) []LayerType { return append(slices.Clone(E), l...) }
	return []struct {
		name   string
		layers []Layer
		want   []LayerType
	}{
		{"eth ipv4 tcp", []Layer{eth, ip4, tcp}, with(LayerIPv4, LayerTCP)},
		{"eth ipv4 tcp payload", []Layer{eth, ip4, tcp, Payload("hello world")}, with(LayerIPv4, LayerTCP, LayerPayload)},
		{"eth ipv4+opts tcp+opts payload", []Layer{eth, IPv4{TTL: 9, Src: ip2, Dst: ip1, Options: []byte{0x94, 4, 0, 0, 1, 1, 1, 0}}, tcpOpts, Payload{0xde, 0xad}},
			with(LayerIPv4, LayerTCP, LayerPayload)},
		{"eth ipv4 udp payload", []Layer{eth, ip4, udp, Payload("q")}, with(LayerIPv4, LayerUDP, LayerPayload)},
		{"eth ipv4 udp", []Layer{eth, ip4, udp}, with(LayerIPv4, LayerUDP)},
		{"eth ipv4 icmp payload", []Layer{eth, ip4, ICMPv4{Type: ICMPv4EchoRequest, ID: 1, Seq: 2}, Payload("abcdefg")}, with(LayerIPv4, LayerICMPv4, LayerPayload)},
		{"eth ipv4 icmp unreachable", []Layer{eth, ip4, ICMPv4{Type: ICMPv4DestUnreachable, Code: 4, Seq: 1400}}, with(LayerIPv4, LayerICMPv4)},
		{"eth ipv4 raw protocol", []Layer{eth, IPv4{TTL: 1, Protocol: 253, Src: ip1, Dst: ip2}, Payload{1, 2, 3}}, with(LayerIPv4, LayerPayload)},
		{"eth ipv6 tcp", []Layer{eth, ip6, tcp}, with(LayerIPv6, LayerTCP)},
		{"eth ipv6 tcp+opts payload", []Layer{eth, ip6, tcpOpts, Payload("x")}, with(LayerIPv6, LayerTCP, LayerPayload)},
		{"eth ipv6 udp payload", []Layer{eth, ip6, udp, Payload("abc")}, with(LayerIPv6, LayerUDP, LayerPayload)},
		{"eth ipv6 icmpv6 payload", []Layer{eth, ip6, ICMPv6{Type: ICMPv6EchoReply, ID: 9, Seq: 10}, Payload("01234")}, with(LayerIPv6, LayerICMPv6, LayerPayload)},
		{"eth ipv6 no next header", []Layer{eth, IPv6{NextHeader: ProtoNoNext, HopLimit: 1, Src: ip61, Dst: ip62}}, with(LayerIPv6)},
		{"eth arp request", []Layer{Ethernet{Dst: Broadcast(), Src: mac1}, ARP{Op: ARPOpRequest, SenderMAC: mac1, SenderIP: ip1, TargetIP: ip2}}, with(LayerARP)},
		{"eth arp reply", []Layer{eth, ARP{Op: ARPOpReply, SenderMAC: mac2, SenderIP: ip2, TargetMAC: mac1, TargetIP: ip1}}, with(LayerARP)},
		{"eth unknown ethertype payload", []Layer{Ethernet{Dst: mac2, Src: mac1, EtherType: 0x88b5}, Payload("local experimental")}, with(LayerPayload)},
		{"eth vlan ipv4 tcp", []Layer{eth, VLAN{Priority: 5, ID: 42}, ip4, tcp}, with(LayerVLAN, LayerIPv4, LayerTCP)},
		{"eth vlan arp", []Layer{eth, VLAN{ID: 4095, DropEligible: true}, ARP{Op: ARPOpRequest, SenderMAC: mac1, SenderIP: ip1, TargetIP: ip2}}, with(LayerVLAN, LayerARP)},
		{"eth qinq ipv6 udp payload", []Layer{eth, VLAN{ID: 10, Priority: 7}, VLAN{ID: 20}, ip6, udp, Payload("qinq")}, with(LayerVLAN, LayerVLAN, LayerIPv6, LayerUDP, LayerPayload)},
		{"eth qinq 9100 ipv4 icmp", []Layer{eth, VLAN{TPID: EtherTypeQinQ9100, ID: 1}, VLAN{ID: 2}, ip4, ICMPv4{Type: ICMPv4EchoReply}}, with(LayerVLAN, LayerVLAN, LayerIPv4, LayerICMPv4)},
		{"pointer layers", []Layer{&Ethernet{Dst: mac2, Src: mac1}, &VLAN{ID: 3}, &IPv4{TTL: 5, Src: ip1, Dst: ip2}, &UDP{SrcPort: 1, DstPort: 2}, Payload("ptr")}, with(LayerVLAN, LayerIPv4, LayerUDP, LayerPayload)},
	}
}

func deref(l Layer) Layer {
	switch v := l.(type) {
	case *Ethernet:
		return *v
	case *VLAN:
		return *v
	case *ARP:
		return *v
	case *IPv4:
		return *v
	case *IPv6:
		return *v
	case *TCP:
		return *v
	case *UDP:
		return *v
	case *ICMPv4:
		return *v
	case *ICMPv6:
		return *v
	}
	return l
}

// announced is what a header writes for the next layer (test-side table).
func announced(layers []Layer, i int) (EtherType, IPProtocol) {
	if i >= len(layers) {
		return 0, 0
	}
	switch layers[i].LayerType() {
	case LayerVLAN:
		if v := deref(layers[i]).(VLAN); v.TPID != 0 {
			return v.TPID, 0
		}
		if i+1 < len(layers) && layers[i+1].LayerType() == LayerVLAN {
			return 0x88a8, 0
		}
		return 0x8100, 0
	case LayerARP:
		return 0x0806, 0
	case LayerIPv4:
		return 0x0800, 4
	case LayerIPv6:
		return 0x86dd, 41
	case LayerTCP:
		return 0, 6
	case LayerUDP:
		return 0, 17
	case LayerICMPv4:
		return 0, 1
	case LayerICMPv6:
		return 0, 58
	}
	return 0, 0
}

func TestRoundTrip(t *testing.T) {
	for _, tt := range roundTripCases() {
		t.Run(tt.name, func(t *testing.T) {
			frame := Build(tt.layers...)
			checkIndependently(t, frame)
			d, err := Parse(frame)
			if err != nil {
				t.Fatalf("Parse: %v\n%x", err, frame)
			}
			if got := d.Layers(); !slices.Equal(got, tt.want) {
				t.Fatalf("Layers() = %v, want %v", got, tt.want)
			}
			for _, l := range tt.want {
				if !d.Is(l) {
					t.Errorf("Is(%v) = false", l)
				}
			}
			if !d.ChecksumValid() || d.VerifyChecksums() != nil {
				t.Errorf("checksums invalid: %v", d.VerifyChecksums())
			}
			if d.Truncated() != LayerNone || d.Trailer() != nil {
				t.Errorf("Truncated() = %v, Trailer() = %x", d.Truncated(), d.Trailer())
			}
			vlan := 0
			for i, l := range tt.layers {
				et, proto := announced(tt.layers, i+1)
				rest := 0
				for _, r := range tt.layers[i+1:] {
					rest += r.size()
				}
				var got any
				switch in := deref(l).(type) {
				case Ethernet:
					g := *d.Ethernet()
					if in.EtherType == 0 {
						if g.EtherType != et {
							t.Errorf("Ethernet.EtherType = %v, want %v", g.EtherType, et)
						}
						g.EtherType = 0
					}
					got = g
				case VLAN:
					g := d.VLANs()[vlan]
					vlan++
					if in.TPID == 0 {
						g.TPID = 0
					}
					if in.EtherType == 0 {
						if g.EtherType != et {
							t.Errorf("VLAN.EtherType = %v, want %v", g.EtherType, et)
						}
						g.EtherType = 0
					}
					got = g
				case ARP:
					g := *d.ARP()
					if g.HardwareType != 1 || g.ProtocolType != EtherTypeIPv4 {
						t.Errorf("ARP hardware/protocol type = %d/%v", g.HardwareType, g.ProtocolType)
					}
					g.HardwareType, g.ProtocolType = in.HardwareType, in.ProtocolType
					got = g
				case IPv4:
					g := *d.IPv4()
					if int(g.TotalLength) != in.size()+rest || int(g.IHL)*4 != in.size() {
						t.Errorf("IPv4 TotalLength, IHL = %d, %d; want %d, %d", g.TotalLength, g.IHL, in.size()+rest, in.size()/4)
					}
					if in.Protocol == 0 && g.Protocol != proto {
						t.Errorf("IPv4.Protocol = %v, want %v", g.Protocol, proto)
					}
					g.TotalLength, g.IHL, g.Protocol, g.Checksum = 0, 0, in.Protocol, 0
					got = g
				case IPv6:
					g := *d.IPv6()
					if int(g.PayloadLength) != rest {
						t.Errorf("IPv6.PayloadLength = %d, want %d", g.PayloadLength, rest)
					}
					if in.NextHeader == 0 && g.NextHeader != proto {
						t.Errorf("IPv6.NextHeader = %v, want %v", g.NextHeader, proto)
					}
					g.PayloadLength, g.NextHeader = 0, in.NextHeader
					got = g
				case TCP:
					g := *d.TCP()
					if int(g.DataOffset)*4 != in.size() {
						t.Errorf("TCP.DataOffset = %d, want %d", g.DataOffset, in.size()/4)
					}
					g.DataOffset, g.Checksum = 0, 0
					got = g
				case UDP:
					g := *d.UDP()
					if int(g.Length) != UDPHeaderLen+rest {
						t.Errorf("UDP.Length = %d, want %d", g.Length, UDPHeaderLen+rest)
					}
					g.Length, g.Checksum = 0, 0
					got = g
				case ICMPv4:
					g := *d.ICMPv4()
					g.Checksum = 0
					got = g
				case ICMPv6:
					g := *d.ICMPv6()
					g.Checksum = 0
					got = g
				case Payload:
					if !bytes.Equal(d.Payload(), in) {
						t.Errorf("Payload() = %q, want %q", d.Payload(), in)
					}
					continue
				}
				if want := deref(l); !reflect.DeepEqual(got, want) {
					t.Errorf("%v:\n got %+v\nwant %+v", l.LayerType(), got, want)
				}
				if off := d.Offset(l.LayerType()); off < 0 || off >= len(frame) {
					t.Errorf("Offset(%v) = %d", l.LayerType(), off)
				}
			}
			if d.String() == "" {
				t.Error("String() is empty")
			}
		})
	}
}

func TestAccessorsAbsentLayers(t *testing.T) {
	d, err := Parse(ARPRequest(mac1, ip1, ip2))
	if err != nil {
		t.Fatal(err)
	}
	if d.IPv4() != nil || d.IPv6() != nil || d.TCP() != nil || d.UDP() != nil || d.ICMPv4() != nil || d.ICMPv6() != nil || len(d.VLANs()) != 0 {
		t.Errorf("absent layers are not nil: %v", d)
	}
	if d.Is(LayerTCP) || d.Offset(LayerTCP) != -1 || d.Is(LayerType(200)) || d.Offset(LayerType(200)) != -1 {
		t.Error("Is/Offset report an absent layer")
	}
	if d.ChecksumValid(LayerTCP) {
		t.Error("ChecksumValid(LayerTCP) of an ARP frame = true")
	}
	if !d.ChecksumValid() {
		t.Error("ChecksumValid() of a frame without checksums = false")
	}
	if d.ARP().TargetIP != ip2 || d.ARP().Op != ARPOpRequest || d.Ethernet().Dst != Broadcast() {
		t.Errorf("ARP = %+v", d.ARP())
	}
}

func TestParseFrom(t *testing.T) {
	full := UDPv6(netip.AddrPortFrom(ip61, 1), netip.AddrPortFrom(ip62, 2), []byte("l3"))
	d, err := ParseFrom(LayerIPv6, full[EthernetHeaderLen:])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Layers(), []LayerType{LayerIPv6, LayerUDP, LayerPayload}) || !d.ChecksumValid(LayerUDP) || d.Offset(LayerIPv6) != 0 {
		t.Errorf("ParseFrom(IPv6) = %v", d)
	}
	arp := ARPRequest(mac1, ip1, ip2)
	if d, err := ParseFrom(LayerARP, arp[EthernetHeaderLen:]); err != nil || d.ARP().SenderIP != ip1 {
		t.Errorf("ParseFrom(ARP) = %v, %v", d, err)
	}
	if _, err := ParseFrom(LayerTCP, full); err == nil {
		t.Error("ParseFrom(LayerTCP) succeeded")
	}
}
