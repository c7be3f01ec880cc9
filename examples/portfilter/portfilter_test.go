package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/packet"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/examples/internal/cli"
	"github.com/purebpf/bpf/examples/internal/frames"
	"github.com/purebpf/bpf/examples/internal/recorded"
)

// dropped are the test frames portfilter drops; it passes all others.
var dropped = map[string]bool{"TCP to port 80": true, "TCP from port 80": true}

func TestVerdicts(t *testing.T) {
	bpftest.RequirePrivileged(t)
	for _, c := range []struct {
		dropICMP bool
		build    string
	}{{false, "clang"}, {false, "asm"}, {true, "clang"}, {true, "asm"}} {
		dropICMP := c.dropICMP
		spec, err := programSpec(cli.Flags{Build: c.build}, dropICMP)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := bpf.NewProgram(spec)
		if err != nil {
			t.Fatalf("%+v", err)
		}
		defer prog.Close()
		for _, f := range frames.All() {
			want := bpf.XDPPass
			if dropped[f.Name] || dropICMP && f.Name == "ICMP echo request" {
				want = bpf.XDPDrop
			}
			bpftest.RunXDP(t, prog, f.Bytes, nil).ExpectVerdict(want).ExpectData(f.Bytes)
		}
	}
}

// TestIPOptions checks that the TCP header is found behind IPv4 options.
func TestIPOptions(t *testing.T) {
	bpftest.RequirePrivileged(t)
	for _, build := range []string{"clang", "asm"} {
		spec, err := programSpec(cli.Flags{Build: build}, false)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := bpf.NewProgram(spec)
		if err != nil {
			t.Fatalf("%+v", err)
		}
		defer prog.Close()
		for _, port := range []uint16{80, 8080} {
			frame := packet.Build(
				packet.Ethernet{Dst: packet.DefaultDstMAC(), Src: packet.DefaultSrcMAC()},
				packet.IPv4{TTL: 64, Src: frames.Client, Dst: frames.Server, Options: []byte{1, 1, 1, 0}}, // NOP, NOP, NOP, EOL
				packet.TCP{SrcPort: 40000, DstPort: port, Flags: packet.SYN},
			)
			want := bpf.XDPPass
			if port == 80 {
				want = bpf.XDPDrop
			}
			bpftest.RunXDP(t, prog, frame, nil).ExpectVerdict(want)
		}
	}
}

func TestDemo(t *testing.T) {
	bpftest.RequirePrivileged(t)
	for _, tc := range []struct {
		dropICMP bool
		mode     string
		build    string
		ping     string
	}{
		{false, "generic", "clang", "ping: 3 of 3 answered"},
		{false, "generic", "asm", "ping: 3 of 3 answered"},
		{false, "native", "clang", "ping: 3 of 3 answered"},
		{false, "native", "asm", "ping: 3 of 3 answered"},
		{true, "native", "asm", "ping: 0 of 3 answered"},
	} {
		t.Run(fmt.Sprintf("%s/%s/drop-icmp=%v", tc.mode, tc.build, tc.dropICMP), func(t *testing.T) {
			var out bytes.Buffer
			if err := runDemo(&out, tc.dropICMP, cli.Flags{Demo: true, Mode: tc.mode, Build: tc.build}); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			text := strings.Join(strings.Fields(out.String()), " ")
			for _, want := range []string{
				`without the program: http://192.0.2.2:80 answers "hello from port 80"; http://192.0.2.2:8080 answers "hello from port 8080"; ping: 3 of 3 answered`,
				`with portfilter: http://192.0.2.2:80 fails (timed out); http://192.0.2.2:8080 answers "hello from port 8080"; ` + tc.ping,
				`after detaching: http://192.0.2.2:80 answers "hello from port 80"; http://192.0.2.2:8080 answers "hello from port 8080"; ping: 3 of 3 answered`,
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
	err := serve(&out, false, cli.Flags{Dev: pair.B.Name, Netns: pair.B.Netns.Name(), Mode: "native"}, func() {
		if st, err := attach.XDPPrograms(pair.B.Interface()); err != nil || st.ProgramID(attach.XDPNative) == 0 {
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

func TestAsmNoLongerThanClang(t *testing.T) {
	for _, dropICMP := range []bool{false, true} {
		clang, err := programSpec(cli.Flags{Build: "clang"}, dropICMP)
		if err != nil {
			t.Fatal(err)
		}
		obj := map[bool]string{false: "portfilter.o", true: "portfilter_icmp.o"}[dropICMP]
		recorded.Check(t, obj, "portfilter", asmSpec(dropICMP).Instructions.RawLen(), clang.Instructions.RawLen())
	}
}
