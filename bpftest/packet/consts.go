package packet

import (
	"errors"
	"fmt"
	"strings"
)

// EtherType is the 16-bit protocol identifier of an Ethernet frame or VLAN
// tag payload (IEEE 802.3 Length/Type field, values >= 0x0600).
type EtherType uint16

// EtherTypes used by the builders and the parser.
const (
	EtherTypeIPv4 EtherType = 0x0800 // Internet Protocol version 4
	EtherTypeARP  EtherType = 0x0806 // Address Resolution Protocol
	EtherTypeVLAN EtherType = 0x8100 // IEEE 802.1Q customer VLAN tag (C-tag)
	EtherTypeIPv6 EtherType = 0x86DD // Internet Protocol version 6
	EtherTypeMPLS EtherType = 0x8847 // MPLS unicast
	EtherTypeQinQ EtherType = 0x88A8 // IEEE 802.1ad service VLAN tag (S-tag), the outer tag of QinQ
	EtherTypeLLDP EtherType = 0x88CC // Link Layer Discovery Protocol
	// EtherTypeQinQ9100 is the pre-standard QinQ TPID some switches still
	// emit; the parser treats it as a VLAN tag like 0x8100 and 0x88A8.
	EtherTypeQinQ9100 EtherType = 0x9100
)

// String returns the conventional name of the EtherType, or its hex value.
func (e EtherType) String() string {
	switch e {
	case EtherTypeIPv4:
		return "IPv4"
	case EtherTypeARP:
		return "ARP"
	case EtherTypeVLAN:
		return "802.1Q"
	case EtherTypeIPv6:
		return "IPv6"
	case EtherTypeMPLS:
		return "MPLS"
	case EtherTypeQinQ:
		return "802.1ad"
	case EtherTypeLLDP:
		return "LLDP"
	case EtherTypeQinQ9100:
		return "QinQ-9100"
	}
	return fmt.Sprintf("0x%04x", uint16(e))
}

// isVLAN reports whether e is a TPID the parser decodes as a VLAN tag.
func (e EtherType) isVLAN() bool {
	return e == EtherTypeVLAN || e == EtherTypeQinQ || e == EtherTypeQinQ9100
}

// IPProtocol is an IPv4 protocol number or IPv6 next-header value
// (IANA "Assigned Internet Protocol Numbers").
type IPProtocol uint8

// IP protocol numbers.
const (
	ProtoHopByHop IPProtocol = 0   // IPv6 Hop-by-Hop Options extension header
	ProtoICMP     IPProtocol = 1   // ICMP for IPv4
	ProtoIGMP     IPProtocol = 2   // IGMP
	ProtoIPIP     IPProtocol = 4   // IPv4 encapsulated in IP
	ProtoTCP      IPProtocol = 6   // TCP
	ProtoUDP      IPProtocol = 17  // UDP
	ProtoIPv6     IPProtocol = 41  // IPv6 encapsulated in IP
	ProtoRouting  IPProtocol = 43  // IPv6 Routing extension header
	ProtoFragment IPProtocol = 44  // IPv6 Fragment extension header
	ProtoGRE      IPProtocol = 47  // Generic Routing Encapsulation
	ProtoESP      IPProtocol = 50  // Encapsulating Security Payload
	ProtoAH       IPProtocol = 51  // Authentication Header
	ProtoICMPv6   IPProtocol = 58  // ICMP for IPv6
	ProtoNoNext   IPProtocol = 59  // IPv6 No Next Header
	ProtoDstOpts  IPProtocol = 60  // IPv6 Destination Options extension header
	ProtoSCTP     IPProtocol = 132 // SCTP
)

