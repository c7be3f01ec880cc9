package testnet

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/netns"
	"golang.org/x/sys/unix"
)

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// do runs fn inside ns, or directly in the calling thread's namespace
// when ns is nil.
func do(ns *netns.NetNS, fn func() error) error {
	if ns == nil {
		return fn()
	}
	return ns.Do(fn)
}

// describe names iface and its namespace for messages.
func describe(iface attach.Interface) string {
	if iface.Netns == nil {
		return iface.String()
	}
	return iface.String() + " in " + iface.Netns.String()
}

// resolve returns iface's index, looking its name up inside its namespace
// when the index is not known. It must run inside that namespace.
func resolve(iface attach.Interface) (int, error) {
	if iface.Index > 0 {
		return iface.Index, nil
	}
	if iface.Name == "" {
		return 0, errors.New("interface has neither a name nor an index")
	}
	ifi, err := net.InterfaceByName(iface.Name)
	if err != nil {
		return 0, err
	}
	return ifi.Index, nil
}

// packetSocket opens an AF_PACKET socket on iface (in its namespace),
// bound to protocol (an EtherType in host order; unix.ETH_P_ALL for every
// frame, 0 for none, that is send only). It returns the socket and the
// interface's index.
func packetSocket(iface attach.Interface, protocol uint16) (fd, index int, err error) {
	fd = -1
	err = do(iface.Netns, func() error {
		index, err = resolve(iface)
		if err != nil {
			return err
		}
		// Protocol 0 receives nothing until bind sets the real one, so
		// no frame of another interface slips in.
		s, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			return os.NewSyscallError("socket", err)
		}
		if err := unix.Bind(s, &unix.SockaddrLinklayer{Protocol: htons(protocol), Ifindex: index}); err != nil {
			unix.Close(s)
			return os.NewSyscallError("bind", err)
		}
		fd = s
		return nil
	})
	return fd, index, err
}

// SendFrames sends each frame unchanged (Ethernet header first) out of
// iface (by index, or by name when the index is 0, inside iface.Netns; nil
// is the calling thread's namespace) through an AF_PACKET socket, and
// returns how many were sent. A frame shorter than an Ethernet header is
// an error.
func SendFrames(iface attach.Interface, frames ...[]byte) (int, error) {
	op := "send frames on " + describe(iface)
	for i, f := range frames {
		if len(f) < 14 {
			return 0, fmt.Errorf("testnet: %s: frame %d has %d bytes, shorter than an Ethernet header", op, i, len(f))
		}
	}
	fd, index, err := packetSocket(iface, 0)
	if err != nil {
		return 0, fmt.Errorf("testnet: %s: %w", op, err)
	}
	defer unix.Close(fd)
	to := &unix.SockaddrLinklayer{Ifindex: index, Halen: 6}
	for i, f := range frames {
		copy(to.Addr[:], f[:6])
		for {
			err = unix.Sendto(fd, f, 0, to)
			if err != unix.EAGAIN && err != unix.EINTR {
				break
			}
			time.Sleep(time.Millisecond) // transmit queue full; rare on veth
		}
		if err != nil {
			return i, fmt.Errorf("testnet: %s: frame %d (%d bytes): %w", op, i, len(f), os.NewSyscallError("sendto", err))
		}
	}
	return len(frames), nil
}

// CaptureOptions select what a Capture records.
type CaptureOptions struct {
	// EtherType records only frames of this EtherType (host order, such as
	// 0x0800); 0 records every frame.
	EtherType uint16
	// Outgoing also records frames the interface sends; by default only
	// frames it receives are recorded.
	Outgoing bool
	// SnapLen truncates recorded frames to this many bytes; default 65535.
	SnapLen int
}

// Frame is a frame a Capture recorded.
type Frame struct {
	Data     []byte // the frame from its Ethernet header, truncated to SnapLen
	Length   int    // its length on the wire
	Outgoing bool   // sent by the interface rather than received
}

