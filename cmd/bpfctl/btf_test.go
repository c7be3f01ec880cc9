package main

import (
	"encoding/binary"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/bpftest"
	pbtf "github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/elf"
	ib "github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
)

// btfMaps creates maps whose keys and values have BTF types of every
// kind bpftool formats, with known contents, and returns their ids and a
// key of each (as bpfctl/bpftool words).
func btfMaps(t *testing.T) (ids []string, keys [][]string) {
	t.Helper()
	bpftest.RequirePrivileged(t)
	b := ib.NewBuilder()
	u32 := b.Int("unsigned int", 4, 0, 32)
	s32 := b.Int("int", 4, ib.IntSigned, 32)
	char := b.Int("char", 1, ib.IntSigned, 8)
	u8 := b.Int("unsigned char", 1, 0, 8)
	s16 := b.Int("short", 2, ib.IntSigned, 16)
	s64 := b.Int("long long int", 8, ib.IntSigned, 64)
	u64 := b.Int("long long unsigned int", 8, 0, 64)
	boolT := b.Int("_Bool", 1, ib.IntBool, 8)
	u128 := b.Int("unsigned __int128", 16, 0, 128)
	cchar := b.Int("signed char", 1, ib.IntChar, 8)
	color := b.Enum("color", 4, false, ib.BuilderEnumValue{Name: "RED"}, ib.BuilderEnumValue{Name: "GREEN", Value: 1}, ib.BuilderEnumValue{Name: "BLUE", Value: 7})
	big := b.Enum("big", 8, false, ib.BuilderEnumValue{Name: "HUGE", Value: 1 << 40})
	ptr := b.Ref(ib.KindPointer, "", u32)
	u32t := b.Ref(ib.KindTypedef, "__u32", u32)
	cu32 := b.Ref(ib.KindConst, "", u32t)
	union := b.Struct(true, "word", 4, ib.BuilderMember{Name: "a", Type: u32}, ib.BuilderMember{Name: "b", Type: b.Array(u8, u32, 4)})
	anon := b.Struct(false, "", 4, ib.BuilderMember{Name: "x", Type: u32})
	key := b.Struct(false, "key", 12, ib.BuilderMember{Name: "name", Type: b.Array(char, u32, 8)}, ib.BuilderMember{Name: "id", Type: u32, BitOff: 64})
	value := b.Struct(false, "val", 88,
		ib.BuilderMember{Name: "s", Type: s32},
		ib.BuilderMember{Name: "h", Type: s16, BitOff: 32},
		ib.BuilderMember{Name: "flag", Type: boolT, BitOff: 48},
		ib.BuilderMember{Name: "c", Type: u8, BitOff: 56},
		ib.BuilderMember{Name: "e", Type: color, BitOff: 64},
		ib.BuilderMember{Name: "t", Type: cu32, BitOff: 96},
		ib.BuilderMember{Name: "p", Type: ptr, BitOff: 128},
		ib.BuilderMember{Name: "bf_a", Type: u32, BitOff: 192, Bits: 3},
		ib.BuilderMember{Name: "bf_b", Type: u32, BitOff: 195, Bits: 5},
		ib.BuilderMember{Name: "bf_c", Type: u32, BitOff: 200, Bits: 24},
		ib.BuilderMember{Name: "w", Type: union, BitOff: 224},
		ib.BuilderMember{Name: "wide", Type: u128, BitOff: 256},
		ib.BuilderMember{Name: "neg", Type: s64, BitOff: 384},
		ib.BuilderMember{Name: "tag", Type: b.Array(char, u32, 8), BitOff: 448},
		ib.BuilderMember{Name: "raw", Type: b.Array(u8, u32, 4), BitOff: 512},
		ib.BuilderMember{Name: "notstr", Type: b.Array(char, u32, 4), BitOff: 544},
		ib.BuilderMember{Name: "", Type: anon, BitOff: 576},
		ib.BuilderMember{Name: "cc", Type: cchar, BitOff: 608},
		ib.BuilderMember{Name: "cc2", Type: cchar, BitOff: 616},
		ib.BuilderMember{Name: "e64", Type: big, BitOff: 640},
	)
	small := b.Struct(false, "pair", 16, ib.BuilderMember{Name: "lo", Type: u64}, ib.BuilderMember{Name: "hi", Type: s64, BitOff: 64})
	data := b.Datasec(".data", 12,
		ib.BuilderVar{Var: b.Var("counter", s32), Offset: 0, Size: 4},
		ib.BuilderVar{Var: b.Var("label", b.Array(char, u32, 8)), Offset: 4, Size: 8})
	types, err := pbtf.Parse(b.Bytes())
	if err != nil {
		t.Fatalf("BTF: %v", err)
	}

	sfx := strconv.FormatUint(uint64(rand.Uint32()), 36)
	mk := func(s *maps.Spec, k, v uint32) *maps.Map {
		t.Helper()
		s.Name += sfx
		s.BTF, s.KeyType, s.ValueType = types, pbtf.TypeID(k), pbtf.TypeID(v)
		m, err := maps.New(s)
		if err != nil {
			t.Fatalf("create %s: %v", s.Name, err)
		}
		t.Cleanup(func() { m.Close() })
		ids = append(ids, itoa(m.ID()))
		return m
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// A hash of struct key to struct val.
	h := mk(&maps.Spec{Name: "bh_", Type: maps.Hash, KeySize: 12, ValueSize: 88, MaxEntries: 4}, uint32(key), uint32(value))
	ne := binary.NativeEndian
	for i, name := range []string{"eth0", "lo"} {
		k := make([]byte, 12)
		copy(k, name)
		ne.PutUint32(k[8:], uint32(i+1))
		v := make([]byte, 88)
		ne.PutUint32(v, uint32(int32(-5-i)))
		ne.PutUint16(v[4:], uint16(0x8000))
		v[6] = byte(i)
		v[7] = 200
		ne.PutUint32(v[8:], []uint32{7, 3}[i]) // BLUE, then no name
		ne.PutUint32(v[12:], 0xdeadbeef)
		ne.PutUint64(v[16:], []uint64{0, 0xffff888012345678}[i])
		ne.PutUint32(v[24:], 5|17<<3|0xabcdef<<8)
		ne.PutUint32(v[28:], 0x01020304)
		ne.PutUint64(v[32:], 0x1122334455667788)
		ne.PutUint64(v[40:], uint64(i)*0x99)
		ne.PutUint64(v[48:], uint64(0x8000000000000000))
		copy(v[56:], []string{`a"b\c`, "fullfull"}[i])
		copy(v[64:], []byte{1, 2, 3, 4})
		copy(v[68:], []byte{1, 'x', 0, 0})
		ne.PutUint32(v[72:], 42)
		v[76], v[77] = 'Q', 0x07
		ne.PutUint64(v[80:], []uint64{1 << 40, 5}[i])
		must(h.Update(k, v, maps.UpdateAny))
		if i == 0 {
			words := []string{}
			for _, c := range k {
				words = append(words, strconv.Itoa(int(c)))
			}
			keys = append(keys, words)
		}
	}

	// A per-CPU hash of a typedef'd key (no struct) to a small struct.
	pc := mk(&maps.Spec{Name: "bpc_", Type: maps.PerCPUHash, KeySize: 4, ValueSize: 16, MaxEntries: 4}, uint32(u32t), uint32(small))
	cpus, err := maps.PossibleCPUs()
	must(err)
	vals := make([]byte, 16*cpus)
	for i := range cpus {
		ne.PutUint64(vals[16*i:], uint64(i+1))
		ne.PutUint64(vals[16*i+8:], uint64(int64(-i)))
	}
	must(pc.UpdatePerCPU(uint32(3), vals, maps.UpdateAny))
	keys = append(keys, []string{"3", "0", "0", "0"})

	// An array whose value is a datasec, as global data maps have.
	a := mk(&maps.Spec{Name: "bd_", Type: maps.Array, KeySize: 4, ValueSize: 12, MaxEntries: 1}, uint32(u32), uint32(data))
	v := make([]byte, 12)
	ne.PutUint32(v, uint32(0xffffffff))
	copy(v[4:], "hello")
	must(a.Update(uint32(0), v, maps.UpdateAny))
	keys = append(keys, []string{"0", "0", "0", "0"})

	// An empty hash with BTF.
	mk(&maps.Spec{Name: "be_", Type: maps.Hash, KeySize: 4, ValueSize: 12, MaxEntries: 1}, uint32(u32), uint32(key))
	keys = append(keys, nil)
	return ids, keys
}

// TestMapBTFMatchesBpftool compares bpfctl's dumps and lookups of maps
// with BTF with bpftool's, byte for byte in plain text and as parsed JSON.
// One deliberate difference: bpftool's JSON writer prints a backslash in a
// string as "\n" (a newline); bpfctl escapes it as "\\".
func TestMapBTFMatchesBpftool(t *testing.T) {
	ids, keys := btfMaps(t)
	testenv.RequireTool(t, "bpftool")
	for i, id := range ids {
		t.Run(id, func(t *testing.T) {
			cmds := [][]string{{"dump", id}}
			if keys[i] != nil {
				cmds = append(cmds, append([]string{"lookup", id, "key"}, keys[i]...))
			}
			for _, cmd := range cmds {
				bt := append([]string{"map", cmd[0], "id"}, cmd[1:]...)
				want := strings.ReplaceAll(tool(t, "bpftool", bt...), `"a\"b\nc"`, `"a\"b\\c"`)
				got := mustBpfctl(t, append([]string{"map"}, cmd...)...)
				if got != want {
					t.Errorf("map %s:\n got %s\nwant %s", strings.Join(cmd, " "), got, want)
				}
				var bj, cj any
				unmarshal(t, strings.ReplaceAll(tool(t, "bpftool", append([]string{"-j"}, bt...)...), `"a\"b\nc"`, `"a\"b\\c"`), &bj)
				unmarshal(t, mustBpfctl(t, append(append([]string{"map"}, cmd...), "--json")...), &cj)
				if !reflect.DeepEqual(bj, cj) {
					t.Errorf("map %s --json:\n got %v\nwant %v", strings.Join(cmd, " "), cj, bj)
				}
			}
		})
	}
}

// TestMapBTFFormatted checks bpfctl's BTF output without bpftool: the
// plain layout, the "formatted" member of --json, and hex for maps
// without BTF.
func TestMapBTFFormatted(t *testing.T) {
	ids, keys := btfMaps(t)
	lookup := append([]string{"map", "lookup", ids[0], "key"}, keys[0]...)
	want := "{\n    \"key\": {\n        \"name\": \"eth0\",\n        \"id\": 1\n    },\n    \"value\": {\n        \"s\": -5,\n"
	if got := mustBpfctl(t, lookup...); !strings.HasPrefix(got, want) || !strings.Contains(got, "\n        \"e\": \"BLUE\",\n") ||
		!strings.Contains(got, "\"p\": (nil),") || !strings.Contains(got, "\"bf_c\": 0xabcdef,") || !strings.HasSuffix(got, "\"e64\": \"HUGE\"\n    }\n}\n") {
		t.Errorf("lookup:\n%s", got)
	}
	var e struct {
		Key       hexJSON
		Formatted struct {
			Key   struct{ Name string }
			Value map[string]any
		}
	}
	unmarshal(t, mustBpfctl(t, append(lookup, "--json")...), &e)
	if len(e.Key) != 12 || e.Formatted.Key.Name != "eth0" || e.Formatted.Value["bf_c"] != "0xabcdef" || e.Formatted.Value["p"] != float64(0) ||
		e.Formatted.Value["tag"] != `a"b\c` || e.Formatted.Value["w"].(map[string]any)["a"] != float64(0x01020304) {
		t.Errorf("lookup --json: %+v", e)
	}
	// Per-CPU: one value per CPU.
	var pc []struct {
		Formatted struct {
			Key    uint32
			Values []struct {
				CPU   int
				Value struct{ Lo, Hi int64 }
			}
		}
	}
	unmarshal(t, mustBpfctl(t, "map", "dump", ids[1], "--json"), &pc)
	cpus, err := maps.PossibleCPUs()
	if err != nil {
		t.Fatal(err)
	}
	if len(pc) != 1 || pc[0].Formatted.Key != 3 || len(pc[0].Formatted.Values) != cpus || pc[0].Formatted.Values[cpus-1].Value.Lo != int64(cpus) ||
		pc[0].Formatted.Values[cpus-1].Value.Hi != int64(1-cpus) {
		t.Errorf("per-CPU dump: %+v", pc)
	}
	if got := mustBpfctl(t, "map", "dump", ids[2]); got != "[{\n        \"key\": 0,\n        \"value\": {\n            \".data\": [{\n                    \"counter\": -1\n                },{\n                    \"label\": \"hello\"\n                }\n            ]\n        }\n    }\n]\n" {
		t.Errorf("datasec dump:\n%s", got)
	}
	if got := mustBpfctl(t, "map", "dump", ids[3]); got != "[]\n" {
		t.Errorf("empty dump: %q", got)
	}
}

// TestMapBTFObjectsMatchBpftool dumps the BTF maps of example objects
// created by NewCollection, as bpftool does.
func TestMapBTFObjectsMatchBpftool(t *testing.T) {
	bpftest.RequirePrivileged(t)
	testenv.RequireTool(t, "bpftool")
	for _, obj := range []string{"xdp1/bpf/xdp1.o", "layercoop/bpf/layercoop.o"} {
		t.Run(obj, func(t *testing.T) {
			spec, err := elf.OpenWithOptions(filepath.Join(objDir, obj), elf.Options{DefaultType: bpf.XDP})
			if err != nil {
				t.Fatal(err)
			}
			if p, ok := spec.Programs["layercoop_tx"]; ok {
				p.Type = bpf.SchedCLS
			}
			for _, m := range spec.Maps {
				m.Pinning = maps.PinNone
			}
			coll, err := bpf.NewCollection(spec)
			if err != nil {
				t.Fatal(err)
			}
			defer coll.Close()
			for name, m := range coll.Maps {
				info, err := m.Info()
				if err != nil || info.ValueType == 0 {
					t.Fatalf("map %s: %+v, %v: want BTF", name, info, err)
				}
				k, v := make([]byte, m.KeySize()), make([]byte, m.ValueSize())
				k[0] = 9
				v[0] = 42
				if m.Type().PerCPU() {
					cpus, cerr := maps.PossibleCPUs()
					if cerr != nil {
						t.Fatal(cerr)
					}
					v = make([]byte, cpus*((len(v)+7)&^7))
					v[0] = 42
					err = m.UpdatePerCPU(k, v, maps.UpdateAny)
				} else {
					err = m.Update(k, v, maps.UpdateAny)
				}
				if err != nil {
					t.Fatal(err)
				}
				id := itoa(info.ID)
				keyWords := []string{"key"}
				for _, c := range k {
					keyWords = append(keyWords, strconv.Itoa(int(c)))
				}
				for _, cmd := range [][]string{{"dump", id}, append([]string{"lookup", id}, keyWords...)} {
					bt := append([]string{"map", cmd[0], "id"}, cmd[1:]...)
					got := mustBpfctl(t, append([]string{"map"}, cmd...)...)
					if want := tool(t, "bpftool", bt...); got != want {
						t.Errorf("map %s (%s):\n got %s\nwant %s", strings.Join(cmd, " "), name, got, want)
					}
					if !strings.Contains(got, `"key": 9`) && !strings.Contains(got, `"saddr": 9`) {
						t.Errorf("map %s (%s): key not formatted:\n%s", strings.Join(cmd, " "), name, got)
					}
					var bj, cj any
					unmarshal(t, tool(t, "bpftool", append([]string{"-j"}, bt...)...), &bj)
					unmarshal(t, mustBpfctl(t, append(append([]string{"map"}, cmd...), "--json")...), &cj)
					if !reflect.DeepEqual(bj, cj) {
						t.Errorf("map %s --json (%s):\n got %v\nwant %v", strings.Join(cmd, " "), name, cj, bj)
					}
				}
			}
		})
	}
}
