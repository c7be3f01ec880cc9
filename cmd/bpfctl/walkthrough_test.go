package main

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/bpftest/packet"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
	"golang.org/x/sys/unix"
)

const objDir = "../../examples"

// privateBPFFS mounts a bpffs for the pins of one test.
func privateBPFFS(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, "mode=0700"); err != nil {
		testenv.Skip(t, "mount bpffs: "+err.Error())
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

// sendFrames sends frames from A to B, with the pair's MAC addresses.
func sendFrames(t *testing.T, p *testnet.VethPair, frames ...[]byte) {
	t.Helper()
	for _, f := range frames {
		copy(f[0:6], p.B.MAC)
		copy(f[6:12], p.A.MAC)
	}
	n, err := testnet.SendFrames(p.A.Interface(), frames...)
	if err != nil || n != len(frames) {
		t.Fatalf("sent %d of %d frames: %v", n, len(frames), err)
	}
}

// TestExample2XDP1 is the tutorial's Example 2 with bpfctl alone: attach
// xdp1 (per-CPU packet counters per IP protocol, every packet dropped) to
// the receiving end of a veth pair, find its map through prog show, and read
// the counters with map dump and map lookup.
func TestExample2XDP1(t *testing.T) {
	for _, obj := range []string{"xdp1.o", "xdp1_legacy.o"} {
		t.Run(obj, func(t *testing.T) {
			p := newPair(t)
			ns := p.B.Netns.Name()
			path := filepath.Join(objDir, "xdp1/bpf", obj)

			// ip link set dev B xdp obj xdp1.o (the legacy object keeps the
			// tutorial's section name, xdp1).
			var a attachedJSON
			unmarshal(t, mustBpfctl(t, "-n", ns, "xdp", "attach", p.B.Name, path, "--mode", "generic", "--json"), &a)
			if a.Name != "xdp_prog1" || a.Mode != "generic" || a.Method != "netlink" || a.Devname != p.B.Name {
				t.Fatalf("attach: %+v", a)
			}
			if want := map[string]bool{"xdp1.o": true, "xdp1_legacy.o": false}[obj]; want != (a.Section == "xdp") {
				t.Errorf("section %q", a.Section)
			}

			// The program is attached, as net list and ip link show say.
			var nl []netJSON
			unmarshal(t, mustBpfctl(t, "-n", ns, "net", "list", "--json"), &nl)
			if len(nl[0].XDP) != 1 || nl[0].XDP[0].ID != a.ID {
				t.Fatalf("net list: %+v", nl)
			}
			if link := tool(t, "ip", "-n", ns, "link", "show", p.B.Name); !strings.Contains(link, "prog/xdp id "+itoa(a.ID)) {
				t.Errorf("ip link show: %s", link)
			}

			// sudo bpftool prog show: the map id.
			var pj progJSON
			unmarshal(t, mustBpfctl(t, "prog", "show", itoa(a.ID), "--json"), &pj)
			if pj.Type != "xdp" || pj.Name != "xdp_prog1" || len(pj.MapIDs) != 1 || uint32(pj.MapIDs[0]) != a.MapIDs["rxcnt"] {
				t.Fatalf("prog show: %+v (attach said maps %v)", pj, a.MapIDs)
			}
			mapID := itoa(pj.MapIDs[0])

			// Traffic: 5 UDP, 3 ICMP and 2 TCP frames from A to B.
			src, dst := p.A.Addr(), p.B.Addr()
			var frames [][]byte
			for i := 0; i < 5; i++ {
				frames = append(frames, packet.UDPv4(netip.AddrPortFrom(src, 4000), netip.AddrPortFrom(dst, 53), []byte("q")))
			}
			for i := 0; i < 3; i++ {
				frames = append(frames, packet.ICMPEchoV4(src, dst, 1, uint16(i), []byte("ping")))
			}
			for i := 0; i < 2; i++ {
				frames = append(frames, packet.TCPv4(netip.AddrPortFrom(src, 4000), netip.AddrPortFrom(dst, 80), packet.SYN))
			}
			sendFrames(t, p, frames...)

			// sudo bpftool map dump id N: 256 keys, one value per CPU.
			want := map[uint32]uint64{17: 5, 1: 3, 6: 2}
			deadline := time.Now().Add(2 * time.Second)
			var sums map[uint32]uint64
			for {
				var dump []elemJSON
				unmarshal(t, mustBpfctl(t, "map", "dump", mapID, "--json"), &dump)
				if len(dump) != 256 {
					t.Fatalf("dump has %d elements, want 256", len(dump))
				}
				sums = map[uint32]uint64{}
				for _, e := range dump {
					key := binary.NativeEndian.Uint32(e.Key)
					for _, v := range e.Values {
						sums[key] += binary.NativeEndian.Uint64(v.Value)
					}
				}
				if sums[17] >= want[17] && sums[1] >= want[1] && sums[6] >= want[6] || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			for proto, n := range want {
				if sums[proto] != n {
					t.Errorf("proto %d: %d packets counted, want %d (all: %v)", proto, sums[proto], n, sums)
				}
			}

			// ip link set dev B xdp off. The map lives on while the test
			// holds it, and no packet reaches it any more: the namespaces
			// keep sending IPv6 neighbour discovery and MLD packets from A
			// to B, which xdp1 counts under keys 58 and 0 on whichever CPU
			// they arrive, so two dumps of the attached map could differ.
			// (A run that began before the detach returned ends within
			// microseconds; the next dump is a process start later.)
			m, err := maps.FromID(maps.ID(pj.MapIDs[0]))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			mustBpfctl(t, "-n", ns, "xdp", "detach", p.B.Name)
			unmarshal(t, mustBpfctl(t, "-n", ns, "net", "list", "--json"), &nl)
			if len(nl[0].XDP) != 0 {
				t.Errorf("after detach: %+v", nl[0].XDP)
			}

			// The plain dump is bpftool's: formatted with BTF for xdp1.o,
			// in hex for the legacy object, whose map has no BTF.
			plain := mustBpfctl(t, "map", "dump", mapID)
			if obj == "xdp1_legacy.o" && (!strings.HasPrefix(plain, "key:\n00 00 00 00\nvalue (CPU 00): ") || !strings.HasSuffix(plain, "Found 256 elements\n")) ||
				obj == "xdp1.o" && (!strings.HasPrefix(plain, "[{\n        \"key\": 0,\n        \"values\": [{\n") || !strings.HasSuffix(plain, "}\n]\n")) {
				t.Errorf("plain dump starts %q", plain[:min(len(plain), 80)])
			}
			if bt := tool(t, "bpftool", "map", "dump", "id", mapID); bt != plain {
				t.Errorf("map dump differs from bpftool's:\n%s", lineDiff(plain, bt))
			}
			var udp elemJSON
			unmarshal(t, mustBpfctl(t, "map", "lookup", mapID, "key", "17", "0", "0", "0", "--json"), &udp)
			var total uint64
			for _, v := range udp.Values {
				total += binary.NativeEndian.Uint64(v.Value)
			}
			if total != 5 {
				t.Errorf("lookup of key 17: %d, want 5", total)
			}
		})
	}
}

// lineDiff returns the lines where a and b differ, for failure messages.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out strings.Builder
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			fmt.Fprintf(&out, "line %d: bpfctl %q, bpftool %q\n", i+1, x, y)
		}
	}
	return out.String()
}

