package core

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/btf"
)

// Local type ids of localSpec, in the order the builder gives them out.
const (
	lU32 btf.TypeID = iota + 1
	lInt
	lU8
	lArr
	lU64
	lS
	lE
	lGone
	lTM
	lTM2
	lAmb
	lSame
	lTypedef
	lAnon
	lPtr
)

// localSpec is the object's idea of the types: struct s___old (flavoured
// locally), enum e, and types the target lacks or has twice.
func localSpec(t *testing.T) *btf.Spec {
	b := btf.NewBuilder()
	u32 := b.Int("unsigned int", 4, 0, 32)
	i32 := b.Int("int", 4, btf.IntSigned, 32)
	u8 := b.Int("unsigned char", 1, 0, 8)
	arr := b.Array(u8, u32, 4)
	u64 := b.Int("long long unsigned int", 8, 0, 64)
	b.Struct(false, "s___old", 32,
		btf.BuilderMember{Name: "a", Type: u32, BitOff: 0},
		btf.BuilderMember{Name: "b", Type: u32, BitOff: 32},
		btf.BuilderMember{Name: "bf1", Type: u32, BitOff: 64, Bits: 3},
		btf.BuilderMember{Name: "bf2", Type: u32, BitOff: 67, Bits: 5},
		btf.BuilderMember{Name: "sf", Type: i32, BitOff: 72, Bits: 4},
		btf.BuilderMember{Name: "arr", Type: arr, BitOff: 96},
		btf.BuilderMember{Name: "c", Type: u64, BitOff: 128},
		btf.BuilderMember{Name: "d", Type: i32, BitOff: 192},
		btf.BuilderMember{Name: "gone_f", Type: u32, BitOff: 224},
	)
	b.Enum("e", 4, false, btf.BuilderEnumValue{Name: "A", Value: 1}, btf.BuilderEnumValue{Name: "B", Value: 2}, btf.BuilderEnumValue{Name: "Z", Value: 9})
	b.Struct(false, "gone", 4, btf.BuilderMember{Name: "x", Type: u32})
	b.Struct(false, "tm", 4, btf.BuilderMember{Name: "x", Type: u32})
	b.Struct(false, "tm2", 4, btf.BuilderMember{Name: "x", Type: u32})
	b.Struct(false, "amb", 4, btf.BuilderMember{Name: "f", Type: u32})
	b.Struct(false, "same", 4, btf.BuilderMember{Name: "f", Type: u32})
	b.Ref(btf.KindTypedef, "s_t", lS)
	b.Struct(false, "", 4, btf.BuilderMember{Name: "f", Type: u32})
	b.Ref(btf.KindPointer, "", lS)
	return parse(t, b)
}

// targetSpec is "another kernel": s moved and grown (a and b swapped,
// bitfields shifted, arr longer, c narrower, d wider and signed), e's
// values changed and Z gone, no struct gone, two flavours of amb that
// disagree and two of same that agree.
func targetSpec(t *testing.T) (*btf.Spec, btf.TypeID) {
	b := btf.NewBuilder()
	u32 := b.Int("unsigned int", 4, 0, 32)
	u8 := b.Int("unsigned char", 1, 0, 8)
	u64 := b.Int("long long unsigned int", 8, 0, 64)
	s64 := b.Int("long int", 8, btf.IntSigned, 64)
	arr := b.Array(u8, u32, 8)
	s := b.Struct(false, "s", 48,
		btf.BuilderMember{Name: "pad", Type: u64, BitOff: 0},
		btf.BuilderMember{Name: "b", Type: u32, BitOff: 64},
		btf.BuilderMember{Name: "a", Type: u32, BitOff: 96},
		btf.BuilderMember{Name: "bf1", Type: u32, BitOff: 133, Bits: 3},
		btf.BuilderMember{Name: "bf2", Type: u32, BitOff: 136, Bits: 5},
		btf.BuilderMember{Name: "sf", Type: u32, BitOff: 141, Bits: 4},
		btf.BuilderMember{Name: "arr", Type: arr, BitOff: 160},
		btf.BuilderMember{Name: "c", Type: u32, BitOff: 224},
		btf.BuilderMember{Name: "d", Type: s64, BitOff: 256},
	)
	b.Enum("e", 4, false, btf.BuilderEnumValue{Name: "B", Value: 20}, btf.BuilderEnumValue{Name: "A", Value: 10})
	b.Struct(false, "tm", 8, btf.BuilderMember{Name: "y", Type: u32}, btf.BuilderMember{Name: "x", Type: u32, BitOff: 32})
	b.Struct(false, "tm2", 8, btf.BuilderMember{Name: "x", Type: u64})
	b.Struct(false, "amb___x", 4, btf.BuilderMember{Name: "f", Type: u32})
	b.Struct(false, "amb___y", 8, btf.BuilderMember{Name: "g", Type: u32}, btf.BuilderMember{Name: "f", Type: u32, BitOff: 32})
	b.Struct(false, "same___x", 8, btf.BuilderMember{Name: "f", Type: u32, BitOff: 32})
	b.Struct(false, "same___y", 8, btf.BuilderMember{Name: "f", Type: u32, BitOff: 32}, btf.BuilderMember{Name: "h", Type: u32})
	b.Ref(btf.KindTypedef, "s_t", s)
	return parse(t, b), s
}

