package maps

import (
	"encoding/binary"
	"fmt"

	"github.com/purebpf/bpf/btf"
	ib "github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/internal/btfobj"
	"github.com/purebpf/bpf/internal/sys"
)

func init() {
	btfobj.CreateMap = func(spec any, fd int) (any, error) {
		s := *spec.(*Spec)
		s.loadedBTF = fd + 1
		return New(&s)
	}
}

// takesBTF reports whether the kernel accepts key and value BTF types
// for maps of type t. The others (their values are descriptors, CPU or
// device entries, or they have no key or value at all) refuse any
// (ENOTSUPP or EINVAL): New creates them without the types. The list is
// libbpf's, checked against 6.18 by the root package's
// TestMapBTFRefusals.
func takesBTF(t Type) bool {
	switch t {
	case PerfEventArray, CGroupArray, StackTrace, ArrayOfMaps, HashOfMaps,
		DevMap, DevMapHash, CPUMap, XSKMap, SockMap, SockHash,
		Queue, Stack, RingBuf, UserRingBuf, Arena:
		return false
	}
	return true
}

// loadBTF returns the descriptor of the loaded BTF object holding s's
// key and value types: the one a collection loaded for them, or s.BTF
// loaded now (BPF_BTF_LOAD; kernel 4.18+), which close closes once the
// map is created (the map keeps a reference of its own).
func loadBTF(s *Spec) (fd uint32, closeFD func(), err error) {
	if s.loadedBTF > 0 {
		return uint32(s.loadedBTF - 1), func() {}, nil
	}
	is, ok := ib.FromPublic(s.BTF)
	if !ok {
		return 0, nil, fmt.Errorf("BTF: no types")
	}
	raw := is.Raw()
	if is.Base() != nil || !sameOrder(is.ByteOrder(), binary.NativeEndian) {
		raw = is.Marshal(binary.NativeEndian)
	}
	attr := sys.BTFLoadAttr{BTF: sys.SlicePointer(raw), BTFSize: uint32(len(raw))}
	f, err := sys.BTFLoad(&attr)
	if err != nil {
		return 0, nil, fmt.Errorf("load key/value BTF: %w", err)
	}
	return f.Uint(), func() { f.Close() }, nil
}

func sameOrder(a, b binary.ByteOrder) bool {
	var x [2]byte
	a.PutUint16(x[:], 1)
	return b.Uint16(x[:]) == 1
}

// btfTypes describes the key and value types of s for messages.
func (s *Spec) btfTypes() string {
	name := func(id btf.TypeID) string {
		if n := s.BTF.TypeName(id); n != "" {
			return fmt.Sprintf("%d (%s)", id, n)
		}
		return fmt.Sprint(id)
	}
	return "key type " + name(s.KeyType) + ", value type " + name(s.ValueType)
}
