package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/examples/internal/cli"
	"github.com/purebpf/bpf/examples/internal/fds"
	"github.com/purebpf/bpf/examples/internal/frames"
	"github.com/purebpf/bpf/examples/internal/recorded"
	"github.com/purebpf/bpf/examples/internal/waiting"
)

// wantProto is the counter each test frame must increment.
var wantProto = map[string]uint32{
	"TCP to port 80":                  6,
	"TCP from port 80":                6,
	"TCP to port 8080":                6,
	"UDP to port 53":                  17,
	"UDP to port 80":                  17,
	"ICMP echo request":               1,
	"ARP request":                     0,
	"IPv6 TCP to port 80":             6,
	"IPv6 UDP to port 53":             17,
	"ICMPv6 echo request":             58,
	"VLAN TCP to port 80":             6,
	"QinQ UDP to port 53":             17,
	"truncated: Ethernet header only": 0,
	"truncated: IPv4 header cut":      0,
	"truncated: TCP header cut":       6,
}

func TestCountsPerFrame(t *testing.T) {
	bpftest.RequirePrivileged(t)
	for _, tc := range []struct{ asm, hash, pass bool }{
		{false, false, false}, {true, false, false}, {false, true, false}, {true, true, false},
		{false, false, true}, {true, false, true}, {false, true, true}, {true, true, true},
	} {
		p, err := load(tc.asm, tc.hash, tc.pass)
		if err != nil {
			t.Fatalf("%+v", err)
		}
		defer p.Close()
		verdict := bpf.XDPDrop
		if tc.pass {
			verdict = bpf.XDPPass
		}
		for _, f := range frames.All() {
			want, ok := wantProto[f.Name]
			if !ok {
				t.Fatalf("no expectation for %q", f.Name)
			}
			before, err := p.counts()
			if err != nil {
				t.Fatal(err)
			}
			bpftest.RunXDP(t, p.prog, f.Bytes, nil).ExpectVerdict(verdict)
			after, err := p.counts()
			if err != nil {
				t.Fatal(err)
			}
			for k := range after {
				diff := after[k] - before[k]
				if k == want && diff != 1 || k != want && diff != 0 {
					t.Errorf("%+v %s: counter %d changed by %d", tc, f.Name, k, diff)
				}
			}
			if after[want] != before[want]+1 {
				t.Errorf("%+v %s: counter %d not incremented", tc, f.Name, want)
			}
		}
	}
}

func TestDemo(t *testing.T) {
	bpftest.RequirePrivileged(t)
	for _, build := range []string{"clang", "asm"} {
		for _, mode := range []string{"generic", "native"} {
			t.Run(build+"/"+mode, func(t *testing.T) { testDemo(t, build, mode) })
		}
	}
}

