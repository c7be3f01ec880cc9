package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/netns"
)

// soRcvMark (SO_RCVMARK, Linux 5.19+) delivers each datagram's skb->mark
// as an SO_MARK control message.
const soRcvMark = 75

// markReceiver is a UDP socket that reports the skb mark of what arrives.
type markReceiver struct {
	conn *net.UDPConn
	port int
}

func listenMarks(ns *netns.NetNS, addr netip.Addr) (*markReceiver, error) {
	var conn *net.UDPConn
	err := ns.Do(func() (err error) {
		conn, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listen for datagrams in %s: %w", ns.Name(), err)
	}
	raw, err := conn.SyscallConn()
	if err == nil {
		var serr error
		err = raw.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, soRcvMark, 1) })
		if err == nil {
			err = serr
		}
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("SO_RCVMARK (Linux 5.19+): %w", err)
	}
	return &markReceiver{conn: conn, port: conn.LocalAddr().(*net.UDPAddr).Port}, nil
}

// receive collects the marks of up to n datagrams, waiting at most wait.
func (r *markReceiver) receive(n int, wait time.Duration) ([]uint32, error) {
	var marks []uint32
	buf, oob := make([]byte, 2048), make([]byte, 128)
	r.conn.SetReadDeadline(time.Now().Add(wait))
	for len(marks) < n {
		_, oobn, _, _, err := r.conn.ReadMsgUDP(buf, oob)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			return marks, err
		}
		mark := uint32(0)
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return marks, err
		}
		for _, m := range msgs {
			if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_MARK && len(m.Data) >= 4 {
				mark = binary.NativeEndian.Uint32(m.Data)
			}
		}
		marks = append(marks, mark)
	}
	return marks, nil
}

func (r *markReceiver) Close() error { return r.conn.Close() }

// sendDatagrams sends n datagrams from ns to addr:port.
func sendDatagrams(ns *netns.NetNS, addr netip.Addr, port, n int) error {
	var conn net.Conn
	err := ns.Do(func() (err error) {
		conn, err = net.Dial("udp", netip.AddrPortFrom(addr, uint16(port)).String())
		return err
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	for i := 0; i < n; i++ {
		if _, err := conn.Write([]byte("mark me")); err != nil {
			return err
		}
	}
	return nil
}

func netipPort(a netip.Addr, port uint16) netip.AddrPort { return netip.AddrPortFrom(a, port) }