// String returns the conventional name of the protocol, or its number.
func (p IPProtocol) String() string {
	switch p {
	case ProtoHopByHop:
		return "HOPOPT"
	case ProtoICMP:
		return "ICMP"
	case ProtoIGMP:
		return "IGMP"
	case ProtoIPIP:
		return "IPIP"
	case ProtoTCP:
		return "TCP"
	case ProtoUDP:
		return "UDP"
	case ProtoIPv6:
		return "IPv6"
	case ProtoRouting:
		return "IPv6-Route"
	case ProtoFragment:
		return "IPv6-Frag"
	case ProtoGRE:
		return "GRE"
	case ProtoESP:
		return "ESP"
	case ProtoAH:
		return "AH"
	case ProtoICMPv6:
		return "ICMPv6"
	case ProtoNoNext:
		return "IPv6-NoNxt"
	case ProtoDstOpts:
		return "IPv6-Opts"
	case ProtoSCTP:
		return "SCTP"
	}
	return fmt.Sprintf("proto-%d", uint8(p))
}

// TCPFlags is the 8-bit flags field of a TCP header (RFC 9293, RFC 3168).
type TCPFlags uint8

// TCP flag bits.
const (
	FIN TCPFlags = 0x01 // no more data from sender
	SYN TCPFlags = 0x02 // synchronize sequence numbers
	RST TCPFlags = 0x04 // reset the connection
	PSH TCPFlags = 0x08 // push function
	ACK TCPFlags = 0x10 // acknowledgment field is significant
	URG TCPFlags = 0x20 // urgent pointer field is significant
	ECE TCPFlags = 0x40 // ECN-Echo (RFC 3168)
	CWR TCPFlags = 0x80 // congestion window reduced (RFC 3168)
)

var tcpFlagNames = [8]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"}

// Has reports whether all bits of want are set in f.
func (f TCPFlags) Has(want TCPFlags) bool { return f&want == want }

// String returns the set flags joined by "|" in bit order (for example
// "SYN|ACK"), or "none".
func (f TCPFlags) String() string {
	if f == 0 {
		return "none"
	}
	var sb strings.Builder
	for i, name := range tcpFlagNames {
		if f&(1<<i) != 0 {
			if sb.Len() > 0 {
				sb.WriteByte('|')
			}
			sb.WriteString(name)
		}
	}
	return sb.String()
}

// IPv4Flags is the 3-bit flags field of an IPv4 header, right-aligned.
type IPv4Flags uint8

// IPv4 flag bits.
const (
	MoreFragments IPv4Flags = 0x1 // MF: more fragments follow
	DontFragment  IPv4Flags = 0x2 // DF: do not fragment
	EvilBit       IPv4Flags = 0x4 // the reserved bit (RFC 3514); set only to build malformed headers
)

