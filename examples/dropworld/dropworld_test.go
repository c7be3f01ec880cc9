package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/internal/testenv"
)

func TestVerdictOnRealFrames(t *testing.T) {
	testenv.RequirePrivileged(t)
	for _, tc := range []struct {
		pass bool
		want bpf.XDPAction
	}{{false, bpf.XDPDrop}, {true, bpf.XDPPass}} {
		prog, err := bpf.NewProgram(Spec(tc.pass))
		if err != nil {
			t.Fatalf("%+v", err)
		}
		defer prog.Close()
		for _, f := range testFrames() {
			out := make([]byte, len(f.frame))
			res, err := prog.Run(&bpf.RunOptions{Data: f.frame, DataOut: out})
			if err != nil {
				t.Fatal(err)
			}
			if got := bpf.XDPAction(res.ReturnValue); got != tc.want {
				t.Errorf("pass=%v, %s: %v, want %v", tc.pass, f.name, got, tc.want)
			}
			if !bytes.Equal(out, f.frame) {
				t.Errorf("%s: the program changed the frame", f.name)
			}
		}
	}
}

func TestDemo(t *testing.T) {
	testenv.RequirePrivileged(t)
	var out bytes.Buffer
	if err := runDemo(&out, false); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{"returns XDP_DROP", "ICMP echo request -> XDP_DROP", "ARP request -> XDP_DROP", "without the program: 3 of 3 replies", "0: (b7) r0 = 1"} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}
