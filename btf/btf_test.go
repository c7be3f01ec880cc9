package btf

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	ib "github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/internal/testenv"
)

// testTypes builds BTF with one type of each formatted kind.
type testTypes struct {
	raw                                                               []byte
	u32, s8, s16, s64, u64, boolT, char, cchar, u128, u24, f32, f64   TypeID
	color, big, ptr, u32t, cu32, str8, u8x3, empty, bits, union, dsec TypeID
	fwd, ustr                                                         TypeID
}

func newTestTypes() *testTypes {
	b := ib.NewBuilder()
	tt := &testTypes{}
	id := func(i ib.TypeID) TypeID { return TypeID(i) }
	tt.u32 = id(b.Int("unsigned int", 4, 0, 32))
	tt.s8 = id(b.Int("signed char", 1, ib.IntSigned, 8))
	tt.s16 = id(b.Int("short", 2, ib.IntSigned, 16))
	tt.s64 = id(b.Int("long", 8, ib.IntSigned, 64))
	tt.u64 = id(b.Int("unsigned long", 8, 0, 64))
	tt.boolT = id(b.Int("_Bool", 1, ib.IntBool, 8))
	tt.char = id(b.Int("char", 1, ib.IntSigned, 8))
	tt.cchar = id(b.Int("ch", 1, ib.IntChar, 8))
	tt.u128 = id(b.Int("__u128", 16, 0, 128))
	tt.u24 = id(b.Int("u24", 4, 0, 24))
	tt.f32 = id(b.Raw(ib.KindFloat, "float", 0, false, 4))
	tt.f64 = id(b.Raw(ib.KindFloat, "double", 0, false, 8))
	tt.color = id(b.Enum("color", 4, true, ib.BuilderEnumValue{Name: "RED", Value: -1}, ib.BuilderEnumValue{Name: "BLUE", Value: 7}))
	tt.big = id(b.Enum("big", 8, false, ib.BuilderEnumValue{Name: "HUGE", Value: 1 << 40}))
	tt.ptr = id(b.Ref(ib.KindPointer, "", ib.TypeID(tt.u32)))
	tt.u32t = id(b.Ref(ib.KindTypedef, "__u32", ib.TypeID(tt.u32)))
	tt.cu32 = id(b.Ref(ib.KindConst, "", ib.TypeID(tt.u32t)))
	tt.str8 = id(b.Array(ib.TypeID(tt.char), ib.TypeID(tt.u32), 8))
	tt.u8x3 = id(b.Array(ib.TypeID(tt.s16), ib.TypeID(tt.u32), 3))
	tt.empty = id(b.Struct(false, "empty", 0))
	tt.bits = id(b.Struct(false, "bits", 8,
		ib.BuilderMember{Name: "a", Type: ib.TypeID(tt.u32), Bits: 3},
		ib.BuilderMember{Name: "b", Type: ib.TypeID(tt.u32), BitOff: 3, Bits: 13},
		ib.BuilderMember{Name: "c", Type: ib.TypeID(tt.u64), BitOff: 16, Bits: 48}))
	tt.union = id(b.Struct(true, "u", 8, ib.BuilderMember{Name: "w", Type: ib.TypeID(tt.cu32)}, ib.BuilderMember{Name: "", Type: ib.TypeID(tt.str8)}))
	tt.dsec = id(b.Datasec(".bss", 8, ib.BuilderVar{Var: b.Var("x", ib.TypeID(tt.u32)), Size: 4}, ib.BuilderVar{Var: b.Var("y", ib.TypeID(tt.s16)), Offset: 4, Size: 2}))
	tt.fwd = id(b.Raw(ib.KindForward, "later", 0, false, 0))
	tt.ustr = id(b.Array(ib.TypeID(b.Ref(ib.KindConst, "", ib.TypeID(tt.cchar))), ib.TypeID(tt.u32), 4))
	tt.raw = b.Bytes()
	return tt
}

func le(vals ...any) []byte {
	var buf bytes.Buffer
	for _, v := range vals {
		binary.Write(&buf, binary.NativeEndian, v)
	}
	return buf.Bytes()
}