func testDemo(t *testing.T, build, mode string) {
	var out bytes.Buffer
	if err := runDemo(&out, false, false, cli.Flags{Demo: true, Mode: mode, Build: build}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	count := func(proto string) int {
		m := regexp.MustCompile(`proto +` + proto + ` \([^)]*\)+: (\d+)`).FindStringSubmatch(text)
		if m == nil {
			return -1
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if !strings.Contains(text, "the server answered 0 pings, TCP did not connect, received 0 datagrams, answered 0 IPv6 pings") {
		t.Errorf("traffic was not dropped:\n%s", text)
	}
	if count("1") != 4 || count("17") != 6 || count("6") < 1 || count("58") < 2 {
		t.Errorf("counts: ICMP %d (want 4), UDP %d (want 6), TCP %d (want >= 1), ICMPv6 %d (want >= 2):\n%s",
			count("1"), count("17"), count("6"), count("58"), text)
	}
}

// TestRun is `xdp1 -S veth1`: the per-second report, and the detach rules
// on exit.
func TestRun(t *testing.T) {
	bpftest.RequirePrivileged(t)
	pair := bpftest.NewVethPair(t, testnet.VethOptions{})
	flags := cli.Flags{Dev: pair.B.Name, Netns: pair.B.Netns.Name(), Mode: "generic"}
	// run1 runs xdp1 until it has attached, calls during, waits until
	// the output satisfies ready (or a minute passed: emulated kernels
	// are slow), and stops it.
	run1 := func(during func(), ready func(string) bool) string {
		ctx, cancel := context.WithCancel(context.Background())
		out := &waiting.Buffer{}
		done := make(chan error, 1)
		go func() { done <- run(ctx, out, false, false, flags, 100*time.Millisecond) }()
		waiting.For(t, "xdp1 attached", func() bool {
			st, _ := attach.XDPPrograms(pair.B.Interface())
			return st.Attached()
		})
		during()
		waiting.For(t, "xdp1's report", func() bool { return ready(out.String()) })
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	icmpRate := regexp.MustCompile(`proto 1: +\d+ pkt/s`)
	// Resolve the neighbours before xdp1 drops ARP.
	if rep, err := testnet.Ping(pair.A.Netns, pair.B.Addr(), testnet.PingOptions{Count: 1}); err != nil || rep.Received != 1 {
		t.Fatalf("baseline ping: %+v, %v", rep, err)
	}
	out := run1(func() {
		testnet.Ping(pair.A.Netns, pair.B.Addr(), testnet.PingOptions{Count: 3, Timeout: 50 * time.Millisecond})
	}, icmpRate.MatchString)
	if !icmpRate.MatchString(out) {
		t.Errorf("no ICMP rate reported:\n%s", out)
	}
	if st, _ := attach.XDPPrograms(pair.B.Interface()); st.Attached() {
		t.Fatal("still attached after exit")
	}
	// Someone replaces our program while we run: leave theirs alone.
	other, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "other", Type: bpf.XDP, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 2), asm.Return()}})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var theirs *attach.XDPAttachment
	out = run1(func() {
		theirs, err = attach.XDP(pair.B.Interface(), other, attach.XDPOptions{Mode: attach.XDPGeneric, Method: attach.MethodNetlink, Replace: true})
		if err != nil {
			t.Error(err)
		}
	}, func(string) bool { return true })
	if !strings.Contains(out, "program on interface changed, not removing") {
		t.Errorf("output:\n%s", out)
	}
	info, _ := other.Info()
	if st, _ := attach.XDPPrograms(pair.B.Interface()); st.ProgramID(attach.XDPGeneric) != info.ID {
		t.Errorf("the other program was removed: %+v", st)
	}
	if theirs != nil {
		theirs.Close()
	}
	// -keep leaves xdp1 attached after it exits.
	flags.Keep = true
	run1(func() {}, func(string) bool { return true })
	iface := pair.B.Interface()
	if st, err := attach.XDPPrograms(iface); err != nil || st.ProgramID(attach.XDPGeneric) == 0 {
		t.Fatalf("-keep: %+v, %v; want xdp1 still attached after exit", st, err)
	}
	if err := attach.DetachXDP(iface, attach.DetachXDPOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestKeep is `xdp1 -keep -S veth1`: on exit the program stays attached,
// and the process holds none of the descriptors it used.
func TestKeep(t *testing.T) {
	bpftest.RequirePrivileged(t)
	pair := bpftest.NewVethPair(t, testnet.VethOptions{})
	flags := cli.Flags{Dev: pair.B.Name, Netns: pair.B.Netns.Name(), Mode: "generic", Keep: true}
	ctx, stop := context.WithCancel(context.Background())
	stop() // exit as soon as attached
	before := fds.Take(t)
	var out bytes.Buffer
	if err := run(ctx, &out, false, false, flags, time.Hour); err != nil {
		t.Fatal(err)
	}
	fds.ExpectNoneNew(t, "xdp1 -keep", before)
	iface := pair.B.Interface()
	st, err := attach.XDPPrograms(iface)
	if err != nil || st.ProgramID(attach.XDPGeneric) == 0 {
		t.Fatalf("not attached after xdp1 -keep exited: %+v, %v\n%s", st, err, out.String())
	}
	// The hint names the namespace: a bare "ip link set dev veth1" would
	// act on the host's veth1, if there were one.
	if hint := "Remove it with: ip -n " + flags.Netns + " link set dev " + flags.Dev + " xdpgeneric off\n"; !strings.Contains(out.String(), hint) {
		t.Errorf("xdp1 -keep output lacks %q:\n%s", hint, out.String())
	}
	if err := attach.DetachXDP(iface, attach.DetachXDPOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestAsmNoLongerThanClang(t *testing.T) {
	for _, hash := range []bool{false, true} {
		for _, pass := range []bool{false, true} {
			clang, err := clangSpec(hash, pass)
			if err != nil {
				t.Fatal(err)
			}
			obj := map[[2]bool]string{{false, false}: "xdp1.o", {false, true}: "xdp1_pass.o", {true, false}: "xdp1_hash.o", {true, true}: "xdp1_hash_pass.o"}[[2]bool{hash, pass}]
			recorded.Check(t, obj, "xdp_prog1", asmSpec(hash, pass).Instructions.RawLen(), clang.Programs["xdp_prog1"].Instructions.RawLen())
		}
	}
}
