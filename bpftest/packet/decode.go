package packet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Errors wrapped by *DecodeError; test with errors.Is.
var (
	// ErrTruncated: the frame ends before a layer's bytes do.
	ErrTruncated = errors.New("truncated")
	// ErrMalformed: a header field makes the layer undecodable (wrong IP
	// version, header length below the minimum, ...).
	ErrMalformed = errors.New("malformed")
)

// DecodeError reports the layer the parser stopped at and why. The layers
// before it were decoded and are available from the *Decoded.
type DecodeError struct {
	// Layer is the layer that could not be decoded in full.
	Layer LayerType
	// Offset is where that layer starts in the frame.
	Offset int
	// Err is ErrTruncated or ErrMalformed.
	Err error
	// Need and Have are the bytes the layer needs from Offset and the bytes
	// the frame has from Offset (ErrTruncated only).
	Need, Have int
	// Reason explains an ErrMalformed, Value is the offending field value.
	Reason string
	Value  int
}

// Error describes the failure, for example
// "decode TCP at offset 34: truncated: need 20 bytes, have 6".
func (e *DecodeError) Error() string {
	if errors.Is(e.Err, ErrTruncated) {
		return fmt.Sprintf("decode %v at offset %d: %v: need %d bytes, have %d", e.Layer, e.Offset, e.Err, e.Need, e.Have)
	}
	return fmt.Sprintf("decode %v at offset %d: %v: %s (%d)", e.Layer, e.Offset, e.Err, e.Reason, e.Value)
}

// Unwrap returns Err.
func (e *DecodeError) Unwrap() error { return e.Err }

// ChecksumError reports a checksum that does not verify.
type ChecksumError struct {
	Layer LayerType
	// Got is the checksum in the frame, Want the correct one. Want is 0
	// when the covered bytes are truncated and the checksum cannot be
	// computed.
	Got, Want uint16
	// Truncated is set when the checksum covers bytes missing from the
	// frame.
	Truncated bool
}

// Error describes the mismatch.
func (e *ChecksumError) Error() string {
	if e.Truncated {
		return fmt.Sprintf("%v checksum 0x%04x: cannot verify: covered bytes are truncated", e.Layer, e.Got)
	}
	return fmt.Sprintf("%v checksum 0x%04x is wrong, want 0x%04x", e.Layer, e.Got, e.Want)
}

// csumSpan locates a checksum: the covered bytes [start, end), the offset
// of the checksum field relative to start, and the pseudo-header source.
type csumSpan struct {
	start, end int
	field      int
	ipOff      int // offset of the IP header for the pseudo-header, -1 for none
	proto      IPProtocol
	layer      LayerType
}

// Decoded is a parsed frame. Accessors for absent layers return nil; use Is
// to test for a layer. Layer structs are the builder types with every field
// as found in the frame (derived fields included, ChecksumMode zero);
// Options and payload slices alias the frame.
type Decoded struct {
	data    []byte
	present uint32
	order   [8]LayerType
	norder  int
	offsets [numLayerTypes]int

	eth    Ethernet
	vlans  [MaxVLANs]VLAN
	nvlans int
	arp    ARP
	ip4    IPv4
	ip6    IPv6
	tcp    TCP
	udp    UDP
	icmp4  ICMPv4
	icmp6  ICMPv6

	ip6ext      []byte
	payload     []byte
	trailer     []byte
	truncated   LayerType
	err         error
	csums       [5]csumSpan
	ncsums      int
	payloadTrim bool // the IP datagram or UDP datagram claims bytes beyond the frame
}

// Parse decodes frame, an Ethernet frame (without FCS). When it returns an error, the
// *Decoded is still non-nil and holds the layers decoded before the failing
// one; the error is a *DecodeError. Parse never panics.
func Parse(frame []byte) (*Decoded, error) {
	d := new(Decoded)
	err := d.Decode(frame)
	return d, err
}

// ParseFrom is Parse for data that starts with the given layer instead of
// an Ethernet header: LayerEthernet, LayerARP, LayerIPv4 or LayerIPv6 (as
// for BPF_PROG_TEST_RUN of programs that see L3 packets). Any other first
// layer is an ErrMalformed error.
func ParseFrom(first LayerType, data []byte) (*Decoded, error) {
	d := new(Decoded)
	err := d.DecodeFrom(first, data)
	return d, err
}

// Decode is Parse into an existing Decoded, which it resets. It does not
// allocate unless it returns an error.
func (d *Decoded) Decode(frame []byte) error {
	return d.DecodeFrom(LayerEthernet, frame)
}

