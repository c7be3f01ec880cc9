package maps

import (
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/testenv"
)

func mustNew(t testing.TB, spec *Spec) *Map {
	t.Helper()
	testenv.RequirePrivileged(t)
	m, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func hashSpec(name string, max uint32) *Spec {
	return &Spec{Name: name, Type: Hash, KeySize: 4, ValueSize: 8, MaxEntries: max}
}

func TestHashLookupUpdateDelete(t *testing.T) {
	m := mustNew(t, hashSpec("t_hash", 4))
	k, v := uint32(1), uint64(42)
	if err := m.Update(&k, &v, UpdateAny); err != nil {
		t.Fatal(err)
	}
	var got uint64
	if err := m.Lookup(&k, &got); err != nil || got != 42 {
		t.Fatalf("Lookup = %d, %v; want 42", got, err)
	}
	// Values, []byte and pointers to arrays are all accepted.
	if err := m.Update(uint32(2), uint64(7), UpdateNoExist); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if err := m.Lookup([]byte{2, 0, 0, 0}, buf); err != nil || buf[0] != 7 {
		t.Fatalf("Lookup []byte = %v, %v", buf, err)
	}
	var arr [8]byte
	if err := m.Lookup([4]byte{2}, &arr); err != nil || arr[0] != 7 {
		t.Fatalf("Lookup *[8]byte = %v, %v", arr, err)
	}
	type val struct{ A, B uint32 }
	var sv val
	if err := m.Lookup(&k, &sv); err != nil || sv.A != 42 {
		t.Fatalf("Lookup *struct = %+v, %v", sv, err)
	}
	// Update flags.
	err := m.Update(&k, &v, UpdateNoExist)
	if !errors.Is(err, ErrKeyExist) || !errors.Is(err, unix.EEXIST) {
		t.Fatalf("UpdateNoExist on existing key: %v", err)
	}
	missing := uint32(99)
	if err := m.Update(&missing, &v, UpdateExist); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("UpdateExist on missing key: %v", err)
	}
	// Delete and misses.
	if err := m.Delete(&k); err != nil {
		t.Fatal(err)
	}
	err = m.Lookup(&k, &got)
	if !errors.Is(err, ErrKeyNotExist) || !errors.Is(err, os.ErrNotExist) || !errors.Is(err, unix.ENOENT) {
		t.Fatalf("Lookup of deleted key: %v", err)
	}
	if !strings.Contains(err.Error(), "map t_hash: lookup") {
		t.Fatalf("error %q does not name the map and operation", err)
	}
	if err := m.Delete(&k); !errors.Is(err, ErrKeyNotExist) {
		t.Fatalf("Delete of missing key: %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	m := mustNew(t, hashSpec("t_usage", 2))
	var v uint64
	var k16 uint16
	var ptrs struct{ P *int }
	for name, tc := range map[string]struct {
		call func() error
		want string
	}{
		"short key":       {func() error { return m.Lookup(&k16, &v) }, "key is 2 bytes, map needs 4"},
		"long value":      {func() error { return m.Lookup(uint32(1), make([]byte, 9)) }, "value is 9 bytes, map needs 8"},
		"value not ptr":   {func() error { return m.Lookup(uint32(1), v) }, "output must be a pointer"},
		"nil key":         {func() error { return m.Lookup(nil, &v) }, "nil key"},
		"pointer in type": {func() error { return m.Update(uint32(1), &ptrs, UpdateAny) }, "contains a Go pointer"},
		"per-CPU on hash": {func() error { return m.LookupPerCPU(uint32(1), make([]uint64, 2)) }, "per-CPU values on a hash map"},
	} {
		err := tc.call()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "map t_usage") {
			t.Errorf("%s: error %v, want it to contain %q", name, err, tc.want)
		}
	}
}

func TestMapFull(t *testing.T) {
	m := mustNew(t, hashSpec("t_full", 2))
	for k := uint32(0); k < 2; k++ {
		if err := m.Update(k, uint64(k), UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	err := m.Update(uint32(3), uint64(3), UpdateAny)
	if !errors.Is(err, ErrMapFull) || !strings.Contains(err.Error(), "max_entries 2") {
		t.Fatalf("update of a full map: %v", err)
	}
	// Replacing an existing key still works.
	if err := m.Update(uint32(1), uint64(9), UpdateAny); err != nil {
		t.Fatal(err)
	}
	arr := mustNew(t, &Spec{Name: "t_arr", Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 2})
	err = arr.Update(uint32(2), uint32(1), UpdateAny)
	if !errors.Is(err, ErrKeyNotExist) || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("array update out of range: %v", err)
	}
}

func TestCreateErrors(t *testing.T) {
	testenv.RequirePrivileged(t)
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{Name: "a", Type: Hash, KeySize: 0, ValueSize: 8, MaxEntries: 1}, "key size > 0, spec has 0"},
		{Spec{Name: "b", Type: Array, KeySize: 8, ValueSize: 8, MaxEntries: 1}, "key size == 4"},
		{Spec{Name: "c", Type: Hash, KeySize: 4, ValueSize: 8}, "max_entries > 0"},
		{Spec{Name: "d", Type: LPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 1}, "FlagNoPrealloc"},
		{Spec{Name: "e", Type: RingBuf, MaxEntries: 1000}, "power of two"},
		{Spec{Name: "f", Type: HashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 1}, "InnerMap"},
		{Spec{Name: "g", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 1, Flags: FlagNoCommonLRU}, "flags 0x2 may not apply to array"},
		{Spec{Name: "h", Type: Hash, KeySize: 4, ValueSize: 1 << 30, MaxEntries: 1}, "exceeds the kernel's limit"},
		{Spec{Name: "i", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 1, Pinning: PinByName}, "PinByName needs PinPath"},
		{Spec{Name: "j", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 1, Pinning: PinUnknown, PinValue: 16}, "unknown pinning value 16"},
		{Spec{Name: "k", Type: Array, KeySize: 4, ValueSize: 8, MaxEntries: 1, Pinning: PinType(7)}, "unknown pin type PinType(7)"},
	} {
		m, err := New(&tc.spec)
		if err == nil {
			m.Close()
			t.Errorf("%s: no error", tc.spec.Name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "create map "+tc.spec.Name) {
			t.Errorf("%s: %v, want %q", tc.spec.Name, err, tc.want)
		}
		// The types exist: a bad attribute is not a missing feature.
		if errors.Is(err, features.ErrNotSupported) {
			t.Errorf("%s: %v matches ErrNotSupported", tc.spec.Name, err)
		}
	}
	// A type the kernel does not know is: the error names it.
	_, err := New(&Spec{Name: "z", Type: Type(250), KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if !errors.Is(err, features.ErrNotSupported) || !strings.Contains(err.Error(), "create map z") {
		t.Errorf("map of unknown type 250: %v, want ErrNotSupported naming the map", err)
	}
	t.Logf("unknown type: %v", err)
}

func TestAllocations(t *testing.T) {
	m := mustNew(t, hashSpec("t_allocs", 4))
	hit, miss, v := uint32(1), uint32(2), uint64(5)
	if err := m.Update(&hit, &v, UpdateAny); err != nil {
		t.Fatal(err)
	}
	type key struct{ K uint32 }
	type val struct{ V uint64 }
	kb, vb := []byte{1, 0, 0, 0}, make([]byte, 8)
	for name, f := range map[string]func(){
		"lookup hit": func() {
			var out uint64
			if err := m.Lookup(&hit, &out); err != nil {
				t.Fatal(err)
			}
		},
		"lookup miss": func() {
			var out uint64
			if err := m.Lookup(&miss, &out); !errors.Is(err, ErrKeyNotExist) {
				t.Fatal(err)
			}
		},
		"lookup struct": func() {
			k := key{1}
			var out val
			if err := m.Lookup(&k, &out); err != nil {
				t.Fatal(err)
			}
		},
		"lookup bytes": func() {
			if err := m.Lookup(kb, vb); err != nil {
				t.Fatal(err)
			}
		},
		"update": func() {
			k, val := uint32(3), uint64(9)
			if err := m.Update(&k, &val, UpdateAny); err != nil {
				t.Fatal(err)
			}
		},
		"delete hit and miss": func() {
			k := uint32(3)
			m.Delete(&k)
			if err := m.Delete(&k); !errors.Is(err, ErrKeyNotExist) {
				t.Fatal(err)
			}
		},
	} {
		if n := testing.AllocsPerRun(200, f); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
}

func TestConcurrentUpdates(t *testing.T) {
	m := mustNew(t, hashSpec("t_conc", 64))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				k, v := uint32(i%64), uint64(g)
				if err := m.Update(&k, &v, UpdateAny); err != nil {
					t.Error(err)
					return
				}
				var out uint64
				if err := m.Lookup(&k, &out); err != nil && !errors.Is(err, ErrKeyNotExist) {
					t.Error(err)
					return
				}
				if out >= 8 {
					t.Errorf("torn value %d", out)
					return
				}
				if i%7 == 0 {
					m.Delete(&k)
				}
			}
		}()
	}
	wg.Wait()
}
