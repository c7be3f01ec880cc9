package packet

import (
	"net/netip"
	"testing"
)

// tcp64 is a 64-byte Ethernet/IPv4/TCP frame: 14+20+20 header bytes and
// 10 bytes of payload. Pointer layers let a loop change fields between
// builds without rebuilding the layer list.
func tcp64() (Frame, *TCP) {
	tcp := &TCP{SrcPort: 40000, DstPort: 80, Flags: PSH | ACK, Window: 512}
	return Frame{Layers: []Layer{
		&Ethernet{Dst: DefaultDstMAC(), Src: DefaultSrcMAC()},
		&IPv4{TTL: 64, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")},
		tcp,
		Payload("0123456789"),
	}}, tcp
}

func TestAppendToDoesNotAllocate(t *testing.T) {
	f, tcp := tcp64()
	buf := make([]byte, 0, 128)
	if n := len(f.AppendTo(buf)); n != 64 {
		t.Fatalf("frame is %d bytes, want 64", n)
	}
	allocs := testing.AllocsPerRun(100, func() {
		tcp.Seq++
		buf = f.AppendTo(buf[:0])
	})
	if allocs != 0 {
		t.Errorf("AppendTo allocates %v times per frame", allocs)
	}
	d, err := Parse(buf)
	if err != nil || d.TCP().Seq != tcp.Seq || !d.ChecksumValid() {
		t.Errorf("frame built in the loop is wrong: %v %v", d, err)
	}
}

func TestDecodeDoesNotAllocate(t *testing.T) {
	f, _ := tcp64()
	frame := f.Bytes()
	var d Decoded
	allocs := testing.AllocsPerRun(100, func() {
		if d.Decode(frame) != nil || !d.ChecksumValid() || d.TCP().DstPort != 80 {
			t.Fatal("decode failed")
		}
	})
	if allocs != 0 {
		t.Errorf("Decode+ChecksumValid allocates %v times per frame", allocs)
	}
}

func BenchmarkAppendTCP64(b *testing.B) {
	f, tcp := tcp64()
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	b.SetBytes(64)
	for b.Loop() {
		tcp.Seq++
		buf = f.AppendTo(buf[:0])
	}
}

func BenchmarkBuildTCPv4(b *testing.B) {
	src, dst := netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:80")
	b.ReportAllocs()
	for b.Loop() {
		_ = TCPv4(src, dst, SYN)
	}
}

func BenchmarkDecodeTCP64(b *testing.B) {
	f, _ := tcp64()
	frame := f.Bytes()
	var d Decoded
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		_ = d.Decode(frame)
		_ = d.ChecksumValid()
	}
}

func BenchmarkInternetChecksum1500(b *testing.B) {
	data := make([]byte, 1500)
	for i := range data {
		data[i] = byte(i)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		_ = InternetChecksum(data)
	}
}