// TestExample3Layercoop is the tutorial's Example 3 with bpfctl alone:
// section rx on A's XDP hook, section tx on A's tc egress hook, both
// counting into one pinned map, flows; then traffic, the map's contents,
// and unloading.
func TestExample3Layercoop(t *testing.T) {
	for _, tc := range []struct{ obj, pin string }{
		{"layercoop.o", "flows"},                   // LIBBPF_PIN_BY_NAME
		{"layercoop_legacy.o", "tc/globals/flows"}, // iproute2's PIN_GLOBAL_NS
	} {
		t.Run(tc.obj, func(t *testing.T) {
			p := newPair(t)
			ns := p.A.Netns.Name()
			bpffs := privateBPFFS(t)
			path := filepath.Join(objDir, "layercoop/bpf", tc.obj)

			// sudo ip link set dev A xdp obj layercoop.o sec rx
			var rx, tx attachedJSON
			unmarshal(t, mustBpfctl(t, "-n", ns, "xdp", "attach", p.A.Name, path, "--section", "rx", "--pin-maps", bpffs, "--json"), &rx)
			// sudo tc qdisc add dev A clsact; tc filter add dev A egress bpf da obj layercoop.o sec tx
			unmarshal(t, mustBpfctl(t, "-n", ns, "tc", "attach", p.A.Name, "egress", path, "--section", "tx", "--pin-maps", bpffs, "--json"), &tx)
			if rx.Name != "layercoop_rx" || tx.Name != "layercoop_tx" || tx.Hook != "egress" || tx.Method != "netlink" {
				t.Fatalf("attach: %+v, %+v", rx, tx)
			}
			// Both use the pinned map.
			var m mapJSON
			unmarshal(t, mustBpfctl(t, "map", "show", "pinned", filepath.Join(bpffs, tc.pin), "--json"), &m)
			if m.Name != "flows" || rx.MapIDs["flows"] != uint32(m.ID) || tx.MapIDs["flows"] != uint32(m.ID) {
				t.Fatalf("map %+v; rx maps %v, tx maps %v", m, rx.MapIDs, tx.MapIDs)
			}

			// bpftool net (and tc filter show) see both programs.
			var nl []netJSON
			unmarshal(t, mustBpfctl(t, "-n", ns, "net", "list", "--json"), &nl)
			if len(nl[0].XDP) != 1 || nl[0].XDP[0].ID != rx.ID || len(nl[0].TC) != 1 || nl[0].TC[0].ID != tx.ID ||
				nl[0].TC[0].Name != tc.obj+":[tx]" {
				t.Fatalf("net list: %+v", nl)
			}
			if show := tool(t, "tc", "-n", ns, "filter", "show", "dev", p.A.Name, "egress"); !strings.Contains(show, tc.obj+":[tx] direct-action") {
				t.Errorf("tc filter show: %s", show)
			}

			// Traffic: pings from A to B and back; every pair of addresses
			// gets an entry.
			rep, err := testnet.Ping(p.A.Netns, p.B.Addr(), testnet.PingOptions{Count: 3, Timeout: time.Second})
			if err != nil || rep.Received != 3 {
				t.Fatalf("ping: %+v, %v", rep, err)
			}
			var dump []elemJSON
			unmarshal(t, mustBpfctl(t, "map", "dump", "pinned", filepath.Join(bpffs, tc.pin), "--json"), &dump)
			a4, b4 := p.A.Addr().As4(), p.B.Addr().As4()
			flows := map[string]uint64{}
			for _, e := range dump {
				if len(e.Key) != 8 || len(e.Value) != 16 {
					t.Fatalf("element %+v", e)
				}
				k := netip.AddrFrom4([4]byte(e.Key[0:4])).String() + ">" + netip.AddrFrom4([4]byte(e.Key[4:8])).String()
				flows[k] = binary.NativeEndian.Uint64(e.Value[0:8])
			}
			out := netip.AddrFrom4(a4).String() + ">" + netip.AddrFrom4(b4).String()
			in := netip.AddrFrom4(b4).String() + ">" + netip.AddrFrom4(a4).String()
			if flows[out] < 3 || flows[in] < 3 {
				t.Errorf("flows %v: want at least 3 packets %s (tc egress) and %s (XDP)", flows, out, in)
			}
			if len(flows) != 2 {
				t.Errorf("flows %v: want exactly the two directions", flows)
			}

			// sudo ip link set dev A xdp off; sudo tc filter del dev A egress
			mustBpfctl(t, "-n", ns, "xdp", "detach", p.A.Name)
			mustBpfctl(t, "-n", ns, "tc", "detach", p.A.Name, "egress")
			unmarshal(t, mustBpfctl(t, "-n", ns, "net", "list", "--json"), &nl)
			if len(nl[0].XDP) != 0 || len(nl[0].TC) != 0 {
				t.Errorf("after unloading: %+v", nl)
			}
		})
	}
}

