package btf

import (
	"fmt"

	ib "github.com/purebpf/bpf/internal/btf"
)

// TypeID identifies a type in a Spec: 1..NumTypes, 0 is void. The ids of
// split BTF continue those of its base.
type TypeID uint32

// Kind is the kind of a BTF type (BTF_KIND_*), as the kernel numbers it.
type Kind uint8

// The BTF kinds. The comments give the Go type of each and the kernel
// that introduced the kinds added after BTF itself (4.18).
const (
	KindVoid      Kind = 0  // *Void (type id 0 only)
	KindInt       Kind = 1  // *Int
	KindPointer   Kind = 2  // *Pointer
	KindArray     Kind = 3  // *Array
	KindStruct    Kind = 4  // *Struct
	KindUnion     Kind = 5  // *Union
	KindEnum      Kind = 6  // *Enum
	KindFwd       Kind = 7  // *Fwd
	KindTypedef   Kind = 8  // *Typedef
	KindVolatile  Kind = 9  // *Volatile
	KindConst     Kind = 10 // *Const
	KindRestrict  Kind = 11 // *Restrict
	KindFunc      Kind = 12 // *Func (5.0)
	KindFuncProto Kind = 13 // *FuncProto (5.0)
	KindVar       Kind = 14 // *Var (5.2)
	KindDatasec   Kind = 15 // *Datasec (5.2)
	KindFloat     Kind = 16 // *Float (5.13)
	KindDeclTag   Kind = 17 // *DeclTag (5.16)
	KindTypeTag   Kind = 18 // *TypeTag (5.17)
	KindEnum64    Kind = 19 // *Enum64 (6.0)
)

// String returns the kind's name as bpftool prints it ("struct",
// "func_proto", ...), "void" for KindVoid.
func (k Kind) String() string {
	if k == KindVoid {
		return "void"
	}
	return ib.Kind(k).String()
}

// Type is one decoded BTF type: *Void, *Int, *Pointer, *Array, *Struct,
// *Union, *Enum, *Enum64, *Fwd, *Typedef, *Volatile, *Const, *Restrict,
// *Func, *FuncProto, *Var, *Datasec, *Float, *DeclTag or *TypeTag.
// Types refer to other types by TypeID, resolved with Spec.TypeByID, so a
// decoded type is a small value independent of the rest of the graph.
// A Builder takes the same values to add types.
type Type interface {
	// Kind returns the BTF kind of the type.
	Kind() Kind
	// TypeName returns the type's name, "" for anonymous types and kinds
	// without a name (pointers, arrays, qualifiers, prototypes).
	TypeName() string
}

// Void is type id 0: no type (the return type of a void function, the
// target of void *).
type Void struct{}

// IntEncoding is the encoding of an Int: zero or more of IntSigned,
// IntChar and IntBool.
type IntEncoding uint8

// Int encodings (BTF_INT_*).
const (
	IntSigned IntEncoding = 1 << 0
	IntChar   IntEncoding = 1 << 1
	IntBool   IntEncoding = 1 << 2
)

// String returns the encoding as bpftool prints it: "(none)" for 0 (an
// unsigned integer), "SIGNED", "CHAR", "BOOL", or the bits joined by "|"
// ("SIGNED|CHAR"); unknown bits are printed in hex.
func (e IntEncoding) String() string {
	if e == 0 {
		return "(none)"
	}
	var b []byte
	for _, n := range []struct {
		bit  IntEncoding
		name string
	}{{IntSigned, "SIGNED"}, {IntChar, "CHAR"}, {IntBool, "BOOL"}} {
		if e&n.bit != 0 {
			if b != nil {
				b = append(b, '|')
			}
			b = append(b, n.name...)
			e &^= n.bit
		}
	}
	if e != 0 {
		if b != nil {
			b = append(b, '|')
		}
		b = fmt.Appendf(b, "%#x", uint8(e))
	}
	return string(b)
}

