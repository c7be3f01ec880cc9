package btf

import (
	"errors"
	"fmt"
	"strings"
)

// Named returns the first type of the given kind named name (a struct or
// union tag, a typedef name, ...), and false if there is none. It uses
// the name index (see ByName).
func (s *Spec) Named(kind Kind, name string) (Type, bool) {
	var found Type
	ok := false
	s.eachNamed(name, func(id TypeID) bool {
		if t, err := s.Type(id); err == nil && t.Kind == kind {
			found, ok = t, true
			return false
		}
		return true
	})
	return found, ok
}

// Field is a member of a struct or union reached through a path of
// member names.
type Field struct {
	// BitOffset is the member's offset in bits from the start of the
	// outermost type.
	BitOffset uint32
	// Type is the member's type.
	Type TypeID
	// BitfieldSize is the member's size in bits if it is a bitfield, 0
	// otherwise.
	BitfieldSize uint32
}

// ErrNoField is wrapped by the error of Field when a name of the path is
// not a member.
var ErrNoField = errors.New("no such member")

// Field resolves path, member names separated by dots ("link_create.tcx.
// relative_fd"), from the struct or union t. Members of anonymous structs
// and unions are found as if they were members of the enclosing type, as
// in C. A name that is not a member gives an error wrapping ErrNoField;
// malformed BTF one wrapping ErrInvalid.
func (s *Spec) Field(t Type, path string) (Field, error) {
	var f Field
	for i, name := range strings.Split(path, ".") {
		if i > 0 {
			if f.BitfieldSize != 0 {
				return Field{}, fmt.Errorf("%s: %w: a bitfield has no members", path, ErrNoField)
			}
			var err error
			if t, err = s.Skip(f.Type); err != nil {
				return Field{}, err
			}
		}
		if name == "" {
			return Field{}, fmt.Errorf("%q: %w named \"\"", path, ErrNoField)
		}
		if t.Kind != KindStruct && t.Kind != KindUnion {
			return Field{}, fmt.Errorf("%s: %w: %q is looked up in a %s", path, ErrNoField, name, t.Kind)
		}
		budget := maxMembers
		m, ok, err := s.member(t, name, 0, &budget)
		if err != nil {
			return Field{}, err
		}
		if !ok {
			return Field{}, fmt.Errorf("%s: %w named %q", path, ErrNoField, name)
		}
		m.BitOffset += f.BitOffset
		f = m
	}
	return f, nil
}

// maxMembers bounds the members one Field lookup visits: malformed BTF
// can nest anonymous members exponentially (a struct whose anonymous
// members are that struct).
const maxMembers = 1 << 20

// member finds name among the members of the struct or union t and those
// of its anonymous members, depth levels deep so far, visiting at most
// *budget members.
func (s *Spec) member(t Type, name string, depth int, budget *int) (Field, bool, error) {
	if depth > maxDepth {
		return Field{}, false, fmt.Errorf("%w: type %d: anonymous members nested deeper than %d", ErrInvalid, t.ID, maxDepth)
	}
	if *budget -= t.Vlen; *budget < 0 {
		return Field{}, false, fmt.Errorf("%w: type %d: more than %d members to search", ErrInvalid, t.ID, maxMembers)
	}
	for i := range t.Vlen {
		m, err := s.Member(t, i)
		if err != nil {
			return Field{}, false, err
		}
		n, err := s.String(m.NameOff)
		if err != nil {
			return Field{}, false, err
		}
		if n == name {
			return Field{BitOffset: m.Offset, Type: m.Type, BitfieldSize: s.BitfieldSize(t, i)}, true, nil
		}
		if n != "" {
			continue
		}
		inner, err := s.Skip(m.Type)
		if err != nil {
			return Field{}, false, err
		}
		if inner.Kind != KindStruct && inner.Kind != KindUnion {
			continue
		}
		f, ok, err := s.member(inner, name, depth+1, budget)
		if err != nil || ok {
			f.BitOffset += m.Offset
			return f, ok, err
		}
	}
	return Field{}, false, nil
}