func parse(t *testing.T, b *btf.Builder) *btf.Spec {
	t.Helper()
	s, err := btf.Parse(b.Bytes(), binary.NativeEndian)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mov(v int32) asm.Instruction                { return asm.Mov.Imm(asm.R0, v) }
func ldx(off int16, sz asm.Size) asm.Instruction { return asm.LoadMem(asm.R0, asm.R1, off, sz) }

// TestRelocateKinds relocates one instruction per case against the
// synthetic target and checks the patched instruction.
func TestRelocateKinds(t *testing.T) {
	local := localSpec(t)
	target, targetS := targetSpec(t)
	tests := []struct {
		name string
		kind btf.COREKind
		typ  btf.TypeID
		acc  string
		ins  asm.Instruction
		want asm.Instruction // zero: poisoned
	}{
		{"byte offset moved", btf.COREFieldByteOffset, lS, "0:0", ldx(0, asm.Word), ldx(12, asm.Word)},
		{"byte offset via typedef", btf.COREFieldByteOffset, lTypedef, "0:1", ldx(4, asm.Word), ldx(8, asm.Word)},
		{"byte offset of pointer index", btf.COREFieldByteOffset, lS, "1:1", ldx(36, asm.Word), ldx(56, asm.Word)},
		{"byte offset as ALU", btf.COREFieldByteOffset, lS, "0:1", asm.Add.Imm(asm.R1, 4), asm.Add.Imm(asm.R1, 8)},
		{"array element", btf.COREFieldByteOffset, lS, "0:5:2", ldx(14, asm.Byte), ldx(22, asm.Byte)},
		{"load size follows unsigned", btf.COREFieldByteOffset, lS, "0:6", ldx(16, asm.DWord), ldx(28, asm.Word)},
		{"signed size change poisons", btf.COREFieldByteOffset, lS, "0:7", ldx(24, asm.Word), asm.Instruction{}},
		{"signed size change as ALU", btf.COREFieldByteOffset, lS, "0:7", mov(24), mov(32)},
		{"missing field poisons", btf.COREFieldByteOffset, lS, "0:8", ldx(28, asm.Word), asm.Instruction{}},
		{"byte size", btf.COREFieldByteSize, lS, "0:6", mov(8), mov(4)},
		{"byte size of array", btf.COREFieldByteSize, lS, "0:5", mov(4), mov(8)},
		{"byte size of bitfield", btf.COREFieldByteSize, lS, "0:2", mov(4), mov(4)},
		{"exists", btf.COREFieldExists, lS, "0:7", mov(1), mov(1)},
		{"exists missing", btf.COREFieldExists, lS, "0:8", mov(1), mov(0)},
		{"exists missing type", btf.COREFieldExists, lGone, "0:0", mov(1), mov(0)},
		{"signed int", btf.COREFieldSigned, lS, "0:7", mov(1), mov(1)},
		{"signed now unsigned", btf.COREFieldSigned, lS, "0:4", mov(1), mov(0)},
		{"lshift bitfield", btf.COREFieldLShiftU64, lS, "0:2", mov(61), mov(56)},
		{"rshift bitfield", btf.COREFieldRShiftU64, lS, "0:3", mov(59), mov(59)},
		{"lshift signed bitfield", btf.COREFieldLShiftU64, lS, "0:4", mov(52), mov(47)},
		{"bitfield offset", btf.COREFieldByteOffset, lS, "0:3", ldx(8, asm.Word), ldx(16, asm.Word)},
		{"type id local", btf.CORETypeIDLocal, lS, "0", mov(0), mov(int32(lS))},
		{"type id target", btf.CORETypeIDTarget, lS, "0", mov(int32(lS)), mov(int32(targetS))},
		{"type id target 64-bit", btf.CORETypeIDTarget, lS, "0", asm.LoadImm64(asm.R0, int64(lS)), asm.LoadImm64(asm.R0, int64(targetS))},
		{"type id target missing", btf.CORETypeIDTarget, lGone, "0", mov(int32(lGone)), mov(0)},
		{"type exists", btf.CORETypeExists, lS, "0", mov(1), mov(1)},
		{"type exists missing", btf.CORETypeExists, lGone, "0", mov(1), mov(0)},
		{"type size", btf.CORETypeSize, lS, "0", mov(32), mov(48)},
		{"type size typedef", btf.CORETypeSize, lTypedef, "0", mov(32), mov(48)},
		{"type size missing", btf.CORETypeSize, lGone, "0", mov(4), mov(0)},
		{"type matches subset", btf.CORETypeMatches, lTM, "0", mov(1), mov(1)},
		{"type matches size differs", btf.CORETypeMatches, lTM2, "0", mov(1), mov(0)},
		{"type matches missing", btf.CORETypeMatches, lGone, "0", mov(1), mov(0)},
		{"enum value exists", btf.COREEnumvalExists, lE, "1", mov(1), mov(1)},
		{"enum value missing", btf.COREEnumvalExists, lE, "2", mov(1), mov(0)},
		{"enum value", btf.COREEnumvalValue, lE, "0", mov(1), mov(10)},
		{"enum value 64-bit", btf.COREEnumvalValue, lE, "1", asm.LoadImm64(asm.R0, 2), asm.LoadImm64(asm.R0, 20)},
		{"enum value missing poisons", btf.COREEnumvalValue, lE, "2", mov(9), asm.Instruction{}},
		{"flavours agreeing", btf.COREFieldByteOffset, lSame, "0:0", ldx(0, asm.Word), ldx(4, asm.Word)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			insns := asm.Instructions{tt.ins, asm.Return()}
			r := Relo{Insn: 0, Type: tt.typ, Access: tt.acc, Kind: tt.kind}
			out, fixups, err := Relocate(local, []Relo{r}, []*btf.Spec{target}, insns)
			if err != nil {
				t.Fatalf("Relocate: %v", err)
			}
			if len(fixups) != 1 {
				t.Fatalf("%d fixups", len(fixups))
			}
			if tt.want == (asm.Instruction{}) {
				if !fixups[0].Poison || !IsPoison(out[0]) || fixups[0].Reason == "" {
					t.Fatalf("got %v (fixup %+v), want a poisoned instruction with a reason", out[0], fixups[0])
				}
				if tt.ins.OpCode.IsDWordLoad() && (len(out) != 3 || !IsPoison(out[1])) {
					t.Fatalf("poisoned LD_IMM64 is %v, want two calls", out)
				}
				return
			}
			if fixups[0].Poison {
				t.Fatalf("poisoned: %s", fixups[0].Reason)
			}
			if out[0] != tt.want {
				t.Errorf("got %v, want %v", out[0], tt.want)
			}
		})
	}
}

