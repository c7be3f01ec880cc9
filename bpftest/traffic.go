package bpftest

import (
	"net/netip"

	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/netns"
)

// The traffic generators are testnet's (see the package documentation
// there); these names let a test use them through bpftest alone.

// Bounds every traffic generator enforces: counts and sizes above these are
// rejected, so a typo cannot turn a test into a flood.
const (
	MaxCount = testnet.MaxCount // packets or datagrams per call
	MaxBytes = testnet.MaxBytes // bytes per TCP transfer
)

// PingOptions configures Ping (see testnet.PingOptions).
type PingOptions = testnet.PingOptions

// PingReport is what Ping saw (see testnet.PingReport).
type PingReport = testnet.PingReport

// TCPOptions configures TCPTransfer (see testnet.TCPOptions).
type TCPOptions = testnet.TCPOptions

// TCPReport is what TCPTransfer saw (see testnet.TCPReport).
type TCPReport = testnet.TCPReport

// UDPOptions configures UDPSend (see testnet.UDPOptions).
type UDPOptions = testnet.UDPOptions

// UDPReport is what UDPSend saw (see testnet.UDPReport).
type UDPReport = testnet.UDPReport

// CaptureOptions configures StartCapture (see testnet.CaptureOptions).
type CaptureOptions = testnet.CaptureOptions

// Frame is one captured frame (see testnet.Frame).
type Frame = testnet.Frame

// Capture receives the frames of one interface (see testnet.Capture).
type Capture = testnet.Capture

// Ping sends ICMP echo requests from the namespace from to dst and counts
// the replies, as testnet.Ping does.
func Ping(from *netns.NetNS, dst netip.Addr, opts PingOptions) (PingReport, error) {
	return testnet.Ping(from, dst, opts)
}

// TCPTransfer connects from the namespace from to dst and sends bytes,
// counted by a listener in to when to is not nil, as testnet.TCPTransfer
// does.
func TCPTransfer(from, to *netns.NetNS, dst netip.Addr, opts TCPOptions) (TCPReport, error) {
	return testnet.TCPTransfer(from, to, dst, opts)
}

// UDPSend sends datagrams from the namespace from to dst, counted by a
// listener in to when to is not nil, as testnet.UDPSend does.
func UDPSend(from, to *netns.NetNS, dst netip.Addr, opts UDPOptions) (UDPReport, error) {
	return testnet.UDPSend(from, to, dst, opts)
}

// SendFrames writes raw Ethernet frames to the interface ifname in ns, as
// testnet.SendFrames does.
func SendFrames(ns *netns.NetNS, ifname string, frames ...[]byte) (int, error) {
	return testnet.SendFrames(ns, ifname, frames...)
}

// StartCapture starts receiving the frames of the interface ifname in ns,
// as testnet.StartCapture does.
func StartCapture(ns *netns.NetNS, ifname string, opts CaptureOptions) (*Capture, error) {
	return testnet.StartCapture(ns, ifname, opts)
}
