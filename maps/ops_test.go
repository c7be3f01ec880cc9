package maps

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/internal/testenv"
)

type flowKey struct {
	Src, Dst uint32
	Port     uint16
	Proto    uint8
	_        uint8
}

type flowVal struct {
	Packets, Bytes uint64
}

func TestTypedMap(t *testing.T) {
	testenv.RequirePrivileged(t)
	tm, err := NewTyped[flowKey, flowVal](&Spec{Name: "t_typed", Type: Hash, MaxEntries: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	if tm.Map().KeySize() != 12 || tm.Map().ValueSize() != 16 {
		t.Fatalf("sizes %d/%d", tm.Map().KeySize(), tm.Map().ValueSize())
	}
	k := flowKey{Src: 1, Dst: 2, Port: 80, Proto: 6}
	if err := tm.Update(k, flowVal{3, 300}, UpdateNoExist); err != nil {
		t.Fatal(err)
	}
	if v, err := tm.Lookup(k); err != nil || v != (flowVal{3, 300}) {
		t.Fatalf("Lookup = %+v, %v", v, err)
	}
	var v flowVal
	if err := tm.LookupInto(&k, &v); err != nil || v.Bytes != 300 {
		t.Fatalf("LookupInto = %+v, %v", v, err)
	}
	if err := tm.Update(k, v, UpdateNoExist); !errors.Is(err, ErrKeyExist) {
		t.Fatalf("UpdateNoExist: %v", err)
	}
	if first, err := tm.FirstKey(); err != nil || first != k {
		t.Fatalf("FirstKey = %+v, %v", first, err)
	}
	if _, err := tm.NextKey(k); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("NextKey after last: %v", err)
	}
	if v, err := tm.LookupAndDelete(k); err != nil || v.Packets != 3 {
		t.Fatalf("LookupAndDelete = %+v, %v", v, err)
	}
	if _, err := tm.Lookup(k); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("Lookup after LookupAndDelete: %v", err)
	}
	if err := tm.Delete(k); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("Delete missing: %v", err)
	}

	// Wrong sizes are refused once, at AsTyped.
	if _, err := AsTyped[uint32, flowVal](tm.Map()); err == nil || !strings.Contains(err.Error(), "key type uint32 is 4 bytes, map key size is 12") {
		t.Fatalf("AsTyped with wrong key: %v", err)
	}
	if _, err := AsTyped[flowKey, *uint64](tm.Map()); err == nil || !strings.Contains(err.Error(), "contains a Go pointer") {
		t.Fatalf("AsTyped with pointer value: %v", err)
	}

	allocs := testing.AllocsPerRun(200, func() {
		tm.Update(k, flowVal{1, 2}, UpdateAny)
		if _, err := tm.Lookup(k); err != nil {
			t.Fatal(err)
		}
		tm.Delete(k)
		if _, err := tm.Lookup(k); !errors.Is(err, ErrKeyNotExist) {
			t.Fatal(err)
		}
		if err := tm.Delete(k); !errors.Is(err, ErrKeyNotExist) {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("typed update/lookup/delete: %v allocations", allocs)
	}
}

func TestPerCPU(t *testing.T) {
	ncpu, err := PossibleCPUs()
	if err != nil || ncpu < 1 {
		t.Fatalf("PossibleCPUs = %d, %v", ncpu, err)
	}
	for _, typ := range []Type{PerCPUHash, PerCPUArray, LRUPerCPUHash} {
		t.Run(typ.String(), func(t *testing.T) {
			m := mustNew(t, &Spec{Name: "t_pcpu", Type: typ, KeySize: 4, ValueSize: 8, MaxEntries: 4})
			in := make([]uint64, ncpu)
			for i := range in {
				in[i] = uint64(10 * (i + 1))
			}
			if err := m.UpdatePerCPU(uint32(1), in, UpdateAny); err != nil {
				t.Fatal(err)
			}
			out := make([]uint64, ncpu)
			if err := m.LookupPerCPU(uint32(1), out); err != nil || !slices.Equal(in, out) {
				t.Fatalf("LookupPerCPU = %v, %v; want %v", out, err, in)
			}
			var want uint64
			for _, v := range in {
				want += v
			}
			sum, err := m.LookupPerCPUSum(uint32(1))
			if err != nil || sum != want {
				t.Fatalf("LookupPerCPUSum = %d, %v", sum, err)
			}
			if err := m.LookupPerCPU(uint32(1), make([]uint64, ncpu+1)); err == nil || !strings.Contains(err.Error(), "one per possible CPU") {
				t.Fatalf("wrong length: %v", err)
			}
			if typ != PerCPUArray {
				if err := m.LookupPerCPU(uint32(3), out); !errors.Is(err, ErrKeyNotExist) {
					t.Fatalf("missing key: %v", err)
				}
			}
			key := uint32(1)
			allocs := testing.AllocsPerRun(200, func() {
				if err := m.LookupPerCPU(&key, out); err != nil {
					t.Fatal(err)
				}
				if _, err := m.LookupPerCPUSum(&key); err != nil {
					t.Fatal(err)
				}
				if err := m.UpdatePerCPU(&key, out, UpdateAny); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Fatalf("%v allocations", allocs)
			}
		})
	}
}

func TestPerCPUOddValueSize(t *testing.T) {
	ncpu, err := PossibleCPUs()
	if err != nil {
		t.Fatal(err)
	}
	type rgb struct{ R, G, B uint8 }
	m := mustNew(t, &Spec{Name: "t_pcpu3", Type: PerCPUArray, KeySize: 4, ValueSize: 3, MaxEntries: 2})
	in := make([]rgb, ncpu)
	for i := range in {
		in[i] = rgb{uint8(i), uint8(i + 1), uint8(i + 2)}
	}
	if err := m.UpdatePerCPU(uint32(0), in, UpdateAny); err != nil {
		t.Fatal(err)
	}
	out := make([]rgb, ncpu)
	if err := m.LookupPerCPU(uint32(0), out); err != nil || !slices.Equal(in, out) {
		t.Fatalf("got %v, %v; want %v", out, err, in)
	}
	// The raw layout: each CPU's value padded to 8 bytes.
	raw := make([]byte, 8*ncpu)
	if err := m.Lookup(uint32(0), raw); err != nil {
		t.Fatal(err)
	}
	for cpu, want := range in {
		if got := raw[8*cpu : 8*cpu+3]; got[0] != want.R || got[1] != want.G || got[2] != want.B {
			t.Errorf("raw value of CPU %d at byte %d: %v, want %v", cpu, 8*cpu, got, want)
		}
	}
	tm, err := AsTyped[uint32, rgb](m)
	if err != nil {
		t.Fatal(err)
	}
	clear(out)
	if err := tm.LookupPerCPU(0, out); err != nil || !slices.Equal(in, out) {
		t.Fatalf("typed got %v, %v", out, err)
	}
	if _, err := tm.Lookup(0); err == nil {
		t.Fatal("typed Lookup on a per-CPU map must fail")
	}
	key := uint32(0)
	if n := testing.AllocsPerRun(100, func() { tm.LookupPerCPU(key, out) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

func TestBatch(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		t.Run(fmt.Sprintf("fallback=%v", fallback), func(t *testing.T) {
			const n = 1000
			m := mustNew(t, &Spec{Name: "t_batch", Type: Hash, KeySize: 4, ValueSize: 8, MaxEntries: n})
			m.noBatch = fallback
			keys, vals := make([]uint32, n), make([]uint64, n)
			for i := range keys {
				keys[i], vals[i] = uint32(i), uint64(i)*3
			}
			if c, err := m.BatchUpdate(keys, vals, UpdateAny); err != nil || c != n {
				t.Fatalf("BatchUpdate = %d, %v", c, err)
			}
			got := map[uint32]uint64{}
			var c BatchCursor
			kb, vb := make([]uint32, 100), make([]uint64, 100)
			for !c.Done() {
				cnt, err := m.BatchLookup(&c, kb, vb)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < cnt; i++ {
					got[kb[i]] = vb[i]
				}
			}
			if len(got) != n || got[7] != 21 {
				t.Fatalf("BatchLookup read %d elements (7 -> %d)", len(got), got[7])
			}
			if c, err := m.BatchDelete(keys[:500]); err != nil || c != 500 {
				t.Fatalf("BatchDelete = %d, %v", c, err)
			}
			if _, err := m.BatchDelete(keys[:1]); !errors.Is(err, ErrKeyNotExist) {
				t.Fatalf("BatchDelete of missing key: %v", err)
			}
			var c2 BatchCursor
			total := 0
			for !c2.Done() {
				cnt, err := m.BatchLookupAndDelete(&c2, kb, vb)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < cnt; i++ {
					if kb[i] < 500 || vb[i] != uint64(kb[i])*3 {
						t.Fatalf("unexpected element %d=%d", kb[i], vb[i])
					}
				}
				total += cnt
			}
			if total != 500 {
				t.Fatalf("BatchLookupAndDelete read %d, want 500", total)
			}
			var k uint32
			if err := m.NextKey(nil, &k); !errors.Is(err, ErrKeyNotExist) {
				t.Fatalf("map not empty after BatchLookupAndDelete: %v", err)
			}
			if _, err := m.BatchLookup(&BatchCursor{}, make([]byte, 6), make([]byte, 16)); err == nil || !strings.Contains(err.Error(), "whole number") {
				t.Fatalf("bad keys buffer: %v", err)
			}
		})
	}
}

func TestBatchPerCPU(t *testing.T) {
	ncpu, err := PossibleCPUs()
	if err != nil {
		t.Fatal(err)
	}
	m := mustNew(t, &Spec{Name: "t_batchpc", Type: PerCPUHash, KeySize: 4, ValueSize: 8, MaxEntries: 10})
	keys := []uint32{1, 2}
	vals := make([]uint64, 2*ncpu)
	for i := range vals {
		vals[i] = uint64(i + 1)
	}
	if _, err := m.BatchUpdate(keys, vals, UpdateAny); err != nil {
		t.Fatal(err)
	}
	out := make([]uint64, ncpu)
	if err := m.LookupPerCPU(uint32(2), out); err != nil || out[0] != uint64(ncpu+1) {
		t.Fatalf("LookupPerCPU = %v, %v", out, err)
	}
}

func TestIterator(t *testing.T) {
	for _, mode := range []string{"batch", "nextkey"} {
		t.Run(mode, func(t *testing.T) {
			const n = 300
			m := mustNew(t, hashSpec("t_iter", n))
			m.noBatch = mode == "nextkey"
			for i := uint32(0); i < n; i++ {
				if err := m.Update(i, uint64(i)+1, UpdateAny); err != nil {
					t.Fatal(err)
				}
			}
			seen := map[uint32]bool{}
			var k uint32
			var v uint64
			it := m.Iterate()
			for it.Next(&k, &v) {
				if v != uint64(k)+1 || seen[k] {
					t.Fatalf("element %d=%d (seen %v)", k, v, seen[k])
				}
				seen[k] = true
				// Deleting what was just returned must not disturb iteration.
				if err := m.Delete(&k); err != nil {
					t.Fatal(err)
				}
			}
			if err := it.Err(); err != nil {
				t.Fatal(err)
			}
			if len(seen) != n {
				t.Fatalf("saw %d elements, want %d", len(seen), n)
			}
		})
	}
}

func TestIteratorConcurrentDeletes(t *testing.T) {
	const n = 2000
	m := mustNew(t, hashSpec("t_iterc", n))
	for i := uint32(0); i < n; i++ {
		m.Update(i, uint64(i), UpdateAny)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := uint32(1); i < n; i += 2 {
			m.Delete(i)
		}
	}()
	var k uint32
	var v uint64
	seen := map[uint32]bool{}
	it := m.Iterate()
	for it.Next(&k, &v) {
		if seen[k] {
			t.Fatalf("key %d returned twice", k)
		}
		seen[k] = true
	}
	wg.Wait()
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	for i := uint32(0); i < n; i += 2 {
		if !seen[i] {
			t.Fatalf("key %d, never deleted, was not returned", i)
		}
	}
}

// TestIteratorAborts drives a next-key iterator into the kernel's restart:
// each step deletes the key the iterator stands on (so the next NextKey
// starts again from the first key) and inserts a new key (so the map never
// runs dry). Such a walk never ends by itself; the iterator must stop with
// ErrIterationAborted right after returning max_entries elements.
func TestIteratorAborts(t *testing.T) {
	const n = 64
	m := mustNew(t, hashSpec("t_itera", n))
	m.noBatch = true
	for i := uint32(0); i < n; i++ {
		if err := m.Update(i, uint64(i), UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	var k uint32
	var v uint64
	it := m.Iterate()
	count := 0
	for it.Next(&k, &v) {
		count++
		if v != uint64(k) {
			t.Fatalf("element %d: key %d has value %d", count, k, v)
		}
		if err := m.Delete(k); err != nil { // the kernel restarts from the first key
			t.Fatal(err)
		}
		nk := uint32(n + count) // a key never seen before keeps the map full
		if err := m.Update(nk, uint64(nk), UpdateNoExist); err != nil {
			t.Fatal(err)
		}
		if count > 2*n {
			t.Fatal("iterator does not stop")
		}
	}
	if err := it.Err(); !errors.Is(err, ErrIterationAborted) {
		t.Fatalf("after %d elements: Err() = %v, want ErrIterationAborted", count, err)
	}
	if count != n {
		t.Errorf("aborted after %d elements, want %d (max_entries)", count, n)
	}
	if it.Next(&k, &v) {
		t.Error("Next after the abort returned an element")
	}
}

func TestQueueStack(t *testing.T) {
	for _, typ := range []Type{Queue, Stack} {
		t.Run(typ.String(), func(t *testing.T) {
			m := mustNew(t, &Spec{Name: "t_qs", Type: typ, ValueSize: 4, MaxEntries: 3})
			for i := uint32(1); i <= 3; i++ {
				if err := m.Push(i, UpdateAny); err != nil {
					t.Fatal(err)
				}
			}
			if err := m.Push(uint32(4), UpdateAny); !errors.Is(err, ErrMapFull) {
				t.Fatalf("push to full %s: %v", typ, err)
			}
			var v uint32
			if err := m.Peek(&v); err != nil {
				t.Fatal(err)
			}
			want := []uint32{1, 2, 3}
			if typ == Stack {
				want = []uint32{3, 2, 1}
			}
			if v != want[0] {
				t.Fatalf("Peek = %d, want %d", v, want[0])
			}
			for _, w := range want {
				if err := m.Pop(&v); err != nil || v != w {
					t.Fatalf("Pop = %d, %v; want %d", v, err, w)
				}
			}
			if err := m.Pop(&v); !errors.Is(err, ErrKeyNotExist) {
				t.Fatalf("Pop of empty %s: %v", typ, err)
			}
			tm, err := AsTyped[struct{}, uint32](m)
			if err != nil {
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(100, func() {
				tm.Push(7, UpdateAny)
				if x, err := tm.Pop(); err != nil || x != 7 {
					t.Fatal(x, err)
				}
				if _, err := tm.Peek(); !errors.Is(err, ErrKeyNotExist) {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Fatalf("%v allocations", allocs)
			}
		})
	}
}

func TestBloomFilter(t *testing.T) {
	m := mustNew(t, &Spec{Name: "t_bloom", Type: BloomFilter, ValueSize: 8, MaxEntries: 100, MapExtra: 3})
	if err := m.Push(uint64(42), UpdateAny); err != nil {
		t.Fatal(err)
	}
	if err := m.Peek(uint64(42)); err != nil {
		t.Fatalf("42 should be in the filter: %v", err)
	}
	if err := m.Peek(uint64(43)); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("43 should not be: %v", err)
	}
}

func TestLPMTrie(t *testing.T) {
	type lpmKey struct {
		Prefix uint32
		Addr   [4]byte
	}
	m := mustNew(t, &Spec{Name: "t_lpm", Type: LPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 8, Flags: FlagNoPrealloc})
	if err := m.Update(lpmKey{8, [4]byte{10}}, uint32(1), UpdateAny); err != nil {
		t.Fatal(err)
	}
	if err := m.Update(lpmKey{24, [4]byte{10, 1, 2}}, uint32(2), UpdateAny); err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[[4]byte]uint32{{10, 1, 2, 3}: 2, {10, 9, 9, 9}: 1} {
		var v uint32
		if err := m.Lookup(lpmKey{32, addr}, &v); err != nil || v != want {
			t.Fatalf("lookup %v = %d, %v; want %d", addr, v, err, want)
		}
	}
	var v uint32
	if err := m.Lookup(lpmKey{32, [4]byte{11}}, &v); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("lookup outside prefixes: %v", err)
	}
}

func TestMapInMap(t *testing.T) {
	inner := &Spec{Name: "inner", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 2}
	for _, typ := range []Type{ArrayOfMaps, HashOfMaps} {
		t.Run(typ.String(), func(t *testing.T) {
			in := mustNew(t, inner)
			outer := mustNew(t, &Spec{Name: "t_outer", Type: typ, KeySize: 4, ValueSize: 4, MaxEntries: 2, InnerMap: inner,
				Contents: []KV{{uint32(0), in}}})
			var id uint32
			if err := outer.Lookup(uint32(0), &id); err != nil {
				t.Fatal(err)
			}
			if want := in.ID(); ID(id) != want {
				t.Fatalf("inner id %d, want %d", id, want)
			}
			bad := mustNew(t, hashSpec("t_notinner", 2))
			if err := outer.Update(uint32(1), bad, UpdateAny); !errors.Is(err, unix.EINVAL) {
				t.Fatalf("storing an incompatible inner map: %v", err)
			}
		})
	}
}

// TestTypes creates every common map type and checks Info round-trips.
func TestTypes(t *testing.T) {
	testenv.RequirePrivileged(t)
	ncpu, err := PossibleCPUs()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []Spec{
		{Type: Hash, KeySize: 4, ValueSize: 8, MaxEntries: 4},
		{Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 4},
		{Type: PerCPUHash, KeySize: 4, ValueSize: 8, MaxEntries: 4},
		{Type: PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 4},
		{Type: LRUHash, KeySize: 4, ValueSize: 8, MaxEntries: 4},
		{Type: LRUPerCPUHash, KeySize: 4, ValueSize: 8, MaxEntries: 4},
		{Type: LPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 4, Flags: FlagNoPrealloc},
		{Type: ProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 4},
		{Type: ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 4, InnerMap: &Spec{Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1}},
		{Type: HashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 4, InnerMap: &Spec{Type: Hash, KeySize: 4, ValueSize: 4, MaxEntries: 1}},
		{Type: RingBuf, MaxEntries: 4096},
		{Type: PerfEventArray, KeySize: 4, ValueSize: 4},
		{Type: Queue, ValueSize: 8, MaxEntries: 4},
		{Type: Stack, ValueSize: 8, MaxEntries: 4},
		{Type: DevMap, KeySize: 4, ValueSize: 4, MaxEntries: 4},
		{Type: DevMapHash, KeySize: 4, ValueSize: 4, MaxEntries: 4},
		{Type: CPUMap, KeySize: 4, ValueSize: 4, MaxEntries: 2},
		{Type: XSKMap, KeySize: 4, ValueSize: 4, MaxEntries: 4},
		{Type: SockMap, KeySize: 4, ValueSize: 4, MaxEntries: 4},
		{Type: SockHash, KeySize: 4, ValueSize: 4, MaxEntries: 4},
		{Type: BloomFilter, ValueSize: 8, MaxEntries: 4},
	} {
		t.Run(s.Type.String(), func(t *testing.T) {
			s.Name = "t_" + s.Type.String()
			m := mustNew(t, &s)
			info, err := m.Info()
			if err != nil {
				t.Fatal(err)
			}
			wantMax := s.MaxEntries
			if s.Type == PerfEventArray {
				wantMax = uint32(ncpu)
			}
			if info.Type != s.Type || info.KeySize != s.KeySize || info.ValueSize != s.ValueSize ||
				info.MaxEntries != wantMax || info.Flags&^kernelAddedFlags(s.Type) != s.Flags ||
				info.Name != s.Name[:min(len(s.Name), 15)] || info.ID == 0 {
				t.Fatalf("info %+v for spec %+v", info, s)
			}
		})
	}
}

// TestPerfEventArrayDefaults: key and value sizes of 0 (old objects'
// "maps" sections declare perf event arrays so) are created as 4 and 4.
func TestPerfEventArrayDefaults(t *testing.T) {
	testenv.RequirePrivileged(t)
	m := mustNew(t, &Spec{Name: "t_perf_zero", Type: PerfEventArray})
	info, err := m.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.KeySize != 4 || info.ValueSize != 4 {
		t.Fatalf("key/value size %d/%d, want 4/4", info.KeySize, info.ValueSize)
	}
}

func TestDevMapCPUMapValues(t *testing.T) {
	// A devmap entry needs an existing ifindex; loopback of a fresh netns
	// is not required: ifindex 1 is always lo in the test's namespace.
	dm := mustNew(t, &Spec{Name: "t_devmap", Type: DevMap, KeySize: 4, ValueSize: 4, MaxEntries: 2})
	if err := dm.Update(uint32(0), uint32(1), UpdateAny); err != nil {
		t.Fatal(err)
	}
	var ifindex uint32
	if err := dm.Lookup(uint32(0), &ifindex); err != nil || ifindex != 1 {
		t.Fatalf("devmap lookup = %d, %v", ifindex, err)
	}
	cm := mustNew(t, &Spec{Name: "t_cpumap", Type: CPUMap, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err := cm.Update(uint32(0), uint32(64), UpdateAny); err != nil { // queue size
		t.Fatal(err)
	}
	var qsize uint32
	if err := cm.Lookup(uint32(0), &qsize); err != nil || qsize != 64 {
		t.Fatalf("cpumap lookup = %d, %v", qsize, err)
	}
}

func TestInfoIDsCloneFreeze(t *testing.T) {
	m := mustNew(t, hashSpec("t_info", 4))
	id := m.ID()
	info, err := m.Info()
	if err != nil || info.ID != id || id == 0 {
		t.Fatalf("ID() = %d, Info() = %+v, %v", id, info, err)
	}
	ids, err := IDs()
	if err != nil || !slices.Contains(ids, id) {
		t.Fatalf("IDs() = %d ids, %v; missing %d", len(ids), err, id)
	}
	byID, err := FromID(id)
	if err != nil {
		t.Fatal(err)
	}
	defer byID.Close()
	if byID.Name() != "t_info" || byID.KeySize() != 4 || byID.Type() != Hash {
		t.Fatalf("FromID: %v", byID)
	}
	if err := m.Update(uint32(1), uint64(2), UpdateAny); err != nil {
		t.Fatal(err)
	}
	var v uint64
	if err := byID.Lookup(uint32(1), &v); err != nil || v != 2 {
		t.Fatalf("lookup through FromID: %d, %v", v, err)
	}
	c, err := m.Clone()
	if err != nil {
		t.Fatal(err)
	}
	if c.FD() == m.FD() {
		t.Fatal("clone shares the descriptor")
	}
	c.Close()
	if err := c.Lookup(uint32(1), &v); !errors.Is(err, ErrClosed) {
		t.Fatalf("lookup on closed clone: %v", err)
	}
	if err := m.Lookup(uint32(1), &v); err != nil {
		t.Fatalf("closing a clone closed the original: %v", err)
	}
	if err := m.Close(); err != nil || m.Close() != nil {
		t.Fatal("Close must be idempotent")
	}
	if err := byID.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := byID.Update(uint32(1), uint64(3), UpdateAny); !errors.Is(err, unix.EPERM) {
		t.Fatalf("update of frozen map: %v", err)
	}
	if _, err := FromID(0xfffffff0); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("FromID of missing id: %v", err)
	}
}

// bpffs mounts a private bpffs for pinning tests.
func bpffs(t *testing.T) string {
	t.Helper()
	testenv.RequirePrivileged(t)
	dir := t.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, ""); err != nil {
		testenv.Skip(t, "cannot mount bpffs: "+err.Error())
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

func TestPinning(t *testing.T) {
	dir := bpffs(t)
	spec := &Spec{Name: "t_pinned", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 2, Pinning: PinByName, PinPath: dir}
	m1 := mustNew(t, spec)
	path := filepath.Join(dir, "t_pinned")
	if m1.PinnedPath() != path {
		t.Fatalf("pinned at %q", m1.PinnedPath())
	}
	if err := m1.Update(uint32(1), uint64(77), UpdateAny); err != nil {
		t.Fatal(err)
	}
	// A second New reuses the pinned map.
	m2 := mustNew(t, spec)
	var v uint64
	if err := m2.Lookup(uint32(1), &v); err != nil || v != 77 {
		t.Fatalf("reused map: %d, %v", v, err)
	}
	m3, err := LoadPinned(path)
	if err != nil {
		t.Fatal(err)
	}
	defer m3.Close()
	if m3.Name() != "t_pinned" || m3.MaxEntries() != 2 {
		t.Fatalf("LoadPinned: %v", m3)
	}
	// An incompatible spec is refused with the differences.
	bad := *spec
	bad.MaxEntries = 3
	if _, err := New(&bad); err == nil || !strings.Contains(err.Error(), "max_entries 2, spec 3") {
		t.Fatalf("incompatible pinned map: %v", err)
	}
	if err := m1.Unpin(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pin still exists: %v", err)
	}
	if _, err := LoadPinned(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("LoadPinned after Unpin: %v", err)
	}
	if err := m3.Pin(filepath.Join(dir, "again")); err != nil {
		t.Fatal(err)
	}
	if err := m3.Pin(filepath.Join(dir, "again")); !errors.Is(err, os.ErrExist) {
		t.Fatalf("pin over existing: %v", err)
	}
}

func TestParseCPUList(t *testing.T) {
	for in, want := range map[string]int{"0": 1, "0-1": 2, "0-3,5": 6, "0,2-7": 8} {
		if got, err := parseCPUList(in); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "a", "3-1", "-1"} {
		if _, err := parseCPUList(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestMemoryLockedAndFrozen(t *testing.T) {
	m := mustNew(t, &Spec{Name: "t_memlock", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 16})
	mem, err := m.MemoryLocked()
	if err != nil || mem == 0 {
		t.Fatalf("memlock %d, %v", mem, err)
	}
	if frozen, err := m.Frozen(); err != nil || frozen {
		t.Fatalf("frozen %v, %v before Freeze", frozen, err)
	}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if frozen, err := m.Frozen(); err != nil || !frozen {
		t.Fatalf("frozen %v, %v after Freeze", frozen, err)
	}
	for typ, want := range map[Type]bool{PerCPUArray: true, PerCPUHash: true, LRUPerCPUHash: true, Hash: false, Array: false, RingBuf: false} {
		if typ.PerCPU() != want {
			t.Errorf("%v.PerCPU() = %v", typ, !want)
		}
	}
}
