package bpf_test

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/bpftest/packet"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
)

// mapShapes are the maps of elf/testdata/mapshapes.c as the kernel must
// have them: type, key and value sizes, and whether the kernel took the
// declared key/value BTF types (it takes none for descriptor, device and
// CPU maps, perf event arrays, ring buffers and map-in-map outer maps).
var mapShapes = []struct {
	name       string
	typ        maps.Type
	key, value uint32
	btf        bool
	refused    unix.Errno // what the kernel says to forced BTF, 0 if it takes it
}{
	{"tx_port", maps.DevMap, 4, 4, false, enotsupp},        // packet03-redirecting
	{"redirect_params", maps.Hash, 6, 6, true, 0},          // packet03-redirecting
	{"xsks_map", maps.XSKMap, 4, 4, false, enotsupp},       // advanced03-AF_XDP
	{"xdp_stats_map", maps.PerCPUArray, 4, 4, true, 0},     // advanced03-AF_XDP
	{"my_map", maps.PerfEventArray, 4, 4, false, enotsupp}, // tracing04-xdp-tcpdump, __type
	{"perf_sized", maps.PerfEventArray, 4, 4, false, 0},    // tracing04-xdp-tcpdump, __uint sizes (no types)
	{"events", maps.RingBuf, 0, 0, false, unix.EINVAL},     // __type(value, struct event)
	{"cpu_map", maps.CPUMap, 4, 8, false, enotsupp},
	{"dev_hash", maps.DevMapHash, 4, 8, false, enotsupp},
	{"sock_map", maps.SockMap, 4, 8, false, enotsupp},
	{"sock_hash", maps.SockHash, 4, 8, false, enotsupp},
	{"outer_map", maps.ArrayOfMaps, 4, 4, false, unix.EINVAL},
	{"outer_hash", maps.HashOfMaps, 4, 4, false, unix.EINVAL},
	{"inner_map", maps.Array, 4, 8, true, 0},
	{"bloom", maps.BloomFilter, 0, 4, true, 0},
}

// enotsupp is the kernel-internal ENOTSUPP (524) of map types without
// BTF support.
const enotsupp = unix.Errno(524)

// TestMapShapes loads the tutorial's redirect, AF_XDP and tcpdump map
// declarations (and the other BTF-typed maps of mapshapes.o) and checks
// each map as the kernel reports it.
func TestMapShapes(t *testing.T) {
	testenv.RequirePrivileged(t)
	c := loadObject(t, "elf/testdata/mapshapes.o")
	for _, tc := range mapShapes {
		t.Run(tc.name, func(t *testing.T) {
			m := c.Maps[tc.name]
			if m == nil {
				t.Fatal("map not created")
			}
			info, err := m.Info()
			if err != nil {
				t.Fatal(err)
			}
			if info.Type != tc.typ || info.KeySize != tc.key || info.ValueSize != tc.value {
				t.Errorf("kernel has %s key %d value %d, want %s key %d value %d", info.Type, info.KeySize, info.ValueSize, tc.typ, tc.key, tc.value)
			}
			if got := info.BTF != 0 && info.ValueType != 0; got != tc.btf {
				t.Errorf("map BTF %d (key type %d, value type %d); want BTF %v", info.BTF, info.KeyType, info.ValueType, tc.btf)
			}
		})
	}
	if info, err := c.Maps["bloom"].Info(); err != nil || info.MapExtra != 3 {
		t.Errorf("bloom map_extra %v (%v), want 3 from __ulong(map_extra, 3)", info, err)
	}
	frame := packet.UDPv4(collCli, collHTTP, nil)
	for prog, want := range map[string]uint32{"xdp_redirect_map": uint32(bpf.XDPAborted), "xdp_sock_prog": uint32(bpf.XDPPass), "xdp_sample_prog": uint32(bpf.XDPPass)} {
		// bpf_redirect_map to an empty devmap slot returns its flags'
		// low bits (0, XDP_ABORTED) in a test run.
		if got := collRun(t, c.Programs[prog], frame); got != want {
			t.Errorf("%s returned %d, want %d", prog, got, want)
		}
	}
}

