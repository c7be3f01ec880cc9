package packet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
)

func TestChecksumModes(t *testing.T) {
	type build func(ChecksumMode, uint16) []Layer
	tests := []struct {
		layer LayerType
		field int // checksum offset in the frame
		build build
	}{
		{LayerIPv4, 14 + 10, func(m ChecksumMode, c uint16) []Layer {
			return []Layer{eth, IPv4{TTL: 64, Src: ip1, Dst: ip2, ChecksumMode: m, Checksum: c}, UDP{SrcPort: 1, DstPort: 2}}
		}},
		{LayerTCP, 34 + 16, func(m ChecksumMode, c uint16) []Layer {
			return []Layer{eth, IPv4{TTL: 64, Src: ip1, Dst: ip2}, TCP{SrcPort: 1, DstPort: 2, Flags: SYN, ChecksumMode: m, Checksum: c}, Payload("data")}
		}},
		{LayerUDP, 34 + 6, func(m ChecksumMode, c uint16) []Layer {
			return []Layer{eth, IPv4{TTL: 64, Src: ip1, Dst: ip2}, UDP{SrcPort: 1, DstPort: 2, ChecksumMode: m, Checksum: c}, Payload("data")}
		}},
		{LayerICMPv4, 34 + 2, func(m ChecksumMode, c uint16) []Layer {
			return []Layer{eth, IPv4{TTL: 64, Src: ip1, Dst: ip2}, ICMPv4{Type: 8, ChecksumMode: m, Checksum: c}, Payload("data")}
		}},
		{LayerICMPv6, 54 + 2, func(m ChecksumMode, c uint16) []Layer {
			return []Layer{eth, IPv6{HopLimit: 1, Src: ip61, Dst: ip62}, ICMPv6{Type: 128, ChecksumMode: m, Checksum: c}, Payload("data")}
		}},
		{LayerUDP, 54 + 6, func(m ChecksumMode, c uint16) []Layer {
			return []Layer{eth, IPv6{HopLimit: 1, Src: ip61, Dst: ip62}, UDP{SrcPort: 1, DstPort: 2, ChecksumMode: m, Checksum: c}, Payload("data")}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.layer.String(), func(t *testing.T) {
			good := Build(tt.build(ChecksumAuto, 0)...)
			correct := binary.BigEndian.Uint16(good[tt.field:])

			bad := Build(tt.build(ChecksumBad, 0)...)
			if got := binary.BigEndian.Uint16(bad[tt.field:]); got != correct^1 {
				t.Errorf("ChecksumBad wrote %#04x, want %#04x", got, correct^1)
			}
			d, err := Parse(bad)
			if err != nil {
				t.Fatal(err)
			}
			if d.ChecksumValid(tt.layer) || d.ChecksumValid() {
				t.Errorf("ChecksumValid(%v) of a bad checksum = true", tt.layer)
			}
			var ce *ChecksumError
			if err := d.VerifyChecksums(); !errors.As(err, &ce) || ce.Layer != tt.layer || ce.Want != correct || ce.Got != correct^1 {
				t.Errorf("VerifyChecksums() = %v, want %v mismatch got %#04x want %#04x", err, tt.layer, correct^1, correct)
			}

			fixed := Build(tt.build(ChecksumAuto, 0x1234)...)
			if got := binary.BigEndian.Uint16(fixed[tt.field:]); got != 0x1234 {
				t.Errorf("explicit Checksum wrote %#04x, want 0x1234", got)
			}
			raw := Build(tt.build(ChecksumRaw, 0)...)
			if got := binary.BigEndian.Uint16(raw[tt.field:]); got != 0 {
				t.Errorf("ChecksumRaw 0 wrote %#04x", got)
			}
			// Only bytes of the checksum field differ.
			for i := range good {
				if i != tt.field && i != tt.field+1 && good[i] != bad[i] {
					t.Fatalf("byte %d differs besides the checksum", i)
				}
			}
		})
	}
}

func TestUDPZeroChecksum(t *testing.T) {
	v4 := Build(eth, IPv4{TTL: 1, Src: ip1, Dst: ip2}, UDP{SrcPort: 1, DstPort: 2, ChecksumMode: ChecksumRaw}, Payload("x"))
	d, err := Parse(v4)
	if err != nil || !d.ChecksumValid(LayerUDP) || d.UDP().Checksum != 0 {
		t.Errorf("zero UDP checksum over IPv4: valid=%v checksum=%#x err=%v; want valid", d.ChecksumValid(LayerUDP), d.UDP().Checksum, err)
	}
	v6 := Build(eth, IPv6{HopLimit: 1, Src: ip61, Dst: ip62}, UDP{SrcPort: 1, DstPort: 2, ChecksumMode: ChecksumRaw}, Payload("x"))
	if d, err := Parse(v6); err != nil || d.ChecksumValid(LayerUDP) {
		t.Errorf("zero UDP checksum over IPv6 reported valid (err %v)", err)
	}
}

// TestUDPChecksumZeroBecomesFFFF finds a payload whose UDP checksum computes
// to 0 and checks that 0xffff is written instead.
func TestUDPChecksumZeroBecomesFFFF(t *testing.T) {
	layers := func(p uint16) []Layer {
		return []Layer{IPv4{TTL: 1, Src: ip1, Dst: ip2}, UDP{SrcPort: 1, DstPort: 2}, Payload{byte(p >> 8), byte(p)}}
	}
	base := Build(layers(0)...)
	// With payload word p the complemented sum is c0 - p (one's complement),
	// so p = c0 makes the computed checksum 0 (or its equivalent 0xffff).
	p := binary.BigEndian.Uint16(base[26:])
	frame := Build(layers(p)...)
	if got := binary.BigEndian.Uint16(frame[26:]); got != 0xffff {
		t.Fatalf("UDP checksum = %#04x, want 0xffff", got)
	}
	if d, _ := ParseFrom(LayerIPv4, frame); !d.ChecksumValid(LayerUDP) {
		t.Error("0xffff UDP checksum does not verify")
	}
}

func TestExplicitFieldsOverrideDerived(t *testing.T) {
	f := Build(
		Ethernet{Dst: mac2, Src: mac1, EtherType: 0x1234},
		IPv4{TotalLength: 999, IHL: 7, Protocol: 99, TTL: 0, Flags: MoreFragments | EvilBit, FragOffset: 0x1fff, Src: ip1, Dst: ip2},
		TCP{DataOffset: 15, SrcPort: 1},
		UDP{Length: 3},
	)
	h := f[14:]
	checks := []struct {
		name      string
		got, want int
	}{
		{"EtherType", int(binary.BigEndian.Uint16(f[12:])), 0x1234},
		{"IHL", int(h[0] & 0xf), 7},
		{"TotalLength", int(binary.BigEndian.Uint16(h[2:])), 999},
		{"flags+frag", int(binary.BigEndian.Uint16(h[6:])), 0xbfff},
		{"TTL", int(h[8]), 0},
		{"Protocol", int(h[9]), 99},
		{"TCP data offset", int(h[20+12] >> 4), 15},
		{"UDP length", int(binary.BigEndian.Uint16(h[40+4:])), 3},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
	g := Build(IPv6{PayloadLength: 4000, NextHeader: ProtoGRE, Src: ip61}, VLAN{TPID: 0x9999, EtherType: 0x0101})
	if binary.BigEndian.Uint16(g[4:]) != 4000 || g[6] != byte(ProtoGRE) || binary.BigEndian.Uint16(g[42:]) != 0x0101 {
		t.Errorf("IPv6 explicit fields not written: %x", g)
	}
}

func TestOptionsPadding(t *testing.T) {
	f := Build(IPv4{Src: ip1, Dst: ip2, Options: []byte{7, 3, 4}}, TCP{Options: []byte{1, 1, 1, 1, 2}})
	if len(f) != 24+28 || f[0] != 0x46 || f[24+12]>>4 != 7 {
		t.Fatalf("options not padded to 4 bytes: %x", f)
	}
	if f[23] != 0 || !bytes.Equal(f[24+20:], []byte{1, 1, 1, 1, 2, 0, 0, 0}) {
		t.Errorf("padding is not zero: %x", f)
	}
	d, err := ParseFrom(LayerIPv4, f)
	if err != nil || !bytes.Equal(d.IPv4().Options, []byte{7, 3, 4, 0}) || len(d.TCP().Options) != 8 {
		t.Errorf("parsed options: %v %+v", err, d)
	}
}

func TestAddressFamilies(t *testing.T) {
	mapped := netip.MustParseAddr("::ffff:10.0.0.1")
	f := Build(IPv4{Src: mapped, Dst: ip61}, ARP{SenderIP: ip62, TargetIP: mapped})
	if !bytes.Equal(f[12:16], []byte{10, 0, 0, 1}) || !bytes.Equal(f[16:20], make([]byte, 4)) {
		t.Errorf("IPv4 addresses: %x", f[12:20])
	}
	if !bytes.Equal(f[20+14:20+18], make([]byte, 4)) || !bytes.Equal(f[20+24:20+28], []byte{10, 0, 0, 1}) {
		t.Errorf("ARP addresses: %x", f[20:])
	}
	g := Build(IPv6{Src: ip1}) // zero Dst, IPv4 Src written IPv4-mapped
	if !bytes.Equal(g[8:24], netip.MustParseAddr("::ffff:10.0.0.1").AsSlice()) || !bytes.Equal(g[24:40], make([]byte, 16)) {
		t.Errorf("IPv6 addresses: %x", g[8:40])
	}
}

func TestPadding(t *testing.T) {
	f := Frame{Layers: []Layer{eth, IPv4{TTL: 64, Src: ip1, Dst: ip2}, UDP{SrcPort: 9, DstPort: 9}, Payload("a")}, PadTo: MinEthernetFrame}
	b := f.Bytes()
	if len(b) != 60 || f.Len() != 60 {
		t.Fatalf("len = %d, Len() = %d, want 60", len(b), f.Len())
	}
	d, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.IPv4().TotalLength != 29 || d.UDP().Length != 9 || !bytes.Equal(d.Payload(), []byte("a")) {
		t.Errorf("padding counted in lengths: %+v %+v", d.IPv4(), d.UDP())
	}
	if !bytes.Equal(d.Trailer(), make([]byte, 60-43)) || !d.ChecksumValid() {
		t.Errorf("Trailer() = %x, checksums valid %v", d.Trailer(), d.ChecksumValid())
	}
	// PadTo below the frame length changes nothing.
	if long := (Frame{Layers: f.Layers, PadTo: 10}).Bytes(); len(long) != 43 {
		t.Errorf("PadTo 10 gave %d bytes", len(long))
	}
	arp := Frame{Layers: []Layer{eth, ARP{Op: ARPOpReply}}, PadTo: MinEthernetFrame}.Bytes()
	if d, err := Parse(arp); err != nil || len(d.Trailer()) != 18 {
		t.Errorf("ARP trailer: %v %x", err, d.Trailer())
	}
}

func TestTruncated(t *testing.T) {
	layers := []Layer{eth, VLAN{ID: 5}, IPv4{TTL: 64, Src: ip1, Dst: ip2, Options: []byte{1, 1, 1, 1}}, TCP{SrcPort: 1, DstPort: 2, Options: []byte{1, 1, 1, 1}}, Payload("0123456789")}
	full := Build(layers...)
	// eth 0-14, vlan 14-18, ipv4 18-42, tcp 42-66, payload 66-76
	tests := []struct {
		n    int
		want LayerType
	}{
		{0, LayerEthernet}, {13, LayerEthernet}, {14, LayerVLAN}, {17, LayerVLAN},
		{18, LayerIPv4}, {37, LayerIPv4}, {41, LayerIPv4}, {42, LayerTCP}, {61, LayerTCP}, {65, LayerTCP},
		{66, LayerPayload}, {75, LayerPayload}, {76, LayerNone},
	}
	for _, tt := range tests {
		f := Frame{Layers: layers, Truncate: tt.n}
		b := f.Bytes()
		if tt.n > 0 && (len(b) != tt.n || f.Len() != tt.n || !bytes.Equal(b, full[:tt.n])) {
			t.Fatalf("Truncate %d: got %d bytes (Len %d), want a prefix of the full frame", tt.n, len(b), f.Len())
		}
		b = full[:tt.n]
		d, err := Parse(b)
		if d.Truncated() != tt.want {
			t.Errorf("cut at %d: Truncated() = %v, want %v (err %v)", tt.n, d.Truncated(), tt.want, err)
		}
		if tt.want == LayerNone {
			if err != nil {
				t.Errorf("cut at %d: %v", tt.n, err)
			}
			continue
		}
		var de *DecodeError
		if !errors.Is(err, ErrTruncated) || !errors.As(err, &de) || de.Layer != tt.want {
			t.Errorf("cut at %d: err = %v, want %v truncated", tt.n, err, tt.want)
		}
		if tt.n >= 42 && !d.ChecksumValid(LayerIPv4) {
			t.Errorf("cut at %d: complete IPv4 header checksum invalid", tt.n)
		}
		if d.ChecksumValid(LayerTCP) || d.ChecksumValid() {
			t.Errorf("cut at %d: checksum over missing bytes reported valid", tt.n)
		}
		if tt.want == LayerPayload {
			if d.TCP() == nil || d.TCP().DstPort != 2 {
				t.Errorf("cut at %d: TCP header not decoded", tt.n)
			}
			var ce *ChecksumError
			if err := d.VerifyChecksums(); !errors.As(err, &ce) || !ce.Truncated || ce.Layer != LayerTCP {
				t.Errorf("cut at %d: VerifyChecksums() = %v", tt.n, err)
			}
		}
	}
}

func TestMalformed(t *testing.T) {
	v4 := Build(eth, IPv4{TTL: 1, Src: ip1, Dst: ip2}, UDP{SrcPort: 1, DstPort: 2}, Payload("abcd"))
	v6 := Build(eth, IPv6{HopLimit: 1, Src: ip61, Dst: ip62}, TCP{SrcPort: 1})
	arp := ARPRequest(mac1, ip1, ip2)
	mod := func(b []byte, f func([]byte)) []byte { b = bytes.Clone(b); f(b); return b }
	tests := []struct {
		name  string
		frame []byte
		layer LayerType
		err   error
	}{
		{"IPv4 version", mod(v4, func(b []byte) { b[14] = 0x55 }), LayerIPv4, ErrMalformed},
		{"IPv4 IHL", mod(v4, func(b []byte) { b[14] = 0x43 }), LayerIPv4, ErrMalformed},
		{"IPv4 IHL beyond frame", mod(v4, func(b []byte) { b[14] = 0x4f }), LayerIPv4, ErrTruncated},
		{"IPv4 total length < header", mod(v4, func(b []byte) { b[16], b[17] = 0, 10 }), LayerIPv4, ErrMalformed},
		{"UDP length < 8", mod(v4, func(b []byte) { b[38], b[39] = 0, 7 }), LayerUDP, ErrMalformed},
		{"UDP length > IP payload", mod(v4, func(b []byte) { b[38], b[39] = 0, 13 }), LayerUDP, ErrMalformed},
		{"IPv6 version", mod(v6, func(b []byte) { b[14] = 0x40 }), LayerIPv6, ErrMalformed},
		{"TCP data offset", mod(v6, func(b []byte) { b[54+12] = 0x40 }), LayerTCP, ErrMalformed},
		{"ARP address lengths", mod(arp, func(b []byte) { b[18] = 8 }), LayerARP, ErrMalformed},
		{"ARP short", arp[:30], LayerARP, ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.frame)
			var de *DecodeError
			if !errors.Is(err, tt.err) || !errors.As(err, &de) || de.Layer != tt.layer {
				t.Fatalf("Parse = %v, want %v in %v", err, tt.err, tt.layer)
			}
			if d == nil || d.Ethernet() == nil || err.Error() == "" {
				t.Errorf("outer layers not kept: %v", d)
			}
		})
	}
}

