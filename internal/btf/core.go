package btf

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// COREKind is the kind of a CO-RE relocation (enum bpf_core_relo_kind):
// what the compiler wants the loader to compute for the target kernel.
type COREKind uint32

// CO-RE relocation kinds, as numbered by the kernel UAPI.
const (
	COREFieldByteOffset COREKind = 0
	COREFieldByteSize   COREKind = 1
	COREFieldExists     COREKind = 2
	COREFieldSigned     COREKind = 3
	COREFieldLShiftU64  COREKind = 4
	COREFieldRShiftU64  COREKind = 5
	CORETypeIDLocal     COREKind = 6
	CORETypeIDTarget    COREKind = 7
	CORETypeExists      COREKind = 8
	CORETypeSize        COREKind = 9
	COREEnumvalExists   COREKind = 10
	COREEnumvalValue    COREKind = 11
	CORETypeMatches     COREKind = 12
)

var coreKindNames = [...]string{
	"field_byte_offset", "field_byte_size", "field_exists", "field_signed",
	"field_lshift_u64", "field_rshift_u64", "type_id_local", "type_id_target",
	"type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches",
}

func (k COREKind) String() string {
	if int(k) < len(coreKindNames) {
		return coreKindNames[k]
	}
	return fmt.Sprintf("core_kind(%d)", uint32(k))
}

// COREReloInfoSize is the size of a bpf_core_relo record.
const COREReloInfoSize = 16

// CORERelo is one CO-RE relocation record of .BTF.ext (bpf_core_relo).
type CORERelo struct {
	// Insn is a byte offset within the ELF section as parsed, like
	// FuncInfo.Insn.
	Insn uint32
	// Type is the local (object's) BTF type the access starts from.
	Type TypeID
	// Access is the access string, such as "0:1:3": an index into the
	// base pointer, then member or array indexes; for enum kinds the
	// enumerator index.
	Access string
	Kind   COREKind
}

// parseCORE parses the core_relo subsection b into ext.CORE.
func parseCORE(b []byte, bo binary.ByteOrder, spec *Spec, ext *Ext) error {
	return walkInfo(b, bo, spec, "core_relo", COREReloInfoSize, func(sec string, n int, rec func(int) []byte) error {
		rs := make([]CORERelo, n)
		for i := range rs {
			r := rec(i)
			access, err := spec.String(bo.Uint32(r[8:]))
			if err != nil {
				return fmt.Errorf(".BTF.ext: core_relo of %s: record %d: access string: %w", sec, i, err)
			}
			rs[i] = CORERelo{Insn: bo.Uint32(r), Type: TypeID(bo.Uint32(r[4:])), Access: access, Kind: COREKind(bo.Uint32(r[12:]))}
			if rs[i].Insn%8 != 0 {
				return fmt.Errorf("%w: .BTF.ext: core_relo of %s: offset %d is not a multiple of 8", ErrInvalid, sec, rs[i].Insn)
			}
		}
		if ext.CORE == nil {
			ext.CORE = map[string][]CORERelo{}
		}
		ext.CORE[sec] = append(ext.CORE[sec], rs...)
		return nil
	})
}

// DescribeCORE renders what a CO-RE relocation refers to in C terms:
// "struct task_struct.real_parent", "struct sk_buff[1].len",
// "struct ring.slots[3]" for field kinds, "struct task_struct" for type
// kinds, "enum xdp_action::XDP_PASS" for enum kinds. Malformed records
// (an index past a struct's members, an access string that is not a list
// of numbers) are described as far as they go and then the raw access
// string, so that an error message about them still says something.
func (s *Spec) DescribeCORE(r CORERelo) string {
	t, err := s.Type(r.Type)
	if err != nil {
		return fmt.Sprintf("type %d (access %q)", r.Type, r.Access)
	}
	base := s.typeName(t)
	switch r.Kind {
	case CORETypeIDLocal, CORETypeIDTarget, CORETypeExists, CORETypeSize, CORETypeMatches:
		return base
	case COREEnumvalExists, COREEnumvalValue:
		i, err := strconv.Atoi(r.Access)
		et, err2 := s.Skip(r.Type)
		if err != nil || err2 != nil || (et.Kind != KindEnum && et.Kind != KindEnum64) || i < 0 || i >= et.Vlen {
			return fmt.Sprintf("%s (access %q)", base, r.Access)
		}
		rec := 8
		if et.Kind == KindEnum64 {
			rec = 12
		}
		name, _ := s.String(s.bo.Uint32(et.data[i*rec:]))
		return base + "::" + name
	}
	parts := strings.Split(r.Access, ":")
	var b strings.Builder
	b.WriteString(base)
	if parts[0] != "0" {
		b.WriteString("[" + parts[0] + "]")
	}
	id := r.Type
	for _, p := range parts[1:] {
		i, err := strconv.Atoi(p)
		cur, err2 := s.Skip(id)
		if err != nil || err2 != nil || i < 0 {
			return fmt.Sprintf("%s (access %q)", b.String(), r.Access)
		}
		switch cur.Kind {
		case KindStruct, KindUnion:
			m, err := s.Member(cur, i)
			if err != nil {
				return fmt.Sprintf("%s (access %q)", b.String(), r.Access)
			}
			name, _ := s.String(m.NameOff)
			if name == "" {
				name = fmt.Sprintf("<anon#%d>", i)
			}
			b.WriteString("." + name)
			id = m.Type
		case KindArray:
			elem, _, _ := s.Array(cur)
			b.WriteString("[" + p + "]")
			id = elem
		default:
			return fmt.Sprintf("%s (access %q)", b.String(), r.Access)
		}
	}
	return b.String()
}

// typeName names t as C would: "struct foo", "union bar", "enum baz", a
// typedef's or an int's own name, or "<kind> #id" when it has none.
func (s *Spec) typeName(t Type) string {
	name, _ := s.String(t.NameOff)
	if name == "" {
		return fmt.Sprintf("anonymous %s #%d", t.Kind, t.ID)
	}
	switch t.Kind {
	case KindStruct, KindUnion, KindEnum:
		return t.Kind.String() + " " + name
	case KindEnum64:
		return "enum " + name
	case KindForward:
		if t.KindFlag {
			return "union " + name
		}
		return "struct " + name
	}
	return name
}
