package testnet_test

import (
	"testing"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/packet"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/features"
)

// TestRunLiveFrames: frames an XDP_PASS program runs in live-frames mode on
// veth0 arrive at veth0's stack, where a capture sees them, whether the
// interface is given by index or by name; bad counts are refused.
func TestRunLiveFrames(t *testing.T) {
	bpftest.RequirePrivileged(t)
	bpftest.RequireFeature(t, "BPF_F_TEST_XDP_LIVE_FRAMES (5.18+)", features.HaveTestRunXDPLiveFrames)
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "pass", Type: bpf.XDP, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, int32(bpf.XDPPass)), asm.Return()}})
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer prog.Close()
	pair := bpftest.NewVethPair(t, testnet.VethOptions{})
	const etherType = 0x88b5 // local experimental: nothing else sends it
	frame := packet.Build(packet.Ethernet{Dst: packet.Broadcast(), Src: packet.DefaultSrcMAC(), EtherType: etherType}, packet.Payload(make([]byte, 46)))
	const count = 40 // stays within the packet socket's receive buffer
	for _, tt := range []struct {
		name  string
		iface attach.Interface
	}{
		{"by index", attach.ByIndex(pair.A.Index).In(pair.A.Netns)},
		{"by name", attach.ByName(pair.A.Name).In(pair.A.Netns)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			capture, err := testnet.StartCapture(pair.A.Interface(), testnet.CaptureOptions{EtherType: etherType})
			if err != nil {
				t.Fatal(err)
			}
			defer capture.Close()
			rep, err := testnet.RunLiveFrames(prog, testnet.LiveOptions{Frame: frame, Count: count, Interface: tt.iface})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Frames != count || rep.PPS() <= 0 {
				t.Fatalf("report %+v", rep)
			}
			// XDP_PASS handed every frame to the namespace's stack, where
			// the packet socket saw it arrive on veth0.
			got, err := capture.Collect(count, 5*time.Second)
			if err != nil || len(got) != count {
				t.Fatalf("captured %d of %d frames: %v", len(got), count, err)
			}
		})
	}
	for _, tt := range []struct {
		name string
		opts testnet.LiveOptions
	}{
		{"count 0", testnet.LiveOptions{Frame: frame, Count: 0}},
		{"count too big", testnet.LiveOptions{Frame: frame, Count: 10_000_001}},
		{"short frame", testnet.LiveOptions{Frame: frame[:10], Count: 1}},
		{"missing interface", testnet.LiveOptions{Frame: frame, Count: 1, Interface: attach.ByName("nope0").In(pair.A.Netns)}},
	} {
		if _, err := testnet.RunLiveFrames(prog, tt.opts); err == nil {
			t.Errorf("%s: no error", tt.name)
		} else {
			t.Logf("%s: %v", tt.name, err)
		}
	}
}