func TestFormat(t *testing.T) {
	tt := newTestTypes()
	spec, err := Parse(tt.raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		typ   TypeID
		data  []byte
		json  string // compact JSON (bpftool -j)
		plain string // plain spellings and layout at depth 0
	}{
		{"uint", tt.u32, le(uint32(4000000000)), `4000000000`, `4000000000`},
		{"int8", tt.s8, []byte{0xff}, `-1`, `-1`},
		{"int16", tt.s16, le(int16(-300)), `-300`, `-300`},
		{"int64", tt.s64, le(int64(-1 << 62)), `-4611686018427387904`, `-4611686018427387904`},
		{"bool", tt.boolT, []byte{2}, `true`, `true`},
		{"char signed", tt.char, []byte{'A'}, `65`, `65`},
		{"char encoded", tt.cchar, []byte{'"'}, `"\""`, `"\""`},
		{"char unprintable", tt.cchar, []byte{0x81}, `"\u0081"`, `0x81`},
		{"int128", tt.u128, le(uint64(5), uint64(1)), `"0x10000000000000005"`, `0x10000000000000005`},
		{"int128 small", tt.u128, le(uint64(0xab), uint64(0)), `"0xab"`, `0xab`},
		{"24-bit int", tt.u24, le(uint32(0xff123456)), `"0x123456"`, `0x123456`},
		{"float", tt.f32, le(float32(1.5)), `1.5`, `1.5`},
		{"double", tt.f64, le(float64(-0.25)), `-0.25`, `-0.25`},
		{"enum name", tt.color, le(int32(-1)), `"RED"`, `"RED"`},
		{"enum number", tt.color, le(int32(3)), `3`, `3`},
		{"enum64", tt.big, le(uint64(1 << 40)), `"HUGE"`, `"HUGE"`},
		{"pointer", tt.ptr, le(uint64(0xffff0000)), `4294901760`, `0xffff0000`},
		{"null pointer", tt.ptr, le(uint64(0)), `0`, `(nil)`},
		{"typedef const", tt.cu32, le(uint32(9)), `9`, `9`},
		{"string", tt.str8, []byte("eth0\x00\x01\x02\x03"), `"eth0"`, `"eth0"`},
		{"string escapes", tt.str8, []byte("a\\\"b\x00\x00\x00\x00\x00"), `"a\\\"b"`, `"a\\\"b"`},
		{"char array without NUL", tt.str8, []byte("abcdefgh"), `[97,98,99,100,101,102,103,104]`, "[97,98,99,100,101,102,103,104\n]"},
		{"char array unprintable", tt.str8, []byte("ab\x01\x00\x00\x00\x00\x00"), `[97,98,1,0,0,0,0,0]`, "[97,98,1,0,0,0,0,0\n]"},
		{"const char-encoded string", tt.ustr, []byte("hi\x00\x00"), `"hi"`, `"hi"`},
		{"array", tt.u8x3, le(int16(1), int16(-2), int16(3)), `[1,-2,3]`, "[1,-2,3\n]"},
		{"empty struct", tt.empty, nil, `{}`, `{}`},
		{"bitfields", tt.bits, le(uint64(5 | 0x1abc<<3 | 0x123456789abc<<16)), `{"a":"0x5","b":"0x1abc","c":"0x123456789abc"}`,
			"{\n    \"a\": 0x5,\n    \"b\": 0x1abc,\n    \"c\": 0x123456789abc\n}"},
		{"union", tt.union, []byte("ok\x00\x00\x00\x00\x00\x00"), `{"w":27503,"":"ok"}`, "{\n    \"w\": 27503,\n    \"\": \"ok\"\n}"},
		{"datasec", tt.dsec, le(uint32(7), int16(-7), uint16(0)), `{".bss":[{"x":7},{"y":-7}]}`,
			"{\n    \".bss\": [{\n            \"x\": 7\n        },{\n            \"y\": -7\n        }\n    ]\n}"},
		{"longer data", tt.u32, le(uint32(1), uint32(2)), `1`, `1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := spec.Format(&buf, tc.typ, tc.data); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.json {
				t.Errorf("Format: %s, want %s", buf.String(), tc.json)
			}
			if !json.Valid(buf.Bytes()) {
				t.Errorf("Format: invalid JSON %s", buf.String())
			}
			plain, err := spec.AppendFormat([]byte("x"), tc.typ, tc.data, FormatOptions{Plain: true, Pretty: true})
			if err != nil {
				t.Fatal(err)
			}
			if string(plain) != "x"+tc.plain {
				t.Errorf("plain: %q, want %q", plain[1:], tc.plain)
			}
		})
	}
}

// TestFormatDepth: pretty output of a nested value is indented from Depth.
func TestFormatDepth(t *testing.T) {
	tt := newTestTypes()
	spec, _ := Parse(tt.raw)
	got, err := spec.AppendFormat(nil, tt.union, []byte("ok\x00\x00\x00\x00\x00\x00"), FormatOptions{Pretty: true, Depth: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n            \"w\": 27503,\n            \"\": \"ok\"\n        }"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestFormatErrors(t *testing.T) {
	tt := newTestTypes()
	spec, _ := Parse(tt.raw)
	for _, tc := range []struct {
		name string
		typ  TypeID
		data []byte
		want string
	}{
		{"short data", tt.u64, []byte{1, 2}, "2 bytes of data, the type needs 8"},
		{"void", 0, nil, "out of range"},
		{"no such type", 9999, []byte{1}, "out of range"},
		{"forward declaration", tt.fwd, []byte{1}, "has no size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := spec.Format(&buf, tc.typ, tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) || buf.Len() != 0 {
				t.Fatalf("got %v (output %q), want an error containing %q", err, buf.String(), tc.want)
			}
		})
	}
}

func TestFormatDoesNotAllocate(t *testing.T) {
	tt := newTestTypes()
	spec, _ := Parse(tt.raw)
	buf := make([]byte, 0, 256)
	data := le(uint64(5 | 0x1abc<<3 | 0x123456789abc<<16))
	sec := le(uint32(7), int16(-7), uint16(0))
	u := []byte("ok\x00\x00\x00\x00\x00\x00")
	n := testing.AllocsPerRun(100, func() {
		buf, _ = spec.AppendFormat(buf[:0], tt.bits, data, FormatOptions{Plain: true, Pretty: true})
		buf, _ = spec.AppendFormat(buf[:0], tt.dsec, sec, FormatOptions{})
		buf, _ = spec.AppendFormat(buf[:0], tt.union, u, FormatOptions{})
	})
	if n != 0 {
		t.Errorf("%v allocations per run", n)
	}
}

func TestTypeName(t *testing.T) {
	tt := newTestTypes()
	spec, _ := Parse(tt.raw)
	for id, want := range map[TypeID]string{
		0: "void", tt.u32: "unsigned int", tt.ptr: "unsigned int *", tt.cu32: "const __u32", tt.str8: "char[8]",
		tt.color: "enum color", tt.bits: "struct bits", tt.union: "union u", tt.fwd: "struct later", tt.dsec: ".bss", 9999: "type 9999 (invalid)",
	} {
		if got := spec.TypeName(id); got != want {
			t.Errorf("TypeName(%d) = %q, want %q", id, got, want)
		}
	}
	for _, c := range []struct {
		name string
		id   TypeID
	}{{"struct bits", tt.bits}, {"char[8]", tt.str8}, {"const __u32", tt.cu32}, {"unsigned int", tt.u32}} {
		if id, err := spec.TypeIDByCName(c.name); err != nil || id != c.id {
			t.Errorf("TypeIDByCName(%q) = %d, %v; want %d", c.name, id, err, c.id)
		}
	}
	for _, name := range []string{"struct nope", "char[99]", "bits"} {
		if _, err := spec.TypeIDByCName(name); !errors.Is(err, ErrNotFound) {
			t.Errorf("TypeIDByCName(%q) = %v, want ErrNotFound", name, err)
		}
	}
	if n, err := spec.Size(tt.u8x3); err != nil || n != 6 {
		t.Errorf("Size: %d, %v", n, err)
	}
}

func TestParseErrors(t *testing.T) {
	raw := newTestTypes().raw
	bad := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(raw)) }
	for name, b := range map[string][]byte{
		"empty":     nil,
		"magic":     bad(func(b []byte) []byte { b[0] = 0; return b }),
		"truncated": raw[:len(raw)/2],
	} {
		if _, err := Parse(b); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

// TestBTFInfoLayout checks btfInfo against struct bpf_btf_info of the
// running kernel's UAPI, as the kernel's own BTF describes it. A member
// this kernel does not have (name and kernel_btf before 5.11) is not a
// mismatch: the kernel fills only what it knows.
func TestBTFInfoLayout(t *testing.T) {
	raw, err := os.ReadFile("/sys/kernel/btf/vmlinux")
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("kernel lacks a feature: no /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF, 5.4+)")
	}
	if err != nil {
		t.Fatal(err)
	}
	spec, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := spec.s.Named(ib.KindStruct, "bpf_btf_info")
	if !ok {
		t.Fatal("kernel BTF has no struct bpf_btf_info")
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	var kmaj, kmin int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &kmaj, &kmin); err != nil {
		t.Fatal(err)
	}
	rt := reflect.TypeFor[btfInfo]()
	checked := 0
	for i := range rt.NumField() {
		f := rt.Field(i)
		name, since, _ := strings.Cut(f.Tag.Get("c"), ",since=")
		kf, err := spec.s.Field(st, name)
		if errors.Is(err, ib.ErrNoField) && since != "" {
			var maj, min int
			if _, err := fmt.Sscanf(since, "%d.%d", &maj, &min); err != nil {
				t.Fatalf("%s: since=%q: %v", f.Name, since, err)
			}
			if kmaj > maj || kmaj == maj && kmin >= min {
				t.Errorf("%s: kernel %d.%d has no %s, though it was added in %s", f.Name, kmaj, kmin, name, since)
			}
			t.Logf("%s: not in this kernel's struct bpf_btf_info (added in %s)", name, since)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		size, err := spec.s.Sizeof(kf.Type)
		if err != nil {
			t.Fatal(err)
		}
		if kf.BitfieldSize != 0 || uintptr(kf.BitOffset/8) != f.Offset || uintptr(size) != f.Type.Size() {
			t.Errorf("field %s at %d (%d bytes), kernel's %s at bit %d (%d bytes)", f.Name, f.Offset, f.Type.Size(), name, kf.BitOffset, size)
		}
		checked++
	}
	t.Logf("checked %d of %d fields", checked, rt.NumField())
}

// TestLoadByID loads BTF into the kernel and reads it back by id; a
// kernel module's BTF is refused as split.
func TestLoadByID(t *testing.T) {
	testenv.RequirePrivileged(t)
	tt := newTestTypes()
	// The kernel rejects the forward declaration's use nowhere, but not
	// floats on old kernels; 5.13+ accepts every kind here.
	fd, err := sys.BTFLoad(&sys.BTFLoadAttr{BTF: sys.SlicePointer(tt.raw), BTFSize: uint32(len(tt.raw))})
	if err != nil {
		t.Fatalf("BTF load: %v", err)
	}
	defer fd.Close()
	var info btfInfo
	if _, err := sys.ObjGetInfoByFD(fd, unsafe.Pointer(&info), uint32(unsafe.Sizeof(info))); err != nil {
		t.Fatal(err)
	}
	spec, err := LoadByID(ID(info.ID))
	if err != nil {
		t.Fatal(err)
	}
	if spec.NumTypes() != bytesNumTypes(t, tt.raw) || spec.TypeName(tt.bits) != "struct bits" {
		t.Errorf("loaded %d types, type %d is %s", spec.NumTypes(), tt.bits, spec.TypeName(tt.bits))
	}
	var buf bytes.Buffer
	if err := spec.Format(&buf, tt.color, le(int32(7))); err != nil || buf.String() != `"BLUE"` {
		t.Errorf("Format: %s, %v", buf.String(), err)
	}
	if _, err := LoadByID(0xfffffff0); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadByID of a missing id: %v, want os.ErrNotExist", err)
	}

	// Kernel BTF: vmlinux loads, modules load as split BTF on it.
	sawVmlinux := false
	for id := uint32(0); ; {
		id, err = sys.GetNextID(sys.BTFGetNextIDCmd, id)
		if err != nil {
			break
		}
		s, err := LoadByID(ID(id))
		switch {
		case err != nil:
			continue // gone meanwhile, or not kernel BTF and unreadable
		case s.Base() != nil:
			k, err := Kernel()
			if err != nil || s.Base() != k || s.FirstID() != TypeID(k.NumTypes()+1) {
				t.Errorf("module btf %d: base %p, first id %d (%v)", id, s.Base(), s.FirstID(), err)
			}
		case !sawVmlinux && s.NumTypes() > 10000:
			if _, err := s.TypeIDByCName("struct bpf_btf_info"); err != nil {
				t.Errorf("btf %d: %v", id, err)
			}
			sawVmlinux = true
		}
		if sawVmlinux {
			break
		}
	}
	if !sawVmlinux {
		t.Log("no vmlinux BTF found by id")
	}
}

func bytesNumTypes(t *testing.T, raw []byte) int {
	s, err := ib.Parse(raw, binary.NativeEndian)
	if err != nil {
		t.Fatal(err)
	}
	return s.NumTypes()
}
