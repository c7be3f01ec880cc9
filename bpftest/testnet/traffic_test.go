package testnet_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/testnet"
	"golang.org/x/sys/unix"
)

func TestPing(t *testing.T) {
	bpftest.RequirePrivileged(t)
	p := bpftest.NewVethPair(t, testnet.VethOptions{})
	tests := []struct {
		name     string
		dst      netip.Addr
		opts     testnet.PingOptions
		received int
	}{
		{"ipv4", p.B.IPv4.Addr(), testnet.PingOptions{Count: 3}, 3},
		{"ipv6", p.B.IPv6.Addr(), testnet.PingOptions{Count: 3}, 3},
		{"ipv4 large with interval", p.B.IPv4.Addr(), testnet.PingOptions{Count: 2, Size: 1400, Interval: time.Millisecond}, 2},
		{"ipv4 fragmented", p.B.IPv4.Addr(), testnet.PingOptions{Count: 1, Size: 4000}, 1},
		{"own address", p.A.IPv4.Addr(), testnet.PingOptions{Count: 1}, 1},
		{"nobody there", netip.MustParseAddr("192.0.2.99"), testnet.PingOptions{Count: 2, Timeout: 50 * time.Millisecond}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := testnet.Ping(p.A.Netns, tt.dst, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Sent != tt.opts.Count || rep.Received != tt.received || len(rep.RTTs) != tt.received || rep.Lost() != tt.opts.Count-tt.received {
				t.Errorf("report %+v; want %d sent, %d received", rep, tt.opts.Count, tt.received)
			}
			// Round-trip times are measured, not bounded (tests are not
			// timed); they are positive.
			for _, rtt := range rep.RTTs {
				if rtt <= 0 {
					t.Errorf("RTT %v", rtt)
				}
			}
		})
	}
}

func TestPingFromBothSides(t *testing.T) {
	bpftest.RequirePrivileged(t)
	p := bpftest.NewVethPair(t, testnet.VethOptions{})
	rep, err := testnet.Ping(p.B.Netns, p.A.IPv6.Addr(), testnet.PingOptions{Count: 1})
	if err != nil || rep.Received != 1 {
		t.Errorf("ping A from B: %+v, %v", rep, err)
	}
	// With B's end down, nothing comes back.
	if err := p.B.Do(func() error { return setDown(p.B.Index) }); err != nil {
		t.Fatal(err)
	}
	rep, err = testnet.Ping(p.A.Netns, p.B.IPv4.Addr(), testnet.PingOptions{Count: 1, Timeout: 100 * time.Millisecond})
	if err != nil || rep.Received != 0 {
		t.Errorf("ping through a down link: %+v, %v", rep, err)
	}
}

