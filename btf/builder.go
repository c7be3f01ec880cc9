package btf

import (
	"encoding/binary"
	"fmt"

	ib "github.com/purebpf/bpf/internal/btf"
)

// Builder writes new BTF: Add appends a type (a value of one of the Type
// implementations) and returns its id, which later types use to refer to
// it; Marshal or Spec gives the result. Type ids are given out in order
// from 1 or, for split BTF (NewSplitBuilder), from the base's
// NumTypes()+1. Tests use it to describe another kernel's types.
//
// Types are written as given: Add does not check that references resolve
// (a type may refer to one added later, as in a linked list). Values that
// BTF cannot encode (more than 65535 members, a bitfield offset of 2^24
// bits or more, ...) make the first such Add record an error that Marshal
// and Spec return.
type Builder struct {
	b    *ib.Builder
	base *Spec
	err  error
}

// NewBuilder returns a Builder of stand-alone BTF.
func NewBuilder() *Builder { return &Builder{b: ib.NewBuilder()} }

// NewSplitBuilder returns a Builder of split BTF on top of base: its
// types may refer to base's by id, and Spec parses the result on base.
func NewSplitBuilder(base *Spec) *Builder {
	return &Builder{b: ib.NewSplitBuilder(base.s), base: base}
}

func (b *Builder) fail(format string, args ...any) ib.TypeID {
	if b.err == nil {
		b.err = fmt.Errorf("btf: builder: type %d: %s", b.b.NextID(), fmt.Sprintf(format, args...))
	}
	return b.b.Raw(ib.KindInt, "", 0, false, 0, 0) // keeps the ids of later types
}

// NextID returns the id the next Add will give, for types that refer to
// themselves or to types added after them.
func (b *Builder) NextID() TypeID { return TypeID(b.b.NextID()) }

// Add appends t and returns its id. *Void cannot be added (void is id 0).
func (b *Builder) Add(t Type) TypeID { return TypeID(b.add(t)) }

func (b *Builder) add(t Type) ib.TypeID {
	const maxVlen = 0xffff
	switch t := t.(type) {
	case *Int:
		return b.b.Raw(ib.KindInt, t.Name, 0, false, t.Size, uint32(t.Encoding)<<24|uint32(t.Offset)<<16|uint32(t.Bits))
	case *Pointer:
		return b.b.Ref(ib.KindPointer, "", ib.TypeID(t.Target))
	case *Array:
		return b.b.Raw(ib.KindArray, "", 0, false, 0, uint32(t.Type), uint32(t.Index), t.Nelems)
	case *Struct:
		return b.composite(ib.KindStruct, t.Name, t.Size, t.Members)
	case *Union:
		return b.composite(ib.KindUnion, t.Name, t.Size, t.Members)
	case *Enum:
		if len(t.Values) > maxVlen {
			return b.fail("enum %s: %d values", t.Name, len(t.Values))
		}
		var words []uint32
		for _, v := range t.Values {
			words = append(words, b.b.String(v.Name), uint32(v.Value))
		}
		return b.b.Raw(ib.KindEnum, t.Name, len(t.Values), t.Signed, t.Size, words...)
	case *Enum64:
		if len(t.Values) > maxVlen {
			return b.fail("enum %s: %d values", t.Name, len(t.Values))
		}
		var words []uint32
		for _, v := range t.Values {
			words = append(words, b.b.String(v.Name), uint32(v.Value), uint32(v.Value>>32))
		}
		return b.b.Raw(ib.KindEnum64, t.Name, len(t.Values), t.Signed, t.Size, words...)
	case *Fwd:
		return b.b.Fwd(t.Name, t.Union)
	case *Typedef:
		return b.b.Ref(ib.KindTypedef, t.Name, ib.TypeID(t.Type))
	case *Volatile:
		return b.b.Ref(ib.KindVolatile, "", ib.TypeID(t.Type))
	case *Const:
		return b.b.Ref(ib.KindConst, "", ib.TypeID(t.Type))
	case *Restrict:
		return b.b.Ref(ib.KindRestrict, "", ib.TypeID(t.Type))
	case *Func:
		return b.b.Func(t.Name, ib.TypeID(t.Type), int(t.Linkage))
	case *FuncProto:
		if len(t.Params) > maxVlen {
			return b.fail("func_proto: %d parameters", len(t.Params))
		}
		ps := make([]ib.BuilderParam, len(t.Params))
		for i, p := range t.Params {
			ps[i] = ib.BuilderParam{Name: p.Name, Type: ib.TypeID(p.Type)}
		}
		return b.b.FuncProto(ib.TypeID(t.Return), ps...)
	case *Var:
		return b.b.VarLinkage(t.Name, ib.TypeID(t.Type), uint32(t.Linkage))
	case *Datasec:
		if len(t.Vars) > maxVlen {
			return b.fail("datasec %s: %d variables", t.Name, len(t.Vars))
		}
		vs := make([]ib.BuilderVar, len(t.Vars))
		for i, v := range t.Vars {
			vs[i] = ib.BuilderVar{Var: ib.TypeID(v.Type), Offset: v.Offset, Size: v.Size}
		}
		return b.b.Datasec(t.Name, t.Size, vs...)
	case *Float:
		return b.b.Float(t.Name, t.Size)
	case *DeclTag:
		return b.b.DeclTag(t.Value, ib.TypeID(t.Type), t.ComponentIdx)
	case *TypeTag:
		return b.b.Ref(ib.KindTypeTag, t.Value, ib.TypeID(t.Type))
	}
	return b.fail("cannot add %T", t)
}

// composite adds a struct or union; the kind flag is set when a member is
// a bitfield, as clang does.
func (b *Builder) composite(kind ib.Kind, name string, size uint32, ms []Member) ib.TypeID {
	if len(ms) > 0xffff {
		return b.fail("%s %s: %d members", kind, name, len(ms))
	}
	bm := make([]ib.BuilderMember, len(ms))
	for i, m := range ms {
		if m.BitfieldSize > 0 && (m.BitOffset >= 1<<24 || m.BitfieldSize > 255) {
			return b.fail("%s %s: member %s: bitfield of %d bits at bit %d", kind, name, m.Name, m.BitfieldSize, m.BitOffset)
		}
		bm[i] = ib.BuilderMember{Name: m.Name, Type: ib.TypeID(m.Type), BitOff: m.BitOffset, Bits: m.BitfieldSize}
	}
	return b.b.Struct(kind == ib.KindUnion, name, size, bm...)
}

// Marshal returns the BTF built so far in byte order bo, or the first
// error of Add.
func (b *Builder) Marshal(bo binary.ByteOrder) ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	if bo == nil {
		return nil, fmt.Errorf("btf: builder: no byte order")
	}
	return b.b.BytesIn(bo), nil
}

// Spec parses the BTF built so far (host byte order; on the base, for
// split BTF).
func (b *Builder) Spec() (*Spec, error) {
	raw, err := b.Marshal(binary.NativeEndian)
	if err != nil {
		return nil, err
	}
	if b.base != nil {
		return ParseSplit(raw, b.base)
	}
	return Parse(raw)
}
