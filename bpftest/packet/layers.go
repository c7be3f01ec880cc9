package packet

import (
	"encoding/binary"
	"net/netip"
)

// Layer is one protocol header (or the payload) of a frame being built. The
// implementations are the struct types of this package (Ethernet, VLAN, ARP,
// IPv4, IPv6, TCP, UDP, ICMPv4, ICMPv6) and Payload; both values and pointers
// are accepted. Use pointers when a test mutates a layer between builds.
//
// Layers serialize exactly what they are told: any field documented as
// "0: derived" is filled from the surrounding layers when zero and written
// verbatim otherwise, so malformed frames are built by setting those fields.
// Layer combinations are never rejected; a field that cannot be derived (an
// EtherType for an unknown next layer, a pseudo-header without an IP layer)
// is left zero or computed without the missing part.
type Layer interface {
	// LayerType identifies the layer.
	LayerType() LayerType

	// size is the number of bytes the layer writes.
	size() int
	// ids returns the value a preceding header writes in its type field to
	// announce this layer when that field is zero: an EtherType for
	// Ethernet and VLAN headers, a protocol number for IP headers.
	ids() (EtherType, IPProtocol)
	// put writes the layer into b (len(b) == size(), zeroed). next and
	// proto announce the following layer; rest is the number of frame bytes
	// after this layer, excluding padding.
	put(b []byte, next EtherType, proto IPProtocol, rest int)
}

// checksummer is a layer with a checksum, filled after every layer was
// written, innermost first.
type checksummer interface {
	// fillChecksum writes the checksum of the layer starting at seg[0]; seg
	// runs to the end of the frame data. ip is the nearest preceding IPv4
	// or IPv6 header, nil if there is none.
	fillChecksum(seg, ip []byte)
}

// ChecksumMode selects how a builder fills a checksum field.
type ChecksumMode uint8

const (
	// ChecksumAuto computes the correct checksum when the layer's Checksum
	// field is zero and writes the field verbatim otherwise.
	ChecksumAuto ChecksumMode = iota
	// ChecksumRaw writes the Checksum field verbatim, even when zero (a zero
	// UDP checksum over IPv4 means "no checksum").
	ChecksumRaw
	// ChecksumBad computes the correct checksum and writes it with the
	// lowest bit flipped, which is never a valid checksum.
	ChecksumBad
)

// pick returns the checksum to write.
func (m ChecksumMode) pick(explicit uint16, correct func() uint16) uint16 {
	switch m {
	case ChecksumRaw:
		return explicit
	case ChecksumBad:
		return correct() ^ 1
	}
	if explicit != 0 {
		return explicit
	}
	return correct()
}

func put4(b []byte, a netip.Addr) {
	if a.Is4() || a.Is4In6() {
		v := a.Unmap().As4()
		copy(b, v[:])
	}
}

func put16(b []byte, a netip.Addr) {
	if a.IsValid() {
		v := a.As16()
		copy(b, v[:])
	}
}

// Ethernet is an Ethernet II header.
type Ethernet struct {
	Dst, Src MAC
	// EtherType announces the next header. 0: derived from the next layer
	// (its TPID for a VLAN tag).
	EtherType EtherType
}

// LayerType returns LayerEthernet.
func (Ethernet) LayerType() LayerType         { return LayerEthernet }
func (Ethernet) size() int                    { return EthernetHeaderLen }
func (Ethernet) ids() (EtherType, IPProtocol) { return 0, 0 }
func (e Ethernet) put(b []byte, next EtherType, _ IPProtocol, _ int) {
	copy(b[0:6], e.Dst[:])
	copy(b[6:12], e.Src[:])
	et := e.EtherType
	if et == 0 {
		et = next
	}
	binary.BigEndian.PutUint16(b[12:14], uint16(et))
}

// VLAN is an IEEE 802.1Q / 802.1ad tag: it follows an Ethernet header or an
// outer tag. Two consecutive VLAN layers build a QinQ frame.
type VLAN struct {
	// TPID is the tag protocol identifier, written into the preceding
	// header's EtherType field when that field is zero. 0: EtherTypeQinQ
	// (0x88A8) when another VLAN tag follows, EtherTypeVLAN (0x8100)
	// otherwise.
	TPID EtherType
	// Priority is the 3-bit priority code point (PCP).
	Priority uint8
	// DropEligible is the DEI bit.
	DropEligible bool
	// ID is the 12-bit VLAN identifier.
	ID uint16
	// EtherType announces the encapsulated header. 0: derived from the
	// next layer.
	EtherType EtherType
}