// Capture records frames of one interface through an AF_PACKET socket
// from StartCapture until Close. Its methods must not be called
// concurrently.
type Capture struct {
	f    *os.File
	rc   syscall.RawConn
	opts CaptureOptions
	buf  []byte
}

// StartCapture starts recording frames of iface (by index, or by name when
// the index is 0, inside iface.Netns; nil is the calling thread's
// namespace). Frames arriving from then on are queued in the socket (up to its receive
// buffer) until read with Next or Collect.
func StartCapture(iface attach.Interface, opts CaptureOptions) (*Capture, error) {
	op := "capture on " + describe(iface)
	if opts.SnapLen == 0 {
		opts.SnapLen = 65535
	}
	if opts.SnapLen < 14 || opts.SnapLen > 1<<18 {
		return nil, fmt.Errorf("testnet: %s: snap length %d out of range 14..%d", op, opts.SnapLen, 1<<18)
	}
	// Sockets bound to one EtherType see only received frames; the
	// kernel shows sent frames to ETH_P_ALL sockets only, so with
	// Outgoing the EtherType is filtered here instead.
	proto := opts.EtherType
	if proto == 0 || opts.Outgoing {
		proto = unix.ETH_P_ALL
	}
	fd, index, err := packetSocket(iface, proto)
	if err != nil {
		return nil, fmt.Errorf("testnet: %s: %w", op, err)
	}
	f := os.NewFile(uintptr(fd), "packet:"+strconv.Itoa(index)) // nonblocking: uses the poller
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("testnet: %s: %w", op, err)
	}
	return &Capture{f: f, rc: rc, opts: opts, buf: make([]byte, opts.SnapLen)}, nil
}

// Next waits up to timeout for the next recorded frame. It returns an error
// wrapping os.ErrDeadlineExceeded if none arrived in time.
func (c *Capture) Next(timeout time.Duration) (Frame, error) {
	if err := c.f.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return Frame{}, fmt.Errorf("testnet: capture: %w", err)
	}
	for {
		var (
			n     int
			from  unix.Sockaddr
			rerr  error
			flags = unix.MSG_TRUNC // n is the length on the wire
		)
		err := c.rc.Read(func(fd uintptr) bool {
			n, from, rerr = unix.Recvfrom(int(fd), c.buf, flags)
			return rerr != unix.EAGAIN
		})
		if err == nil {
			err = rerr
		}
		if err != nil {
			return Frame{}, fmt.Errorf("testnet: capture: %w", err)
		}
		ll, _ := from.(*unix.SockaddrLinklayer)
		out := ll != nil && ll.Pkttype == unix.PACKET_OUTGOING
		if out && !c.opts.Outgoing {
			continue
		}
		if c.opts.EtherType != 0 && (n < 14 || uint16(c.buf[12])<<8|uint16(c.buf[13]) != c.opts.EtherType) {
			continue
		}
		return Frame{Data: append([]byte(nil), c.buf[:min(n, len(c.buf))]...), Length: n, Outgoing: out}, nil
	}
}

// Collect records until it has n frames or timeout passed, whichever comes
// first, and returns the frames. Fewer than n frames is not an error: the
// caller compares len. n must be at least 1 and at most MaxCount.
func (c *Capture) Collect(n int, timeout time.Duration) ([]Frame, error) {
	if n < 1 || n > MaxCount {
		return nil, fmt.Errorf("testnet: capture: count %d out of range 1..%d", n, MaxCount)
	}
	deadline := time.Now().Add(timeout)
	var frames []Frame
	for len(frames) < n {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		f, err := c.Next(left)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			return frames, err
		}
		frames = append(frames, f)
	}
	return frames, nil
}

// Close stops the capture and releases its socket. Closing twice is safe.
func (c *Capture) Close() error {
	if err := c.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("testnet: capture: %w", err)
	}
	return nil
}