func TestFragments(t *testing.T) {
	later := Build(eth, IPv4{TTL: 1, FragOffset: 185, Protocol: ProtoTCP, Src: ip1, Dst: ip2}, Payload("not a TCP header at all"))
	d, err := Parse(later)
	if err != nil || d.TCP() != nil || !bytes.Equal(d.Payload(), []byte("not a TCP header at all")) {
		t.Errorf("non-first fragment: %v %v", d, err)
	}
	frag6 := []byte{byte(ProtoUDP), 0, 0x05, 0xc8, 0, 0, 0, 1} // offset 185, no M flag
	d, err = Parse(Build(eth, IPv6{NextHeader: ProtoFragment, Src: ip61, Dst: ip62}, Payload(frag6), Payload("rest")))
	if err != nil || d.UDP() != nil || !bytes.Equal(d.Payload(), []byte("rest")) || !bytes.Equal(d.IPv6Extensions(), frag6) {
		t.Errorf("IPv6 non-first fragment: %v %v", d, err)
	}
}

func TestIPv6ExtensionHeaders(t *testing.T) {
	hbh := []byte{byte(ProtoDstOpts), 0, 1, 4, 0, 0, 0, 0}                      // Hop-by-Hop, PadN
	dst := []byte{byte(ProtoTCP), 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} // Destination Options, 16 bytes
	f := Build(eth, IPv6{NextHeader: ProtoHopByHop, HopLimit: 1, Src: ip61, Dst: ip62}, Payload(hbh), Payload(dst), TCP{SrcPort: 7, DstPort: 8, Flags: RST})
	checkIndependentlyExt(t, f, 14+40+24)
	d, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if d.TCP() == nil || d.TCP().Flags != RST || len(d.IPv6Extensions()) != 24 || d.Offset(LayerTCP) != 14+40+24 {
		t.Fatalf("extension headers not skipped: %v", d)
	}
	if !d.ChecksumValid(LayerTCP) {
		t.Errorf("TCP after extension headers: %v", d.VerifyChecksums())
	}
	if _, err := Parse(f[:14+40+12]); !errors.Is(err, ErrTruncated) {
		t.Errorf("truncated extension header: %v", err)
	}
}

