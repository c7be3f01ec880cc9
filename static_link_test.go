package bpf_test

import (
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/bpftest/packet"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/testenv"
)

// TestStaticallyLinkedObject loads objects linked by `bpftool gen object`
// in which a strong pick() overrides a __weak one (elf/testdata/static_*.c)
// and runs their programs: both return the strong pick's XDP_TX, and the
// weak pick's map update never happens. The object with only the weak
// definition shows what the weak one does. In static_core.o the
// overridden weak function carried a CO-RE relocation: dropped with it.
func TestStaticallyLinkedObject(t *testing.T) {
	testenv.RequirePrivileged(t)
	frame := packet.UDPv4(collCli, collHTTP, nil)
	for _, tc := range []struct {
		obj   string
		progs []string
		want  bpf.XDPAction
		hits  int64 // hits[0] after the runs; -1: the object has no such map
	}{
		{"elf/testdata/static_linked.o", []string{"xdp_a", "xdp_b"}, bpf.XDPTx, 0},
		{"elf/testdata/static_linked_rev.o", []string{"xdp_a", "xdp_b"}, bpf.XDPTx, 0},
		// Weak pick() alone: +100 in pick, +1 in bump.
		{"elf/testdata/static_a.o", []string{"xdp_a"}, bpf.XDPDrop, 101},
		{"elf/testdata/static_core.o", []string{"xdp_core_main"}, bpf.XDPTx, -1},
	} {
		t.Run(tc.obj, func(t *testing.T) {
			spec, err := elf.Open(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			c, err := bpf.NewCollection(spec)
			if err != nil {
				t.Fatalf("%+v", err)
			}
			defer c.Close()
			if len(c.Programs) != len(tc.progs) {
				t.Errorf("%d programs loaded, want %v", len(c.Programs), tc.progs)
			}
			for _, name := range tc.progs {
				if got := collRun(t, c.Programs[name], frame); got != uint32(tc.want) {
					t.Errorf("%s returned %d, want %d", name, got, tc.want)
				}
			}
			if tc.hits < 0 {
				return
			}
			var hits uint64
			if err := c.Maps["hits"].Lookup(uint32(0), &hits); err != nil {
				t.Fatal(err)
			}
			if hits != uint64(tc.hits) {
				t.Errorf("hits[0] = %d, want %d", hits, tc.hits)
			}
		})
	}
}
