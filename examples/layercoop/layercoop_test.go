package main

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/examples/internal/cli"
	"github.com/purebpf/bpf/examples/internal/frames"
	"github.com/purebpf/bpf/examples/internal/recorded"
	"github.com/purebpf/bpf/examples/internal/waiting"
	"github.com/purebpf/bpf/maps"
)

// TestSameFramesSameFlows runs every test frame through rx and tx of both
// builds and compares verdicts and the flow tables they leave.
func TestSameFramesSameFlows(t *testing.T) {
	bpftest.RequirePrivileged(t)
	tables := map[bool][]flow{}
	for _, useAsm := range []bool{false, true} {
		c, err := load(useAsm, "")
		if err != nil {
			t.Fatalf("asm=%v: %+v", useAsm, err)
		}
		defer c.Close()
		for _, f := range frames.All() {
			bpftest.RunXDP(t, c.rx, f.Bytes, nil).ExpectVerdict(bpf.XDPPass).ExpectData(f.Bytes)
			if strings.HasPrefix(f.Name, "truncated: Ethernet") || strings.HasPrefix(f.Name, "truncated: IPv4") {
				// The kernel builds no skb from an IPv4 frame whose
				// IPv4 header is cut.
				if _, err := c.tx.Run(bpf.RunOptions{Data: f.Bytes}); err == nil {
					t.Errorf("%s: the kernel ran tx on it", f.Name)
				}
				continue
			}
			bpftest.RunTC(t, c.tx, f.Bytes, nil).ExpectVerdict(bpf.TCActOK)
		}
		if tables[useAsm], err = c.flowTable(); err != nil {
			t.Fatal(err)
		}
	}
	// IPv4 frames with a complete IPv4 header count, each twice (rx and
	// tx): all from the client to the server; the frames start at the
	// Ethernet header (not VLAN-tagged ones, not IPv6, not ARP).
	var packets, bytes uint64
	for _, f := range frames.All() {
		switch f.Name {
		case "TCP to port 80", "TCP from port 80", "TCP to port 8080", "UDP to port 53", "UDP to port 80", "ICMP echo request", "truncated: TCP header cut":
			packets += 2
			bytes += 2 * uint64(len(f.Bytes)) // skb->len and data_end - data agree
		}
	}
	want := []flow{{src: frames.Client, dst: frames.Server, flowCounters: flowCounters{Packets: packets, Bytes: bytes}}}
	for useAsm, table := range tables {
		if !reflect.DeepEqual(table, want) {
			t.Errorf("asm=%v: flows %+v, want %+v", useAsm, table, want)
		}
	}
}

// TestAsmNoLongerThanClang checks the asm build against clang -O2's.
func TestAsmNoLongerThanClang(t *testing.T) {
	coll, err := clangSpec()
	if err != nil {
		t.Fatal(err)
	}
	rx, tx := asmSpecs()
	for _, p := range []*bpf.ProgramSpec{rx, tx} {
		recorded.Check(t, "layercoop.o", p.Name, p.Instructions.RawLen(), coll.Programs[p.Name].Instructions.RawLen())
	}
}

func TestDemo(t *testing.T) {
	bpftest.RequirePrivileged(t)
	for _, c := range [][2]string{{"clang", "generic"}, {"asm", "native"}, {"clang", "native"}, {"asm", "generic"}} {
		build, mode := c[0], c[1]
		t.Run(build+"/"+mode, func(t *testing.T) {
			var out bytes.Buffer
			if err := runDemo(&out, cli.Flags{Demo: true, Mode: mode, Build: build}); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			text := out.String()
			in := regexp.MustCompile(`192\.0\.2\.1 +-> 192\.0\.2\.2 +(\d+) +(\d+)`).FindStringSubmatch(text)
			outb := regexp.MustCompile(`192\.0\.2\.2 +-> 192\.0\.2\.1 +(\d+) +(\d+)`).FindStringSubmatch(text)
			if in == nil || outb == nil {
				t.Fatalf("flow table lacks a direction:\n%s", text)
			}
			inPkts, _ := strconv.Atoi(in[1])
			outPkts, _ := strconv.Atoi(outb[1])
			// 3 echo requests + 5 datagrams + the TCP client's segments
			// come in; 3 echo replies + the TCP server's segments go out.
			if inPkts < 3+5+3 || outPkts < 3+2 {
				t.Errorf("in %d packets, out %d:\n%s", inPkts, outPkts, text)
			}
			if !strings.Contains(text, "ping: 3 of 3 answered; TCP: works; UDP: 5 of 5 arrived") {
				t.Errorf("traffic was disturbed:\n%s", text)
			}
		})
	}
}

// TestRunPinned is `layercoop -dev veth1 -pin DIR`: the map is pinned
// while it runs, both hooks are cleaned up afterwards.
func TestRunPinned(t *testing.T) {
	bpftest.RequirePrivileged(t)
	pair := bpftest.NewVethPair(t, testnet.VethOptions{})
	dir := t.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, ""); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(dir, unix.MNT_DETACH)
	ctx, cancel := context.WithCancel(context.Background())
	out := &waiting.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, out, cli.Flags{Dev: pair.B.Name, Netns: pair.B.Netns.Name(), Mode: "generic"}, dir, 100*time.Millisecond)
	}()
	// layercoop says when both hooks are attached; emulated kernels are
	// slow, so wait for that rather than for a fixed time.
	waiting.For(t, "layercoop attached", func() bool { return strings.Contains(out.String(), "Ctrl-C to stop") })
	testnet.Ping(pair.A.Netns, pair.B.Addr(), testnet.PingOptions{Count: 2})
	pinned, err := maps.LoadPinned(filepath.Join(dir, "flows"))
	if err != nil {
		t.Error(err)
	} else {
		var k flowKey
		n := 0
		for it := pinned.Iterate(); it.Next(&k, nil); {
			n++
		}
		if n != 2 {
			t.Errorf("pinned map has %d flows, want 2", n)
		}
		pinned.Close()
	}
	waiting.For(t, "a report of the flow", func() bool { return strings.Contains(out.String(), "192.0.2.1       -> 192.0.2.2") })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "192.0.2.1       -> 192.0.2.2") || !strings.Contains(out.String(), "Detached and unloaded") {
		t.Errorf("output:\n%s", out.String())
	}
}
