package btf

import (
	"encoding/binary"
	"unsafe"
)

// StringAt is String without the copy: the string at off aliases the
// string section (which is never modified), so it costs no allocation
// and StringOffset finds its offset again.
func (s *Spec) StringAt(off uint32) (string, error) {
	b, err := s.StringBytes(off)
	if len(b) == 0 {
		return "", err
	}
	return unsafe.String(&b[0], len(b)), err
}

// StringOffset returns the offset of str in s's string offsets when str
// aliases a NUL-terminated string of s's own string section (as StringAt
// returns it), and false otherwise; it does not search. "" is offset 0.
func (s *Spec) StringOffset(str string) (uint32, bool) {
	if str == "" {
		return 0, true
	}
	if len(s.strings) == 0 {
		return 0, false
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(str)))
	start := uintptr(unsafe.Pointer(&s.strings[0]))
	if p < start || p-start >= uintptr(len(s.strings)) || uintptr(len(s.strings))-(p-start) <= uintptr(len(str)) {
		return 0, false
	}
	off := int(p - start)
	if s.strings[off+len(str)] != 0 {
		return 0, false
	}
	return s.strBase + uint32(off), true
}

// MarshalWithStrings is Marshal with extra appended to the string
// section; it also returns the offset of each extra string in the
// result's string offsets.
func (s *Spec) MarshalWithStrings(bo binary.ByteOrder, extra []string) ([]byte, []uint32) {
	n := len(s.strings)
	for _, e := range extra {
		n += len(e) + 1
	}
	strs := make([]byte, 0, n)
	strs = append(strs, s.strings...)
	offs := make([]uint32, len(extra))
	for i, e := range extra {
		offs[i] = s.strBase + uint32(len(strs))
		strs = append(append(strs, e...), 0)
	}
	return AppendBTF(make([]byte, 0, headerLen+len(s.types)+len(strs)), bo, s.bo, s.types, strs), offs
}
