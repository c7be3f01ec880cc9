package testnet_test

import (
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/testnet"
)

// ExampleCreateVethPair builds two network namespaces joined by a veth pair
// and sends real traffic across it, as a program (the examples' -demo)
// does. In a test, use bpftest.NewVethPair(t, testnet.VethOptions{}),
// which removes everything when the test ends.
//
// It needs root, so it has no "Output:" comment and `go test` only
// compiles it; TestExampleCreateVethPair runs it (when privileged) and
// checks what it prints:
//
//	ping 192.0.2.2 from veth0: 3 sent, 3 received
//	tcp: 1048576 bytes sent, 1048576 received
//	udp: 10 datagrams sent, 10 received
func ExampleCreateVethPair() {
	pair, err := testnet.CreateVethPair(testnet.VethOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pair.Close()

	dst := pair.B.IPv4.Addr()
	ping, err := testnet.Ping(pair.A.Netns, dst, testnet.PingOptions{Count: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("ping %s from %s: %d sent, %d received\n", dst, pair.A.Name, ping.Sent, ping.Received)

	// A listener in B's namespace counts what arrives.
	tcp, err := testnet.TCPTransfer(pair.A.Netns, pair.B.Netns, dst, testnet.TCPOptions{Bytes: 1 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("tcp: %d bytes sent, %d received\n", tcp.Sent, tcp.Received)

	udp, err := testnet.UDPSend(pair.A.Netns, pair.B.Netns, dst, testnet.UDPOptions{Count: 10})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("udp: %d datagrams sent, %d received\n", udp.Sent, udp.Received)
}

func TestExampleCreateVethPair(t *testing.T) {
	bpftest.RequirePrivileged(t)
	want := "ping 192.0.2.2 from veth0: 3 sent, 3 received\n" +
		"tcp: 1048576 bytes sent, 1048576 received\n" +
		"udp: 10 datagrams sent, 10 received\n"
	if got := captureStdout(t, ExampleCreateVethPair); got != want {
		t.Errorf("example printed\n%s\nwant\n%s", got, want)
	}
}

// captureStdout runs fn with os.Stdout redirected and returns what it
// printed.
func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stdout := os.Stdout
	os.Stdout = w
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	func() {
		defer func() { os.Stdout = stdout; w.Close() }()
		fn()
	}()
	return string(<-done)
}
