// Package packet builds and parses the Ethernet frames that tests feed to
// XDP and tc programs (BPF_PROG_TEST_RUN, or a veth pair) and read back:
// "feed a packet, assert the verdict and the rewritten bytes". It uses only
// the standard library.
//
// # Building
//
// A frame is a list of layers, outermost first. Build serializes them,
// filling every field documented as "0: derived" (EtherTypes, IP protocol
// numbers, lengths, header lengths, checksums) from the other layers:
//
//	frame := packet.Build(
//		packet.Ethernet{Src: src, Dst: dst},
//		packet.VLAN{ID: 100},                       // optional; two tags make QinQ
//		packet.IPv4{TTL: 64, Src: srcIP, Dst: dstIP},
//		packet.TCP{SrcPort: 40000, DstPort: 80, Flags: packet.SYN},
//		packet.Payload("data"),
//	)
//
// The layers are Ethernet, VLAN, ARP, IPv4, IPv6, TCP, UDP, ICMPv4, ICMPv6 and
// Payload (raw bytes, also for headers without a type here, such as IPv6
// extension headers). Checksums cover what a receiver checks: the IPv4
// header checksum; the TCP, UDP and ICMPv6 checksums with the pseudo-header
// of the nearest preceding IPv4 or IPv6 layer; the ICMPv4 checksum over the
// message.
//
// Shortcuts build the common test frames in one call: TCPv4, TCPv6, UDPv4,
// UDPv6, ICMPEchoV4, ICMPEchoReplyV4, ICMPEchoV6, ICMPEchoReplyV6, ARPRequest
// and ARPReply.
//
// Frame adds Ethernet padding (PadTo, for example MinEthernetFrame) and
// AppendTo, which serializes into a caller's buffer without allocating.
// Keep pointers to layers in Frame.Layers to change fields between builds.
//
// # Malformed frames
//
// The builder never rejects a combination of layers and writes explicit
// values verbatim, so malformed frames are built by setting fields: a wrong
// TotalLength, IHL, DataOffset or EtherType, TTL 0, the reserved IPv4 flag.
// ChecksumMode selects a deliberately wrong checksum (ChecksumBad) or a raw
// value (ChecksumRaw, such as a zero UDP checksum). Frame.Truncate cuts the
// finished frame so that its headers claim more bytes than it holds.
//
// # Parsing
//
// Parse decodes an Ethernet frame into a *Decoded whose accessors return the
// same structs the builder takes, with every field as found on the wire:
//
//	p, err := packet.Parse(out)
//	if p.Is(packet.LayerTCP) && p.TCP().DstPort == 80 && p.IPv4().Src == want && p.ChecksumValid() { ... }
//
// It decodes up to two VLAN tags (TPIDs 0x8100, 0x88A8, 0x9100), ARP, IPv4,
// IPv6 (skipping Hop-by-Hop, Routing, Fragment and Destination Options
// headers), TCP, UDP, ICMPv4 and ICMPv6; the rest is the payload, and bytes
// after the IP datagram are the trailer. It never panics: on a truncated or
// malformed frame it returns the layers it decoded together with a
// *DecodeError naming the layer (errors.Is ErrTruncated or ErrMalformed),
// and Truncated reports which layer was cut. ChecksumValid and
// VerifyChecksums check the checksums independently of how the frame was
// built. ParseFrom starts at an IP or ARP header instead of Ethernet.
// Decoded.Decode reuses a Decoded and does not allocate on success.
package packet
