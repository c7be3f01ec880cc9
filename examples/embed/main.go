// Command embed is the smallest user of bpfgen's bindings: it imports
// only the generated package xdpcount (from examples/xdp1's object,
// embedded in it), loads the program and its map with one call, runs the
// program on an IPv4/UDP test frame and reads the UDP counter through
// the typed map. Run it as root: go run ./examples/embed
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/examples/embed/internal/xdpcount"
	"github.com/purebpf/bpf/maps"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

const protoUDP = 17

func run(w io.Writer) error {
	var objs xdpcount.Xdp1Objects
	if err := xdpcount.LoadXdp1Objects(&objs, nil); err != nil {
		return err
	}
	defer objs.Close()

	frame := make([]byte, 64)
	frame[12], frame[13] = 0x08, 0x00 // EtherType IPv4
	frame[14] = 0x45                  // version 4, 20-byte header
	frame[23] = protoUDP              // protocol
	res, err := objs.XdpProg1.Run(bpf.RunOptions{Data: frame})
	if err != nil {
		return err
	}
	ncpu, err := maps.PossibleCPUs()
	if err != nil {
		return err
	}
	perCPU := make([]int64, ncpu) // rxcnt's value is a C long
	if err := objs.RxcntTyped.LookupPerCPU(protoUDP, perCPU); err != nil {
		return err
	}
	var n int64
	for _, c := range perCPU {
		n += c
	}
	fmt.Fprintf(w, "xdp_prog1 returned %d (XDP_DROP is %d); rxcnt[UDP] = %d\n", res.ReturnValue, bpf.XDPDrop, n)
	return nil
}
