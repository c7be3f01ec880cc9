package btf

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
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
// two thirds of the slots are used. It is built once, on first use.
type nameTable struct {
	once  sync.Once
	slots []uint32
}

// seed keys the hashes of every name table of the process (random, so
// that no input can be made to collide in advance).
var seed = maphash.String(maphash.MakeSeed(), "btf") | 1

// The hash of a name mixes it 8 bytes at a time (little-endian words);
// the last word, which holds the end of the name, is zero-padded and
// always mixed, even when empty. hashCString computes it while finding
// the NUL that ends a name in a string section, so the section is read
// once per name, and hashBytes/hashString on names of known length.
const hashK = 0x9e3779b97f4a7c15

func mix(h, w uint64) uint64 {
	return bits.RotateLeft64((h^w)*hashK, 31)
}

// final mixes the last word and spreads every bit of the state over the
// low bits a table index uses (murmur3's 64-bit finalizer).
func final(h, w uint64) uint64 {
	h = mix(h, w)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	return h ^ h>>33
}

// hashCString returns the hash and length of the NUL-terminated name at
// the start of b, and length -1 when b holds no NUL.
func hashCString(b []byte) (uint64, int) {
	h, n := seed, 0
	for len(b)-n >= 8 {
		w := binary.LittleEndian.Uint64(b[n:])
		if z := (w - 0x0101010101010101) &^ w & 0x8080808080808080; z != 0 {
			// The lowest flagged byte is the first zero byte.
			i := bits.TrailingZeros64(z) / 8
			return final(h, w&(1<<(8*i)-1)), n + i
		}
		h = mix(h, w)
		n += 8
	}
	var w uint64
	for j := 0; n+j < len(b); j++ {
		c := b[n+j]
		if c == 0 {
			return final(h, w), n + j
		}
		w |= uint64(c) << (8 * j)
	}
	return 0, -1
}

// hashString is hashCString of name followed by a NUL.
func hashString(name string) uint64 {
	h, n := seed, 0
	for ; len(name)-n >= 8; n += 8 {
		b := name[n : n+8]
		h = mix(h, uint64(b[0])|uint64(b[1])<<8|uint64(b[2])<<16|uint64(b[3])<<24|
			uint64(b[4])<<32|uint64(b[5])<<40|uint64(b[6])<<48|uint64(b[7])<<56)
	}
	var w uint64
	for j := 0; n+j < len(name); j++ {
		w |= uint64(name[n+j]) << (8 * j)
	}
	return final(h, w)
}

// hashBytes is hashString of name.
func hashBytes(name []byte) uint64 {
	h, n := seed, 0
	for ; len(name)-n >= 8; n += 8 {
		h = mix(h, binary.LittleEndian.Uint64(name[n:]))
	}
	var w uint64
	for j := 0; n+j < len(name); j++ {
		w |= uint64(name[n+j]) << (8 * j)
	}
	return final(h, w)
}

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
func (t *nameTable) build(s *Spec, n int, key func(name []byte) ([]byte, bool), exact bool) {
	size := 8
	for size < n+n/2 {
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
		var h uint64
		if exact && nameOff >= strBase && uint64(nameOff-strBase) < uint64(len(strs)) {
			// The common case, hashed in one read of the name.
			var n int
			if h, n = hashCString(strs[nameOff-strBase:]); n <= 0 {
				continue
			}
		} else {
			// Names in the base's strings, malformed offsets, flavours.
			k, ok := key(s.nameOf(i + 1))
			if !ok || len(k) == 0 {
				continue
			}
			h = hashBytes(k)
		}
		h &= mask
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
	for h := hashString(name) & mask; t.slots[h] != 0; h = (h + 1) & mask {
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
	s.names.once.Do(func() { s.names.build(s, s.named, exactKey, true) })
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
		s.flavours.build(s, n, flavourKey, false)
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
