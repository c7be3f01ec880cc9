package core

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/btf"
)

// FuzzCORE feeds arbitrary local BTF, access strings, relocation records
// and instructions into the engine against the synthetic target: it must
// never panic, and every error must be an *Error naming the relocation.
func FuzzCORE(f *testing.F) {
	lb := btf.NewBuilder()
	u32 := lb.Int("unsigned int", 4, 0, 32)
	lb.Struct(false, "s", 8, btf.BuilderMember{Name: "a", Type: u32}, btf.BuilderMember{Name: "bf", Type: u32, BitOff: 35, Bits: 3})
	lb.Enum("e", 4, true, btf.BuilderEnumValue{Name: "A", Value: -1})
	seed := lb.Bytes()
	code, _ := asm.Instructions{asm.LoadMem(asm.R0, asm.R1, 0, asm.Word), asm.LoadImm64(asm.R0, 4), asm.Return()}.Encode(binary.NativeEndian)
	for k := range uint32(13) {
		f.Add(seed, "0:1", k, uint32(2), uint32(0), code)
		f.Add(seed, "0", k, uint32(3), uint32(1), code)
	}
	f.Add(seed, "0:0", uint32(0), uint32(2), uint32(0), code)
	f.Add(seed, "0", uint32(11), uint32(3), uint32(1), code)
	f.Fuzz(func(t *testing.T, raw []byte, access string, kind, typ, insn uint32, code []byte) {
		target, _ := targetSpec(t)
		local, err := btf.Parse(raw, binary.NativeEndian)
		if err != nil {
			return
		}
		insns, err := asm.Decode(code, binary.NativeEndian)
		if err != nil || len(insns) == 0 {
			return
		}
		r := Relo{Insn: int(insn % 4), Type: btf.TypeID(typ), Access: access, Kind: btf.COREKind(kind)}
		for _, targets := range [][]*btf.Spec{{target}, {local}, {target, local}, nil} {
			out, fixups, err := Relocate(local, []Relo{r}, targets, append(asm.Instructions(nil), insns...))
			if err != nil {
				var ce *Error
				if !errors.As(err, &ce) || ce.Relo != r {
					t.Fatalf("error %v is not an *Error naming the relocation", err)
				}
				continue
			}
			if len(fixups) != 1 || out.RawLen() != insns.RawLen() {
				t.Fatalf("%d fixups, %d raw slots from %d", len(fixups), out.RawLen(), insns.RawLen())
			}
			if fixups[0].Poison && fixups[0].Reason == "" {
				t.Fatal("poisoned without a reason")
			}
		}
	})
}