// Int is an integer type (also char and _Bool).
type Int struct {
	// Name is the type's name ("unsigned int", "char", "_Bool", ...).
	Name string
	// Size is the size in bytes (1, 2, 4, 8 or 16).
	Size uint32
	// Encoding tells signed, char and bool integers.
	Encoding IntEncoding
	// Offset is the bit offset of the value within the Size bytes
	// (always 0 in BTF clang and pahole write).
	Offset uint8
	// Bits is the number of bits of the value (at most 8*Size).
	Bits uint8
}

// Pointer is a pointer to Target (0: void *).
type Pointer struct {
	// Target is the type pointed to (0: void).
	Target TypeID
}

// Array is an array of Nelems elements of type Type; Index is the type
// of its index (an int, informational).
type Array struct {
	// Type is the element type.
	Type TypeID
	// Index is the type of the index (an int, informational).
	Index TypeID
	// Nelems is the number of elements (0 for a flexible array).
	Nelems uint32
}

// Member is a member of a struct or union.
type Member struct {
	// Name is "" for an anonymous struct or union member.
	Name string
	// Type is the member's type.
	Type TypeID
	// BitOffset is the offset of the member in bits from the start of
	// the struct (of the storage unit of a bitfield, whose value starts
	// at BitOffset).
	BitOffset uint32
	// BitfieldSize is the size in bits of a bitfield member, 0 for a
	// member that is not a bitfield (its Type gives its size).
	BitfieldSize uint32
}

// Struct is a struct of Size bytes.
type Struct struct {
	// Name is "" for an anonymous struct.
	Name string
	// Size is the size of the struct in bytes.
	Size uint32
	// Members are the members in declaration order.
	Members []Member
}

// Union is a union of Size bytes; all members are at bit offset 0,
// except bitfields.
type Union struct {
	// Name is "" for an anonymous union.
	Name string
	// Size is the size of the union in bytes.
	Size uint32
	// Members are the members in declaration order.
	Members []Member
}

// EnumValue is one enumerator of an Enum or Enum64.
type EnumValue struct {
	// Name is the enumerator's name.
	Name string
	// Value holds the enumerator's bits: for a Signed enum, interpret it
	// as int64 (values of 32-bit enums are sign-extended then, and
	// zero-extended otherwise).
	Value uint64
}

// Enum is an enumeration of Size bytes (1, 2 or 4) with 32-bit values.
type Enum struct {
	// Name is "" for an anonymous enum.
	Name string
	// Size is the size of a value in bytes.
	Size uint32
	// Signed is set when the values are signed (the kind flag; BTF from
	// before kernel 6.0 never sets it).
	Signed bool
	// Values are the enumerators in declaration order.
	Values []EnumValue
}

// Enum64 is an enumeration with 64-bit values (kernel 6.0+).
type Enum64 struct {
	// Name is "" for an anonymous enum.
	Name string
	// Size is the size of a value in bytes (8, or less for enums whose
	// values fit).
	Size uint32
	// Signed is set when the values are signed (the kind flag).
	Signed bool
	// Values are the enumerators in declaration order.
	Values []EnumValue
}

// Fwd is a forward declaration of a struct or, if Union, a union.
type Fwd struct {
	// Name is the name of the declared struct or union.
	Name string
	// Union is set for "union Name;" (the kind flag), unset for a struct.
	Union bool
}

// Typedef names Type.
type Typedef struct {
	// Name is the typedef's name.
	Name string
	// Type is the type named.
	Type TypeID
}

// Volatile is Type qualified volatile.
type Volatile struct {
	// Type is the qualified type.
	Type TypeID
}

// Const is Type qualified const.
type Const struct {
	// Type is the qualified type.
	Type TypeID
}

// Restrict is Type qualified restrict.
type Restrict struct {
	// Type is the qualified type.
	Type TypeID
}

// FuncLinkage is the linkage of a Func (stored in the BTF record's vlen).
type FuncLinkage uint32

// Func linkages (BTF_FUNC_*).
const (
	FuncStatic FuncLinkage = 0
	FuncGlobal FuncLinkage = 1
	FuncExtern FuncLinkage = 2
)