// TestLoadAndDisasm loads objects with bpfctl load (pinning the programs)
// and disassembles them without loading.
func TestLoadAndDisasm(t *testing.T) {
	bpftest.RequirePrivileged(t)
	bpffs := privateBPFFS(t)
	var loaded, more []loadedJSON
	unmarshal(t, mustBpfctl(t, "load", filepath.Join(objDir, "xdp1/bpf/xdp1.o"), "--pin", filepath.Join(bpffs, "progs"), "--json"), &loaded)
	unmarshal(t, mustBpfctl(t, "load", filepath.Join(objDir, "layercoop/bpf/layercoop.o"), "--section", "tx", "--type", "sched_cls",
		"--pin", filepath.Join(bpffs, "progs"), "--pin-maps", bpffs, "--json"), &more)
	loaded = append(loaded, more...)
	if len(loaded) != 2 || loaded[0].Name != "xdp_prog1" || loaded[0].Type != "xdp" || loaded[1].Name != "layercoop_tx" || loaded[1].Type != "sched_cls" {
		t.Fatalf("load: %+v", loaded)
	}
	for _, l := range loaded {
		// The pins keep the programs loaded after bpfctl exited.
		var pj progJSON
		unmarshal(t, mustBpfctl(t, "prog", "show", "pinned", l.Pinned, "--json"), &pj)
		if pj.ID != l.ID || pj.Tag != l.Tag {
			t.Errorf("pinned %s: %+v, loaded %+v", l.Pinned, pj, l)
		}
	}
	_, errOut, code := bpfctl(t, "load", filepath.Join(objDir, "layercoop/bpf/layercoop.o"), "--pin-maps", bpffs)
	if code != 2 || !strings.Contains(errOut, "no conventional type") {
		t.Errorf("load without --type: exit %d, %q", code, errOut)
	}
	// A verifier rejection is one line naming the instruction and the
	// source line.
	_, errOut, code = bpfctl(t, "load", filepath.Join(objDir, "layercoop/bpf/layercoop.o"), "--section", "rx", "--type", "sched_cls", "--pin-maps", bpffs)
	if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "verifier") || !strings.Contains(errOut, "layercoop.c:") {
		t.Errorf("rejected load: exit %d, %q", code, errOut)
	}
	_, errOut, code = bpfctl(t, "xdp", "attach", "bpfctl-none0", filepath.Join(objDir, "layercoop/bpf/layercoop.o"))
	if code != 2 || !strings.Contains(errOut, "choose one with --section") {
		t.Errorf("xdp attach without --section: exit %d, %q", code, errOut)
	}

	// disasm needs no kernel: compare with the program as loaded.
	out := mustBpfctl(t, "disasm", filepath.Join(objDir, "xdp1/bpf/xdp1.o"))
	if !strings.HasPrefix(out, "xdp_prog1: section xdp, type xdp, ") || !strings.Contains(out, "call bpf_map_lookup_elem#1") ||
		!strings.Contains(out, "; rxcnt") {
		t.Errorf("disasm:\n%s", out)
	}
	var dj []disasmJSON
	unmarshal(t, mustBpfctl(t, "disasm", filepath.Join(objDir, "layercoop/bpf/layercoop.o"), "--section", "tx", "--json"), &dj)
	if len(dj) != 1 || dj[0].Name != "layercoop_tx" || dj[0].License != "GPL" || len(dj[0].Insns) == 0 || dj[0].Insns[len(dj[0].Insns)-1].Disasm != "exit" {
		t.Errorf("disasm --json: %+v", dj)
	}
	_, errOut, code = bpfctl(t, "disasm", "/nonexistent.o")
	if code != 1 || !strings.Contains(errOut, "/nonexistent.o") {
		t.Errorf("missing object: exit %d, %q", code, errOut)
	}
}
