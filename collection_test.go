package bpf_test

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/bpftest/packet"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
	"github.com/purebpf/bpf/verifier"
)

// collObject returns the path of a committed tutorial object.
func collObject(name string) string {
	dir := strings.TrimSuffix(name, "_legacy")
	dir = strings.TrimSuffix(dir, "_nongpl")
	dir = strings.TrimSuffix(dir, "_sec")
	dir = strings.TrimSuffix(dir, "_bpfeb")
	dir = strings.TrimSuffix(dir, "_socket")
	return filepath.Join("examples", dir, "bpf", name+".o")
}

// collBPFFS mounts a bpffs in a temporary directory for the test.
func collBPFFS(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, "mode=0700"); err != nil {
		t.Fatalf("mount bpffs at %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

func collFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func collMust(t *testing.T, name string, opts elf.Options, copts bpf.CollectionOptions) *bpf.Collection {
	t.Helper()
	spec, err := elf.OpenWithOptions(collObject(name), opts)
	if err != nil {
		t.Fatal(err)
	}
	coll, err := bpf.NewCollectionWithOptions(spec, copts)
	if err != nil {
		t.Fatalf("%s: %+v", name, err)
	}
	t.Cleanup(func() { coll.Close() })
	return coll
}

var (
	collSrc   = netip.MustParseAddr("192.0.2.1")
	collDst   = netip.MustParseAddr("192.0.2.2")
	collHTTP  = netip.AddrPortFrom(collDst, 80)
	collHTTPS = netip.AddrPortFrom(collDst, 443)
	collCli   = netip.AddrPortFrom(collSrc, 40000)
)

// loadObject opens a committed object and loads all of it; the
// collection is closed when the test ends.
func loadObject(t *testing.T, path string) *bpf.Collection {
	t.Helper()
	spec, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := bpf.NewCollection(spec)
	if err != nil {
		t.Fatalf("%s: %+v", path, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func collRun(t *testing.T, p *bpf.Program, frame []byte) uint32 {
	t.Helper()
	res, err := p.Run(bpf.RunOptions{Data: frame})
	if err != nil {
		t.Fatalf("run %s: %v", p.Name(), err)
	}
	return res.ReturnValue
}

// TestTutorialObjects loads every tutorial object into the kernel and
// checks what its programs do with frames.
func TestTutorialObjects(t *testing.T) {
	testenv.RequirePrivileged(t)
	tcp := packet.TCPv4(collCli, collHTTP, packet.TCPFlags(0x02))
	tcp443 := packet.TCPv4(collCli, collHTTPS, packet.TCPFlags(0x02))
	udp := packet.UDPv4(collCli, collHTTP, []byte("x"))
	icmp := packet.ICMPEchoV4(collSrc, collDst, 1, 1, nil)
	arp := packet.ARPRequest(packet.DefaultSrcMAC(), collSrc, collDst)
	xdp := elf.Options{DefaultType: bpf.XDP}
	drop, pass := uint32(bpf.XDPDrop), uint32(bpf.XDPPass)

	t.Run("dropworld", func(t *testing.T) {
		c := collMust(t, "dropworld", xdp, bpf.CollectionOptions{})
		for _, f := range [][]byte{tcp, udp, icmp, arp} {
			if got := collRun(t, c.Programs["dropworld"], f); got != drop {
				t.Errorf("verdict %d, want XDP_DROP", got)
			}
		}
	})
	for _, name := range []string{"tcpfilter", "tcpfilter_sec"} {
		t.Run(name, func(t *testing.T) {
			c := collMust(t, name, xdp, bpf.CollectionOptions{})
			p := c.Programs["tcpfilter"]
			for _, tc := range []struct {
				frame []byte
				want  uint32
			}{{tcp, pass}, {tcp443, pass}, {udp, drop}, {icmp, drop}, {arp, drop}} {
				if got := collRun(t, p, tc.frame); got != tc.want {
					t.Errorf("frame %x: verdict %d, want %d", tc.frame[:20], got, tc.want)
				}
			}
		})
	}
	t.Run("portfilter", func(t *testing.T) {
		c := collMust(t, "portfilter_socket", elf.Options{Sections: []elf.SectionOverride{{Pattern: "filter", Convention: elf.Convention{Type: bpf.SocketFilter}}}}, bpf.CollectionOptions{})
		p := c.Programs["portfilter"]
		const keep, dropped = ^uint32(0), 0
		for _, tc := range []struct {
			frame []byte
			want  uint32
		}{
			{tcp, dropped},
			{packet.TCPv4(collHTTP, collCli, packet.TCPFlags(0x12)), dropped},
			{tcp443, keep},
			{udp, keep},
		} {
			if got := collRun(t, p, tc.frame); got != tc.want {
				t.Errorf("verdict %#x, want %#x", got, tc.want)
			}
		}
	})
	for _, name := range []string{"xdp1", "xdp1_legacy"} {
		t.Run(name, func(t *testing.T) {
			c := collMust(t, name, elf.Options{}, bpf.CollectionOptions{})
			p := c.Programs["xdp_prog1"]
			for _, f := range [][]byte{tcp, tcp, udp, icmp, arp} {
				if got := collRun(t, p, f); got != drop {
					t.Errorf("verdict %d, want XDP_DROP", got)
				}
			}
			want := map[uint32]uint64{6: 2, 17: 1, 1: 1, 0: 1}
			for proto, n := range want {
				got, err := c.Maps["rxcnt"].LookupPerCPUSum(proto)
				if err != nil {
					t.Fatal(err)
				}
				if got != n {
					t.Errorf("rxcnt[%d] = %d, want %d", proto, got, n)
				}
			}
		})
	}
	for _, tc := range []struct{ name, pin string }{{"layercoop", "flows"}, {"layercoop_legacy", "tc/globals/flows"}} {
		t.Run(tc.name, func(t *testing.T) {
			root := collBPFFS(t)
			opts := elf.Options{Programs: map[string]elf.Convention{"layercoop_rx": {Type: bpf.XDP}, "layercoop_tx": {Type: bpf.SchedCLS}}}
			c1 := collMust(t, tc.name, opts, bpf.CollectionOptions{PinRoot: root})
			if _, err := os.Stat(filepath.Join(root, tc.pin)); err != nil {
				t.Fatalf("map not pinned: %v", err)
			}
			// A second load (another process, as with ip and tc) shares
			// the pinned map.
			c2 := collMust(t, tc.name, opts, bpf.CollectionOptions{PinRoot: root})
			collRun(t, c1.Programs["layercoop_rx"], tcp)
			collRun(t, c1.Programs["layercoop_rx"], tcp)
			res, err := c2.Programs["layercoop_tx"].Run(bpf.RunOptions{Data: tcp})
			if err != nil {
				t.Fatal(err)
			}
			if res.ReturnValue != 0 {
				t.Errorf("tx verdict %d, want TC_ACT_OK", res.ReturnValue)
			}
			key := [2][4]byte{collSrc.As4(), collDst.As4()}
			var counters [2]uint64
			if err := c2.Maps["flows"].Lookup(key, &counters); err != nil {
				t.Fatal(err)
			}
			if counters[0] != 3 || counters[1] != 3*uint64(len(tcp)) {
				t.Errorf("flows[%v] = %v, want 3 packets, %d bytes", key, counters, 3*len(tcp))
			}
		})
	}
	t.Run("xdp2skb_meta", func(t *testing.T) {
		c := collMust(t, "xdp2skb_meta", elf.Options{}, bpf.CollectionOptions{})
		var xctx bpf.XDPContext
		res, err := c.Programs["_xdp_mark"].Run(bpf.RunOptions{Data: tcp, ContextOut: &xctx})
		if err != nil {
			t.Fatal(err)
		}
		if res.ReturnValue != pass {
			t.Errorf("xdp_mark verdict %d, want XDP_PASS", res.ReturnValue)
		}
		var sctx bpf.SKBContext
		res, err = c.Programs["_tc_mark"].Run(bpf.RunOptions{Data: tcp, ContextOut: &sctx})
		if err != nil {
			t.Fatal(err)
		}
		if res.ReturnValue != 0 || sctx.Mark != 41 {
			t.Errorf("tc_mark without metadata: verdict %d mark %d, want 0 and 41", res.ReturnValue, sctx.Mark)
		}
	})
	t.Run("xdp2skb_meta_nongpl", func(t *testing.T) {
		spec, err := elf.Open(collObject("xdp2skb_meta_nongpl"))
		if err != nil {
			t.Fatal(err)
		}
		before := collFDs(t)
		_, err = bpf.NewCollection(spec)
		var verr *verifier.Error
		if !errors.As(err, &verr) {
			t.Fatalf("error %v, want a *verifier.Error", err)
		}
		if !strings.Contains(err.Error(), "bpf_trace_printk") || !strings.Contains(err.Error(), "_tc_mark") {
			t.Errorf("error %q does not name the helper and the program", err)
		}
		if after := collFDs(t); after != before {
			t.Errorf("%d descriptors open after the failed load, %d before", after, before)
		}
		delete(spec.Programs, "_tc_mark")
		c, err := bpf.NewCollection(spec)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	})
}

// TestFeatures loads the package elf test object: global data, subprograms,
// callbacks, a prog array and a map of maps.
func TestFeatures(t *testing.T) {
	testenv.RequirePrivileged(t)
	spec, err := elf.OpenWithOptions("elf/testdata/features.o", elf.Options{DefaultType: bpf.XDP})
	if err != nil {
		t.Fatal(err)
	}
	c, err := bpf.NewCollection(spec)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer c.Close()
	frame := packet.UDPv4(collCli, collHTTP, nil)
	if got := collRun(t, c.Programs["xdp_features"], frame); got != uint32(bpf.XDPDrop) {
		t.Errorf("xdp_features returned %d, want the .rodata verdict XDP_DROP", got)
	}
	var calls, loops uint64
	if err := c.Maps[".data"].Lookup(uint32(0), &calls); err != nil || calls != 8 {
		t.Errorf(".data calls = %d (%v), want 8", calls, err)
	}
	if err := c.Maps[".bss"].Lookup(uint32(0), &loops); err != nil || loops != 0+1+2+3 {
		t.Errorf(".bss loops = %d (%v), want 6 (bpf_loop callback)", loops, err)
	}
	var inner uint64
	if err := c.Maps["inner_b"].Lookup(uint32(0), &inner); err != nil || inner != 1 {
		t.Errorf("inner_b[0] = %d (%v), want 1 (through outer[1])", inner, err)
	}
	if got := collRun(t, c.Programs["xdp_tail"], frame); got != uint32(bpf.XDPTx) {
		t.Errorf("xdp_tail returned %d, want XDP_TX from tail_target through the prog array", got)
	}
	if got := collRun(t, c.Programs["tc_features"], frame); got != 0 {
		t.Errorf("tc_features returned %d, want TC_ACT_OK", got)
	}
	if got := collRun(t, c.Programs["text_entry"], frame); got != uint32(bpf.XDPPass) {
		t.Errorf("text_entry returned %d, want XDP_PASS", got)
	}
	if err := c.Maps[".rodata"].Update(uint32(0), uint32(2), maps.UpdateAny); err == nil {
		t.Error(".rodata is writable, want frozen")
	}
}

// TestUnspecifiedType checks that a program without a type is reported
// with its name, section and the way to set the type, before anything
// is created.
func TestUnspecifiedType(t *testing.T) {
	spec, err := elf.Open(collObject("layercoop"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = bpf.NewCollection(spec)
	if !errors.Is(err, bpf.ErrUnspecifiedType) {
		t.Fatalf("error %v, want ErrUnspecifiedType", err)
	}
	for _, want := range []string{"layercoop_rx", `section "rx"`, "Type"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestCollectionNoLeak fails a collection after its maps were created
// and checks that every descriptor is closed and no pin is left.
func TestCollectionNoLeak(t *testing.T) {
	testenv.RequirePrivileged(t)
	root := collBPFFS(t)
	spec, err := elf.OpenWithOptions(collObject("layercoop"), elf.Options{Programs: map[string]elf.Convention{
		"layercoop_rx": {Type: bpf.XDP},
		"layercoop_tx": {Type: bpf.XDP}, // wrong: tc context accesses fail to verify
	}})
	if err != nil {
		t.Fatal(err)
	}
	before := collFDs(t)
	_, err = bpf.NewCollectionWithOptions(spec, bpf.CollectionOptions{PinRoot: root})
	if err == nil {
		t.Fatal("loading layercoop_tx as XDP succeeded")
	}
	var verr *verifier.Error
	if !errors.As(err, &verr) || !strings.Contains(err.Error(), "layercoop_tx") {
		t.Fatalf("error %v, want a *verifier.Error naming layercoop_tx", err)
	}
	if verr.Source == "" || !strings.Contains(verr.Source, "layercoop.c") {
		t.Errorf("verifier error has no C source line from BTF: %+v", verr)
	}
	if after := collFDs(t); after != before {
		t.Errorf("%d descriptors open after the failed load, %d before", after, before)
	}
	if _, err := os.Stat(filepath.Join(root, "flows")); !os.IsNotExist(err) {
		t.Errorf("pin of the failed collection left behind: %v", err)
	}
}

// TestMapBTF checks that the key and value types of a BTF map reach the
// kernel (what bpftool needs to format a dump), and that a legacy map
// without BTF is created without.
func TestMapBTF(t *testing.T) {
	testenv.RequirePrivileged(t)
	for _, tc := range []struct {
		object  string
		withBTF bool
	}{{"xdp1", true}, {"xdp1_legacy", false}} {
		c := collMust(t, tc.object, elf.Options{DefaultType: bpf.XDP}, bpf.CollectionOptions{})
		info, err := c.Maps["rxcnt"].Info()
		if err != nil {
			t.Fatal(err)
		}
		if got := info.BTF != 0 && info.KeyType != 0 && info.ValueType != 0; got != tc.withBTF {
			t.Errorf("%s: map BTF id %d, key type %d, value type %d; want BTF: %v", tc.object, info.BTF, info.KeyType, info.ValueType, tc.withBTF)
		}
	}
}