// String returns the set flags, for example "DF" or "DF|MF", or "none".
func (f IPv4Flags) String() string {
	var parts []string
	if f&EvilBit != 0 {
		parts = append(parts, "RSV")
	}
	if f&DontFragment != 0 {
		parts = append(parts, "DF")
	}
	if f&MoreFragments != 0 {
		parts = append(parts, "MF")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// ARPOp is the operation field of an ARP packet (RFC 826).
type ARPOp uint16

// ARP operations.
const (
	ARPOpRequest ARPOp = 1
	ARPOpReply   ARPOp = 2
)

// ICMP message types used by the builders (RFC 792 for ICMPv4, RFC 4443 and
// RFC 4861 for ICMPv6).
const (
	ICMPv4EchoReply       uint8 = 0
	ICMPv4DestUnreachable uint8 = 3
	ICMPv4Redirect        uint8 = 5
	ICMPv4EchoRequest     uint8 = 8
	ICMPv4TimeExceeded    uint8 = 11

	ICMPv6DestUnreachable       uint8 = 1
	ICMPv6PacketTooBig          uint8 = 2
	ICMPv6TimeExceeded          uint8 = 3
	ICMPv6EchoRequest           uint8 = 128
	ICMPv6EchoReply             uint8 = 129
	ICMPv6RouterSolicitation    uint8 = 133
	ICMPv6RouterAdvertisement   uint8 = 134
	ICMPv6NeighborSolicitation  uint8 = 135
	ICMPv6NeighborAdvertisement uint8 = 136
)

// Header sizes and limits.
const (
	EthernetHeaderLen = 14 // destination, source, EtherType
	VLANTagLen        = 4  // TCI and inner EtherType
	ARPLen            = 28 // Ethernet/IPv4 ARP packet
	IPv4HeaderLen     = 20 // IPv4 header without options
	IPv6HeaderLen     = 40 // fixed IPv6 header
	TCPHeaderLen      = 20 // TCP header without options
	UDPHeaderLen      = 8
	ICMPHeaderLen     = 8 // type, code, checksum and the 4-byte rest of header (identifier, sequence for echo)

	// MinEthernetFrame is the minimum Ethernet frame length without the
	// 4-byte FCS: shorter frames are padded to it on the wire (Frame.PadTo).
	MinEthernetFrame = 60

	// MaxVLANs is the number of VLAN tags the parser decodes (an 802.1ad
	// outer tag and an 802.1Q inner tag).
	MaxVLANs = 2
)

// MAC is an IEEE 802 48-bit MAC address. Unlike net.HardwareAddr it is
// comparable with == and never allocates.
type MAC [6]byte

// Broadcast is the Ethernet broadcast address ff:ff:ff:ff:ff:ff.
func Broadcast() MAC { return MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff} }

// DefaultSrcMAC returns 02:00:00:00:00:01, the source MAC of the frames the
// shortcut builders (TCPv4, UDPv6, ...) produce.
func DefaultSrcMAC() MAC { return MAC{0x02, 0, 0, 0, 0, 0x01} }

// DefaultDstMAC returns 02:00:00:00:00:02, the destination MAC of the frames
// the shortcut builders produce (except ARP requests, which are broadcast).
func DefaultDstMAC() MAC { return MAC{0x02, 0, 0, 0, 0, 0x02} }

// String formats m as six colon-separated lower-case hex bytes.
func (m MAC) String() string {
	const hexdigits = "0123456789abcdef"
	var b [17]byte
	for i, v := range m {
		if i > 0 {
			b[i*3-1] = ':'
		}
		b[i*3] = hexdigits[v>>4]
		b[i*3+1] = hexdigits[v&0xf]
	}
	return string(b[:])
}

// ErrBadMAC is wrapped by ParseMAC errors.
var ErrBadMAC = errors.New("invalid MAC address")

// ParseMAC parses a MAC written as six hex bytes separated by ':' or '-'
// (for example "02:00:00:00:00:01").
func ParseMAC(s string) (MAC, error) {
	var m MAC
	if len(s) != 17 {
		return m, fmt.Errorf("parse MAC %q: %w: want 17 characters, got %d", s, ErrBadMAC, len(s))
	}
	for i := range m {
		if i > 0 && s[i*3-1] != ':' && s[i*3-1] != '-' {
			return m, fmt.Errorf("parse MAC %q: %w: separator at %d is %q", s, ErrBadMAC, i*3-1, s[i*3-1])
		}
		hi, ok1 := unhex(s[i*3])
		lo, ok2 := unhex(s[i*3+1])
		if !ok1 || !ok2 {
			return m, fmt.Errorf("parse MAC %q: %w: byte %d is not hex", s, ErrBadMAC, i)
		}
		m[i] = hi<<4 | lo
	}
	return m, nil
}

// MustParseMAC is like ParseMAC but panics on error. It is meant for
// constant addresses in tests.
func MustParseMAC(s string) MAC {
	m, err := ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// LayerType identifies a protocol layer of a frame.
type LayerType uint8

// Layer types, in the order they can appear in a frame.
const (
	LayerNone LayerType = iota
	LayerEthernet
	LayerVLAN
	LayerARP
	LayerIPv4
	LayerIPv6
	LayerTCP
	LayerUDP
	LayerICMPv4
	LayerICMPv6
	LayerPayload
	numLayerTypes
)

var layerNames = [numLayerTypes]string{"None", "Ethernet", "VLAN", "ARP", "IPv4", "IPv6", "TCP", "UDP", "ICMPv4", "ICMPv6", "Payload"}

// String returns the layer's name, for example "IPv4".
func (l LayerType) String() string {
	if l < numLayerTypes {
		return layerNames[l]
	}
	return fmt.Sprintf("Layer(%d)", uint8(l))
}
