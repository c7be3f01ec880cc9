package main

import (
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/bpftest"
)

// ethernet returns an Ethernet header with ethertype typ, then payload.
func ethernet(typ uint16, payload []byte) []byte {
	f := make([]byte, 12, 14+len(payload))
	copy(f, []byte{0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1})
	f = append(f, byte(typ>>8), byte(typ))
	return append(f, payload...)
}

// TestProtocolZeroLabel runs xdp_prog1 (both builds) on the frames the
// demo's label for slot 0 names, and checks that each is counted in slot
// 0 and that the label names its kind.
func TestProtocolZeroLabel(t *testing.T) {
	bpftest.RequirePrivileged(t)
	ipv6HopByHop := make([]byte, 40) // an MLD report's header: next header 0
	ipv6HopByHop[0] = 0x60
	ipv6HopByHop[6] = 0 // next header: hop-by-hop options
	ipv6HopByHop[7] = 1
	ipv4 := make([]byte, 20)
	ipv4[0], ipv4[9] = 0x45, 17
	cases := []struct {
		name, label string
		frame       []byte
	}{
		{"ARP", "ARP", ethernet(0x0806, make([]byte, 28))},
		{"LLDP", "not IPv4/IPv6", ethernet(0x88cc, make([]byte, 20))},
		{"IPv6 hop-by-hop", "MLD", ethernet(0x86dd, ipv6HopByHop)},
		{"IPv4 header cut short", "truncated IP header", ethernet(0x0800, ipv4[:10])},
		{"IPv4 in two VLAN tags, cut short", "truncated IP header", ethernet(0x88a8, append([]byte{0, 1, 0x81, 0}, append([]byte{0, 2, 0x08, 0}, ipv4[:8]...)...))},
	}
	for _, build := range []bool{false, true} {
		p, err := load(build, false, false)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		for _, c := range cases {
			before, err := p.counts()
			if err != nil {
				t.Fatal(err)
			}
			bpftest.RunXDP(t, p.prog, c.frame, nil).ExpectVerdict(bpf.XDPDrop)
			after, err := p.counts()
			if err != nil {
				t.Fatal(err)
			}
			if after[0] != before[0]+1 {
				t.Errorf("asm=%v %s: slot 0 went from %d to %d, want one more", build, c.name, before[0], after[0])
			}
			for k, v := range after {
				if k != 0 && v != before[k] {
					t.Errorf("asm=%v %s: slot %d went from %d to %d", build, c.name, k, before[k], v)
				}
			}
			if !strings.Contains(protoNames[0], c.label) {
				t.Errorf("the label of slot 0 %q does not name %s (%s)", protoNames[0], c.label, c.name)
			}
		}
	}
	// An IPv4 packet with a whole header is counted under its protocol.
	p, err := load(false, false, false)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	bpftest.RunXDP(t, p.prog, ethernet(0x0800, ipv4), nil).ExpectVerdict(bpf.XDPDrop)
	if c, err := p.counts(); err != nil || c[17] != 1 || c[0] != 0 {
		t.Errorf("a UDP header: counts %v, %v; want slot 17 only", c, err)
	}
}
