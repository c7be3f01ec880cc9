// Package btf reads and writes BPF Type Format data: the types clang
// describes in an object's .BTF section, the running kernel's types
// (/sys/kernel/btf/vmlinux, Kernel) and its modules' (split BTF on top of
// vmlinux's, KernelModule), and the BTF the kernel keeps for loaded
// programs and maps (LoadByID).
//
// A Spec is a numbered list of types. Opening one indexes the type
// records without decoding them; TypeByID decodes one type into a Go
// value (*Struct, *Int, *Pointer, ...) whose references to other types
// are TypeIDs, and name lookups (TypeByName, TypesByName) go through an
// index built on the first lookup. Finding one type in the kernel's BTF
// therefore decodes only that type.
//
// Builder writes new BTF (for example another kernel's types, for tests)
// and Spec.Marshal writes a Spec in either byte order. Format renders raw
// values of a type as JSON the way bpftool's BTF dumper does.
package btf

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"unsafe"

	ib "github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/internal/sys"
)

// ErrInvalid is wrapped by every error about malformed BTF or a type id
// that does not exist.
var ErrInvalid = ib.ErrInvalid

// ID identifies a BTF object loaded into the kernel (the ids bpftool btf
// list prints): the BTF of a loaded program (bpf.ProgramInfo.BTF) or map
// (maps.Info.BTF), of vmlinux or of a module. It is not a TypeID, which
// numbers the types inside one BTF object.
type ID uint32

// Spec is parsed BTF: a numbered list of types (type id 0 is void).
// A Spec is safe for concurrent use.
type Spec struct {
	s    *ib.Spec
	base *Spec // of split BTF
}

func init() {
	ib.FromPublic = func(v any) (*ib.Spec, bool) {
		if s, ok := v.(*Spec); ok && s != nil {
			return s.s, true
		}
		return nil, false
	}
}

// Parse parses raw BTF (header, type and string sections, in either byte
// order, told by the magic number). It checks the header and the bounds
// of every type record, without decoding the types. raw is retained, not
// copied, and must not be modified. Errors wrap ErrInvalid.
func Parse(raw []byte) (*Spec, error) {
	s, err := ib.Parse(raw, byteOrder(raw))
	if err != nil {
		return nil, fmt.Errorf("btf: %w", err)
	}
	return &Spec{s: s}, nil
}

