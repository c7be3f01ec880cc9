package btf

import (
	"bytes"
	"strings"
)

// EssentialName returns name without a "___flavour" suffix: CO-RE matches
// a local "task_struct___old" with the target's "task_struct".
func EssentialName(name string) string {
	if i := strings.Index(name, "___"); i > 0 {
		return name[:i]
	}
	return name
}

// ByName returns the ids of every type named exactly name (of any kind),
// in increasing order.
func (s *Spec) ByName(name string) []TypeID {
	var ids []TypeID
	for id := 1; id < len(s.offs); id++ {
		if s.nameIs(TypeID(id), name, false) {
			ids = append(ids, TypeID(id))
		}
	}
	return ids
}

// ByEssentialName returns the ids of every type whose essential name (see
// EssentialName) is essential, in increasing order.
func (s *Spec) ByEssentialName(essential string) []TypeID {
	var ids []TypeID
	for id := 1; id < len(s.offs); id++ {
		if s.nameIs(TypeID(id), essential, true) {
			ids = append(ids, TypeID(id))
		}
	}
	return ids
}

// nameIs reports whether the name of type id is name (or, if essential,
// has name as its essential name), without allocating.
func (s *Spec) nameIs(id TypeID, name string, essential bool) bool {
	off := s.bo.Uint32(s.types[s.offs[id]:])
	if off == 0 || uint64(off) >= uint64(len(s.strings)) {
		return name == ""
	}
	b := s.strings[off:]
	if end := bytes.IndexByte(b, 0); end >= 0 {
		b = b[:end]
	}
	if essential {
		if i := bytes.Index(b, []byte("___")); i > 0 {
			b = b[:i]
		}
	}
	return string(b) == name
}