// LayerType returns LayerVLAN.
func (VLAN) LayerType() LayerType           { return LayerVLAN }
func (VLAN) size() int                      { return VLANTagLen }
func (v VLAN) ids() (EtherType, IPProtocol) { return v.TPID, 0 }
func (v VLAN) put(b []byte, next EtherType, _ IPProtocol, _ int) {
	tci := uint16(v.Priority&7)<<13 | v.ID&0x0fff
	if v.DropEligible {
		tci |= 1 << 12
	}
	binary.BigEndian.PutUint16(b[0:2], tci)
	et := v.EtherType
	if et == 0 {
		et = next
	}
	binary.BigEndian.PutUint16(b[2:4], uint16(et))
}

// ARP is an Ethernet/IPv4 ARP packet (RFC 826): hardware and protocol
// address lengths are always written as 6 and 4.
type ARP struct {
	// HardwareType is the hardware address space. 0: 1 (Ethernet).
	HardwareType uint16
	// ProtocolType is the protocol address space. 0: EtherTypeIPv4.
	ProtocolType EtherType
	// Op is the operation, ARPOpRequest or ARPOpReply.
	Op        ARPOp
	SenderMAC MAC
	SenderIP  netip.Addr // IPv4; anything else is written as 0.0.0.0
	TargetMAC MAC
	TargetIP  netip.Addr // IPv4; anything else is written as 0.0.0.0
}

// LayerType returns LayerARP.
func (ARP) LayerType() LayerType         { return LayerARP }
func (ARP) size() int                    { return ARPLen }
func (ARP) ids() (EtherType, IPProtocol) { return EtherTypeARP, 0 }
func (a ARP) put(b []byte, _ EtherType, _ IPProtocol, _ int) {
	ht, pt := a.HardwareType, a.ProtocolType
	if ht == 0 {
		ht = 1
	}
	if pt == 0 {
		pt = EtherTypeIPv4
	}
	binary.BigEndian.PutUint16(b[0:2], ht)
	binary.BigEndian.PutUint16(b[2:4], uint16(pt))
	b[4], b[5] = 6, 4
	binary.BigEndian.PutUint16(b[6:8], uint16(a.Op))
	copy(b[8:14], a.SenderMAC[:])
	put4(b[14:18], a.SenderIP)
	copy(b[18:24], a.TargetMAC[:])
	put4(b[24:28], a.TargetIP)
}

// IPv4 is an IPv4 header (RFC 791).
type IPv4 struct {
	// TOS is the former type-of-service byte: DSCP<<2 | ECN.
	TOS uint8
	// TotalLength is the datagram length. 0: this header plus every
	// following layer (padding excluded), modulo 65536.
	TotalLength uint16
	ID          uint16
	Flags       IPv4Flags
	// FragOffset is the 13-bit fragment offset in units of 8 bytes.
	FragOffset uint16
	TTL        uint8 // written as given: 0 builds an expired datagram
	// Protocol announces the next header. 0: derived from the next layer,
	// left 0 when it is Payload or absent.
	Protocol IPProtocol
	// Checksum is the header checksum, see ChecksumMode. The parser reports
	// the value found in the frame.
	Checksum     uint16
	ChecksumMode ChecksumMode
	Src, Dst     netip.Addr // IPv4 (or IPv4-mapped IPv6); anything else is written as 0.0.0.0
	// Options are the raw option bytes, zero-padded (End of Option List)
	// to a multiple of 4 bytes. At most 40 bytes fit the IHL field.
	Options []byte
	// IHL is the header length in 32-bit words. 0: derived from Options.
	IHL uint8
}

// LayerType returns LayerIPv4.
func (IPv4) LayerType() LayerType         { return LayerIPv4 }
func (ip IPv4) size() int                 { return IPv4HeaderLen + (len(ip.Options)+3)&^3 }
func (IPv4) ids() (EtherType, IPProtocol) { return EtherTypeIPv4, ProtoIPIP }
func (ip IPv4) put(b []byte, _ EtherType, proto IPProtocol, rest int) {
	ihl := ip.IHL
	if ihl == 0 {
		ihl = uint8(len(b) / 4)
	}
	b[0] = 4<<4 | ihl&0xf
	b[1] = ip.TOS
	tl := ip.TotalLength
	if tl == 0 {
		tl = uint16(len(b) + rest)
	}
	binary.BigEndian.PutUint16(b[2:4], tl)
	binary.BigEndian.PutUint16(b[4:6], ip.ID)
	binary.BigEndian.PutUint16(b[6:8], uint16(ip.Flags&7)<<13|ip.FragOffset&0x1fff)
	b[8] = ip.TTL
	p := ip.Protocol
	if p == 0 {
		p = proto
	}
	b[9] = byte(p)
	put4(b[12:16], ip.Src)
	put4(b[16:20], ip.Dst)
	copy(b[20:], ip.Options)
}

