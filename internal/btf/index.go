package btf

import (
	"bytes"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
)

// EssentialName returns name without a "___flavour" suffix: CO-RE matches
// a local "task_struct___old" with the target's "task_struct".
func EssentialName(name string) string {
	if i := strings.Index(name, "___"); i > 0 {
		return name[:i]
	}
	return name
}

// essential is EssentialName on bytes, and whether a suffix was cut.
func essential(b []byte) ([]byte, bool) {
	if i := bytes.Index(b, flavourSep); i > 0 {
		return b[:i], true
	}
	return b, false
}

var flavourSep = []byte("___")

// nameTable is an open-addressing hash table (linear probing) of the
// local indices of a Spec's types, keyed by a name derived from each
// type's name. It holds one uint32 per slot, 0 for an empty slot; at most
// half of the slots are used. It is built once, on first use.
type nameTable struct {
	once  sync.Once
	slots []uint32
}

// seed keys the hashes of every name table of the process.
var seed = maphash.MakeSeed()

// nameOf returns the name of local type i, nil when it has none or its
// name offset is malformed (such types are treated as anonymous).
func (s *Spec) nameOf(i int) []byte {
	b, err := s.StringBytes(s.bo.Uint32(s.types[s.offs[i]:]))
	if err != nil {
		return nil
	}
	return b
}

// build fills t with the local types for which key returns a non-empty
// key; n bounds their number.
func (t *nameTable) build(s *Spec, n int, key func(name []byte) ([]byte, bool)) {
	size := 8
	for size < 2*n {
		size <<= 1
	}
	slots := make([]uint32, size)
	mask := uint64(size - 1)
	strs, strBase := s.strings, s.strBase
	for i, off := range s.offs[1:] {
		nameOff := s.u32(s.types[off:])
		if nameOff == 0 {
			continue
		}
		var name []byte
		if nameOff >= strBase && uint64(nameOff-strBase) < uint64(len(strs)) {
			b := strs[nameOff-strBase:]
			n := bytes.IndexByte(b, 0)
			if n < 0 {
				continue
			}
			name = b[:n]
		} else {
			name = s.nameOf(i + 1) // in the base's strings, or malformed
		}
		k, ok := key(name)
		if !ok || len(k) == 0 {
			continue
		}
		h := maphash.Bytes(seed, k) & mask
		for slots[h] != 0 {
			h = (h + 1) & mask
		}
		slots[h] = uint32(i + 1)
	}
	t.slots = slots
}

// find calls fn with the local index of every type whose key (see build)
// is name, in increasing order, until fn returns false. It does not
// allocate.
func (t *nameTable) find(s *Spec, name string, key func(name []byte) ([]byte, bool), fn func(i int) bool) {
	if len(t.slots) == 0 || name == "" {
		return
	}
	mask := uint64(len(t.slots) - 1)
	for h := maphash.String(seed, name) & mask; t.slots[h] != 0; h = (h + 1) & mask {
		i := int(t.slots[h])
		if k, _ := key(s.nameOf(i)); string(k) == name && !fn(i) {
			return
		}
	}
}

func exactKey(name []byte) ([]byte, bool) { return name, true }

// flavourKey keys only names with a flavour suffix, by their essential
// name.
func flavourKey(name []byte) ([]byte, bool) { return essential(name) }

func (s *Spec) nameIndex() *nameTable {
	s.names.once.Do(func() { s.names.build(s, s.named, exactKey) })
	return &s.names
}

func (s *Spec) flavourIndex() *nameTable {
	s.flavours.once.Do(func() {
		n := 0
		for i := 1; i < len(s.offs); i++ {
			if _, ok := essential(s.nameOf(i)); ok {
				n++
			}
		}
		s.flavours.build(s, n, flavourKey)
	})
	return &s.flavours
}

// eachNamed calls fn with the id of every type named exactly name, the
// base's first, in increasing order, until fn returns false; it reports
// whether fn never returned false. The first call builds the name index
// (once per Spec, safe for concurrent use); later calls do not allocate.
func (s *Spec) eachNamed(name string, fn func(TypeID) bool) bool {
	if s.base != nil && !s.base.eachNamed(name, fn) {
		return false
	}
	done := true
	// Linear probing keeps equal keys in insertion (id) order.
	s.nameIndex().find(s, name, exactKey, func(i int) bool {
		done = fn(s.localID(i))
		return done
	})
	return done
}

// ByName returns the ids of every type named exactly name (of any kind),
// in increasing order (nil if there is none; "" matches no type). Types
// of a split Spec's base are included. The first lookup builds an index
// of the names (once per Spec, safe for concurrent use); a lookup then
// costs a hash of name and a few comparisons, and does not allocate when
// nothing matches.
func (s *Spec) ByName(name string) []TypeID {
	var ids []TypeID
	s.eachNamed(name, func(id TypeID) bool {
		ids = append(ids, id)
		return true
	})
	return ids
}

// ByEssentialName returns the ids of every type whose essential name (see
// EssentialName) is essential, in increasing order, the base's included.
// It is indexed like ByName.
func (s *Spec) ByEssentialName(essential string) []TypeID {
	var ids []TypeID
	for o := s; o != nil; o = o.base {
		if EssentialName(essential) == essential {
			o.nameIndex().find(o, essential, exactKey, func(i int) bool {
				ids = append(ids, o.localID(i))
				return true
			})
		}
		o.flavourIndex().find(o, essential, flavourKey, func(i int) bool {
			ids = append(ids, o.localID(i))
			return true
		})
	}
	slices.Sort(ids)
	return ids
}