// String returns the linkage as bpftool prints it: "static", "global",
// "extern", or "linkage N" for other values.
func (l FuncLinkage) String() string { return linkageString(uint32(l)) }

// Func is a function; Type is its FuncProto.
type Func struct {
	// Name is the function's name.
	Name string
	// Type is the function's FuncProto.
	Type TypeID
	// Linkage is static, global or extern.
	Linkage FuncLinkage
}

// FuncParam is a parameter of a FuncProto.
type FuncParam struct {
	// Name is the parameter's name ("" when the prototype has none, and
	// for the variadic marker).
	Name string
	// Type is the parameter's type (0 for the variadic marker).
	Type TypeID
}

// FuncProto is a function prototype: Return is the return type (0:
// void). A variadic prototype's last parameter has Type 0 and no name.
type FuncProto struct {
	// Return is the return type (0: void).
	Return TypeID
	// Params are the parameters in order.
	Params []FuncParam
}

// VarLinkage is the linkage of a Var.
type VarLinkage uint32

// Var linkages (BTF_VAR_*).
const (
	VarStatic VarLinkage = 0
	VarGlobal VarLinkage = 1
	VarExtern VarLinkage = 2
)

// String returns the linkage as bpftool prints it: "static", "global",
// "extern", or "linkage N" for other values.
func (l VarLinkage) String() string { return linkageString(uint32(l)) }

// linkageString names the linkages shared by BTF_FUNC_* and BTF_VAR_*.
func linkageString(l uint32) string {
	switch l {
	case 0:
		return "static"
	case 1:
		return "global"
	case 2:
		return "extern"
	}
	return fmt.Sprintf("linkage %d", l)
}

// Var is a global variable of type Type.
type Var struct {
	// Name is the variable's name.
	Name string
	// Type is the variable's type.
	Type TypeID
	// Linkage is static, global or extern.
	Linkage VarLinkage
}

// VarSecinfo places a variable in a Datasec.
type VarSecinfo struct {
	// Type is the Var (or, for extern functions in .ksyms, the Func).
	Type TypeID
	// Offset and Size are the variable's place in the section in bytes.
	Offset uint32
	Size   uint32
}

// Datasec is a data section (".data", ".bss", ".rodata", ".maps",
// ".kconfig", ...) of Size bytes and the variables in it. clang leaves
// Size and the offsets 0 in objects; loaders fill them in.
type Datasec struct {
	// Name is the section's name.
	Name string
	// Size is the section's size in bytes (0 in clang's objects).
	Size uint32
	// Vars are the section's variables, in offset order in loaded BTF.
	Vars []VarSecinfo
}

// Float is a floating-point type of Size bytes (kernel 5.13+).
type Float struct {
	// Name is the type's name ("double", ...).
	Name string
	// Size is the size in bytes (2, 4, 8, 12 or 16).
	Size uint32
}

// DeclTag is a declaration tag (__attribute__((btf_decl_tag(Value))),
// kernel 5.16+) on Type: on the type itself when ComponentIdx is -1, on
// its member (struct, union) or parameter (func) of that index otherwise.
type DeclTag struct {
	// Value is the tag's string.
	Value string
	// Type is the tagged type (a struct, union, func, var or typedef).
	Type TypeID
	// ComponentIdx is -1 for the type itself, else the index of the
	// member or parameter tagged.
	ComponentIdx int32
}

// TypeTag is a type tag (__attribute__((btf_type_tag(Value))), kernel
// 5.17+) on Type, which comes between a pointer and its target.
type TypeTag struct {
	// Value is the tag's string.
	Value string
	// Type is the tagged type.
	Type TypeID
}

// Kind returns KindVoid.
func (*Void) Kind() Kind { return KindVoid }

// Kind returns KindInt.
func (*Int) Kind() Kind { return KindInt }

// Kind returns KindPointer.
func (*Pointer) Kind() Kind { return KindPointer }

// Kind returns KindArray.
func (*Array) Kind() Kind { return KindArray }

