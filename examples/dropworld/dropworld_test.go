package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/examples/internal/cli"
	"github.com/purebpf/bpf/examples/internal/fds"
	"github.com/purebpf/bpf/examples/internal/recorded"
	"github.com/purebpf/bpf/internal/testenv"
)

func TestVerdictOnRealFrames(t *testing.T) {
	testenv.RequirePrivileged(t)
	for _, c := range []struct {
		pass  bool
		build string
	}{{false, "clang"}, {false, "asm"}, {true, "clang"}, {true, "asm"}} {
		pass := c.pass
		spec, err := programSpec(cli.Flags{Build: c.build}, pass)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := bpf.NewProgram(spec)
		if err != nil {
			t.Fatalf("%+v", err)
		}
		defer prog.Close()
		for _, f := range testFrames() {
			out := make([]byte, len(f.frame))
			res, err := prog.Run(bpf.RunOptions{Data: f.frame, DataOut: out})
			if err != nil {
				t.Fatal(err)
			}
			if got := bpf.XDPAction(res.ReturnValue); got != verdict(pass) {
				t.Errorf("pass=%v, %s: %v, want %v", pass, f.name, got, verdict(pass))
			}
			if !bytes.Equal(out, f.frame) {
				t.Errorf("%s: the program changed the frame", f.name)
			}
		}
	}
}