// checkIndependentlyExt verifies the TCP checksum of an IPv6 frame whose
// TCP header starts at l4, with the naive checksum.
func checkIndependentlyExt(t *testing.T, f []byte, l4 int) {
	t.Helper()
	l := len(f) - l4
	pseudo := append(bytes.Clone(f[14+8:14+40]), 0, 0, byte(l>>8), byte(l), 0, 0, 0, 6)
	if c := naiveChecksum(pseudo, f[l4:]); c != 0 {
		t.Errorf("independent TCP checksum check: %#04x", c)
	}
}

func TestAppendTo(t *testing.T) {
	f := Frame{Layers: []Layer{eth, IPv4{TTL: 64, Src: ip1, Dst: ip2}, TCP{SrcPort: 1, DstPort: 2, Flags: SYN}}}
	want := f.Bytes()
	prefix := []byte("prefix")
	got := f.AppendTo(prefix)
	if !bytes.Equal(got[:6], []byte("prefix")) || !bytes.Equal(got[6:], want) {
		t.Errorf("AppendTo with prefix = %x", got)
	}
	// Garbage in spare capacity must not leak into reserved or padding bytes.
	buf := bytes.Repeat([]byte{0xee}, 128)[:0]
	f.PadTo = 100
	got = f.AppendTo(buf)
	if !bytes.Equal(got[:len(want)], want) || !bytes.Equal(got[len(want):], make([]byte, 100-len(want))) {
		t.Errorf("AppendTo into dirty buffer = %x", got)
	}
	if len(Build()) != 0 {
		t.Error("Build() of no layers is not empty")
	}
}

func TestStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{(SYN | ACK).String(), "SYN|ACK"},
		{TCPFlags(0).String(), "none"},
		{(FIN | CWR | ECE).String(), "FIN|ECE|CWR"},
		{(DontFragment | MoreFragments).String(), "DF|MF"},
		{IPv4Flags(0).String(), "none"},
		{EtherTypeQinQ.String(), "802.1ad"},
		{EtherType(0x1234).String(), "0x1234"},
		{ProtoICMPv6.String(), "ICMPv6"},
		{IPProtocol(250).String(), "proto-250"},
		{LayerTCP.String(), "TCP"},
		{LayerType(99).String(), "Layer(99)"},
		{MAC{0x02, 0xab, 0, 0, 0, 0xff}.String(), "02:ab:00:00:00:ff"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if !(SYN | ACK).Has(SYN) || (SYN).Has(SYN|ACK) {
		t.Error("TCPFlags.Has")
	}
}

func TestParseMAC(t *testing.T) {
	for _, s := range []string{"02:00:00:00:00:01", "02-00-00-00-00-01", "02:00:00:00:00:01"} {
		if m, err := ParseMAC(s); err != nil || m != DefaultSrcMAC() {
			t.Errorf("ParseMAC(%q) = %v, %v", s, m, err)
		}
	}
	if m := MustParseMAC("AA:bb:CC:dd:EE:ff"); m != (MAC{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}) {
		t.Errorf("MustParseMAC = %v", m)
	}
	for _, s := range []string{"", "02:00:00:00:00", "02:00:00:00:00:0g", "02:00:00.00:00:01", "02:00:00:00:00:001"} {
		if _, err := ParseMAC(s); !errors.Is(err, ErrBadMAC) {
			t.Errorf("ParseMAC(%q) error = %v, want ErrBadMAC", s, err)
		}
	}
}