func TestTrafficOptionErrors(t *testing.T) {
	bpftest.RequirePrivileged(t)
	p := bpftest.NewVethPair(t, testnet.VethOptions{})
	dst := p.B.IPv4.Addr()
	tests := []struct {
		name string
		run  func() error
	}{
		{"ping count negative", func() error { _, err := testnet.Ping(p.A.Netns, dst, testnet.PingOptions{Count: -1}); return err }},
		{"ping count too big", func() error {
			_, err := testnet.Ping(p.A.Netns, dst, testnet.PingOptions{Count: testnet.MaxCount + 1})
			return err
		}},
		{"ping size", func() error { _, err := testnet.Ping(p.A.Netns, dst, testnet.PingOptions{Size: 70000}); return err }},
		{"ping invalid address", func() error { _, err := testnet.Ping(p.A.Netns, netip.Addr{}, testnet.PingOptions{}); return err }},
		{"tcp without port or listener", func() error { _, err := testnet.TCPTransfer(p.A.Netns, nil, dst, testnet.TCPOptions{}); return err }},
		{"tcp too many bytes", func() error {
			_, err := testnet.TCPTransfer(p.A.Netns, p.B.Netns, dst, testnet.TCPOptions{Bytes: testnet.MaxBytes + 1})
			return err
		}},
		{"udp without port or listener", func() error { _, err := testnet.UDPSend(p.A.Netns, nil, dst, testnet.UDPOptions{}); return err }},
		{"udp size", func() error {
			_, err := testnet.UDPSend(p.A.Netns, p.B.Netns, dst, testnet.UDPOptions{Size: 8})
			return err
		}},
		{"frame too short", func() error { _, err := testnet.SendFrames(p.A.Interface(), []byte{1, 2, 3}); return err }},
		{"frames on missing interface", func() error {
			_, err := testnet.SendFrames(attach.ByName("nope0").In(p.A.Netns), make([]byte, 60))
			return err
		}},
		{"capture on missing interface", func() error {
			_, err := testnet.StartCapture(attach.ByName("nope0").In(p.A.Netns), testnet.CaptureOptions{})
			return err
		}},
		{"listener on foreign address", func() error {
			_, err := testnet.TCPTransfer(p.A.Netns, p.B.Netns, p.A.IPv4.Addr(), testnet.TCPOptions{})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "testnet: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestTCPTransfer(t *testing.T) {
	bpftest.RequirePrivileged(t)
	p := bpftest.NewVethPair(t, testnet.VethOptions{})
	tests := []struct {
		name  string
		dst   netip.Addr
		bytes int
	}{
		{"ipv4 default", p.B.IPv4.Addr(), 0},
		{"ipv4 4 MiB", p.B.IPv4.Addr(), 4 << 20},
		{"ipv6 one byte", p.B.IPv6.Addr(), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := testnet.TCPTransfer(p.A.Netns, p.B.Netns, tt.dst, testnet.TCPOptions{Bytes: tt.bytes})
			if err != nil {
				t.Fatal(err)
			}
			want := int64(tt.bytes)
			if want == 0 {
				want = 64 << 10
			}
			if rep.Sent != want || rep.Received != want || rep.Port == 0 || rep.Connect <= 0 || rep.Duration < rep.Connect {
				t.Errorf("report %+v; want %d bytes sent and received", rep, want)
			}
		})
	}
	// No listener on the port: the connection is refused.
	_, err := testnet.TCPTransfer(p.A.Netns, nil, p.B.IPv4.Addr(), testnet.TCPOptions{Port: 9, Timeout: time.Second})
	if !errors.Is(err, unix.ECONNREFUSED) {
		t.Errorf("connect to closed port: %v, want ECONNREFUSED", err)
	}
}

func TestUDPSend(t *testing.T) {
	bpftest.RequirePrivileged(t)
	p := bpftest.NewVethPair(t, testnet.VethOptions{})
	tests := []struct {
		name string
		dst  netip.Addr
		opts testnet.UDPOptions
	}{
		{"ipv4 default", p.B.IPv4.Addr(), testnet.UDPOptions{}},
		{"ipv4 100 datagrams", p.B.IPv4.Addr(), testnet.UDPOptions{Count: 100, Size: 200}},
		{"ipv6 with interval", p.B.IPv6.Addr(), testnet.UDPOptions{Count: 5, Interval: time.Millisecond}},
		{"fixed port", p.B.IPv4.Addr(), testnet.UDPOptions{Count: 3, Port: 40000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := testnet.UDPSend(p.A.Netns, p.B.Netns, tt.dst, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			count, size := tt.opts.Count, tt.opts.Size
			if count == 0 {
				count = 10
			}
			if size == 0 {
				size = 64
			}
			if rep.Sent != count || rep.Received != count || rep.Bytes != int64(count*size) {
				t.Errorf("report %+v; want %d datagrams of %d bytes sent and received", rep, count, size)
			}
			if tt.opts.Port != 0 && rep.Port != tt.opts.Port {
				t.Errorf("port %d, want %d", rep.Port, tt.opts.Port)
			}
		})
	}
	// Without a listener only the sending is reported.
	rep, err := testnet.UDPSend(p.A.Netns, nil, p.B.IPv4.Addr(), testnet.UDPOptions{Count: 2, Port: 9})
	if err != nil || rep.Sent != 2 || rep.Received != -1 {
		t.Errorf("send without listener: %+v, %v", rep, err)
	}
}

// testFrame builds an Ethernet frame of the local experimental EtherType
// 0x88b5 with a sequence number in its payload.
func testFrame(dst, src []byte, seq int) []byte {
	f := make([]byte, 60)
	copy(f[0:], dst)
	copy(f[6:], src)
	binary.BigEndian.PutUint16(f[12:], 0x88b5)
	binary.BigEndian.PutUint32(f[14:], uint32(seq))
	copy(f[18:], "purebpf bpftest frame")
	return f
}

func TestFrames(t *testing.T) {
	bpftest.RequirePrivileged(t)
	p := bpftest.NewVethPair(t, testnet.VethOptions{})
	in, err := testnet.StartCapture(p.B.Interface(), testnet.CaptureOptions{EtherType: 0x88b5})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := testnet.StartCapture(p.A.Interface(), testnet.CaptureOptions{EtherType: 0x88b5, Outgoing: true, SnapLen: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()

	var frames [][]byte
	for i := range 5 {
		frames = append(frames, testFrame(p.B.MAC, p.A.MAC, i))
	}
	n, err := testnet.SendFrames(p.A.Interface(), frames...)
	if err != nil || n != len(frames) {
		t.Fatalf("SendFrames = %d, %v", n, err)
	}
	got, err := in.Collect(len(frames), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(frames) {
		t.Fatalf("captured %d frames on %s, want %d", len(got), p.B.Name, len(frames))
	}
	for i, f := range got {
		if !bytes.Equal(f.Data, frames[i]) || f.Length != len(frames[i]) || f.Outgoing {
			t.Errorf("frame %d = %+v, want incoming %x", i, f, frames[i])
		}
	}
	// The sender's capture saw them leave, truncated to the snap length.
	sent, err := out.Collect(len(frames), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != len(frames) || !sent[0].Outgoing || len(sent[0].Data) != 20 || sent[0].Length != 60 {
		t.Errorf("outgoing capture: %d frames, first %+v", len(sent), sent)
	}
	// Nothing more arrives: Collect returns what it has at the timeout.
	start := time.Now()
	more, err := in.Collect(1, 50*time.Millisecond)
	if err != nil || len(more) != 0 {
		t.Errorf("extra frames %v, %v", more, err)
	}
	// It waited for the timeout (how much longer is not asserted: tests
	// are not timed).
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("Collect with timeout 50ms returned after %v", d)
	}
	if _, err := in.Next(10 * time.Millisecond); !errors.Is(err, errDeadline) {
		t.Errorf("Next on a quiet interface: %v, want deadline exceeded", err)
	}
	if err := in.Close(); err != nil {
		t.Error(err)
	}
	if err := in.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestFramesInterfaceNaming: SendFrames and StartCapture find the interface
// by index, by name, or by both, inside the interface's namespace.
func TestFramesInterfaceNaming(t *testing.T) {
	bpftest.RequirePrivileged(t)
	p := bpftest.NewVethPair(t, testnet.VethOptions{})
	tests := []struct {
		name     string
		from, to attach.Interface
	}{
		{"endpoints", p.A.Interface(), p.B.Interface()},
		{"by name", attach.ByName(p.A.Name).In(p.A.Netns), attach.ByName(p.B.Name).In(p.B.Netns)},
		{"by index", attach.ByIndex(p.A.Index).In(p.A.Netns), attach.ByIndex(p.B.Index).In(p.B.Netns)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := testnet.StartCapture(tt.to, testnet.CaptureOptions{EtherType: 0x88b5})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			frame := testFrame(p.B.MAC, p.A.MAC, i)
			if n, err := testnet.SendFrames(tt.from, frame); err != nil || n != 1 {
				t.Fatalf("SendFrames = %d, %v", n, err)
			}
			f, err := c.Next(2 * time.Second)
			if err != nil || !bytes.Equal(f.Data, frame) {
				t.Fatalf("captured %+v, %v; want %x", f, err, frame)
			}
		})
	}
	if _, err := testnet.SendFrames(attach.Interface{Netns: p.A.Netns}, testFrame(p.B.MAC, p.A.MAC, 0)); err == nil || !strings.Contains(err.Error(), "neither a name nor an index") {
		t.Errorf("SendFrames to an interface without name or index: %v", err)
	}
}

func TestCaptureSeesPing(t *testing.T) {
	bpftest.RequirePrivileged(t)
	p := bpftest.NewVethPair(t, testnet.VethOptions{})
	c, err := testnet.StartCapture(p.B.Interface(), testnet.CaptureOptions{EtherType: 0x0800})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if rep, err := testnet.Ping(p.A.Netns, p.B.IPv4.Addr(), testnet.PingOptions{Count: 2}); err != nil || rep.Received != 2 {
		t.Fatalf("ping: %+v, %v", rep, err)
	}
	frames, err := c.Collect(2, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 2 {
		t.Fatalf("captured %d IPv4 frames, want the 2 echo requests", len(frames))
	}
	for _, f := range frames {
		// Ethernet (14) + IPv4 header (20): protocol 1 at 14+9, ICMP type 8 at 34.
		if f.Data[23] != 1 || f.Data[34] != 8 {
			t.Errorf("frame is not an ICMP echo request: %x", f.Data[:40])
		}
	}
}
