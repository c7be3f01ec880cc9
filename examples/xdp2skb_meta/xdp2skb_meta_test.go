package main

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/examples/internal/cli"
	"github.com/purebpf/bpf/examples/internal/fds"
	"github.com/purebpf/bpf/examples/internal/frames"
	"github.com/purebpf/bpf/examples/internal/recorded"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/verifier"
)

func opts(build string) options {
	return options{Flags: cli.Flags{Build: build, Mode: "auto"}, license: "gpl"}
}

// TestSameFramesSameResults runs both builds on every test frame.
func TestSameFramesSameResults(t *testing.T) {
	bpftest.RequirePrivileged(t)
	for _, build := range []string{"clang", "asm"} {
		l, err := load(opts(build))
		if err != nil {
			t.Fatalf("%s: %+v", build, err)
		}
		defer l.Close()
		for _, f := range frames.All() {
			bpftest.RunXDP(t, l.xdp, f.Bytes, nil).ExpectVerdict(bpf.XDPPass).ExpectMeta([]byte{42, 0, 0, 0}).ExpectData(f.Bytes)
			if strings.HasPrefix(f.Name, "truncated: Ethernet") || strings.HasPrefix(f.Name, "truncated: IPv4") {
				continue // no skb can be built from these for a tc test run
			}
			bpftest.RunTC(t, l.tc, f.Bytes, nil).ExpectVerdict(bpf.TCActOK).ExpectMark(markNoMeta)
		}
	}
}

func TestDemo(t *testing.T) {
	bpftest.RequirePrivileged(t)
	testenv.LockTracePipe(t)
	for _, c := range [][2]string{{"clang", "generic"}, {"asm", "native"}, {"clang", "native"}, {"asm", "generic"}} {
		build, mode := c[0], c[1]
		t.Run(build+"/"+mode, func(t *testing.T) {
			// Lines left unread in trace_pipe from before the demo, in
			// the format of tc_mark's: the demo must not count them.
			const stale = 7
			for i := 0; i < stale; i++ {
				if err := cli.WriteTraceMarker("stale: bpf_trace_printk: [TC] metadata = 42"); err != nil {
					t.Fatal(err)
				}
			}
			var out bytes.Buffer
			o := opts(build)
			o.Demo, o.Mode = true, mode
			if err := runDemo(&out, o); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			text := out.String()
			m := regexp.MustCompile(`trace_pipe shows (\d+) lines of tc_mark since the demo began`).FindStringSubmatch(text)
			if m == nil {
				t.Fatalf("demo output lacks the trace_pipe count:\n%s", text)
			}
			// At least the 5 datagrams; any more are packets of this run
			// (neighbour traffic), fewer than the stale lines.
			if n, _ := strconv.Atoi(m[1]); n < 5 || n >= 5+stale || strings.Contains(text, "stale") {
				t.Errorf("trace_pipe count %d (want 5 up to a few more, none of the %d stale lines):\n%s", n, stale, text)
			}
			for _, want := range []string{
				"xdp_mark: XDP_PASS, metadata in front of the packet: 2a 00 00 00",
				"tc_mark on a packet without metadata: TC_ACT_OK, skb->mark = 41",
				"With xdp_mark and tc_mark: 5 of 5 datagrams arrived; with skb->mark 42: 5, with 41: 0, other: 0",
				"With tc_mark alone: 5 of 5 datagrams arrived; with skb->mark 42: 0, with 41: 5, other: 0",
				"bpf_trace_printk: [TC] metadata = 42",
				"tc -n pbt-", // the commands name the namespace
				" filter add dev veth1 ingress prio 1 handle 1 bpf da obj xdp2skb_meta_kern.o sec tc_mark",
				" link set dev veth1 " + map[string]string{"generic": "xdpgeneric", "native": "xdpdrv"}[mode] + " obj xdp2skb_meta_kern.o sec xdp_mark",
				" link set dev veth1 " + map[string]string{"generic": "xdpgeneric", "native": "xdpdrv"}[mode] + " off",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("demo output lacks %q:\n%s", want, text)
				}
			}
		})
	}
}

func TestNonGPLRefused(t *testing.T) {
	bpftest.RequirePrivileged(t)
	for _, build := range []string{"clang", "asm"} {
		o := opts(build)
		o.license = "proprietary"
		_, err := load(o)
		var verr *verifier.Error
		if !errors.As(err, &verr) || !strings.Contains(err.Error(), "bpf_trace_printk") || !strings.Contains(err.Error(), `SEC("license") = "GPL"`) {
			t.Fatalf("%s: %v", build, err)
		}
		var out bytes.Buffer
		o.Demo = true
		if err := runDemo(&out, o); err != nil || !strings.Contains(out.String(), "fails, as the tutorial shows") {
			t.Fatalf("%s demo: %v\n%s", build, err, out.String())
		}
	}
}

// TestScript is the script's --dev, --list, --flush and --dry-run.
func TestScript(t *testing.T) {
	bpftest.RequirePrivileged(t)
	pair := bpftest.NewVethPair(t, testnet.VethOptions{})
	o := opts("clang")
	o.Dev, o.Netns = pair.B.Name, pair.B.Netns.Name()
	o.dryRun = true
	var out bytes.Buffer
	if err := install(&out, o); err != nil {
		t.Fatal(err)
	}
	if st, _ := attach.XDPPrograms(pair.B.Interface()); st.Attached() || strings.Count(out.String(), "\n") != 5 {
		t.Fatalf("dry run changed something or printed the wrong steps:\n%s", out.String())
	}
	o.dryRun = false
	before := fds.Take(t)
	if err := install(&out, o); err != nil {
		t.Fatal(err)
	}
	// Both stay attached (--list below), but the process keeps nothing.
	fds.ExpectNoneNew(t, "install", before)
	out.Reset()
	if err := list(&out, o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "pref 1 bpf") || !strings.Contains(out.String(), "handle 0x1") || !strings.Contains(out.String(), "prog/xdp id") {
		t.Fatalf("--list:\n%s", out.String())
	}
	// Installing twice replaces both (the script deletes first).
	if err := install(&out, o); err != nil {
		t.Fatal(err)
	}
	if err := flush(&out, o); err != nil {
		t.Fatal(err)
	}
	if st, _ := attach.XDPPrograms(pair.B.Interface()); st.Attached() {
		t.Fatal("XDP program left after --flush")
	}
	if filters, err := attach.TCFilters(pair.B.Interface(), attach.Ingress); len(filters) != 0 {
		t.Fatalf("filters left after --flush: %v %v", filters, err)
	}
}

func TestAsmNoLongerThanClang(t *testing.T) {
	clangXDP, clangTC, err := specs(opts("clang"))
	if err != nil {
		t.Fatal(err)
	}
	asmXDP, asmTC := asmSpecs("GPL")
	for _, p := range [][2]*bpf.ProgramSpec{{asmXDP, clangXDP}, {asmTC, clangTC}} {
		recorded.Check(t, "xdp2skb_meta.o", p[1].Name, p[0].Instructions.RawLen(), p[1].Instructions.RawLen())
	}
}