// TestMapBTFRefusals creates the maps of mapshapes.o that declare key or
// value types: maps.New sends the types exactly for the map types that
// take them (its list), and a raw BPF_MAP_CREATE with the types forced on
// shows the kernel refusing them for the others (checking the list).
func TestMapBTFRefusals(t *testing.T) {
	testenv.RequirePrivileged(t)
	spec, err := elf.Open("elf/testdata/mapshapes.o")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := spec.BTF.Marshal(binary.NativeEndian)
	if err != nil {
		t.Fatal(err)
	}
	btfFD, err := sys.BTFLoad(&sys.BTFLoadAttr{BTF: sys.SlicePointer(raw), BTFSize: uint32(len(raw))})
	if err != nil {
		t.Fatal(err)
	}
	defer btfFD.Close()
	for _, tc := range mapShapes {
		s := spec.Maps[tc.name].Copy()
		if s.BTF == nil || s.KeyType == 0 && s.ValueType == 0 {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			s.Contents = nil
			m, err := maps.New(s)
			if err != nil {
				t.Fatalf("create with the declared types: %v", err)
			}
			defer m.Close()
			info, err := m.Info()
			if err != nil {
				t.Fatal(err)
			}
			if got := info.BTF != 0; got != tc.btf {
				t.Errorf("maps.New sent the types: %v (BTF %d), want %v", got, info.BTF, tc.btf)
			}

			attr := sys.MapCreateAttr{MapType: uint32(s.Type), KeySize: s.KeySize, ValueSize: s.ValueSize,
				MaxEntries: s.MaxEntries, MapFlags: uint32(s.Flags), MapExtra: s.MapExtra,
				BTFFD: btfFD.Uint(), BTFKeyTypeID: uint32(s.KeyType), BTFValueTypeID: uint32(s.ValueType)}
			if s.Type == maps.PerfEventArray && attr.MaxEntries == 0 {
				attr.MaxEntries = 1
			}
			if s.InnerMap != nil {
				inner, err := maps.New(s.InnerMap)
				if err != nil {
					t.Fatal(err)
				}
				defer inner.Close()
				attr.InnerMapFD = uint32(inner.FD())
			}
			fd, err := sys.MapCreate(&attr)
			if err == nil {
				fd.Close()
			}
			switch {
			case tc.refused == 0 && err != nil:
				t.Fatalf("the kernel refused the declared types: %v", err)
			case tc.refused != 0 && !errors.Is(err, tc.refused):
				t.Fatalf("forced types: %v, want %v: the kernel takes key type %d value type %d for a %s map, but maps.New sends none", err, tc.refused, s.KeyType, s.ValueType, tc.typ)
			}
		})
	}
}

// TestRingBufValueType reads the records xdp_ring writes into a ring
// buffer declared with __type(value, struct event), decoding them with
// the declared type's size from the object's BTF.
func TestRingBufValueType(t *testing.T) {
	testenv.RequirePrivileged(t)
	spec, err := elf.Open("elf/testdata/mapshapes.o")
	if err != nil {
		t.Fatal(err)
	}
	types := spec.Maps["events"].BTF
	if types == nil {
		t.Fatal("events has no BTF")
	}
	valueType := spec.Maps["events"].ValueType
	if name := types.TypeName(valueType); name != "struct event" {
		t.Fatalf("declared value type of events is %q, want struct event", name)
	}
	size, err := types.Size(valueType)
	if err != nil || size != 16 {
		t.Fatalf("sizeof(struct event) = %d (%v), want 16", size, err)
	}
	c, err := bpf.NewCollection(spec)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer c.Close()
	r, err := maps.NewRingReader(c.Maps["events"])
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	frame := packet.UDPv4(collCli, collHTTP, []byte("ring"))
	if got := collRun(t, c.Programs["xdp_ring"], frame); got != uint32(bpf.XDPPass) {
		t.Fatalf("xdp_ring returned %d, want XDP_PASS", got)
	}
	type event struct {
		Seq, Len uint32
		Tag      uint64
	}
	want := []event{{1, uint32(len(frame)), 0x1122334455667788}, {2, uint32(len(frame)), ^uint64(0x1122334455667788)}}
	r.SetDeadline(time.Now().Add(5 * time.Second))
	var rec maps.RingRecord
	for i, w := range want {
		if err := r.Read(&rec); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if len(rec.Sample) != int(size) {
			t.Fatalf("record %d has %d bytes, want sizeof(struct event) %d", i, len(rec.Sample), size)
		}
		var got event
		if _, err := binary.Decode(rec.Sample, binary.NativeEndian, &got); err != nil {
			t.Fatal(err)
		}
		if got != w {
			t.Errorf("record %d = %+v, want %+v", i, got, w)
		}
	}
}

// TestMapBTFRetry gives a hash map key/value types of the wrong sizes:
// the kernel refuses them (EINVAL) and NewCollection creates the map
// without them, as libbpf does.
func TestMapBTFRetry(t *testing.T) {
	testenv.RequirePrivileged(t)
	spec, err := elf.Open("elf/testdata/mapshapes.o")
	if err != nil {
		t.Fatal(err)
	}
	// redirect_params has 6-byte keys and values; xdp_stats_map's key
	// type is a 4-byte __u32.
	u32 := spec.Maps["xdp_stats_map"].KeyType
	spec.Maps["redirect_params"].KeyType, spec.Maps["redirect_params"].ValueType = u32, u32
	c, err := bpf.NewCollection(spec)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer c.Close()
	for name, wantBTF := range map[string]bool{"redirect_params": false, "xdp_stats_map": true} {
		info, err := c.Maps[name].Info()
		if err != nil {
			t.Fatal(err)
		}
		if got := info.BTF != 0; got != wantBTF || info.KeySize != c.Maps[name].KeySize() {
			t.Errorf("%s: BTF %v (id %d), want %v", name, got, info.BTF, wantBTF)
		}
	}
}
