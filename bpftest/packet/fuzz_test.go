package packet

import (
	"errors"
	"testing"
)

// FuzzParse checks that the parser never panics and that what it reports
// is self-consistent, for any input and any first layer.
func FuzzParse(f *testing.F) {
	for _, tt := range roundTripCases() {
		frame := Build(tt.layers...)
		f.Add(frame, uint8(LayerEthernet))
		f.Add(frame[:len(frame)/2], uint8(LayerEthernet))
		f.Add(frame[EthernetHeaderLen:], uint8(LayerIPv4))
		f.Add(frame[EthernetHeaderLen:], uint8(LayerIPv6))
	}
	f.Add([]byte{}, uint8(LayerEthernet))
	f.Add([]byte{0x45}, uint8(LayerIPv4))
	f.Fuzz(func(t *testing.T, data []byte, first uint8) {
		var d Decoded
		err := d.DecodeFrom(LayerType(first%uint8(numLayerTypes+1)), data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || (!errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed)) {
				t.Fatalf("error %v is not a *DecodeError wrapping ErrTruncated or ErrMalformed", err)
			}
			_ = de.Error()
			if errors.Is(err, ErrTruncated) != (d.Truncated() != LayerNone) {
				t.Fatalf("error %v but Truncated() = %v", err, d.Truncated())
			}
		}
		for _, l := range d.Layers() {
			if !d.Is(l) {
				t.Fatalf("Layers() has %v but Is(%v) = false", l, l)
			}
			if off := d.Offset(l); off < 0 || off > len(data) {
				t.Fatalf("Offset(%v) = %d outside the %d-byte frame", l, off, len(data))
			}
		}
		_ = d.ChecksumValid()
		_ = d.ChecksumValid(LayerIPv4, LayerTCP, LayerUDP, LayerICMPv4, LayerICMPv6)
		if err := d.VerifyChecksums(); err != nil {
			_ = err.Error()
		}
		_ = d.String()
		_, _, _, _ = d.Ethernet(), d.VLANs(), d.ARP(), d.IPv4()
		_, _, _, _, _ = d.IPv6(), d.TCP(), d.UDP(), d.ICMPv4(), d.ICMPv6()
		if p := d.Payload(); len(p) > len(data) {
			t.Fatalf("payload longer than the frame")
		}
		_, _ = d.Trailer(), d.IPv6Extensions()
	})
}
