package testnet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/purebpf/bpf/netns"
)

// Bounds every traffic generator enforces: counts and sizes above these are
// rejected, so a typo cannot turn a test into a flood.
const (
	MaxCount = 100000  // packets or datagrams per call
	MaxBytes = 1 << 30 // bytes per TCP transfer
)

func checkCount(op string, n, def, max int) (int, error) {
	switch {
	case n == 0:
		return def, nil
	case n < 0 || n > max:
		return 0, fmt.Errorf("testnet: %s: count %d out of range 1..%d", op, n, max)
	}
	return n, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// PingOptions bound Ping. Zero values select the defaults.
type PingOptions struct {
	Count    int           // echo requests to send; default 3, at most MaxCount
	Interval time.Duration // pause between a reply (or its timeout) and the next request; default none
	Timeout  time.Duration // how long to wait for each reply; default 1s
	Size     int           // payload bytes; default 56, at most 65000
}

// PingReport says what Ping sent and received.
type PingReport struct {
	Sent     int             // echo requests sent
	Received int             // matching echo replies received in time
	RTTs     []time.Duration // round-trip time of each reply received, in order
}

// Lost returns how many requests got no reply in time.
func (r PingReport) Lost() int { return r.Sent - r.Received }

// Ping sends opts.Count ICMP (or ICMPv6) echo requests to dst from a raw
// socket in namespace from, one at a time, and waits up to opts.Timeout for
// each reply. Replies are matched by identifier, sequence number and
// payload. Lost replies are counted in the report, not returned as errors;
// the error reports setup or send failures. Ping takes at most
// Count*(Timeout+Interval).
func Ping(from *netns.NetNS, dst netip.Addr, opts PingOptions) (PingReport, error) {
	var rep PingReport
	dst = dst.Unmap()
	op := fmt.Sprintf("ping %s from %s", dst, from)
	count, err := checkCount(op, opts.Count, 3, MaxCount)
	if err != nil {
		return rep, err
	}
	size := opts.Size
	if size == 0 {
		size = 56
	}
	if size < 8 || size > 65000 {
		return rep, fmt.Errorf("testnet: %s: size %d out of range 8..65000", op, size)
	}
	timeout := orDefault(opts.Timeout, time.Second)
	if !dst.IsValid() {
		return rep, fmt.Errorf("testnet: %s: invalid address", op)
	}
	network, laddr, reqType, replyType := "ip4:icmp", "0.0.0.0", byte(8), byte(0)
	if dst.Is6() {
		network, laddr, reqType, replyType = "ip6:ipv6-icmp", "::", 128, 129
	}
	var conn net.PacketConn
	if err := from.Do(func() (err error) {
		conn, err = net.ListenPacket(network, laddr)
		return err
	}); err != nil {
		return rep, fmt.Errorf("testnet: %s: %w", op, err)
	}
	defer conn.Close()

	id := uint16(rand.Uint32())
	raddr := &net.IPAddr{IP: dst.AsSlice(), Zone: dst.Zone()}
	req := make([]byte, 8+size)
	buf := make([]byte, 8+size+128)
	for i := range size {
		req[8+i] = byte(i)
	}
	for seq := range count {
		req[0], req[1] = reqType, 0
		binary.BigEndian.PutUint16(req[2:], 0)
		binary.BigEndian.PutUint16(req[4:], id)
		binary.BigEndian.PutUint16(req[6:], uint16(seq))
		binary.BigEndian.PutUint64(req[8:], rand.Uint64()) // makes each payload unique
		if dst.Is4() {
			binary.BigEndian.PutUint16(req[2:], inetChecksum(req))
		} // the kernel fills in ICMPv6 checksums of raw sockets
		start := time.Now()
		if _, err := conn.WriteTo(req, raddr); err != nil {
			return rep, fmt.Errorf("testnet: %s: send request %d: %w", op, seq, err)
		}
		rep.Sent++
		deadline := start.Add(timeout)
		conn.SetReadDeadline(deadline)
		for {
			n, _, err := conn.ReadFrom(buf)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil {
				return rep, fmt.Errorf("testnet: %s: receive: %w", op, err)
			}
			r := buf[:n]
			if n == len(req) && r[0] == replyType && r[1] == 0 &&
				binary.BigEndian.Uint16(r[4:]) == id && binary.BigEndian.Uint16(r[6:]) == uint16(seq) &&
				bytes.Equal(r[8:], req[8:]) {
				rep.Received++
				rep.RTTs = append(rep.RTTs, time.Since(start))
				break
			}
		}
		if opts.Interval > 0 && seq+1 < count {
			time.Sleep(opts.Interval)
		}
	}
	return rep, nil
}

// inetChecksum is the Internet checksum (RFC 1071) of b.
func inetChecksum(b []byte) uint16 {
	var sum uint32
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// TCPOptions bound TCPTransfer. Zero values select the defaults.
type TCPOptions struct {
	Bytes   int           // bytes to send; default 64 KiB, at most MaxBytes
	Port    int           // destination port; 0 lets the listener pick one (needs a listener namespace)
	Timeout time.Duration // limit for the whole exchange; default 5s
}

// TCPReport says what TCPTransfer did.
type TCPReport struct {
	Port     int           // the destination port
	Sent     int64         // bytes the client wrote
	Received int64         // bytes the listener read; -1 without a listener
	Connect  time.Duration // time to establish the connection
	Duration time.Duration // time from the connect to the end of the exchange
}

// TCPTransfer connects from namespace from to dst and sends opts.Bytes
// bytes. When to is not nil it first starts a listener on dst in namespace
// to (port opts.Port, or an ephemeral one), which accepts one connection
// and counts what arrives until the client closes; TCPTransfer then waits
// for the listener's count. Without a listener it only connects, writes and
// closes. Everything is bounded by opts.Timeout.
func TCPTransfer(from, to *netns.NetNS, dst netip.Addr, opts TCPOptions) (TCPReport, error) {
	rep := TCPReport{Received: -1, Port: opts.Port}
	dst = dst.Unmap()
	op := fmt.Sprintf("tcp from %s to %s", from, dst)
	n, err := checkCount(op+": bytes", opts.Bytes, 64<<10, MaxBytes)
	if err != nil {
		return rep, err
	}
	if opts.Port < 0 || opts.Port > 65535 || (opts.Port == 0 && to == nil) {
		return rep, fmt.Errorf("testnet: %s: need a port in 1..65535 or a listener namespace", op)
	}
	timeout := orDefault(opts.Timeout, 5*time.Second)
	deadline := time.Now().Add(timeout)

	type result struct {
		n   int64
		err error
	}
	var done chan result
	if to != nil {
		var ln *net.TCPListener
		if err := to.Do(func() error {
			l, err := net.Listen("tcp", net.JoinHostPort(dst.String(), strconv.Itoa(opts.Port)))
			if err == nil {
				ln = l.(*net.TCPListener)
			}
			return err
		}); err != nil {
			return rep, fmt.Errorf("testnet: %s: listen in %s: %w", op, to, err)
		}
		defer ln.Close()
		rep.Port = ln.Addr().(*net.TCPAddr).Port
		ln.SetDeadline(deadline)
		done = make(chan result, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				done <- result{err: fmt.Errorf("accept: %w", err)}
				return
			}
			defer c.Close()
			c.SetDeadline(deadline)
			got, err := io.Copy(io.Discard, c)
			done <- result{got, err}
		}()
	}

	raddr := net.JoinHostPort(dst.String(), strconv.Itoa(rep.Port))
	var conn *net.TCPConn
	start := time.Now()
	if err := from.Do(func() error {
		d := net.Dialer{Deadline: deadline}
		c, err := d.Dial("tcp", raddr)
		if err == nil {
			conn = c.(*net.TCPConn)
		}
		return err
	}); err != nil {
		// A listener goroutine ends when the deferred Close wakes its
		// Accept.
		return rep, fmt.Errorf("testnet: %s: %w", op, err)
	}
	defer conn.Close()
	rep.Connect = time.Since(start)
	conn.SetDeadline(deadline)

	chunk := make([]byte, min(n, 64<<10))
	for rep.Sent < int64(n) {
		w := min(int64(len(chunk)), int64(n)-rep.Sent)
		m, err := conn.Write(chunk[:w])
		rep.Sent += int64(m)
		if err != nil {
			return rep, fmt.Errorf("testnet: %s: write after %d bytes: %w", op, rep.Sent, err)
		}
	}
	if err := conn.CloseWrite(); err != nil {
		return rep, fmt.Errorf("testnet: %s: close write: %w", op, err)
	}
	if done != nil {
		r := <-done
		rep.Duration = time.Since(start)
		rep.Received = r.n
		if r.err != nil {
			return rep, fmt.Errorf("testnet: %s: listener: %w", op, r.err)
		}
	} else {
		rep.Duration = time.Since(start)
	}
	return rep, nil
}

// UDPOptions bound UDPSend. Zero values select the defaults.
type UDPOptions struct {
	Count    int           // datagrams to send; default 10, at most MaxCount
	Size     int           // payload bytes per datagram; default 64, 16..65000
	Port     int           // destination port; 0 lets the listener pick one (needs a listener namespace)
	Interval time.Duration // pause between datagrams; default none
	Timeout  time.Duration // how long the listener waits for stragglers after the last send; default 1s
}

// UDPReport says what UDPSend sent and what arrived.
type UDPReport struct {
	Port     int   // the destination port
	Sent     int   // datagrams sent
	Received int   // datagrams of this run the listener got; -1 without a listener
	Bytes    int64 // payload bytes the listener got
}

// UDPSend sends opts.Count datagrams of opts.Size bytes from namespace from
// to dst. When to is not nil it first starts a listener on dst in namespace
// to that counts the datagrams of this run (recognised by a random tag in
// the payload) until all arrived or opts.Timeout passed after the last send.
func UDPSend(from, to *netns.NetNS, dst netip.Addr, opts UDPOptions) (UDPReport, error) {
	rep := UDPReport{Received: -1, Port: opts.Port}
	dst = dst.Unmap()
	op := fmt.Sprintf("udp from %s to %s", from, dst)
	count, err := checkCount(op, opts.Count, 10, MaxCount)
	if err != nil {
		return rep, err
	}
	size := opts.Size
	if size == 0 {
		size = 64
	}
	if size < 16 || size > 65000 {
		return rep, fmt.Errorf("testnet: %s: size %d out of range 16..65000", op, size)
	}
	if opts.Port < 0 || opts.Port > 65535 || (opts.Port == 0 && to == nil) {
		return rep, fmt.Errorf("testnet: %s: need a port in 1..65535 or a listener namespace", op)
	}
	timeout := orDefault(opts.Timeout, time.Second)
	tag := rand.Uint64()

	var ln *net.UDPConn
	type result struct {
		n     int
		bytes int64
	}
	var done chan result
	if to != nil {
		if err := to.Do(func() error {
			c, err := net.ListenPacket("udp", net.JoinHostPort(dst.String(), strconv.Itoa(opts.Port)))
			if err == nil {
				ln = c.(*net.UDPConn)
			}
			return err
		}); err != nil {
			return rep, fmt.Errorf("testnet: %s: listen in %s: %w", op, to, err)
		}
		defer ln.Close()
		rep.Port = ln.LocalAddr().(*net.UDPAddr).Port
		// The listener's deadline is set once sending is over (a deadline
		// set from another goroutine applies to a pending Read); sending
		// itself is bounded by Count and Interval.
		done = make(chan result, 1)
		go func() {
			var r result
			buf := make([]byte, size+1)
			for r.n < count {
				m, err := ln.Read(buf)
				if err != nil {
					break // the deadline, or Close
				}
				if m == size && binary.BigEndian.Uint64(buf) == tag {
					r.n++
					r.bytes += int64(m)
				}
			}
			done <- r
		}()
	}

	// An unconnected socket: ICMP errors for one datagram (port
	// unreachable without a listener) do not fail the next send.
	var conn *net.UDPConn
	raddr := net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, uint16(rep.Port)))
	laddr := "0.0.0.0:0"
	if dst.Is6() {
		laddr = "[::]:0"
	}
	if err := from.Do(func() error {
		c, err := net.ListenPacket("udp", laddr)
		if err == nil {
			conn = c.(*net.UDPConn)
		}
		return err
	}); err != nil {
		return rep, fmt.Errorf("testnet: %s: %w", op, err)
	}
	defer conn.Close()
	payload := make([]byte, size)
	binary.BigEndian.PutUint64(payload, tag)
	var sendErr error
	for i := range count {
		binary.BigEndian.PutUint64(payload[8:], uint64(i))
		if _, err := conn.WriteToUDP(payload, raddr); err != nil {
			sendErr = fmt.Errorf("testnet: %s: send datagram %d: %w", op, i, err)
			break
		}
		rep.Sent++
		if opts.Interval > 0 && i+1 < count {
			time.Sleep(opts.Interval)
		}
	}
	if done != nil {
		ln.SetReadDeadline(time.Now().Add(timeout))
		r := <-done
		rep.Received, rep.Bytes = r.n, r.bytes
	}
	return rep, sendErr
}
