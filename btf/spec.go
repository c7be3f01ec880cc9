package btf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"os"
	"sync"

	ib "github.com/purebpf/bpf/internal/btf"
)

// ErrNotFound is wrapped by the errors of the name lookups when no type
// has the name.
var ErrNotFound = errors.New("no such type")

// notFoundError is the error of a name lookup that found nothing: one
// small allocation, formatted only when printed (a loader probing for
// optional types looks up many missing names).
type notFoundError struct {
	kind string // "" for any kind
	name string
}

func (e *notFoundError) Error() string {
	if e.kind == "" {
		return fmt.Sprintf("btf: %v named %q", ErrNotFound, e.name)
	}
	return fmt.Sprintf("btf: %v: %s %q", ErrNotFound, e.kind, e.name)
}

func (e *notFoundError) Unwrap() error { return ErrNotFound }

// ErrAmbiguous is wrapped by the error of TypeByName when several types
// have the name.
var ErrAmbiguous = errors.New("several types have the name")

// ParseSplit parses split BTF raw on top of base, as the kernel exposes a
// module's types (/sys/kernel/btf/<module>) on top of vmlinux's: raw's
// first type id is base.NumTypes()+1 and its string offsets continue
// base's string section. The Spec returned resolves the types of both
// (its NumTypes counts both; TypeByID of a base id decodes the base's
// type; name lookups find both, the base's first). raw must be in base's
// byte order; it is retained, not copied. Errors wrap ErrInvalid.
func ParseSplit(raw []byte, base *Spec) (*Spec, error) {
	if base == nil {
		return nil, fmt.Errorf("btf: %w: split BTF without a base", ErrInvalid)
	}
	s, err := ib.ParseSplit(raw, byteOrder(raw), base.s)
	if err != nil {
		return nil, fmt.Errorf("btf: split: %w", err)
	}
	return &Spec{s: s, base: base}, nil
}