// TestRelocateErrors: records that do not fit the local BTF or the
// instruction, and ambiguous candidates, are errors naming the
// relocation, never patches.
func TestRelocateErrors(t *testing.T) {
	local := localSpec(t)
	target, _ := targetSpec(t)
	tests := []struct {
		name string
		r    Relo
		ins  asm.Instruction
		want error
		text string
	}{
		{"ambiguous flavours", Relo{Type: lAmb, Access: "0:0", Kind: btf.COREFieldByteOffset}, ldx(0, asm.Word), ErrAmbiguous, "bit offset"},
		{"ambiguous size", Relo{Type: lAmb, Access: "0", Kind: btf.CORETypeSize}, mov(4), ErrAmbiguous, "candidate types give 4 and 8"},
		{"unexpected immediate", Relo{Type: lS, Access: "0", Kind: btf.CORETypeSize}, mov(7), ErrInvalid, "immediate 7, expected 32"},
		{"unexpected offset", Relo{Type: lS, Access: "0:1", Kind: btf.COREFieldByteOffset}, ldx(5, asm.Word), ErrInvalid, "offset 5, expected 4"},
		{"unexpected load size", Relo{Type: lS, Access: "0:6", Kind: btf.COREFieldByteOffset}, ldx(16, asm.Half), ErrInvalid, "load/store of 2 bytes, expected 8"},
		{"register ALU", Relo{Type: lS, Access: "0", Kind: btf.CORETypeSize}, asm.Add.Reg(asm.R0, asm.R1), ErrInvalid, "register source"},
		{"jump", Relo{Type: lS, Access: "0", Kind: btf.CORETypeSize}, asm.Return(), ErrInvalid, "cannot relocate"},
		{"member out of range", Relo{Type: lS, Access: "0:9", Kind: btf.COREFieldByteOffset}, ldx(0, asm.Word), ErrInvalid, "member 9"},
		{"array index out of range", Relo{Type: lS, Access: "0:5:4", Kind: btf.COREFieldByteOffset}, ldx(0, asm.Word), ErrInvalid, "element 4"},
		{"type access not 0", Relo{Type: lS, Access: "0:1", Kind: btf.CORETypeSize}, mov(32), ErrInvalid, "type relocation"},
		{"enum access too long", Relo{Type: lE, Access: "0:1", Kind: btf.COREEnumvalValue}, mov(1), ErrInvalid, "access"},
		{"enum index out of range", Relo{Type: lE, Access: "3", Kind: btf.COREEnumvalValue}, mov(1), ErrInvalid, "access"},
		{"garbage access", Relo{Type: lS, Access: "0:x", Kind: btf.COREFieldByteOffset}, mov(1), ErrInvalid, "access string"},
		{"empty access", Relo{Type: lS, Access: "", Kind: btf.COREFieldByteOffset}, mov(1), ErrInvalid, "access string"},
		{"type id out of range", Relo{Type: 999, Access: "0", Kind: btf.CORETypeSize}, mov(1), ErrInvalid, "local type 999"},
		{"anonymous type", Relo{Type: lAnon, Access: "0:0", Kind: btf.COREFieldByteOffset}, ldx(0, asm.Word), ErrInvalid, "anonymous"},
		{"unknown kind", Relo{Type: lS, Access: "0:0", Kind: 99}, mov(0), ErrInvalid, "unknown kind 99"},
		{"signedness of array element", Relo{Type: lS, Access: "0:5:1", Kind: btf.COREFieldSigned}, mov(0), ErrInvalid, "array element"},
		{"not an instruction start", Relo{Insn: 1, Type: lS, Access: "0", Kind: btf.CORETypeSize}, asm.LoadImm64(asm.R0, 32), ErrInvalid, "not the start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			insns := asm.Instructions{tt.ins, asm.Return()}
			_, _, err := Relocate(local, []Relo{tt.r}, []*btf.Spec{target}, insns)
			var ce *Error
			if !errors.Is(err, tt.want) || !errors.As(err, &ce) || ce.Relo != tt.r || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("Relocate = %v, want *Error wrapping %v saying %q", err, tt.want, tt.text)
			}
		})
	}
}