// DecodeFrom is ParseFrom into an existing Decoded, which it resets. It
// does not allocate unless it returns an error.
func (d *Decoded) DecodeFrom(first LayerType, data []byte) error {
	*d = Decoded{data: data}
	for i := range d.offsets {
		d.offsets[i] = -1
	}
	var err error
	switch first {
	case LayerEthernet:
		err = d.decode(data)
	case LayerARP:
		err = d.decodeARP(data, 0)
	case LayerIPv4:
		err = d.decodeIPv4(data, 0)
	case LayerIPv6:
		err = d.decodeIPv6(data, 0)
	default:
		return malformed(first, 0, "unsupported first layer", int(first))
	}
	if err != nil {
		d.err = err
		if de, ok := err.(*DecodeError); ok && de.Err == ErrTruncated {
			d.truncated = de.Layer
		}
	}
	return err
}

func (d *Decoded) add(l LayerType, off int) {
	if d.offsets[l] < 0 {
		d.offsets[l] = off
	}
	d.present |= 1 << l
	if d.norder < len(d.order) {
		d.order[d.norder] = l
		d.norder++
	}
}

func truncErr(l LayerType, off, need, have int) error {
	return &DecodeError{Layer: l, Offset: off, Err: ErrTruncated, Need: need, Have: have}
}

func malformed(l LayerType, off int, reason string, v int) error {
	return &DecodeError{Layer: l, Offset: off, Err: ErrMalformed, Reason: reason, Value: v}
}

func addr4(b []byte) netip.Addr { return netip.AddrFrom4([4]byte(b[:4])) }

func addr16(b []byte) netip.Addr { return netip.AddrFrom16([16]byte(b[:16])) }