// TestDemo runs the demo in each mode and checks what it reports: traffic
// flows before, is dropped while attached (XDP_DROP) or still flows
// (XDP_PASS), and flows again after detaching.
func TestDemo(t *testing.T) {
	testenv.RequirePrivileged(t)
	for _, tc := range []struct {
		name, mode string
		pass       bool
		build      string
		attached   string // the expected line while attached
		hook       string
	}{
		{"generic", "generic", false, "clang", `with dropworld: ping: 0 of 3 answered; TCP: fails \(timed out\)`, `prog/xdpgeneric id \d+`},
		{"generic-asm", "generic", false, "asm", `with dropworld: ping: 0 of 3 answered; TCP: fails \(timed out\)`, `prog/xdpgeneric id \d+`},
		{"native-clang", "native", false, "clang", `with dropworld: ping: 0 of 3 answered; TCP: fails \(timed out\)`, `prog/xdp id \d+`},
		{"native", "native", false, "asm", `with dropworld: ping: 0 of 3 answered; TCP: fails \(timed out\)`, `prog/xdp id \d+`},
		{"pass", "auto", true, "clang", `with dropworld: ping: 3 of 3 answered; TCP: works`, `prog/xdp id \d+`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runDemo(&out, tc.pass, cli.Flags{Demo: true, Mode: tc.mode, Build: tc.build})
			text := strings.Join(strings.Fields(out.String()), " ")
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			for _, want := range []string{
				"ICMP echo request -> " + verdict(tc.pass).String(),
				"ARP request -> " + verdict(tc.pass).String(),
				"without the program: ping: 3 of 3 answered; TCP: works",
				tc.attached + ` \[veth1: ` + tc.hook + `\]`,
				"after detaching: ping: 3 of 3 answered; TCP: works \\[veth1: no XDP program\\]",
				"Removed the namespaces",
			} {
				if !regexp.MustCompile(want).MatchString(text) {
					t.Errorf("demo output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// TestRunOnInterface is `dropworld -dev veth1 -n NS [-keep]`.
func TestRunOnInterface(t *testing.T) {
	testenv.RequirePrivileged(t)
	pair := bpftest.NewVethPair(t, testnet.VethOptions{})
	flags := cli.Flags{Dev: pair.B.Name, Netns: pair.B.Netns.Name(), Mode: "generic"}
	var out bytes.Buffer
	err := run(&out, false, flags, func() {
		st, err := attach.XDPPrograms(pair.B.Interface())
		if err != nil || st.ProgramID(attach.XDPGeneric) == 0 {
			t.Errorf("while running: %+v, %v", st, err)
		}
		if rep, err := testnet.Ping(pair.A.Netns, pair.B.Addr(), testnet.PingOptions{Count: 2, Timeout: 300 * time.Millisecond}); err != nil || rep.Received != 0 {
			t.Errorf("ping while attached: %+v, %v", rep, err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := attach.XDPPrograms(pair.B.Interface()); err != nil || st.Attached() {
		t.Fatalf("after the run: %+v, %v", st, err)
	}
	if !strings.Contains(out.String(), "Detached.") {
		t.Fatalf("output:\n%s", out.String())
	}
	// With -keep the program stays attached after run returns, and the
	// process holds none of the descriptors it used.
	flags.Keep = true
	before := fds.Take(t)
	if err := run(&out, false, flags, func() { t.Error("waited despite -keep") }); err != nil {
		t.Fatal(err)
	}
	fds.ExpectNoneNew(t, "dropworld -keep", before)
	st, err := attach.XDPPrograms(pair.B.Interface())
	if err != nil || st.ProgramID(attach.XDPGeneric) == 0 {
		t.Fatalf("after -keep: %+v, %v", st, err)
	}
	if hint := "Remove it with: ip -n " + flags.Netns + " link set dev " + flags.Dev + " xdpgeneric off\n"; !strings.Contains(out.String(), hint) {
		t.Errorf("dropworld -keep output lacks %q:\n%s", hint, out.String())
	}
	// A restart without -force replaces its own kept program (a program
	// of another name stays: cli.TestAttachXDPRestart) and detaches at
	// the end; -force replaces whatever is attached.
	flags.Keep = false
	if err := run(&out, true, flags, func() {
		if st2, err := attach.XDPPrograms(pair.B.Interface()); err != nil || st2.ProgramID(attach.XDPGeneric) == st.ProgramID(attach.XDPGeneric) || st2.ProgramID(attach.XDPGeneric) == 0 {
			t.Errorf("restart did not replace its kept program %d: %+v, %v", st.ProgramID(attach.XDPGeneric), st2, err)
		}
	}); err != nil {
		t.Fatalf("restart over its own kept program: %v", err)
	}
	if !strings.Contains(out.String(), "Replaced the stale dropworld") {
		t.Fatalf("restart output:\n%s", out.String())
	}
	if st2, err := attach.XDPPrograms(pair.B.Interface()); err != nil || st2.Attached() {
		t.Fatalf("after the restarted run: %+v, %v", st2, err)
	}
	flags.Keep = true
	if err := run(&out, false, flags, func() {}); err != nil {
		t.Fatal(err)
	}
	if st, err = attach.XDPPrograms(pair.B.Interface()); err != nil || st.ProgramID(attach.XDPGeneric) == 0 {
		t.Fatalf("after -keep: %+v, %v", st, err)
	}
	flags.Force, flags.Keep = true, true
	if err := run(&out, true, flags, func() {}); err != nil {
		t.Fatal(err)
	}
	if st2, _ := attach.XDPPrograms(pair.B.Interface()); st2.ProgramID(attach.XDPGeneric) == st.ProgramID(attach.XDPGeneric) || st2.ProgramID(attach.XDPGeneric) == 0 {
		t.Fatalf("-force did not replace program %d: %+v", st.ProgramID(attach.XDPGeneric), st2)
	}
	if err := run(&out, false, cli.Flags{Dev: "nonexistent0", Netns: pair.B.Netns.Name()}, func() {}); err == nil || !strings.Contains(err.Error(), "nonexistent0") {
		t.Fatalf("missing interface: %v", err)
	}
}

// TestAsmNoLongerThanClang compares the instruction counts of the builds.
func TestAsmNoLongerThanClang(t *testing.T) {
	for _, pass := range []bool{false, true} {
		clang, err := clangSpec(pass)
		if err != nil {
			t.Fatal(err)
		}
		obj := map[bool]string{false: "dropworld.o", true: "dropworld_pass.o"}[pass]
		recorded.Check(t, obj, "dropworld", Spec(pass).Instructions.RawLen(), clang.Instructions.RawLen())
	}
}
