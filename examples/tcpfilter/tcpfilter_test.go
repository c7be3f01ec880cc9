package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/examples/internal/cli"
	"github.com/purebpf/bpf/examples/internal/frames"
	"github.com/purebpf/bpf/examples/internal/recorded"
)

// wantVerdicts is what tcpfilter must return on each test frame, for
// -allow tcp; with -allow icmp the IPv4 ICMP frame passes instead.
var wantVerdicts = map[string]bpf.XDPAction{
	"TCP to port 80":                  bpf.XDPPass,
	"TCP from port 80":                bpf.XDPPass,
	"TCP to port 8080":                bpf.XDPPass,
	"UDP to port 53":                  bpf.XDPDrop,
	"UDP to port 80":                  bpf.XDPDrop,
	"ICMP echo request":               bpf.XDPDrop,
	"ARP request":                     bpf.XDPDrop,
	"IPv6 TCP to port 80":             bpf.XDPDrop,
	"IPv6 UDP to port 53":             bpf.XDPDrop,
	"ICMPv6 echo request":             bpf.XDPDrop,
	"VLAN TCP to port 80":             bpf.XDPDrop,
	"QinQ UDP to port 53":             bpf.XDPDrop,
	"truncated: Ethernet header only": bpf.XDPDrop,
	"truncated: IPv4 header cut":      bpf.XDPDrop,
	"truncated: TCP header cut":       bpf.XDPPass, // the IPv4 header is complete
}

func TestVerdicts(t *testing.T) {
	bpftest.RequirePrivileged(t)
	for _, c := range []struct {
		proto int32
		build string
	}{{protoTCP, "clang"}, {protoTCP, "asm"}, {protoICMP, "clang"}, {protoICMP, "asm"}} {
		proto := c.proto
		spec, err := programSpec(cli.Flags{Build: c.build}, proto)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := bpf.NewProgram(spec)
		if err != nil {
			t.Fatalf("%+v", err)
		}
		defer prog.Close()
		all := frames.All()
		if len(all) != len(wantVerdicts) {
			t.Fatalf("%d frames, %d expectations", len(all), len(wantVerdicts))
		}
		for _, f := range all {
			want, ok := wantVerdicts[f.Name]
			if !ok {
				t.Fatalf("no expectation for %q", f.Name)
			}
			if proto == protoICMP && want == bpf.XDPPass {
				want = bpf.XDPDrop
			}
			if proto == protoICMP && f.Name == "ICMP echo request" {
				want = bpf.XDPPass
			}
			bpftest.RunXDP(t, prog, f.Bytes, nil).ExpectVerdict(want).ExpectData(f.Bytes)
		}
	}
}

func TestDemo(t *testing.T) {
	bpftest.RequirePrivileged(t)
	for _, tc := range []struct {
		proto int32
		mode  string
		build string
		with  string
	}{
		{protoTCP, "generic", "clang", "ping: 0 of 3 answered; TCP: works; UDP: 0 of 5 arrived"},
		{protoTCP, "generic", "asm", "ping: 0 of 3 answered; TCP: works; UDP: 0 of 5 arrived"},
		{protoTCP, "native", "clang", "ping: 0 of 3 answered; TCP: works; UDP: 0 of 5 arrived"},
		{protoTCP, "native", "asm", "ping: 0 of 3 answered; TCP: works; UDP: 0 of 5 arrived"},
		{protoICMP, "auto", "clang", "ping: 3 of 3 answered; TCP: fails (timed out); UDP: 0 of 5 arrived"},
	} {
		t.Run(protoName(tc.proto)+"/"+tc.mode+"/"+tc.build, func(t *testing.T) {
			var out bytes.Buffer
			if err := runDemo(&out, tc.proto, cli.Flags{Demo: true, Mode: tc.mode, Build: tc.build}); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			text := strings.Join(strings.Fields(out.String()), " ")
			for _, want := range []string{
				"without the program: ping: 3 of 3 answered; TCP: works; UDP: 5 of 5 arrived",
				"with tcpfilter: " + tc.with,
				"after detaching: ping: 3 of 3 answered; TCP: works; UDP: 5 of 5 arrived",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("demo output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestServe(t *testing.T) {
	bpftest.RequirePrivileged(t)
	pair := bpftest.NewVethPair(t, testnet.VethOptions{})
	var out bytes.Buffer
	err := serve(&out, protoTCP, cli.Flags{Dev: pair.B.Name, Netns: pair.B.Netns.Name(), Mode: "generic"}, func() {
		if st, err := attach.XDPPrograms(pair.B.Interface()); err != nil || st.ProgramID(attach.XDPGeneric) == 0 {
			t.Errorf("not attached while serving: %+v %v", st, err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := attach.XDPPrograms(pair.B.Interface()); err != nil || st.Attached() {
		t.Fatalf("still attached: %+v %v", st, err)
	}
}

func TestParseAllow(t *testing.T) {
	for in, want := range map[string]int32{"tcp": protoTCP, "icmp": protoICMP} {
		if got, err := parseAllow(in); err != nil || got != want {
			t.Errorf("%q: %d %v", in, got, err)
		}
	}
	if _, err := parseAllow("udp"); err == nil {
		t.Error("udp accepted")
	}
}

func TestAsmNoLongerThanClang(t *testing.T) {
	for _, proto := range []int32{protoTCP, protoICMP} {
		clang, err := programSpec(cli.Flags{Build: "clang"}, proto)
		if err != nil {
			t.Fatal(err)
		}
		obj := map[int32]string{protoTCP: "tcpfilter.o", protoICMP: "tcpfilter_icmp.o"}[proto]
		recorded.Check(t, obj, "tcpfilter", asmSpec(proto).Instructions.RawLen(), clang.Instructions.RawLen())
	}
}