// byteOrder tells the byte order of raw BTF by its magic number
// (little-endian when it is neither).
func byteOrder(raw []byte) binary.ByteOrder {
	if len(raw) >= 2 && binary.BigEndian.Uint16(raw) == ib.Magic {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// btfInfo mirrors struct bpf_btf_info (kernel 5.0; name and kernel_btf
// since 5.11). The c tags name the C members and the kernel that added
// them (TestBTFInfoLayout).
type btfInfo struct {
	BTF       sys.Pointer `c:"btf"`
	BTFSize   uint32      `c:"btf_size"`
	ID        uint32      `c:"id"`
	Name      sys.Pointer `c:"name,since=5.11"`
	NameLen   uint32      `c:"name_len,since=5.11"`
	KernelBTF uint32      `c:"kernel_btf,since=5.11"`
}

// LoadByID reads the types of the BTF object id from the kernel
// (BPF_BTF_GET_FD_BY_ID and BPF_OBJ_GET_INFO_BY_FD; kernel 5.0, needs
// CAP_SYS_ADMIN). The id is, for example, maps.Info.BTF. The BTF of a
// kernel module (kernel 5.11+) is split BTF, parsed on top of Kernel().
//
// It is named like Load and not FromID (as maps.FromID and
// bpf.ProgramFromID are) because it returns a copy of the types, not a
// handle on the kernel object: no descriptor stays open. A missing id is
// an error wrapping os.ErrNotExist.
func LoadByID(id ID) (*Spec, error) {
	fd, err := sys.GetFDByID(sys.BTFGetFDByIDCmd, uint32(id))
	if err != nil {
		return nil, fmt.Errorf("btf %d: open: %w", id, err)
	}
	defer fd.Close()
	var name [64]byte
	module := false
	info := btfInfo{Name: sys.SlicePointer(name[:]), NameLen: uint32(len(name))}
	if _, err := sys.ObjGetInfoByFD(fd, unsafe.Pointer(&info), uint32(unsafe.Sizeof(info))); err != nil {
		return nil, fmt.Errorf("btf %d: info: %w", id, err)
	}
	if info.KernelBTF != 0 {
		n := string(name[:min(int(info.NameLen), len(name))])
		if i := indexNUL(n); i >= 0 {
			n = n[:i]
		}
		module = n != "vmlinux"
	}
	if info.BTFSize == 0 {
		return nil, fmt.Errorf("btf %d: %w: kernel reports 0 bytes", id, ErrInvalid)
	}
	raw := make([]byte, info.BTFSize)
	info = btfInfo{BTF: sys.SlicePointer(raw), BTFSize: uint32(len(raw))}
	if _, err := sys.ObjGetInfoByFD(fd, unsafe.Pointer(&info), uint32(unsafe.Sizeof(info))); err != nil {
		return nil, fmt.Errorf("btf %d: read %d bytes: %w", id, len(raw), err)
	}
	if int(info.BTFSize) < len(raw) {
		raw = raw[:info.BTFSize]
	}
	if module {
		base, err := Kernel()
		if err != nil {
			return nil, fmt.Errorf("btf %d: base of module BTF: %w", id, err)
		}
		s, err := ParseSplit(raw, base)
		if err != nil {
			return nil, fmt.Errorf("btf %d: %w", id, err)
		}
		return s, nil
	}
	s, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("btf %d: %w", id, err)
	}
	return s, nil
}

func indexNUL(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}

// NumTypes returns the number of types; valid type ids are 1..NumTypes.
func (s *Spec) NumTypes() int { return s.s.NumTypes() }

// Size returns the size in bytes of a value of type id (typedefs and
// qualifiers followed). Types without a size (void, functions, forward
// declarations) are an error.
func (s *Spec) Size(id TypeID) (uint32, error) {
	n, err := s.s.Sizeof(ib.TypeID(id))
	if err != nil {
		return 0, fmt.Errorf("btf: size of type %d: %w", id, err)
	}
	return n, nil
}

// TypeName returns a C-like name of type id for messages: "struct
// flow_key", "__u32", "char[16]", "const int *", "void" for 0, and
// "type N (kind)" for anonymous types and ids that do not exist.
func (s *Spec) TypeName(id TypeID) string {
	return string(s.appendTypeName(nil, ib.TypeID(id), 0))
}

func (s *Spec) appendTypeName(b []byte, id ib.TypeID, depth int) []byte {
	if id == 0 {
		return append(b, "void"...)
	}
	t, err := s.s.Type(id)
	if err != nil {
		return fmt.Appendf(b, "type %d (invalid)", id)
	}
	name, _ := s.s.Name(t)
	if depth > 8 {
		return append(b, "..."...)
	}
	switch t.Kind {
	case ib.KindStruct, ib.KindUnion, ib.KindEnum, ib.KindEnum64, ib.KindForward:
		kw := t.Kind.String()
		if t.Kind == ib.KindEnum64 {
			kw = "enum"
		}
		if t.Kind == ib.KindForward {
			kw = "struct"
			if t.KindFlag {
				kw = "union"
			}
		}
		if name == "" {
			return fmt.Appendf(b, "%s (anon, type %d)", kw, id)
		}
		return append(append(append(b, kw...), ' '), name...)
	case ib.KindPointer:
		b = s.appendTypeName(b, ib.TypeID(t.SizeOrType), depth+1)
		return append(b, " *"...)
	case ib.KindConst, ib.KindVolatile, ib.KindRestrict:
		b = append(append(b, t.Kind.String()...), ' ')
		return s.appendTypeName(b, ib.TypeID(t.SizeOrType), depth+1)
	case ib.KindTypeTag:
		return s.appendTypeName(b, ib.TypeID(t.SizeOrType), depth+1)
	case ib.KindArray:
		elem, n, _ := s.s.Array(t)
		b = s.appendTypeName(b, elem, depth+1)
		return append(strconv.AppendUint(append(b, '['), uint64(n), 10), ']')
	}
	if name == "" {
		return fmt.Appendf(b, "type %d (%s)", id, t.Kind)
	}
	return append(b, name...)
}

// TypeIDByCName returns the id of the first type whose TypeName is name,
// that is a C spelling such as "struct flow_key", "__u32" or "char[16]";
// it fails with an error wrapping ErrNotFound when there is none. Names
// of named types ("struct x", "union x", "enum x" or a bare name) are
// found through the name index, other spellings by a scan of every type.
// TypeByName, TypesByName and NamedType take the bare name instead.
func (s *Spec) TypeIDByCName(name string) (TypeID, error) {
	var buf []byte
	if ident, ok := plainTypeName(name); ok {
		for _, id := range s.s.ByName(ident) {
			buf = s.appendTypeName(buf[:0], id, 0)
			if string(buf) == name {
				return TypeID(id), nil
			}
		}
		return 0, &notFoundError{name: name}
	}
	for id := 1; id <= s.s.NumTypes(); id++ {
		buf = s.appendTypeName(buf[:0], ib.TypeID(id), 0)
		if string(buf) == name {
			return TypeID(id), nil
		}
	}
	return 0, &notFoundError{name: name}
}

// plainTypeName returns the identifier of a TypeName of the form
// "struct x", "union x", "enum x" or "x", the only forms TypeName gives
// named types (and only named types).
func plainTypeName(name string) (string, bool) {
	for _, kw := range []string{"struct ", "union ", "enum "} {
		if len(name) > len(kw) && name[:len(kw)] == kw {
			name = name[len(kw):]
			break
		}
	}
	if name == "" {
		return "", false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return "", false
		}
	}
	return name, true
}