// optional returns b, or nil when it is empty.
func optional(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func (d *Decoded) decode(b []byte) error {
	if len(b) < EthernetHeaderLen {
		return truncErr(LayerEthernet, 0, EthernetHeaderLen, len(b))
	}
	d.eth = Ethernet{Dst: MAC(b[0:6]), Src: MAC(b[6:12]), EtherType: EtherType(binary.BigEndian.Uint16(b[12:14]))}
	d.add(LayerEthernet, 0)
	et := d.eth.EtherType
	off := EthernetHeaderLen
	for et.isVLAN() && d.nvlans < MaxVLANs {
		if len(b)-off < VLANTagLen {
			return truncErr(LayerVLAN, off, VLANTagLen, len(b)-off)
		}
		tci := binary.BigEndian.Uint16(b[off:])
		v := VLAN{
			TPID:         et,
			Priority:     uint8(tci >> 13),
			DropEligible: tci&(1<<12) != 0,
			ID:           tci & 0x0fff,
			EtherType:    EtherType(binary.BigEndian.Uint16(b[off+2:])),
		}
		d.vlans[d.nvlans] = v
		d.nvlans++
		d.add(LayerVLAN, off)
		et = v.EtherType
		off += VLANTagLen
	}
	switch et {
	case EtherTypeARP:
		return d.decodeARP(b, off)
	case EtherTypeIPv4:
		return d.decodeIPv4(b, off)
	case EtherTypeIPv6:
		return d.decodeIPv6(b, off)
	}
	d.setPayload(b[off:], off)
	return nil
}

func (d *Decoded) setPayload(p []byte, off int) {
	d.payload = p
	if len(p) > 0 {
		d.add(LayerPayload, off)
	}
}

func (d *Decoded) decodeARP(b []byte, off int) error {
	if len(b)-off < 8 {
		return truncErr(LayerARP, off, ARPLen, len(b)-off)
	}
	if b[off+4] != 6 || b[off+5] != 4 {
		return malformed(LayerARP, off, "hardware/protocol address length is not 6/4", int(b[off+4])<<8|int(b[off+5]))
	}
	if len(b)-off < ARPLen {
		return truncErr(LayerARP, off, ARPLen, len(b)-off)
	}
	a := b[off:]
	d.arp = ARP{
		HardwareType: binary.BigEndian.Uint16(a[0:]),
		ProtocolType: EtherType(binary.BigEndian.Uint16(a[2:])),
		Op:           ARPOp(binary.BigEndian.Uint16(a[6:])),
		SenderMAC:    MAC(a[8:14]),
		SenderIP:     addr4(a[14:]),
		TargetMAC:    MAC(a[18:24]),
		TargetIP:     addr4(a[24:]),
	}
	d.add(LayerARP, off)
	d.trailer = optional(b[off+ARPLen:])
	return nil
}

// ipEnd clamps the datagram end an IP header claims to the frame, sets the
// trailer and records whether the datagram is cut short.
func (d *Decoded) ipEnd(b []byte, end int) int {
	if end > len(b) {
		d.payloadTrim = true
		return len(b)
	}
	d.trailer = optional(b[end:])
	return end
}

func (d *Decoded) decodeIPv4(b []byte, off int) error {
	if len(b)-off < IPv4HeaderLen {
		return truncErr(LayerIPv4, off, IPv4HeaderLen, len(b)-off)
	}
	h := b[off:]
	if v := h[0] >> 4; v != 4 {
		return malformed(LayerIPv4, off, "version is not 4", int(v))
	}
	ihl := h[0] & 0xf
	hl := int(ihl) * 4
	if hl < IPv4HeaderLen {
		return malformed(LayerIPv4, off, "IHL below 5", int(ihl))
	}
	if len(h) < hl {
		return truncErr(LayerIPv4, off, hl, len(h))
	}
	tl := int(binary.BigEndian.Uint16(h[2:]))
	if tl < hl {
		return malformed(LayerIPv4, off, "total length shorter than header", tl)
	}
	frag := binary.BigEndian.Uint16(h[6:])
	d.ip4 = IPv4{
		TOS:         h[1],
		TotalLength: uint16(tl),
		ID:          binary.BigEndian.Uint16(h[4:]),
		Flags:       IPv4Flags(frag >> 13),
		FragOffset:  frag & 0x1fff,
		TTL:         h[8],
		Protocol:    IPProtocol(h[9]),
		Checksum:    binary.BigEndian.Uint16(h[10:]),
		Src:         addr4(h[12:]),
		Dst:         addr4(h[16:]),
		Options:     optional(h[IPv4HeaderLen:hl]),
		IHL:         ihl,
	}
	d.add(LayerIPv4, off)
	d.addCsum(csumSpan{start: off, end: off + hl, field: 10, ipOff: -1, layer: LayerIPv4})
	end := d.ipEnd(b, off+tl)
	if d.ip4.FragOffset != 0 {
		// A non-first fragment carries no transport header.
		return d.finish(b[:end], off+hl)
	}
	return d.decodeL4(b[:end], off+hl, off, off+tl, d.ip4.Protocol)
}

// isIPv6Ext reports whether p is an IPv6 extension header the parser skips.
func isIPv6Ext(p IPProtocol) bool {
	return p == ProtoHopByHop || p == ProtoRouting || p == ProtoDstOpts || p == ProtoFragment
}

func (d *Decoded) decodeIPv6(b []byte, off int) error {
	if len(b)-off < IPv6HeaderLen {
		return truncErr(LayerIPv6, off, IPv6HeaderLen, len(b)-off)
	}
	h := b[off:]
	vtf := binary.BigEndian.Uint32(h)
	if v := vtf >> 28; v != 6 {
		return malformed(LayerIPv6, off, "version is not 6", int(v))
	}
	pl := int(binary.BigEndian.Uint16(h[4:]))
	d.ip6 = IPv6{
		TrafficClass:  uint8(vtf >> 20),
		FlowLabel:     vtf & 0xfffff,
		PayloadLength: uint16(pl),
		NextHeader:    IPProtocol(h[6]),
		HopLimit:      h[7],
		Src:           addr16(h[8:]),
		Dst:           addr16(h[24:]),
	}
	d.add(LayerIPv6, off)
	claimed := off + IPv6HeaderLen + pl
	end := d.ipEnd(b, claimed)
	l4 := off + IPv6HeaderLen
	nh := d.ip6.NextHeader
	for i := 0; isIPv6Ext(nh) && i < 8; i++ {
		if end-l4 < 8 {
			return truncErr(LayerIPv6, off, l4+8-off, end-off)
		}
		next := IPProtocol(b[l4])
		n := 8
		if nh == ProtoFragment {
			if binary.BigEndian.Uint16(b[l4+2:])>>3 != 0 {
				d.ip6ext = b[off+IPv6HeaderLen : l4+8]
				return d.finish(b[:end], l4+8)
			}
		} else {
			n = (int(b[l4+1]) + 1) * 8
		}
		if end-l4 < n {
			return truncErr(LayerIPv6, off, l4+n-off, end-off)
		}
		l4 += n
		nh = next
	}
	d.ip6ext = optional(b[off+IPv6HeaderLen : l4])
	return d.decodeL4(b[:end], l4, off, claimed, nh)
}

func (d *Decoded) addCsum(c csumSpan) {
	if d.ncsums < len(d.csums) {
		d.csums[d.ncsums] = c
		d.ncsums++
	}
}

// finish records the payload from off to the end of b and reports a
// datagram cut short as a truncated payload.
func (d *Decoded) finish(b []byte, off int) error {
	d.setPayload(b[off:], off)
	if d.payloadTrim {
		return truncErr(LayerPayload, off, -1, len(b)-off)
	}
	return nil
}

// decodeL4 decodes the transport header at off of b, which ends where the
// IP datagram (clamped to the frame) does. ipOff locates the IP header,
// claimed is the datagram end the IP header claims.
func (d *Decoded) decodeL4(b []byte, off, ipOff, claimed int, proto IPProtocol) error {
	have := len(b) - off
	switch proto {
	case ProtoTCP:
		if have < TCPHeaderLen {
			return truncErr(LayerTCP, off, TCPHeaderLen, have)
		}
		h := b[off:]
		doff := h[12] >> 4
		hl := int(doff) * 4
		if hl < TCPHeaderLen {
			return malformed(LayerTCP, off, "data offset below 5", int(doff))
		}
		if have < hl {
			return truncErr(LayerTCP, off, hl, have)
		}
		d.tcp = TCP{
			SrcPort:    binary.BigEndian.Uint16(h[0:]),
			DstPort:    binary.BigEndian.Uint16(h[2:]),
			Seq:        binary.BigEndian.Uint32(h[4:]),
			Ack:        binary.BigEndian.Uint32(h[8:]),
			DataOffset: doff,
			Flags:      TCPFlags(h[13]),
			Window:     binary.BigEndian.Uint16(h[14:]),
			Checksum:   binary.BigEndian.Uint16(h[16:]),
			Urgent:     binary.BigEndian.Uint16(h[18:]),
			Options:    optional(h[TCPHeaderLen:hl]),
		}
		d.add(LayerTCP, off)
		d.addCsum(csumSpan{start: off, end: claimed, field: 16, ipOff: ipOff, proto: ProtoTCP, layer: LayerTCP})
		return d.finish(b, off+hl)
	case ProtoUDP:
		if have < UDPHeaderLen {
			return truncErr(LayerUDP, off, UDPHeaderLen, have)
		}
		h := b[off:]
		ulen := int(binary.BigEndian.Uint16(h[4:]))
		if ulen < UDPHeaderLen {
			return malformed(LayerUDP, off, "length below 8", ulen)
		}
		d.udp = UDP{
			SrcPort:  binary.BigEndian.Uint16(h[0:]),
			DstPort:  binary.BigEndian.Uint16(h[2:]),
			Length:   uint16(ulen),
			Checksum: binary.BigEndian.Uint16(h[6:]),
		}
		d.add(LayerUDP, off)
		d.addCsum(csumSpan{start: off, end: off + ulen, field: 6, ipOff: ipOff, proto: ProtoUDP, layer: LayerUDP})
		if off+ulen > claimed {
			d.setPayload(b[off+UDPHeaderLen:], off+UDPHeaderLen)
			return malformed(LayerUDP, off, "length exceeds the IP payload", ulen)
		}
		if ulen <= have {
			b = b[:off+ulen]
		}
		return d.finish(b, off+UDPHeaderLen)
	case ProtoICMP, ProtoICMPv6:
		l := LayerICMPv4
		if proto == ProtoICMPv6 {
			l = LayerICMPv6
		}
		if have < ICMPHeaderLen {
			return truncErr(l, off, ICMPHeaderLen, have)
		}
		h := b[off:]
		typ, code := h[0], h[1]
		sum := binary.BigEndian.Uint16(h[2:])
		id, seq := binary.BigEndian.Uint16(h[4:]), binary.BigEndian.Uint16(h[6:])
		span := csumSpan{start: off, end: claimed, field: 2, ipOff: ipOff, proto: ProtoICMPv6, layer: l}
		if l == LayerICMPv4 {
			d.icmp4 = ICMPv4{Type: typ, Code: code, Checksum: sum, ID: id, Seq: seq}
			span.ipOff = -1 // no pseudo-header
		} else {
			d.icmp6 = ICMPv6{Type: typ, Code: code, Checksum: sum, ID: id, Seq: seq}
		}
		d.add(l, off)
		d.addCsum(span)
		return d.finish(b, off+ICMPHeaderLen)
	}
	return d.finish(b, off)
}

// Data returns the frame passed to Parse or Decode.
func (d *Decoded) Data() []byte { return d.data }

// Is reports whether the frame contains layer l. LayerPayload is present
// when the innermost decoded layer is followed by at least one byte.
func (d *Decoded) Is(l LayerType) bool { return l < numLayerTypes && d.present&(1<<l) != 0 }

// Layers returns the decoded layers outermost first (LayerVLAN once per
// tag). The slice aliases d.
func (d *Decoded) Layers() []LayerType { return d.order[:d.norder] }

// Offset returns where layer l starts in the frame (the outer tag for
// LayerVLAN), or -1 if it is absent.
func (d *Decoded) Offset(l LayerType) int {
	if l >= numLayerTypes {
		return -1
	}
	return d.offsets[l]
}

// Truncated returns the first layer whose bytes are not all in the frame:
// a header cut short, or LayerPayload when the headers are complete but
// the IP or UDP length claims more bytes than the frame holds. It returns
// LayerNone for a complete frame.
func (d *Decoded) Truncated() LayerType { return d.truncated }

// Ethernet returns the Ethernet header, or nil. Its EtherType is the one on
// the wire: the outer tag's TPID when the frame is VLAN-tagged.
func (d *Decoded) Ethernet() *Ethernet {
	if !d.Is(LayerEthernet) {
		return nil
	}
	return &d.eth
}

// VLANs returns the VLAN tags, outermost first (at most MaxVLANs; further
// tags are left in the payload). The slice aliases d.
func (d *Decoded) VLANs() []VLAN { return d.vlans[:d.nvlans] }

// ARP returns the ARP packet, or nil.
func (d *Decoded) ARP() *ARP {
	if !d.Is(LayerARP) {
		return nil
	}
	return &d.arp
}

// IPv4 returns the IPv4 header, or nil.
func (d *Decoded) IPv4() *IPv4 {
	if !d.Is(LayerIPv4) {
		return nil
	}
	return &d.ip4
}

// IPv6 returns the IPv6 header, or nil.
func (d *Decoded) IPv6() *IPv6 {
	if !d.Is(LayerIPv6) {
		return nil
	}
	return &d.ip6
}

// IPv6Extensions returns the raw IPv6 extension headers (Hop-by-Hop,
// Routing, Fragment, Destination Options) the parser skipped between the
// IPv6 header and the transport header, or nil.
func (d *Decoded) IPv6Extensions() []byte { return d.ip6ext }

// TCP returns the TCP header, or nil.
func (d *Decoded) TCP() *TCP {
	if !d.Is(LayerTCP) {
		return nil
	}
	return &d.tcp
}

// UDP returns the UDP header, or nil.
func (d *Decoded) UDP() *UDP {
	if !d.Is(LayerUDP) {
		return nil
	}
	return &d.udp
}

// ICMPv4 returns the ICMPv4 header, or nil.
func (d *Decoded) ICMPv4() *ICMPv4 {
	if !d.Is(LayerICMPv4) {
		return nil
	}
	return &d.icmp4
}

// ICMPv6 returns the ICMPv6 header, or nil.
func (d *Decoded) ICMPv6() *ICMPv6 {
	if !d.Is(LayerICMPv6) {
		return nil
	}
	return &d.icmp6
}

// Payload returns the bytes after the innermost decoded header, up to the
// end of the IP (or UDP) datagram: application data, a non-first
// fragment, or the rest of a frame with an unknown EtherType or protocol.
// It aliases the frame and may be empty.
func (d *Decoded) Payload() []byte { return d.payload }

// Trailer returns the bytes after the end of the IP datagram or ARP packet,
// such as Ethernet padding, or nil.
func (d *Decoded) Trailer() []byte { return d.trailer }

// verify checks one checksum.
func (d *Decoded) verify(c csumSpan) *ChecksumError {
	l := c.layer
	got := binary.BigEndian.Uint16(d.data[c.start+c.field:])
	if c.end > len(d.data) {
		return &ChecksumError{Layer: l, Got: got, Truncated: true}
	}
	seg := d.data[c.start:c.end]
	var acc uint64
	if c.ipOff >= 0 {
		acc, _ = pseudoSum(d.data[c.ipOff:], c.proto, len(seg))
	}
	if l == LayerUDP && got == 0 && d.data[c.ipOff]>>4 == 4 {
		return nil // no checksum (RFC 768); mandatory over IPv6
	}
	if fold(sum(seg, acc)) == 0xffff {
		return nil
	}
	// The field is at an even offset, so the two halves keep word alignment.
	want := ^fold(sum(seg[c.field+2:], sum(seg[:c.field], acc)))
	if l == LayerUDP && want == 0 {
		want = 0xffff
	}
	return &ChecksumError{Layer: l, Got: got, Want: want}
}

// ChecksumValid reports whether the checksums of the given layers verify.
// A named layer that is absent, or whose checksum covers truncated bytes,
// is not valid. A zero UDP checksum over IPv4 ("no checksum") is valid.
//
// Without arguments it reports whether the frame decoded without error and
// the checksums of every decoded IPv4, TCP, UDP, ICMPv4 and ICMPv6 layer
// verify: a truncated or malformed frame is never valid as a whole. The
// transport checksum of a fragment covers the whole reassembled datagram and
// therefore does not verify on the fragment.
func (d *Decoded) ChecksumValid(layers ...LayerType) bool {
	if len(layers) == 0 {
		if d.err != nil {
			return false
		}
		for _, c := range d.csums[:d.ncsums] {
			if d.verify(c) != nil {
				return false
			}
		}
		return true
	}
	for _, l := range layers {
		found := false
		for _, c := range d.csums[:d.ncsums] {
			if c.layer == l {
				found = true
				if d.verify(c) != nil {
					return false
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// VerifyChecksums returns a *ChecksumError for the first (outermost)
// decoded checksum that does not verify, or nil.
func (d *Decoded) VerifyChecksums() error {
	for _, c := range d.csums[:d.ncsums] {
		if err := d.verify(c); err != nil {
			return err
		}
	}
	return nil
}

// String summarizes the decoded layers on one line, for test failure
// messages, for example
// "Ethernet 02:00:00:00:00:01>02:00:00:00:00:02 | IPv4 10.0.0.1>10.0.0.2 ttl=64 | TCP 1234>80 SYN | Payload 0".
func (d *Decoded) String() string {
	var parts []string
	vlan := 0
	for _, l := range d.Layers() {
		var s string
		switch l {
		case LayerEthernet:
			s = fmt.Sprintf("Ethernet %v>%v", d.eth.Src, d.eth.Dst)
		case LayerVLAN:
			v := d.vlans[vlan]
			vlan++
			s = fmt.Sprintf("VLAN %v id=%d pcp=%d", v.TPID, v.ID, v.Priority)
		case LayerARP:
			s = fmt.Sprintf("ARP op=%d %v(%v)>%v(%v)", d.arp.Op, d.arp.SenderIP, d.arp.SenderMAC, d.arp.TargetIP, d.arp.TargetMAC)
		case LayerIPv4:
			s = fmt.Sprintf("IPv4 %v>%v ttl=%d proto=%v", d.ip4.Src, d.ip4.Dst, d.ip4.TTL, d.ip4.Protocol)
		case LayerIPv6:
			s = fmt.Sprintf("IPv6 %v>%v hlim=%d next=%v", d.ip6.Src, d.ip6.Dst, d.ip6.HopLimit, d.ip6.NextHeader)
		case LayerTCP:
			s = fmt.Sprintf("TCP %d>%d %v seq=%d ack=%d", d.tcp.SrcPort, d.tcp.DstPort, d.tcp.Flags, d.tcp.Seq, d.tcp.Ack)
		case LayerUDP:
			s = fmt.Sprintf("UDP %d>%d", d.udp.SrcPort, d.udp.DstPort)
		case LayerICMPv4:
			s = fmt.Sprintf("ICMPv4 type=%d code=%d id=%d seq=%d", d.icmp4.Type, d.icmp4.Code, d.icmp4.ID, d.icmp4.Seq)
		case LayerICMPv6:
			s = fmt.Sprintf("ICMPv6 type=%d code=%d id=%d seq=%d", d.icmp6.Type, d.icmp6.Code, d.icmp6.ID, d.icmp6.Seq)
		case LayerPayload:
			s = fmt.Sprintf("Payload %d", len(d.payload))
		}
		parts = append(parts, s)
	}
	if d.truncated != LayerNone {
		parts = append(parts, fmt.Sprintf("(truncated in %v)", d.truncated))
	}
	return strings.Join(parts, " | ")
}