func (ip IPv4) fillChecksum(seg, _ []byte) {
	h := seg[:ip.size()]
	c := ip.ChecksumMode.pick(ip.Checksum, func() uint16 { return InternetChecksum(h) })
	binary.BigEndian.PutUint16(h[10:12], c)
}

// IPv6 is the fixed IPv6 header (RFC 8200).
type IPv6 struct {
	TrafficClass uint8
	// FlowLabel is the 20-bit flow label.
	FlowLabel uint32
	// PayloadLength is the length after this header. 0: every following
	// layer (padding excluded), modulo 65536 (no jumbograms).
	PayloadLength uint16
	// NextHeader announces the next header. 0: derived from the next
	// layer, left 0 (Hop-by-Hop Options) when it is Payload or absent;
	// set ProtoNoNext for a header without payload.
	NextHeader IPProtocol
	HopLimit   uint8      // written as given
	Src, Dst   netip.Addr // written in their 16-byte form; the zero Addr as ::
}

// LayerType returns LayerIPv6.
func (IPv6) LayerType() LayerType         { return LayerIPv6 }
func (IPv6) size() int                    { return IPv6HeaderLen }
func (IPv6) ids() (EtherType, IPProtocol) { return EtherTypeIPv6, ProtoIPv6 }
func (ip IPv6) put(b []byte, _ EtherType, proto IPProtocol, rest int) {
	binary.BigEndian.PutUint32(b[0:4], 6<<28|uint32(ip.TrafficClass)<<20|ip.FlowLabel&0xfffff)
	pl := ip.PayloadLength
	if pl == 0 {
		pl = uint16(rest)
	}
	binary.BigEndian.PutUint16(b[4:6], pl)
	nh := ip.NextHeader
	if nh == 0 {
		nh = proto
	}
	b[6] = byte(nh)
	b[7] = ip.HopLimit
	put16(b[8:24], ip.Src)
	put16(b[24:40], ip.Dst)
}

// TCP is a TCP header (RFC 9293).
type TCP struct {
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	// DataOffset is the header length in 32-bit words. 0: derived from
	// Options.
	DataOffset uint8
	Flags      TCPFlags
	Window     uint16
	// Checksum covers the pseudo-header of the nearest preceding IP layer,
	// this header and everything after it; see ChecksumMode. Without an IP
	// layer it is computed without a pseudo-header.
	Checksum     uint16
	ChecksumMode ChecksumMode
	Urgent       uint16
	// Options are the raw option bytes, zero-padded (End of Option List)
	// to a multiple of 4 bytes. At most 40 bytes fit the data offset.
	Options []byte
}

// LayerType returns LayerTCP.
func (TCP) LayerType() LayerType         { return LayerTCP }
func (t TCP) size() int                  { return TCPHeaderLen + (len(t.Options)+3)&^3 }
func (TCP) ids() (EtherType, IPProtocol) { return 0, ProtoTCP }
func (t TCP) put(b []byte, _ EtherType, _ IPProtocol, _ int) {
	binary.BigEndian.PutUint16(b[0:2], t.SrcPort)
	binary.BigEndian.PutUint16(b[2:4], t.DstPort)
	binary.BigEndian.PutUint32(b[4:8], t.Seq)
	binary.BigEndian.PutUint32(b[8:12], t.Ack)
	off := t.DataOffset
	if off == 0 {
		off = uint8(len(b) / 4)
	}
	b[12] = off << 4
	b[13] = byte(t.Flags)
	binary.BigEndian.PutUint16(b[14:16], t.Window)
	binary.BigEndian.PutUint16(b[18:20], t.Urgent)
	copy(b[20:], t.Options)
}

func (t TCP) fillChecksum(seg, ip []byte) {
	c := t.ChecksumMode.pick(t.Checksum, func() uint16 { return l4Checksum(seg, ip, ProtoTCP) })
	binary.BigEndian.PutUint16(seg[16:18], c)
}

// l4Checksum returns the checksum of seg (its checksum field zero) with the
// pseudo-header of ip, or without one if ip is nil.
func l4Checksum(seg, ip []byte, proto IPProtocol) uint16 {
	acc, _ := pseudoSum(ip, proto, len(seg))
	return ^fold(sum(seg, acc))
}