// Kind returns KindStruct.
func (*Struct) Kind() Kind { return KindStruct }

// Kind returns KindUnion.
func (*Union) Kind() Kind { return KindUnion }

// Kind returns KindEnum.
func (*Enum) Kind() Kind { return KindEnum }

// Kind returns KindEnum64.
func (*Enum64) Kind() Kind { return KindEnum64 }

// Kind returns KindFwd.
func (*Fwd) Kind() Kind { return KindFwd }

// Kind returns KindTypedef.
func (*Typedef) Kind() Kind { return KindTypedef }

// Kind returns KindVolatile.
func (*Volatile) Kind() Kind { return KindVolatile }

// Kind returns KindConst.
func (*Const) Kind() Kind { return KindConst }

// Kind returns KindRestrict.
func (*Restrict) Kind() Kind { return KindRestrict }

// Kind returns KindFunc.
func (*Func) Kind() Kind { return KindFunc }

// Kind returns KindFuncProto.
func (*FuncProto) Kind() Kind { return KindFuncProto }

// Kind returns KindVar.
func (*Var) Kind() Kind { return KindVar }

// Kind returns KindDatasec.
func (*Datasec) Kind() Kind { return KindDatasec }

// Kind returns KindFloat.
func (*Float) Kind() Kind { return KindFloat }

// Kind returns KindDeclTag.
func (*DeclTag) Kind() Kind { return KindDeclTag }

// Kind returns KindTypeTag.
func (*TypeTag) Kind() Kind { return KindTypeTag }

// TypeName returns "": a Void has no name.
func (*Void) TypeName() string { return "" }

// TypeName returns Name.
func (t *Int) TypeName() string { return t.Name }

// TypeName returns "": a Pointer has no name.
func (*Pointer) TypeName() string { return "" }

// TypeName returns "": an Array has no name.
func (*Array) TypeName() string { return "" }

// TypeName returns Name.
func (t *Struct) TypeName() string { return t.Name }

// TypeName returns Name.
func (t *Union) TypeName() string { return t.Name }

// TypeName returns Name.
func (t *Enum) TypeName() string { return t.Name }

// TypeName returns Name.
func (t *Enum64) TypeName() string { return t.Name }

// TypeName returns Name.
func (t *Fwd) TypeName() string { return t.Name }

// TypeName returns Name.
func (t *Typedef) TypeName() string { return t.Name }

// TypeName returns "": a Volatile has no name.
func (*Volatile) TypeName() string { return "" }

// TypeName returns "": a Const has no name.
func (*Const) TypeName() string { return "" }

// TypeName returns "": a Restrict has no name.
func (*Restrict) TypeName() string { return "" }

// TypeName returns Name.
func (t *Func) TypeName() string { return t.Name }

// TypeName returns "": a FuncProto has no name.
func (*FuncProto) TypeName() string { return "" }

// TypeName returns Name.
func (t *Var) TypeName() string { return t.Name }

// TypeName returns Name.
func (t *Datasec) TypeName() string { return t.Name }

// TypeName returns Name.
func (t *Float) TypeName() string { return t.Name }

// TypeName returns the tag's Value.
func (t *DeclTag) TypeName() string { return t.Value }

// TypeName returns the tag's Value.
func (t *TypeTag) TypeName() string { return t.Value }