// LoadSplit reads the split BTF file path and parses it on top of base
// (see ParseSplit).
func LoadSplit(path string, base *Spec) (*Spec, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("btf: %w", err)
	}
	s, err := ParseSplit(raw, base)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Load reads the BTF file path (raw BTF, such as /sys/kernel/btf/vmlinux
// or the output of a Marshal) and parses it. Files in sysfs are mapped
// read-only where the kernel allows it (6.16+) and unmapped once the Spec
// is unreachable; other files are read. Each call opens the file again:
// Load("/sys/kernel/btf/vmlinux") is Kernel without its cache.
func Load(path string) (*Spec, error) {
	s, err := ib.LoadFile(path)
	if err != nil {
		return nil, fmt.Errorf("btf: %w", err)
	}
	return &Spec{s: s}, nil
}

var kernel struct {
	once sync.Once
	spec *Spec
	err  error
}

// Kernel returns the running kernel's BTF (/sys/kernel/btf/vmlinux, kernel
// 5.4+ with CONFIG_DEBUG_INFO_BTF), opened once per process: mapped
// read-only where the kernel allows it (6.16+), read otherwise. Types are
// decoded only when asked for. It is safe for concurrent use.
func Kernel() (*Spec, error) {
	kernel.once.Do(func() {
		s, err := ib.Kernel()
		if err != nil {
			kernel.err = fmt.Errorf("btf: %w", err)
			return
		}
		kernel.spec = &Spec{s: s}
	})
	return kernel.spec, kernel.err
}

// ErrNoModule is wrapped by the error of KernelModule for a module
// without BTF (not loaded, or built without CONFIG_DEBUG_INFO_BTF_MODULES).
var ErrNoModule = ib.ErrNoModule

// KernelModule returns the BTF of the loaded kernel module name
// (/sys/kernel/btf/<name>, kernel 5.11+), split BTF on top of Kernel(),
// read once per module and process (errors are not kept: a module loaded
// later is found by the next call). It is safe for concurrent use.
func KernelModule(name string) (*Spec, error) {
	base, err := Kernel()
	if err != nil {
		return nil, err
	}
	s, err := ib.KernelModule(name)
	if err != nil {
		return nil, fmt.Errorf("btf: %w", err)
	}
	return modulePublic(s, base), nil
}

var modules struct {
	mu    sync.Mutex
	specs map[*ib.Spec]*Spec
}

// modulePublic returns the one public Spec of the cached module BTF s.
func modulePublic(s *ib.Spec, base *Spec) *Spec {
	modules.mu.Lock()
	defer modules.mu.Unlock()
	p := modules.specs[s]
	if p == nil {
		if modules.specs == nil {
			modules.specs = map[*ib.Spec]*Spec{}
		}
		p = &Spec{s: s, base: base}
		modules.specs[s] = p
	}
	return p
}

// KernelModules returns the names of the loaded kernel modules that have
// BTF, sorted (empty when there are none).
func KernelModules() ([]string, error) {
	names, err := ib.KernelModules()
	if err != nil {
		return nil, fmt.Errorf("btf: %w", err)
	}
	return names, nil
}

// Base returns the Spec a split Spec is on (nil for stand-alone BTF).
func (s *Spec) Base() *Spec { return s.base }

// FirstID returns the first type id of s's own types: 1 for stand-alone
// BTF, Base().NumTypes()+1 for split BTF.
func (s *Spec) FirstID() TypeID { return TypeID(s.s.FirstID()) }

// TypeByID decodes type id (0 is *Void). Errors wrap ErrInvalid: an id
// out of range, or malformed BTF (a name outside the string section).
func (s *Spec) TypeByID(id TypeID) (Type, error) {
	t, err := decode(s.s, id)
	if err != nil {
		return nil, fmt.Errorf("btf: %w", err)
	}
	return t, nil
}

// TypesByName returns every type named exactly name, of any kind, in
// increasing id order (the base's first for split BTF), and empty lists
// (no error, no allocation) when there is none; anonymous types have no
// name, so "" finds nothing. The error reports a type that does not
// decode (ErrInvalid). The first lookup in a Spec builds its name index.
func (s *Spec) TypesByName(name string) ([]TypeID, []Type, error) {
	raw := s.s.ByName(name)
	if len(raw) == 0 {
		return nil, nil, nil
	}
	ids := make([]TypeID, len(raw))
	ts := make([]Type, len(raw))
	for i, id := range raw {
		t, err := s.TypeByID(TypeID(id))
		if err != nil {
			return nil, nil, err
		}
		ids[i], ts[i] = TypeID(id), t
	}
	return ids, ts, nil
}

// TypeByName returns the one type named name. It fails with an error
// wrapping ErrNotFound when there is none and ErrAmbiguous when there are
// several (a struct and a typedef of the same name, for example: use
// NamedType or TypesByName then).
func (s *Spec) TypeByName(name string) (TypeID, Type, error) {
	ids := s.s.ByName(name)
	switch len(ids) {
	case 0:
		return 0, nil, &notFoundError{name: name}
	case 1:
		t, err := s.TypeByID(TypeID(ids[0]))
		return TypeID(ids[0]), t, err
	}
	list := fmt.Sprint(ids[0])
	for i, id := range ids[1:] {
		if i == 7 {
			list += fmt.Sprintf(", ... (%d types)", len(ids))
			break
		}
		list += fmt.Sprintf(", %d", id)
	}
	return 0, nil, fmt.Errorf("btf: %w: %q (ids %s)", ErrAmbiguous, name, list)
}

// NamedType returns the type with the smallest id of kind T named name:
// NamedType[*Struct](spec, "sk_buff") finds struct sk_buff and not a
// typedef of the same name; NamedType[Type] takes the first type of any
// kind with the name. It fails
// with an error wrapping ErrNotFound when there is none. Only the type
// returned is decoded.
func NamedType[T Type](s *Spec, name string) (TypeID, T, error) {
	var zero T
	anyKind := any(zero) == nil
	var want Kind
	if !anyKind {
		want = zero.Kind()
	}
	for _, id := range s.s.ByName(name) {
		h, err := s.s.Type(id)
		if err != nil || (!anyKind && Kind(h.Kind) != want) {
			continue
		}
		t, err := s.TypeByID(TypeID(id))
		if err != nil {
			return 0, zero, err
		}
		return TypeID(id), t.(T), nil
	}
	if anyKind {
		return 0, zero, &notFoundError{name: name}
	}
	return 0, zero, &notFoundError{kind: want.String(), name: name}
}

// All iterates over the types of s (the base's first, for split BTF) in
// id order, decoding each when it is reached, from id 1 (void is not
// included). It stops before a type that cannot be decoded (malformed
// BTF; TypeByID of its id gives the error).
func (s *Spec) All() iter.Seq2[TypeID, Type] {
	return func(yield func(TypeID, Type) bool) {
		for id := TypeID(1); int(id) <= s.s.NumTypes(); id++ {
			t, err := decode(s.s, id)
			if err != nil || !yield(id, t) {
				return
			}
		}
	}
}

// Marshal returns s as raw BTF in byte order bo (binary.LittleEndian or
// binary.BigEndian): a 24-byte header, the type section, the string
// section. For split BTF only the split part is written (its ids and
// string offsets still continue the base's). Parse (or ParseSplit) of the
// result gives the same types.
func (s *Spec) Marshal(bo binary.ByteOrder) ([]byte, error) {
	if bo == nil {
		return nil, fmt.Errorf("btf: marshal: no byte order")
	}
	return s.s.Marshal(bo), nil
}