// TestCandidates: vmlinux first, modules only when vmlinux has no
// candidate; libbpf's essential names.
func TestCandidates(t *testing.T) {
	local := localSpec(t)
	target, _ := targetSpec(t)
	mb := btf.NewBuilder()
	u32 := mb.Int("u32", 4, 0, 32)
	mb.Struct(false, "gone", 8, btf.BuilderMember{Name: "y", Type: u32}, btf.BuilderMember{Name: "x", Type: u32, BitOff: 32})
	mb.Struct(false, "s", 4, btf.BuilderMember{Name: "a", Type: u32})
	module := parse(t, mb)
	for _, tt := range []struct {
		name string
		r    Relo
		ins  asm.Instruction
		want asm.Instruction
	}{
		{"module when vmlinux lacks it", Relo{Type: lGone, Access: "0:0", Kind: btf.COREFieldByteOffset}, ldx(0, asm.Word), ldx(4, asm.Word)},
		{"vmlinux wins", Relo{Type: lS, Access: "0:0", Kind: btf.COREFieldByteOffset}, ldx(0, asm.Word), ldx(12, asm.Word)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := Relocate(local, []Relo{tt.r}, []*btf.Spec{target, module}, asm.Instructions{tt.ins, asm.Return()})
			if err != nil {
				t.Fatal(err)
			}
			if out[0] != tt.want {
				t.Errorf("got %v, want %v", out[0], tt.want)
			}
		})
	}
	for name, want := range map[string]string{
		"task_struct": "task_struct", "task_struct___old": "task_struct", "a___b___c": "a___b",
		"foo____bar": "foo____bar", "___x": "___x", "x___": "x___", "x___y_": "x",
	} {
		if got := essential(name); got != want {
			t.Errorf("essential(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestPoisonKeepsLayout: a poisoned LD_IMM64 becomes two calls, so the
// raw offsets of the other relocations stay valid, and the symbol of a
// poisoned first instruction stays.
func TestPoisonKeepsLayout(t *testing.T) {
	local := localSpec(t)
	target, _ := targetSpec(t)
	insns := asm.Instructions{
		asm.LoadImm64(asm.R0, 9).WithSymbol("fn"),
		mov(4),
		asm.Return(),
	}
	relos := []Relo{
		{Insn: 0, Type: lE, Access: "2", Kind: btf.COREEnumvalValue},
		{Insn: 2, Type: lS, Access: "0:0", Kind: btf.COREFieldByteSize},
	}
	out, fixups, err := Relocate(local, relos, []*btf.Spec{target}, insns)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 4 || !IsPoison(out[0]) || !IsPoison(out[1]) || out[0].Symbol() != "fn" || out[2] != mov(4) {
		t.Fatalf("got %v", out)
	}
	if !strings.Contains(fixups[0].Reason, "no such enum value") {
		t.Errorf("reason %q", fixups[0].Reason)
	}
}
