package cli

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest/testnet"
)

// Network is the demo's private network: two namespaces joined by a veth
// pair, 192.0.2.1 (A, the client) and 192.0.2.2 (B, where programs are
// attached).
type Network struct {
	*testnet.VethPair
	w    io.Writer
	sigs chan os.Signal
}

// NewNetwork creates the demo's namespaces and prints what it made.
func NewNetwork(w io.Writer) (*Network, error) {
	pair, err := testnet.CreateVethPair(testnet.VethOptions{})
	if err != nil {
		return nil, fmt.Errorf("create the demo's network namespaces: %w", err)
	}
	fmt.Fprintf(w, "Created two network namespaces joined by a veth pair:\n  client %s %s (namespace %s)  <->  server %s %s (namespace %s)\n",
		pair.A.Name, pair.A.Addr(), pair.A.Netns.Name(), pair.B.Name, pair.B.Addr(), pair.B.Netns.Name())
	n := &Network{VethPair: pair, w: w, sigs: make(chan os.Signal, 1)}
	// Interrupted demos remove their namespaces too.
	signal.Notify(n.sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-n.sigs; ok {
			n.VethPair.Close()
			fmt.Fprintln(os.Stderr, "interrupted: removed the demo's namespaces")
			os.Exit(130)
		}
	}()
	return n, nil
}

// Close removes the namespaces.
func (n *Network) Close() error {
	signal.Stop(n.sigs)
	close(n.sigs)
	err := n.VethPair.Close()
	if err == nil {
		fmt.Fprintln(n.w, "Removed the namespaces (and with them everything attached there).")
	}
	return err
}

// Ping sends count echo requests from A to B and returns the report.
func (n *Network) Ping(count int) (testnet.PingReport, error) {
	return testnet.Ping(n.A.Netns, n.B.Addr(), testnet.PingOptions{Count: count, Timeout: 500 * time.Millisecond})
}

// TCP opens one connection from A to a listener on B (port 0: any free
// port) and sends a few bytes. It reports whether they arrived, and why
// not; a connection that cannot be made is a result, not an error.
func (n *Network) TCP(port int) (ok bool, why string) {
	rep, err := testnet.TCPTransfer(n.A.Netns, n.B.Netns, n.B.Addr(), testnet.TCPOptions{Bytes: 1024, Port: port, Timeout: time.Second})
	var netErr net.Error
	switch {
	case errors.As(err, &netErr) && netErr.Timeout():
		return false, "timed out"
	case errors.Is(err, syscall.ECONNREFUSED):
		return false, "refused"
	case err != nil:
		return false, err.Error()
	case rep.Received != rep.Sent:
		return false, fmt.Sprintf("%d of %d bytes arrived", rep.Received, rep.Sent)
	}
	return true, ""
}

// Describe says what is attached at B's XDP hook, the way ip link show
// does ("prog/xdp id 42" or "prog/xdpgeneric id 42"), or "no XDP program".
func (n *Network) Describe() string {
	st, err := attach.XDPPrograms(n.B.Interface())
	if err != nil {
		return "query failed: " + err.Error()
	}
	if !st.Attached() {
		return "no XDP program"
	}
	var parts []string
	for _, p := range st.Programs {
		parts = append(parts, fmt.Sprintf("prog/%s id %d", p.Mode.IPName(), p.ProgramID))
	}
	return strings.Join(parts, ", ")
}

// UDP sends count datagrams from A to a listener on B and returns how
// many arrived.
func (n *Network) UDP(count int) (received int, err error) {
	rep, err := testnet.UDPSend(n.A.Netns, n.B.Netns, n.B.Addr(), testnet.UDPOptions{Count: count, Timeout: 500 * time.Millisecond})
	if err != nil {
		return 0, err
	}
	return rep.Received, nil
}

// Traffic is one round of the demo's traffic: pings, a TCP connection and
// UDP datagrams from A to B.
type Traffic struct {
	PingSent, PingReceived int
	TCP                    bool
	TCPWhy                 string
	UDPSent, UDPReceived   int
}

// String prints the round on one line.
func (t Traffic) String() string {
	tcp := "works"
	if !t.TCP {
		tcp = "fails (" + t.TCPWhy + ")"
	}
	return fmt.Sprintf("ping: %d of %d answered; TCP: %s; UDP: %d of %d arrived", t.PingReceived, t.PingSent, tcp, t.UDPReceived, t.UDPSent)
}

// SendTraffic runs one round: 3 pings, one TCP connection, 5 datagrams.
func (n *Network) SendTraffic() (Traffic, error) {
	ping, err := n.Ping(3)
	if err != nil {
		return Traffic{}, err
	}
	t := Traffic{PingSent: ping.Sent, PingReceived: ping.Received, UDPSent: 5}
	t.TCP, t.TCPWhy = n.TCP(0)
	if t.UDPReceived, err = n.UDP(t.UDPSent); err != nil {
		return Traffic{}, err
	}
	return t, nil
}