// decode decodes type id of s.
func decode(s *ib.Spec, id TypeID) (Type, error) {
	if id == 0 {
		return &Void{}, nil
	}
	t, err := s.Type(ib.TypeID(id))
	if err != nil {
		return nil, err
	}
	name, err := s.Name(t)
	if err != nil {
		return nil, fmt.Errorf("type %d: %w", id, err)
	}
	bo := s.ByteOrder()
	data := t.Data()
	ref := TypeID(t.SizeOrType)
	str := func(off uint32) (string, error) {
		n, err := s.String(off)
		if err != nil {
			return "", fmt.Errorf("type %d (%s %s): %w", id, t.Kind, name, err)
		}
		return n, nil
	}
	switch t.Kind {
	case ib.KindInt:
		v, err := s.Int(t)
		if err != nil {
			return nil, err
		}
		return &Int{Name: name, Size: t.SizeOrType, Encoding: IntEncoding(v.Encoding), Offset: v.Offset, Bits: v.Bits}, nil
	case ib.KindPointer:
		return &Pointer{Target: ref}, nil
	case ib.KindArray:
		return &Array{Type: TypeID(bo.Uint32(data)), Index: TypeID(bo.Uint32(data[4:])), Nelems: bo.Uint32(data[8:])}, nil
	case ib.KindStruct, ib.KindUnion:
		ms := make([]Member, t.Vlen)
		for i := range ms {
			b := data[12*i:]
			n, err := str(bo.Uint32(b))
			if err != nil {
				return nil, err
			}
			off := bo.Uint32(b[8:])
			var bits uint32
			if t.KindFlag {
				off, bits = off&0xffffff, off>>24
			}
			ms[i] = Member{Name: n, Type: TypeID(bo.Uint32(b[4:])), BitOffset: off, BitfieldSize: bits}
		}
		if t.Kind == ib.KindUnion {
			return &Union{Name: name, Size: t.SizeOrType, Members: ms}, nil
		}
		return &Struct{Name: name, Size: t.SizeOrType, Members: ms}, nil
	case ib.KindEnum, ib.KindEnum64:
		vs := make([]EnumValue, t.Vlen)
		for i := range vs {
			off, v, err := s.EnumValue(t, i)
			if err != nil {
				return nil, err
			}
			if vs[i].Name, err = str(off); err != nil {
				return nil, err
			}
			vs[i].Value = uint64(v)
			if t.Kind == ib.KindEnum && !t.KindFlag {
				vs[i].Value = uint64(uint32(v))
			}
		}
		if t.Kind == ib.KindEnum64 {
			return &Enum64{Name: name, Size: t.SizeOrType, Signed: t.KindFlag, Values: vs}, nil
		}
		return &Enum{Name: name, Size: t.SizeOrType, Signed: t.KindFlag, Values: vs}, nil
	case ib.KindForward:
		return &Fwd{Name: name, Union: t.KindFlag}, nil
	case ib.KindTypedef:
		return &Typedef{Name: name, Type: ref}, nil
	case ib.KindVolatile:
		return &Volatile{Type: ref}, nil
	case ib.KindConst:
		return &Const{Type: ref}, nil
	case ib.KindRestrict:
		return &Restrict{Type: ref}, nil
	case ib.KindFunc:
		return &Func{Name: name, Type: ref, Linkage: FuncLinkage(t.Vlen)}, nil
	case ib.KindFuncProt:
		ps := make([]FuncParam, t.Vlen)
		for i := range ps {
			b := data[8*i:]
			n, err := str(bo.Uint32(b))
			if err != nil {
				return nil, err
			}
			ps[i] = FuncParam{Name: n, Type: TypeID(bo.Uint32(b[4:]))}
		}
		return &FuncProto{Return: ref, Params: ps}, nil
	case ib.KindVar:
		return &Var{Name: name, Type: ref, Linkage: VarLinkage(bo.Uint32(data))}, nil
	case ib.KindDatasec:
		vs := make([]VarSecinfo, t.Vlen)
		for i := range vs {
			b := data[12*i:]
			vs[i] = VarSecinfo{Type: TypeID(bo.Uint32(b)), Offset: bo.Uint32(b[4:]), Size: bo.Uint32(b[8:])}
		}
		return &Datasec{Name: name, Size: t.SizeOrType, Vars: vs}, nil
	case ib.KindFloat:
		return &Float{Name: name, Size: t.SizeOrType}, nil
	case ib.KindDeclTag:
		return &DeclTag{Value: name, Type: ref, ComponentIdx: int32(bo.Uint32(data))}, nil
	case ib.KindTypeTag:
		return &TypeTag{Value: name, Type: ref}, nil
	}
	return nil, fmt.Errorf("%w: type %d: kind %s", ErrInvalid, id, t.Kind)
}