// UDP is a UDP header (RFC 768).
type UDP struct {
	SrcPort, DstPort uint16
	// Length covers this header and the data. 0: this header plus every
	// following layer (padding excluded).
	Length uint16
	// Checksum covers the pseudo-header of the nearest preceding IP layer,
	// this header and the data; see ChecksumMode. A computed 0 is written
	// as 0xffff. Use ChecksumRaw with Checksum 0 for "no checksum".
	Checksum     uint16
	ChecksumMode ChecksumMode
}

// LayerType returns LayerUDP.
func (UDP) LayerType() LayerType         { return LayerUDP }
func (UDP) size() int                    { return UDPHeaderLen }
func (UDP) ids() (EtherType, IPProtocol) { return 0, ProtoUDP }
func (u UDP) put(b []byte, _ EtherType, _ IPProtocol, rest int) {
	binary.BigEndian.PutUint16(b[0:2], u.SrcPort)
	binary.BigEndian.PutUint16(b[2:4], u.DstPort)
	l := u.Length
	if l == 0 {
		l = uint16(UDPHeaderLen + rest)
	}
	binary.BigEndian.PutUint16(b[4:6], l)
}

func (u UDP) fillChecksum(seg, ip []byte) {
	c := u.ChecksumMode.pick(u.Checksum, func() uint16 {
		c := l4Checksum(seg, ip, ProtoUDP)
		if c == 0 {
			c = 0xffff
		}
		return c
	})
	binary.BigEndian.PutUint16(seg[6:8], c)
}

// ICMPv4 is an ICMP header (RFC 792). ID and Seq are the 4-byte "rest of
// header": identifier and sequence number for echo messages, other
// meanings (unused, next-hop MTU, gateway) for other types.
type ICMPv4 struct {
	Type, Code uint8
	// Checksum covers the ICMP header and everything after it (no
	// pseudo-header); see ChecksumMode.
	Checksum     uint16
	ChecksumMode ChecksumMode
	ID, Seq      uint16
}

// LayerType returns LayerICMPv4.
func (ICMPv4) LayerType() LayerType         { return LayerICMPv4 }
func (ICMPv4) size() int                    { return ICMPHeaderLen }
func (ICMPv4) ids() (EtherType, IPProtocol) { return 0, ProtoICMP }
func (m ICMPv4) put(b []byte, _ EtherType, _ IPProtocol, _ int) {
	b[0], b[1] = m.Type, m.Code
	binary.BigEndian.PutUint16(b[4:6], m.ID)
	binary.BigEndian.PutUint16(b[6:8], m.Seq)
}

func (m ICMPv4) fillChecksum(seg, _ []byte) {
	c := m.ChecksumMode.pick(m.Checksum, func() uint16 { return InternetChecksum(seg) })
	binary.BigEndian.PutUint16(seg[2:4], c)
}

// ICMPv6 is an ICMPv6 header (RFC 4443). ID and Seq are the 4-byte message
// body start: identifier and sequence number for echo messages, other
// meanings (unused, MTU, pointer, flags) for other types.
type ICMPv6 struct {
	Type, Code uint8
	// Checksum covers the pseudo-header of the nearest preceding IP layer,
	// the ICMPv6 header and everything after it; see ChecksumMode.
	Checksum     uint16
	ChecksumMode ChecksumMode
	ID, Seq      uint16
}

// LayerType returns LayerICMPv6.
func (ICMPv6) LayerType() LayerType         { return LayerICMPv6 }
func (ICMPv6) size() int                    { return ICMPHeaderLen }
func (ICMPv6) ids() (EtherType, IPProtocol) { return 0, ProtoICMPv6 }
func (m ICMPv6) put(b []byte, _ EtherType, _ IPProtocol, _ int) {
	b[0], b[1] = m.Type, m.Code
	binary.BigEndian.PutUint16(b[4:6], m.ID)
	binary.BigEndian.PutUint16(b[6:8], m.Seq)
}

func (m ICMPv6) fillChecksum(seg, ip []byte) {
	c := m.ChecksumMode.pick(m.Checksum, func() uint16 { return l4Checksum(seg, ip, ProtoICMPv6) })
	binary.BigEndian.PutUint16(seg[2:4], c)
}

// Payload is raw bytes appended to the frame: application data, or any
// header this package has no type for.
type Payload []byte

// LayerType returns LayerPayload.
func (Payload) LayerType() LayerType                             { return LayerPayload }
func (p Payload) size() int                                      { return len(p) }
func (Payload) ids() (EtherType, IPProtocol)                     { return 0, 0 }
func (p Payload) put(b []byte, _ EtherType, _ IPProtocol, _ int) { copy(b, p) }
