package asm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestEncodeResolvesLabels(t *testing.T) {
	insns := Instructions{
		Mov.Imm(R0, 0).WithSymbol("main"), // raw 0
		LoadImm64(R1, 1),                  // raw 1-2
		JEq.Imm(R1, 1, "skip"),            // raw 3 -> 7: off +3
		CallFunc("sub"),                   // raw 4 -> 9: imm +4
		LoadFuncPtr(R2, "sub"),            // raw 5-6 -> 9: imm +3 (from raw 5 + 1, as the kernel counts)
		Ja("end").WithSymbol("skip"),      // raw 7 -> 8: off 0
		JaLong("main").WithSymbol("end"),  // raw 8 -> 0: imm -9
		Return().WithSymbol("sub"),        // raw 9
	}
	orig := append(Instructions(nil), insns...)
	b, err := insns.Encode(binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(insns, orig) {
		t.Fatal("Encode modified its receiver")
	}
	dec, err := Decode(b, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	check := func(i int, got, want int64) {
		t.Helper()
		if got != want {
			t.Errorf("instruction %d (%v): target %d, want %d", i, dec[i], got, want)
		}
	}
	check(2, int64(dec[2].Offset), 3)
	check(3, dec[3].Constant, 4)
	check(4, dec[4].Constant, 3)
	check(5, int64(dec[5].Offset), 0)
	check(6, dec[6].Constant, -9)

	if got, want := insns.RawOffsets(), []int{0, 1, 3, 4, 5, 7, 8, 9}; !reflect.DeepEqual(got, want) {
		t.Errorf("RawOffsets = %v, want %v", got, want)
	}
	if got := insns.RawLen(); got != 10 {
		t.Errorf("RawLen = %d, want 10", got)
	}
	for raw, want := range map[int]int{0: 0, 1: 1, 3: 2, 5: 4, 9: 7} {
		if got, ok := insns.IndexOfRaw(raw); !ok || got != want {
			t.Errorf("IndexOfRaw(%d) = %d, %v; want %d", raw, got, ok, want)
		}
	}
	for _, raw := range []int{2, 6, 10, -1} {
		if _, ok := insns.IndexOfRaw(raw); ok {
			t.Errorf("IndexOfRaw(%d) found an instruction", raw)
		}
	}
}

func TestEncodeMetadataDoesNotChangeBytes(t *testing.T) {
	plain := Instructions{Mov.Imm(R0, 1), LoadImm64(R1, 5), Return()}
	tagged := Instructions{Mov.Imm(R0, 1).WithSymbol("a"), LoadImm64(R1, 5).WithReference("x"), Return().WithSymbol("b")}
	a, err := plain.Encode(binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tagged.Encode(binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("metadata changed the encoding:\n%x\n%x", a, b)
	}
	var buf bytes.Buffer
	if err := tagged.Marshal(&buf, binary.LittleEndian); err != nil || !bytes.Equal(buf.Bytes(), a) {
		t.Errorf("Marshal = %x, %v; want %x", buf.Bytes(), err, a)
	}
}

func TestMapReferences(t *testing.T) {
	insns := Instructions{
		LoadMapPtr(R1, "counts"),
		LoadMapValue(R2, ".rodata", 16),
		Return(),
	}
	if !insns[0].IsLoadFromMap() || !insns[1].IsLoadFromMap() || insns[2].IsLoadFromMap() {
		t.Fatal("IsLoadFromMap wrong")
	}
	_, err := insns.Encode(binary.LittleEndian)
	if !errors.Is(err, ErrUnresolvedReference) || !strings.Contains(err.Error(), `"counts"`) {
		t.Fatalf("Encode with unresolved map: %v", err)
	}
	insns[0].SetMapFD(0) // fd 0 is a valid fd: resolution is tracked explicitly
	_, err = insns.Encode(binary.LittleEndian)
	if !errors.Is(err, ErrUnresolvedReference) || !strings.Contains(err.Error(), `".rodata"`) {
		t.Fatalf("Encode with unresolved map value: %v", err)
	}
	insns[1].SetMapFD(7)
	if got := insns[1].MapOffset(); got != 16 {
		t.Errorf("SetMapFD lost the value offset: %d", got)
	}
	if insns[0].MapFD() != 0 || insns[1].MapFD() != 7 || !insns[1].IsMapResolved() {
		t.Errorf("MapFD = %d, %d", insns[0].MapFD(), insns[1].MapFD())
	}
	b, err := insns.Encode(binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := Decode(b, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	if dec[1].MapFD() != 7 || dec[1].MapOffset() != 16 || dec[1].Src != PseudoMapValue {
		t.Errorf("decoded map value load %+v", dec[1])
	}

	v := LoadMapPtr(R3, "m")
	v.SetMapValue(9, 24)
	if v.Src != PseudoMapValue || v.MapFD() != 9 || v.MapOffset() != 24 || v.String() != "r3 = map[id:9][0]+24" {
		t.Errorf("SetMapValue: %+v %q", v, v.String())
	}
	// A literal map load without reference encodes its constant as is.
	lit := Instructions{{OpCode: LdImmDW, Dst: R1, Src: PseudoMapFD, Constant: 3}}
	if _, err := lit.Encode(binary.LittleEndian); err != nil {
		t.Errorf("literal map load: %v", err)
	}
	// SetMapFD on something else is a no-op.
	m := Mov.Imm(R0, 1)
	m.SetMapFD(4)
	if m != Mov.Imm(R0, 1) || m.MapFD() != -1 {
		t.Errorf("SetMapFD changed a non-map instruction: %+v", m)
	}
}

func TestCallPredicates(t *testing.T) {
	if !Call(FnMapLookupElem).IsBuiltinCall() || Call(FnMapLookupElem).IsFunctionCall() {
		t.Error("helper call predicates")
	}
	if !CallFunc("f").IsFunctionCall() || CallFunc("f").IsBuiltinCall() || CallFunc("f").Reference() != "f" {
		t.Error("bpf-to-bpf call predicates")
	}
	if !CallKfunc(5).IsKfuncCall() || CallKfunc(5).IsBuiltinCall() {
		t.Error("kfunc predicates")
	}
	if !Return().IsExit() || Return().IsJump() || !Ja("x").IsJump() || Call(1).IsJump() {
		t.Error("exit/jump predicates")
	}
	if s := Mov.Imm(R0, 0).WithSymbol("s"); s.Symbol() != "s" || s.WithoutMetadata().Symbol() != "" {
		t.Error("symbol metadata")
	}
}

func TestEncodeErrors(t *testing.T) {
	long := make(Instructions, 0, math.MaxInt16+3)
	long = append(long, Ja("far"))
	for range math.MaxInt16 + 1 {
		long = append(long, Mov.Imm(R0, 0))
	}
	long = append(long, Return().WithSymbol("far"))

	for _, tt := range []struct {
		name  string
		insns Instructions
		err   error
		msg   string
	}{
		{"unknown jump label", Instructions{JEq.Imm(R1, 0, "nowhere"), Return()}, ErrUnresolvedReference, `"nowhere"`},
		{"unknown call target", Instructions{CallFunc("missing"), Return()}, ErrUnresolvedReference, `"missing"`},
		{"unknown func pointer", Instructions{LoadFuncPtr(R1, "cb"), Return()}, ErrUnresolvedReference, `"cb"`},
		{"jump offset overflow", long, ErrJumpOutOfRange, `"far"`},
		{"duplicate symbol", Instructions{Ja("a"), Return().WithSymbol("a"), Return().WithSymbol("a")}, ErrDuplicateSymbol, `"a"`},
		{"unresolved map", Instructions{LoadMapPtr(R1, "rxcnt"), Return()}, ErrUnresolvedReference, `"rxcnt"`},
		{"constant too large", Instructions{StoreImm(R10, -8, 1<<33, DWord)}, ErrInvalidInstruction, "does not fit"},
		{"register too large", Instructions{{OpCode: ExitOpCode, Dst: 16}}, ErrInvalidInstruction, "dst 16"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.insns.Encode(binary.LittleEndian)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %s", err, tt.msg)
			}
		})
	}
	// The same long program encodes with gotol.
	long[0] = JaLong("far")
	if _, err := long.Encode(binary.LittleEndian); err != nil {
		t.Errorf("gotol over 32768 instructions: %v", err)
	}
	// A single instruction with a label cannot be encoded on its own.
	if _, err := Ja("x").AppendEncode(nil, binary.LittleEndian); !errors.Is(err, ErrUnresolvedReference) {
		t.Errorf("Instruction.AppendEncode of a labelled jump: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	exit := "9500000000000000"
	for _, tt := range []struct {
		name string
		hex  string
		err  error
		msg  string
	}{
		{"not a multiple of 8", exit + "95000000", ErrTruncated, "12 bytes"},
		{"ld_imm64 without second half", exit + "1801000001000000", ErrTruncated, "raw instruction 1"},
		{"ld_imm64 bad second half", "1801000001000000" + "9500000000000000" + exit, ErrInvalidInstruction, "raw instruction 1"},
		{"unknown class/op", "f700000000000000", ErrInvalidInstruction, "0xf7"},
		{"neg with register source", "8f01000000000000", ErrInvalidInstruction, "0x8f"},
		{"ld_abs dword", "3800000000000000", ErrInvalidInstruction, "0x38"},
		{"ld_imm with word size", "0000000000000000", ErrInvalidInstruction, "0x00"},
		{"ldx memsx dword", "9921000000000000", ErrInvalidInstruction, "0x99"},
		{"st atomic", "da21000000000000", ErrInvalidInstruction, "0xda"},
		{"jmp32 call", "8600000001000000", ErrInvalidInstruction, "0x86"},
		{"jmp32 exit", "9600000000000000", ErrInvalidInstruction, "0x96"},
		{"jmp ja with register", "0d00000000000000", ErrInvalidInstruction, "0x0d"},
		{"alu64 bswap be", "df01000010000000", ErrInvalidInstruction, "0xdf"},
		{"bad swap width", "d401000008000000" + exit, ErrInvalidInstruction, "8 bits"},
		{"bad atomic op", "db21000002000000" + exit, ErrInvalidInstruction, "atomic"},
		{"byte atomic add", "d321000000000000" + exit, ErrInvalidInstruction, "1 bytes"},
		{"bad movsx offset", "bf21070000000000" + exit, ErrInvalidInstruction, "offset 7"},
		{"movsx32 in alu32", "bc21200000000000" + exit, ErrInvalidInstruction, "offset 32"},
		{"bad sdiv offset", "3f21020000000000" + exit, ErrInvalidInstruction, "offset 2"},
		{"unknown ld_imm64 source", "1871000000000000" + "0000000000000000" + exit, ErrInvalidInstruction, "pseudo source 7"},
		{"unknown call source", "8530000000000000" + exit, ErrInvalidInstruction, "source 3"},
		{"jump past end", "0500010000000000" + exit, ErrJumpOutOfRange, "target 2"},
		{"jump before start", exit + "0500fdff00000000", ErrJumpOutOfRange, "target -1"},
		{"jump into ld_imm64", "0500010000000000" + "1801000001000000" + "0000000000000000" + exit, ErrJumpOutOfRange, "second half"},
		{"gotol out of range", "0600000064000000" + exit, ErrJumpOutOfRange, "target 101"},
		{"call out of range", "8510000005000000" + exit, ErrJumpOutOfRange, "raw instruction 0"},
		{"func pointer into ld_imm64", "1841000002000000" + "0000000000000000" + "1801000001000000" + "0000000000000000", ErrJumpOutOfRange, "second half"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := mustHex(t, tt.hex)
			_, err := Decode(b, binary.LittleEndian)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
	if insns, err := Decode(nil, binary.LittleEndian); err != nil || len(insns) != 0 {
		t.Errorf("Decode(nil) = %v, %v", insns, err)
	}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b := make([]byte, len(s)/2)
	for i := range b {
		var v byte
		for _, c := range s[2*i : 2*i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			case c >= 'a' && c <= 'f':
				v |= byte(c - 'a' + 10)
			default:
				t.Fatalf("bad hex %q", s)
			}
		}
		b[i] = v
	}
	return b
}

func TestEncodeAllocations(t *testing.T) {
	insns := Instructions{Mov.Imm(R0, 2), LoadImm64(R1, 3), Return()}
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := insns.AppendEncode(buf[:0], binary.LittleEndian); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("AppendEncode without references allocates %v times", allocs)
	}
}

func FuzzDecode(f *testing.F) {
	for _, tt := range forms {
		b, err := padded(tt.ins).Encode(binary.LittleEndian)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
	}
	f.Add([]byte{0x18, 0x01, 0, 0, 1, 0, 0, 0}, true)
	f.Add([]byte{}, false)
	f.Fuzz(func(t *testing.T, b []byte, big bool) {
		var bo binary.ByteOrder = binary.LittleEndian
		if big {
			bo = binary.BigEndian
		}
		insns, err := Decode(b, bo)
		if err != nil {
			return
		}
		_ = insns.String()
		out, err := insns.Encode(bo)
		if err != nil {
			t.Fatalf("decoded program does not encode: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("round trip differs\n in %x\nout %x", b, out)
		}
	})
}
