// Command embed is the smallest user of bpfgen's bindings: it imports
// only the generated package xdpcount (from examples/xdp1's object,
// embedded in it), loads the program and its map with one call, runs the
// program on an IPv4 test frame of the protocol -proto (UDP by default)
// and reads that protocol's counter through the typed map. Run it as
// root: go run ./examples/embed
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/examples/embed/internal/xdpcount"
	"github.com/purebpf/bpf/maps"
)

func main() {
	proto := flag.Uint("proto", protoUDP, "IP protocol number of the test frame (0-255)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: embed [-proto N]\n\nRuns xdp1's program on one IPv4 frame and prints its per-protocol count.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *proto > 255 || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(os.Stdout, uint8(*proto)); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

const protoUDP = 17

func run(w io.Writer, proto uint8) error {
	var objs xdpcount.Xdp1Objects
	if err := xdpcount.LoadXdp1Objects(&objs, nil); err != nil {
		return err
	}
	defer objs.Close()

	frame := make([]byte, 64)
	frame[12], frame[13] = 0x08, 0x00 // EtherType IPv4
	frame[14] = 0x45                  // version 4, 20-byte header
	frame[23] = proto                 // protocol
	res, err := objs.XdpProg1.Run(bpf.RunOptions{Data: frame})
	if err != nil {
		return err
	}
	ncpu, err := maps.PossibleCPUs()
	if err != nil {
		return err
	}
	perCPU := make([]int64, ncpu) // rxcnt's value is a C long
	if err := objs.RxcntTyped.LookupPerCPU(uint32(proto), perCPU); err != nil {
		return err
	}
	var n int64
	for _, c := range perCPU {
		n += c
	}
	fmt.Fprintf(w, "xdp_prog1 returned %d (XDP_DROP is %d); rxcnt[%d] = %d\n", res.ReturnValue, bpf.XDPDrop, proto, n)
	return nil
}
