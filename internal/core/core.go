// Package core applies CO-RE ("compile once, run everywhere") relocations:
// given the BTF an object was compiled with (the local spec), the
// relocation records clang left for a program's instructions, and the BTF
// of the kernel the program is to run on (vmlinux, then modules), it
// computes what each relocated instruction must hold on that kernel (a
// field's offset, size, signedness or bitfield shifts, whether a field,
// type or enum value exists, a type's size or id, an enum value) and
// patches the instructions.
//
// The semantics are libbpf's (tools/lib/bpf/relo_core.c), so that an
// object behaves the same whichever loader loads it:
//
//   - candidate target types share the local type's essential name (the
//     name up to its last "X___Y" flavour separator) and a compatible kind
//     (the same kind, or enum and enum64); vmlinux is searched first and
//     modules only when vmlinux has no candidate;
//   - several matching candidates must agree (same field bit offset, same
//     value), or the relocation is ambiguous and fails;
//   - a relocation that cannot be resolved on the target (no candidate
//     matches; a field load whose size changed in a way a load cannot
//     follow) "poisons" its instruction: it becomes a call of the invalid
//     helper PoisonImm, which the verifier rejects only if the instruction
//     is reachable ("invalid func unknown#195896080"), so guarded code
//     still loads. Existence tests are never poisoned: they read 0.
package core

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/btf"
)

// PoisonImm is the helper number of the call that replaces a poisoned
// instruction (libbpf's 0xbad2310, "bad relo"); the verifier rejects a
// reachable one with "invalid func unknown#195896080".
const PoisonImm = 0xbad2310

// maxSpecLen bounds access strings and nesting (libbpf's
// BPF_CORE_SPEC_MAX_LEN).
const maxSpecLen = 64

// ErrInvalid is wrapped by errors about relocation records that cannot
// be interpreted against the local BTF or the instruction they patch.
var ErrInvalid = errors.New("invalid CO-RE relocation")

// ErrAmbiguous is wrapped when several target candidates match a
// relocation with different results.
var ErrAmbiguous = errors.New("ambiguous CO-RE relocation")

// Relo is one CO-RE relocation of a program.
type Relo struct {
	// Insn is the raw instruction index (8-byte slots) it patches.
	Insn int
	// Type is the local type the access starts from; Access the access
	// string ("0:1:3"); Kind what to compute.
	Type   btf.TypeID
	Access string
	Kind   btf.COREKind
}

// Fixup is the result of one relocation on the targets.
type Fixup struct {
	Relo Relo
	// Local is the value the compiler put in the instruction (for the
	// local BTF) and Target the value for the target.
	Local, Target uint64
	// Poison: the instruction is replaced by an invalid helper call;
	// Reason says why ("no such field in the kernel's BTF").
	Poison bool
	Reason string

	validate      bool
	failMemsz     bool
	localSz, tgSz uint32
}

// Error is the error of a relocation that cannot be applied: it carries
// the relocation so that a caller can name it.
type Error struct {
	Relo Relo
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("instruction %d: %s: %v", e.Relo.Insn, e.Relo.Kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Relocate computes every relocation of relos against targets (the first
// the kernel's vmlinux BTF, the others module BTF) and patches insns in
// place; insns must be a copy the caller owns. The result may be a
// different slice (poisoning an LD_IMM64 turns its two slots into two
// calls); raw offsets do not change. Errors are *Error.
func Relocate(local *btf.Spec, relos []Relo, targets []*btf.Spec, insns asm.Instructions) (asm.Instructions, []Fixup, error) {
	if local == nil {
		return nil, nil, errors.New("CO-RE: no local BTF")
	}
	c := newCands(local, targets)
	fixups := make([]Fixup, len(relos))
	for i, r := range relos {
		f, err := c.calculate(r)
		if err != nil {
			return nil, nil, &Error{Relo: r, Err: err}
		}
		fixups[i] = f
	}
	out, err := Patch(insns, fixups)
	return out, fixups, err
}

// Calculate computes one relocation against targets without patching.
func Calculate(local *btf.Spec, r Relo, targets []*btf.Spec) (Fixup, error) {
	f, err := newCands(local, targets).calculate(r)
	if err != nil {
		return Fixup{}, &Error{Relo: r, Err: err}
	}
	return f, nil
}

// cands finds and caches candidate target types per local type; a list
// shrinks to the candidates that matched a relocation once some did, as
// libbpf's candidate cache does.
type cands struct {
	local   *btf.Spec
	targets []*btf.Spec
	cache   map[btf.TypeID][]cand
}

type cand struct {
	s  *btf.Spec
	id btf.TypeID
}

func newCands(local *btf.Spec, targets []*btf.Spec) *cands {
	return &cands{local: local, targets: targets, cache: map[btf.TypeID][]cand{}}
}

func (c *cands) find(id btf.TypeID) ([]cand, error) {
	if cs, ok := c.cache[id]; ok {
		return cs, nil
	}
	lt, err := c.local.Type(id)
	if err != nil {
		return nil, err
	}
	name, err := c.local.Name(lt)
	if err != nil {
		return nil, err
	}
	ess := essential(name)
	var cs []cand
	for i, ts := range c.targets {
		if ts == nil {
			continue
		}
		if i == 1 && len(cs) > 0 {
			break // modules (all of them) only when vmlinux has no candidate
		}
		for _, tid := range ts.ByEssentialName(btf.EssentialName(name)) {
			tt, err := ts.Type(tid)
			if err != nil {
				continue
			}
			if !kindsCompat(lt.Kind, tt.Kind) {
				continue
			}
			tn, err := ts.Name(tt)
			if err != nil || tn == "" || essential(tn) != ess {
				continue
			}
			cs = append(cs, cand{ts, tid})
		}
	}
	c.cache[id] = cs
	return cs, nil
}

// essential returns name up to its last flavour separator "X___Y" (X and
// Y not underscores), as libbpf's bpf_core_essential_name_len.
func essential(name string) string {
	for i := len(name) - 5; i >= 0; i-- {
		if name[i] != '_' && name[i+1] == '_' && name[i+2] == '_' && name[i+3] == '_' && name[i+4] != '_' {
			return name[:i+1]
		}
	}
	return name
}

func kindsCompat(a, b btf.Kind) bool {
	return a == b || (isEnum(a) && isEnum(b))
}

func isEnum(k btf.Kind) bool      { return k == btf.KindEnum || k == btf.KindEnum64 }
func isComposite(k btf.Kind) bool { return k == btf.KindStruct || k == btf.KindUnion }

func fieldBased(k btf.COREKind) bool { return k <= btf.COREFieldRShiftU64 }
func typeBased(k btf.COREKind) bool {
	switch k {
	case btf.CORETypeIDLocal, btf.CORETypeIDTarget, btf.CORETypeExists, btf.CORETypeSize, btf.CORETypeMatches:
		return true
	}
	return false
}
func enumBased(k btf.COREKind) bool {
	return k == btf.COREEnumvalExists || k == btf.COREEnumvalValue
}

// skip follows typedefs and qualifiers from id; id 0 (void) and chains
// ending in it give the void type (Kind KindUnknown, ID 0).
func skip(s *btf.Spec, id btf.TypeID) (btf.Type, error) {
	for range 32 {
		if id == 0 {
			return btf.Type{}, nil
		}
		t, err := s.Type(id)
		if err != nil {
			return btf.Type{}, err
		}
		switch t.Kind {
		case btf.KindTypedef, btf.KindVolatile, btf.KindConst, btf.KindRestrict, btf.KindTypeTag:
			id = btf.TypeID(t.SizeOrType)
			continue
		}
		return t, nil
	}
	return btf.Type{}, fmt.Errorf("%w: type %d: chain of qualifiers too long", btf.ErrInvalid, id)
}

func typeByID(s *btf.Spec, id btf.TypeID) (btf.Type, error) {
	if id == 0 {
		return btf.Type{}, nil
	}
	return s.Type(id)
}

func sizeof(s *btf.Spec, id btf.TypeID) (uint32, error) {
	if id == 0 {
		return 0, fmt.Errorf("%w: void has no size", btf.ErrInvalid)
	}
	return s.Sizeof(id)
}

// accessor is one high-level step of an access: a named member (of the
// struct or union typeID, index idx) or an array element (name "",
// element type typeID, index idx); the first step is always the latter.
type accessor struct {
	typeID btf.TypeID
	idx    int
	name   string
}

// spec is a parsed access against one BTF.
type spec struct {
	s      *btf.Spec
	root   btf.TypeID
	kind   btf.COREKind
	raw    []int
	acc    []accessor
	bitOff uint32
}

// parseSpec parses a relocation's access string against the local BTF.
func parseSpec(s *btf.Spec, r Relo) (*spec, error) {
	sp := &spec{s: s, root: r.Type, kind: r.Kind}
	str := r.Access
	if str == "" || str[0] == ':' {
		return nil, fmt.Errorf("%w: access string %q", ErrInvalid, str)
	}
	if _, err := typeByID(s, r.Type); err != nil || r.Type == 0 {
		return nil, fmt.Errorf("%w: local type %d: %v", ErrInvalid, r.Type, err)
	}
	if typeBased(r.Kind) {
		if str != "0" {
			return nil, fmt.Errorf("%w: access string %q of a type relocation (want \"0\")", ErrInvalid, str)
		}
		return sp, nil
	}
	for len(str) > 0 {
		if str[0] == ':' {
			str = str[1:]
		}
		n := 0
		for n < len(str) && str[n] >= '0' && str[n] <= '9' {
			n++
		}
		v, err := strconv.ParseInt(str[:n], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: access string %q", ErrInvalid, r.Access)
		}
		if len(sp.raw) == maxSpecLen {
			return nil, fmt.Errorf("%w: access string %q longer than %d", ErrInvalid, r.Access, maxSpecLen)
		}
		sp.raw = append(sp.raw, int(v))
		str = str[n:]
	}
	t, err := skip(s, r.Type)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	idx := sp.raw[0]
	sp.acc = append(sp.acc, accessor{typeID: t.ID, idx: idx})
	if enumBased(r.Kind) {
		if !isEnum(t.Kind) || len(sp.raw) > 1 || idx >= t.Vlen {
			return nil, fmt.Errorf("%w: access %q into %s", ErrInvalid, r.Access, t.Kind)
		}
		off, _, err := s.EnumValue(t, idx)
		if err != nil {
			return nil, err
		}
		if sp.acc[0].name, err = s.String(off); err != nil {
			return nil, err
		}
		return sp, nil
	}
	if !fieldBased(r.Kind) {
		return nil, fmt.Errorf("%w: unknown kind %d", ErrInvalid, uint32(r.Kind))
	}
	sz, err := sizeof(s, t.ID)
	if err != nil {
		return nil, err
	}
	sp.bitOff = uint32(idx) * sz * 8
	id := t.ID
	for _, idx := range sp.raw[1:] {
		t, err := skip(s, id)
		if err != nil {
			return nil, err
		}
		id = t.ID
		switch {
		case isComposite(t.Kind):
			if idx >= t.Vlen {
				return nil, fmt.Errorf("%w: access %q: member %d of a %s with %d", ErrInvalid, r.Access, idx, t.Kind, t.Vlen)
			}
			m, err := s.Member(t, idx)
			if err != nil {
				return nil, err
			}
			sp.bitOff += m.Offset
			if m.NameOff != 0 {
				name, err := s.String(m.NameOff)
				if err != nil || name == "" {
					return nil, fmt.Errorf("%w: access %q: member %d has no name", ErrInvalid, r.Access, idx)
				}
				sp.acc = append(sp.acc, accessor{typeID: id, idx: idx, name: name})
			}
			id = m.Type
		case t.Kind == btf.KindArray:
			elem, n, err := s.Array(t)
			if err != nil {
				return nil, err
			}
			et, err := skip(s, elem)
			if err != nil {
				return nil, err
			}
			if !isFlex(s, sp.acc[len(sp.acc)-1], n) && uint32(idx) >= n {
				return nil, fmt.Errorf("%w: access %q: element %d of an array of %d", ErrInvalid, r.Access, idx, n)
			}
			id = et.ID
			sp.acc = append(sp.acc, accessor{typeID: id, idx: idx})
			sz, err := sizeof(s, id)
			if err != nil {
				return nil, err
			}
			sp.bitOff += uint32(idx) * sz * 8
		default:
			return nil, fmt.Errorf("%w: access %q reaches a %s", ErrInvalid, r.Access, t.Kind)
		}
	}
	return sp, nil
}

// isFlex reports whether an array of n elements reached through acc is a
// flexible array member: zero-length and the last member of its struct.
func isFlex(s *btf.Spec, acc accessor, n uint32) bool {
	if acc.name == "" || n > 0 {
		return false
	}
	t, err := s.Type(acc.typeID)
	return err == nil && acc.idx == t.Vlen-1
}

// calculate computes relocation r against the candidates.
func (c *cands) calculate(r Relo) (Fixup, error) {
	local, err := parseSpec(c.local, r)
	if err != nil {
		return Fixup{}, err
	}
	if r.Kind == btf.CORETypeIDLocal {
		return Fixup{Relo: r, Local: uint64(r.Type), Target: uint64(r.Type)}, nil
	}
	lt, _ := c.local.Type(r.Type)
	if name, _ := c.local.Name(lt); name == "" {
		return Fixup{}, fmt.Errorf("%w: %s of an anonymous type", ErrInvalid, r.Kind)
	}
	cs, err := c.find(r.Type)
	if err != nil {
		return Fixup{}, err
	}
	var (
		res     Fixup
		best    *spec
		matched []cand
	)
	for _, cd := range cs {
		ts, ok, err := match(local, cd.s, cd.id)
		if err != nil {
			return Fixup{}, fmt.Errorf("matching candidate type %d: %w", cd.id, err)
		}
		if !ok {
			continue
		}
		f, err := calc(r, local, ts)
		if err != nil {
			return Fixup{}, err
		}
		switch {
		case best == nil:
			res, best = f, ts
		case ts.bitOff != best.bitOff:
			return Fixup{}, fmt.Errorf("%w: field at bit offset %d in one candidate type, %d in another", ErrAmbiguous, best.bitOff, ts.bitOff)
		case f.Poison != res.Poison || f.Target != res.Target:
			return Fixup{}, fmt.Errorf("%w: candidate types give %s and %s", ErrAmbiguous, res.outcome(), f.outcome())
		}
		matched = append(matched, cd)
	}
	if best != nil {
		c.cache[r.Type] = matched
		return res, nil
	}
	f, err := calc(r, local, nil)
	if err != nil {
		return Fixup{}, err
	}
	if f.Poison {
		f.Reason = c.missing(r, local, len(cs) > 0)
	}
	return f, nil
}

func (f Fixup) outcome() string {
	if f.Poison {
		return "failure"
	}
	return strconv.FormatUint(f.Target, 10)
}

// missing says why a relocation found nothing on the targets.
func (c *cands) missing(r Relo, local *spec, haveCands bool) string {
	lt, _ := c.local.Type(r.Type)
	name, _ := c.local.Name(lt)
	if !haveCands {
		return fmt.Sprintf("no type %s in the kernel's BTF", essential(name))
	}
	switch {
	case enumBased(r.Kind):
		return "no such enum value in the kernel's BTF"
	case len(local.acc) > 1:
		return "no such field in the kernel's BTF"
	}
	return fmt.Sprintf("no compatible type %s in the kernel's BTF", essential(name))
}

// match matches the local spec against candidate id of target s; it
// returns the target spec and whether it matched.
func match(local *spec, s *btf.Spec, id btf.TypeID) (*spec, bool, error) {
	ts := &spec{s: s, root: id, kind: local.kind}
	b := &budget{}
	if typeBased(local.kind) {
		var ok bool
		var err error
		if local.kind == btf.CORETypeMatches {
			ok, err = typesMatch(b, local.s, local.root, s, id, false, 32)
		} else {
			ok, err = typesCompat(b, local.s, local.root, s, id, 32)
		}
		return ts, ok, err
	}
	if enumBased(local.kind) {
		t, err := skip(s, id)
		if err != nil {
			return nil, false, err
		}
		if !isEnum(t.Kind) {
			return nil, false, nil
		}
		want := essential(local.acc[0].name)
		for i := range t.Vlen {
			off, _, err := s.EnumValue(t, i)
			if err != nil {
				return nil, false, err
			}
			name, err := s.String(off)
			if err != nil {
				return nil, false, err
			}
			if essential(name) == want {
				ts.acc = append(ts.acc, accessor{typeID: t.ID, idx: i, name: name})
				ts.raw = append(ts.raw, i)
				return ts, true, nil
			}
		}
		return nil, false, nil
	}
	if !fieldBased(local.kind) {
		return nil, false, fmt.Errorf("%w: unknown kind %d", ErrInvalid, uint32(local.kind))
	}
	for i, la := range local.acc {
		t, err := skip(s, id)
		if err != nil {
			return nil, false, err
		}
		id = t.ID
		if la.name != "" {
			next, ok, err := matchMember(b, local.s, la, s, id, ts, 0)
			if err != nil || !ok {
				return nil, ok, err
			}
			id = next
			continue
		}
		if i > 0 {
			if t.Kind != btf.KindArray {
				return nil, false, nil
			}
			elem, n, err := s.Array(t)
			if err != nil {
				return nil, false, err
			}
			if !isFlex(s, ts.acc[len(ts.acc)-1], n) && uint32(la.idx) >= n {
				return nil, false, nil
			}
			et, err := skip(s, elem)
			if err != nil {
				return nil, false, err
			}
			id = et.ID
		}
		if len(ts.raw) == maxSpecLen {
			return nil, false, fmt.Errorf("%w: nesting deeper than %d", ErrInvalid, maxSpecLen)
		}
		ts.acc = append(ts.acc, accessor{typeID: id, idx: la.idx})
		ts.raw = append(ts.raw, la.idx)
		sz, err := sizeof(s, id)
		if err != nil {
			return nil, false, err
		}
		ts.bitOff += uint32(la.idx) * sz * 8
	}
	return ts, true, nil
}

// matchMember finds the member named as local accessor la in the
// composite id of s, descending into anonymous members; it records the
// path in ts and returns the member's type.
func matchMember(b *budget, ls *btf.Spec, la accessor, s *btf.Spec, id btf.TypeID, ts *spec, depth int) (btf.TypeID, bool, error) {
	if err := b.step(); err != nil {
		return 0, false, err
	}
	if depth > maxSpecLen {
		return 0, false, fmt.Errorf("%w: anonymous members nested deeper than %d", ErrInvalid, maxSpecLen)
	}
	t, err := skip(s, id)
	if err != nil {
		return 0, false, err
	}
	if !isComposite(t.Kind) {
		return 0, false, nil
	}
	lt, err := ls.Type(la.typeID)
	if err != nil {
		return 0, false, err
	}
	lm, err := ls.Member(lt, la.idx)
	if err != nil {
		return 0, false, err
	}
	for i := range t.Vlen {
		m, err := s.Member(t, i)
		if err != nil {
			return 0, false, err
		}
		if len(ts.raw) == maxSpecLen {
			return 0, false, fmt.Errorf("%w: nesting deeper than %d", ErrInvalid, maxSpecLen)
		}
		ts.bitOff += m.Offset
		ts.raw = append(ts.raw, i)
		name, err := s.String(m.NameOff)
		if err != nil {
			return 0, false, err
		}
		if name == "" {
			next, ok, err := matchMember(b, ls, la, s, m.Type, ts, depth+1)
			if err != nil || ok {
				return next, ok, err
			}
		} else if name == la.name {
			ok, err := fieldsCompat(ls, lm.Type, s, m.Type)
			if err != nil || !ok {
				return 0, false, err
			}
			ts.acc = append(ts.acc, accessor{typeID: t.ID, idx: i, name: name})
			return m.Type, true, nil
		}
		ts.bitOff -= m.Offset
		ts.raw = ts.raw[:len(ts.raw)-1]
	}
	return 0, false, nil
}

// fieldsCompat reports whether a local and a target field type are
// compatible for field relocations (libbpf's bpf_core_fields_are_compat).
func fieldsCompat(ls *btf.Spec, lid btf.TypeID, ts *btf.Spec, tid btf.TypeID) (bool, error) {
	for range 32 {
		lt, err := skip(ls, lid)
		if err != nil {
			return false, err
		}
		tt, err := skip(ts, tid)
		if err != nil {
			return false, err
		}
		if isComposite(lt.Kind) && isComposite(tt.Kind) {
			return true, nil
		}
		if !kindsCompat(lt.Kind, tt.Kind) {
			return false, nil
		}
		switch lt.Kind {
		case btf.KindPointer, btf.KindFloat:
			return true, nil
		case btf.KindForward, btf.KindEnum, btf.KindEnum64:
			ln, err := ls.Name(lt)
			if err != nil {
				return false, err
			}
			tn, err := ts.Name(tt)
			if err != nil {
				return false, err
			}
			return ln == "" || tn == "" || essential(ln) == essential(tn), nil
		case btf.KindInt:
			return intOffsetZero(ls, lt) && intOffsetZero(ts, tt), nil
		case btf.KindArray:
			le, _, _ := ls.Array(lt)
			te, _, _ := ts.Array(tt)
			lid, tid = le, te
			continue
		}
		return false, nil
	}
	return false, fmt.Errorf("%w: array types nested too deep", ErrInvalid)
}

func intOffsetZero(s *btf.Spec, t btf.Type) bool {
	ii, err := s.Int(t)
	return err == nil && ii.Offset == 0
}

func intSigned(s *btf.Spec, t btf.Type) bool {
	ii, err := s.Int(t)
	return err == nil && ii.Encoding&btf.IntSigned != 0
}

// typesCompat is libbpf's bpf_core_types_are_compat, for type_exists,
// type_size and type_id_target.
func typesCompat(b *budget, ls *btf.Spec, lid btf.TypeID, ts *btf.Spec, tid btf.TypeID, level int) (bool, error) {
	if err := b.step(); err != nil {
		return false, err
	}
	lt, err := typeByID(ls, lid)
	if err != nil {
		return false, err
	}
	tt, err := typeByID(ts, tid)
	if err != nil {
		return false, err
	}
	if !kindsCompat(lt.Kind, tt.Kind) {
		return false, nil
	}
	for range 32 {
		lt, err := skip(ls, lid)
		if err != nil {
			return false, err
		}
		tt, err := skip(ts, tid)
		if err != nil {
			return false, err
		}
		if !kindsCompat(lt.Kind, tt.Kind) {
			return false, nil
		}
		switch lt.Kind {
		case btf.KindUnknown, btf.KindStruct, btf.KindUnion, btf.KindEnum, btf.KindForward, btf.KindEnum64:
			return true, nil
		case btf.KindInt:
			return intOffsetZero(ls, lt) && intOffsetZero(ts, tt), nil
		case btf.KindPointer:
			lid, tid = btf.TypeID(lt.SizeOrType), btf.TypeID(tt.SizeOrType)
		case btf.KindArray:
			lid, _, _ = ls.Array(lt)
			tid, _, _ = ts.Array(tt)
		case btf.KindFuncProt:
			if lt.Vlen != tt.Vlen {
				return false, nil
			}
			for i := range lt.Vlen {
				if level <= 0 {
					return false, fmt.Errorf("%w: function prototypes nested too deep", ErrInvalid)
				}
				lp, err := ls.Member(lt, i)
				if err != nil {
					return false, err
				}
				tp, err := ts.Member(tt, i)
				if err != nil {
					return false, err
				}
				a, err := skip(ls, lp.Type)
				if err != nil {
					return false, err
				}
				bt, err := skip(ts, tp.Type)
				if err != nil {
					return false, err
				}
				if ok, err := typesCompat(b, ls, a.ID, ts, bt.ID, level-1); err != nil || !ok {
					return ok, err
				}
			}
			a, err := skip(ls, btf.TypeID(lt.SizeOrType))
			if err != nil {
				return false, err
			}
			bt, err := skip(ts, btf.TypeID(tt.SizeOrType))
			if err != nil {
				return false, err
			}
			lid, tid = a.ID, bt.ID
		default:
			return false, nil
		}
	}
	return false, fmt.Errorf("%w: types nested too deep", ErrInvalid)
}

// namesMatch compares names as libbpf's bpf_core_names_match: an
// anonymous target matches only an anonymous local; otherwise essential
// names must be equal.
func namesMatch(ls *btf.Spec, loff uint32, ts *btf.Spec, toff uint32) (bool, error) {
	ln, err := ls.String(loff)
	if err != nil {
		return false, err
	}
	tn, err := ts.String(toff)
	if err != nil {
		return false, err
	}
	if tn == "" {
		return ln == "", nil
	}
	return essential(ln) == essential(tn), nil
}

// typesMatch is libbpf's __bpf_core_types_match, for type_matches.
func typesMatch(b *budget, ls *btf.Spec, lid btf.TypeID, ts *btf.Spec, tid btf.TypeID, behindPtr bool, level int) (bool, error) {
	if err := b.step(); err != nil {
		return false, err
	}
	if level <= 0 {
		return false, fmt.Errorf("%w: types nested too deep", ErrInvalid)
	}
	for range 32 {
		lt, err := skip(ls, lid)
		if err != nil {
			return false, err
		}
		tt, err := skip(ts, tid)
		if err != nil {
			return false, err
		}
		if ok, err := namesMatch(ls, lt.NameOff, ts, tt.NameOff); err != nil || !ok {
			return false, err
		}
		switch lt.Kind {
		case btf.KindUnknown:
			return tt.Kind == btf.KindUnknown, nil
		case btf.KindForward:
			if behindPtr && tt.Kind != btf.KindForward {
				return (tt.Kind == btf.KindStruct && !lt.KindFlag) || (tt.Kind == btf.KindUnion && lt.KindFlag), nil
			}
			return tt.Kind == btf.KindForward && lt.KindFlag == tt.KindFlag, nil
		case btf.KindEnum, btf.KindEnum64:
			if !isEnum(tt.Kind) {
				return false, nil
			}
			return enumsMatch(ls, lt, ts, tt)
		case btf.KindStruct, btf.KindUnion:
			if behindPtr {
				if lt.Kind == tt.Kind {
					return true, nil
				}
				return tt.Kind == btf.KindForward && (lt.Kind == btf.KindUnion) == tt.KindFlag, nil
			}
			if lt.Kind != tt.Kind {
				return false, nil
			}
			return compositesMatch(b, ls, lt, ts, tt, behindPtr, level)
		case btf.KindInt:
			if tt.Kind != btf.KindInt {
				return false, nil
			}
			return lt.SizeOrType == tt.SizeOrType && intSigned(ls, lt) == intSigned(ts, tt), nil
		case btf.KindPointer:
			if tt.Kind != btf.KindPointer {
				return false, nil
			}
			behindPtr = true
			lid, tid = btf.TypeID(lt.SizeOrType), btf.TypeID(tt.SizeOrType)
		case btf.KindArray:
			if tt.Kind != btf.KindArray {
				return false, nil
			}
			le, ln, _ := ls.Array(lt)
			te, tn, _ := ts.Array(tt)
			if ln != tn {
				return false, nil
			}
			lid, tid = le, te
		case btf.KindFuncProt:
			if tt.Kind != btf.KindFuncProt || lt.Vlen != tt.Vlen {
				return false, nil
			}
			for i := range lt.Vlen {
				lp, err := ls.Member(lt, i)
				if err != nil {
					return false, err
				}
				tp, err := ts.Member(tt, i)
				if err != nil {
					return false, err
				}
				if ok, err := typesMatch(b, ls, lp.Type, ts, tp.Type, behindPtr, level-1); err != nil || !ok {
					return ok, err
				}
			}
			lid, tid = btf.TypeID(lt.SizeOrType), btf.TypeID(tt.SizeOrType)
		default:
			return false, nil
		}
	}
	return false, fmt.Errorf("%w: types nested too deep", ErrInvalid)
}

func enumsMatch(ls *btf.Spec, lt btf.Type, ts *btf.Spec, tt btf.Type) (bool, error) {
	if lt.SizeOrType != tt.SizeOrType || lt.Vlen > tt.Vlen {
		return false, nil
	}
	for i := range lt.Vlen {
		loff, _, err := ls.EnumValue(lt, i)
		if err != nil {
			return false, err
		}
		found := false
		for j := range tt.Vlen {
			toff, _, err := ts.EnumValue(tt, j)
			if err != nil {
				return false, err
			}
			if ok, err := namesMatch(ls, loff, ts, toff); err != nil {
				return false, err
			} else if ok {
				found = true
				break
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, nil
}

func compositesMatch(b *budget, ls *btf.Spec, lt btf.Type, ts *btf.Spec, tt btf.Type, behindPtr bool, level int) (bool, error) {
	if lt.Vlen > tt.Vlen {
		return false, nil
	}
	for i := range lt.Vlen {
		lm, err := ls.Member(lt, i)
		if err != nil {
			return false, err
		}
		found := false
		for j := range tt.Vlen {
			tm, err := ts.Member(tt, j)
			if err != nil {
				return false, err
			}
			if ok, err := namesMatch(ls, lm.NameOff, ts, tm.NameOff); err != nil {
				return false, err
			} else if !ok {
				continue
			}
			ok, err := typesMatch(b, ls, lm.Type, ts, tm.Type, behindPtr, level-1)
			if err != nil {
				return false, err
			}
			if ok {
				found = true
				break
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, nil
}

// budget bounds the work of matching one relocation: malformed BTF
// (a struct containing itself by value) would otherwise make the
// recursive comparisons exponential.
type budget struct{ n int }

const maxSteps = 1 << 20

func (b *budget) step() error {
	b.n++
	if b.n > maxSteps {
		return fmt.Errorf("%w: types too deeply nested or cyclic (more than %d comparisons)", ErrInvalid, maxSteps)
	}
	return nil
}

// errPoison asks for the instruction to be poisoned.
var errPoison = errors.New("poison")

// calc computes the local and target values of r; ts nil means no
// candidate matched.
func calc(r Relo, local, ts *spec) (Fixup, error) {
	f := Fixup{Relo: r, validate: true}
	var err error
	switch {
	case fieldBased(r.Kind):
		var lType, tType btf.TypeID
		f.Local, f.localSz, lType, f.validate, err = fieldValue(r.Kind, local)
		if err == nil {
			f.Target, f.tgSz, tType, _, err = fieldValue(r.Kind, ts)
		}
		if err == nil && f.localSz != f.tgSz {
			lt, _ := typeByID(local.s, lType)
			tt, _ := typeByID(ts.s, tType)
			switch {
			case lt.Kind == btf.KindPointer && tt.Kind == btf.KindPointer:
			case lt.Kind == btf.KindInt && tt.Kind == btf.KindInt && !intSigned(local.s, lt) && !intSigned(ts.s, tt):
			default:
				f.failMemsz = true
			}
		}
	case typeBased(r.Kind):
		f.Local, err = typeValue(r.Kind, local)
		if err == nil {
			f.Target, err = typeValue(r.Kind, ts)
		}
		f.validate = r.Kind != btf.CORETypeIDTarget
	case enumBased(r.Kind):
		f.Local, err = enumValue(r.Kind, local)
		if err == nil {
			f.Target, err = enumValue(r.Kind, ts)
		}
	default:
		err = fmt.Errorf("%w: unknown kind %d", ErrInvalid, uint32(r.Kind))
	}
	if errors.Is(err, errPoison) {
		return Fixup{Relo: r, Poison: true}, nil
	}
	return f, err
}

// fieldValue computes a field relocation's value on one side (sp nil:
// not found), with the load size and type a byte offset implies.
func fieldValue(kind btf.COREKind, sp *spec) (val uint64, memSz uint32, memType btf.TypeID, validate bool, err error) {
	if kind == btf.COREFieldExists {
		if sp != nil {
			return 1, 0, 0, true, nil
		}
		return 0, 0, 0, true, nil
	}
	if sp == nil {
		return 0, 0, 0, false, errPoison
	}
	s := sp.s
	acc := sp.acc[len(sp.acc)-1]
	if acc.name == "" { // an array element (or the root)
		switch kind {
		case btf.COREFieldByteOffset:
			sz, err := elemSize(s, acc.typeID)
			if err != nil {
				return 0, 0, 0, false, err
			}
			return uint64(sp.bitOff / 8), sz, acc.typeID, true, nil
		case btf.COREFieldByteSize:
			sz, err := sizeof(s, acc.typeID)
			if err != nil {
				return 0, 0, 0, false, err
			}
			return uint64(sz), 0, 0, true, nil
		}
		return 0, 0, 0, false, fmt.Errorf("%w: %s of an array element", ErrInvalid, kind)
	}
	t, err := s.Type(acc.typeID)
	if err != nil {
		return 0, 0, 0, false, err
	}
	m, err := s.Member(t, acc.idx)
	if err != nil {
		return 0, 0, 0, false, err
	}
	mt, err := skip(s, m.Type)
	if err != nil {
		return 0, 0, 0, false, err
	}
	bitOff := sp.bitOff
	bitSz := s.BitfieldSize(t, acc.idx)
	bitfield := bitSz > 0
	var byteSz, byteOff uint32
	if bitfield {
		byteSz = mt.SizeOrType
		if byteSz == 0 {
			return 0, 0, 0, false, fmt.Errorf("%w: bitfield of a zero-sized type", ErrInvalid)
		}
		byteOff = bitOff / 8 / byteSz * byteSz
		for uint64(bitOff)+uint64(bitSz)-uint64(byteOff)*8 > uint64(byteSz)*8 {
			if byteSz >= 8 {
				return 0, 0, 0, false, fmt.Errorf("%w: bitfield cannot be read with a 64-bit load", ErrInvalid)
			}
			byteSz *= 2
			byteOff = bitOff / 8 / byteSz * byteSz
		}
	} else {
		if byteSz, err = sizeof(s, mt.ID); err != nil {
			return 0, 0, 0, false, err
		}
		byteOff = bitOff / 8
		bitSz = byteSz * 8
	}
	validate = !bitfield
	switch kind {
	case btf.COREFieldByteOffset:
		if !bitfield {
			if memSz, err = elemSize(s, mt.ID); err != nil {
				return 0, 0, 0, false, err
			}
			memType = mt.ID
		}
		return uint64(byteOff), memSz, memType, validate, nil
	case btf.COREFieldByteSize:
		return uint64(byteSz), 0, 0, validate, nil
	case btf.COREFieldSigned:
		signed := (isEnum(mt.Kind) && mt.KindFlag) || (mt.Kind == btf.KindInt && intSigned(s, mt))
		if signed {
			return 1, 0, 0, true, nil
		}
		return 0, 0, 0, true, nil
	case btf.COREFieldLShiftU64:
		if isLittle(s) {
			return uint64(64 - (bitOff + bitSz - byteOff*8)), 0, 0, validate, nil
		}
		return uint64((8-byteSz)*8 + (bitOff - byteOff*8)), 0, 0, validate, nil
	case btf.COREFieldRShiftU64:
		return uint64(64 - bitSz), 0, 0, true, nil
	}
	return 0, 0, 0, false, fmt.Errorf("%w: unknown kind %d", ErrInvalid, uint32(kind))
}

// isLittle: the shifts depend on the byte order of the data (libbpf uses
// the host's, which is the target's when loading).
func isLittle(s *btf.Spec) bool {
	b := []byte{0, 0}
	s.ByteOrder().PutUint16(b, 1)
	return b[0] == 1
}

// elemSize is the size of id, or of its innermost element if it is an
// array: what a load of the field reads.
func elemSize(s *btf.Spec, id btf.TypeID) (uint32, error) {
	for range 32 {
		t, err := skip(s, id)
		if err != nil {
			return 0, err
		}
		if t.Kind != btf.KindArray {
			return sizeof(s, t.ID)
		}
		id, _, _ = s.Array(t)
	}
	return 0, fmt.Errorf("%w: arrays nested too deep", ErrInvalid)
}

func typeValue(kind btf.COREKind, sp *spec) (uint64, error) {
	if sp == nil {
		return 0, nil
	}
	switch kind {
	case btf.CORETypeIDTarget:
		return uint64(sp.root), nil
	case btf.CORETypeExists, btf.CORETypeMatches:
		return 1, nil
	case btf.CORETypeSize:
		sz, err := sizeof(sp.s, sp.root)
		return uint64(sz), err
	}
	return 0, fmt.Errorf("%w: unknown kind %d", ErrInvalid, uint32(kind))
}

func enumValue(kind btf.COREKind, sp *spec) (uint64, error) {
	switch kind {
	case btf.COREEnumvalExists:
		if sp == nil {
			return 0, nil
		}
		return 1, nil
	case btf.COREEnumvalValue:
		if sp == nil {
			return 0, errPoison
		}
		t, err := sp.s.Type(sp.acc[0].typeID)
		if err != nil {
			return 0, err
		}
		_, v, err := sp.s.EnumValue(t, sp.acc[0].idx)
		return uint64(v), err
	}
	return 0, fmt.Errorf("%w: unknown kind %d", ErrInvalid, uint32(kind))
}

// Patch applies fixups to insns (in place, but the returned slice may
// differ: a poisoned LD_IMM64 becomes two calls). Fixups of poisoned
// relocations set their Reason if it is empty. Errors are *Error.
func Patch(insns asm.Instructions, fixups []Fixup) (asm.Instructions, error) {
	// Indexes first: poisoning changes the raw layout until the splits.
	idxs := make([]int, len(fixups))
	for i, f := range fixups {
		idx, ok := insns.IndexOfRaw(f.Relo.Insn)
		if !ok {
			return nil, &Error{Relo: f.Relo, Err: fmt.Errorf("%w: raw instruction %d is not the start of an instruction of the program (%d slots)", ErrInvalid, f.Relo.Insn, insns.RawLen())}
		}
		idxs[i] = idx
	}
	var splits []int
	poisoned := map[int]bool{}
	for i := range fixups {
		f := &fixups[i]
		idx := idxs[i]
		ins := &insns[idx]
		if poisoned[idx] {
			// Another relocation of an instruction already poisoned.
			f.Poison = true
			if f.Reason == "" {
				f.Reason = "its instruction is poisoned by another relocation"
			}
			continue
		}
		if !f.Poison {
			poison, err := patchOne(ins, f)
			if err != nil {
				return nil, &Error{Relo: f.Relo, Err: err}
			}
			if !poison {
				continue
			}
			f.Poison = true
		}
		if f.Reason == "" {
			f.Reason = "the kernel's BTF does not resolve it"
		}
		poisoned[idx] = true
		if ins.OpCode.IsDWordLoad() {
			splits = append(splits, idx)
		}
		*ins = poisonCall(ins.Symbol()).WithLine(ins.Line()).WithFunc(ins.Func()) // the line and function stay
	}
	if len(splits) == 0 {
		return insns, nil
	}
	out := make(asm.Instructions, 0, len(insns)+len(splits))
	for i, ins := range insns {
		out = append(out, ins)
		if slices.Contains(splits, i) {
			out = append(out, poisonCall(""))
		}
	}
	return out, nil
}

func poisonCall(symbol string) asm.Instruction {
	ins := asm.Instruction{OpCode: asm.OpCode(asm.JumpClass) | 0x80, Constant: PoisonImm}
	if symbol != "" {
		ins = ins.WithSymbol(symbol)
	}
	return ins
}

// IsPoison reports whether ins is a poisoned instruction.
func IsPoison(ins asm.Instruction) bool {
	return ins.OpCode == asm.OpCode(asm.JumpClass)|0x80 && ins.Src == 0 && ins.Constant == PoisonImm
}

// patchOne patches one instruction with a computed (not poisoned) fixup;
// it reports true when the instruction must be poisoned instead (a load
// or store whose size cannot follow the field's).
func patchOne(ins *asm.Instruction, f *Fixup) (bool, error) {
	op := uint8(ins.OpCode)
	switch cls := asm.Class(op & 7); cls {
	case asm.ALUClass, asm.ALU64Class:
		if op&0x08 != 0 {
			return false, fmt.Errorf("%w: ALU instruction with a register source", ErrInvalid)
		}
		if f.validate && uint64(int64(int32(ins.Constant))) != f.Local {
			return false, fmt.Errorf("%w: ALU instruction has immediate %d, expected %d", ErrInvalid, int32(ins.Constant), f.Local)
		}
		ins.Constant = int64(int32(uint32(f.Target)))
	case asm.LdXClass, asm.StClass, asm.StXClass:
		if f.validate && uint64(int64(ins.Offset)) != f.Local {
			return false, fmt.Errorf("%w: load/store has offset %d, expected %d", ErrInvalid, ins.Offset, f.Local)
		}
		if f.Target > math.MaxInt16 {
			return false, fmt.Errorf("%w: offset %d too big for a load/store", ErrInvalid, f.Target)
		}
		if f.failMemsz {
			f.Reason = fmt.Sprintf("the field's size changed from %d to %d bytes and it is neither a pointer nor an unsigned integer in both", f.localSz, f.tgSz)
			return true, nil
		}
		ins.Offset = int16(f.Target)
		if f.localSz != f.tgSz {
			if got := asm.Size(op & 0x18).Sizeof(); uint32(got) != f.localSz {
				return false, fmt.Errorf("%w: load/store of %d bytes, expected %d", ErrInvalid, got, f.localSz)
			}
			var sz asm.Size
			switch f.tgSz {
			case 1:
				sz = asm.Byte
			case 2:
				sz = asm.Half
			case 4:
				sz = asm.Word
			case 8:
				sz = asm.DWord
			default:
				return false, fmt.Errorf("%w: a load/store cannot access %d bytes", ErrInvalid, f.tgSz)
			}
			ins.OpCode = asm.OpCode(op&^0x18 | uint8(sz))
		}
	case asm.LdClass:
		if !ins.OpCode.IsDWordLoad() || ins.Src != 0 || ins.Offset != 0 {
			return false, fmt.Errorf("%w: LD instruction is not a plain 64-bit immediate load", ErrInvalid)
		}
		if f.validate && uint64(ins.Constant) != f.Local {
			return false, fmt.Errorf("%w: 64-bit load has immediate %d, expected %d", ErrInvalid, uint64(ins.Constant), f.Local)
		}
		ins.Constant = int64(f.Target)
	default:
		return false, fmt.Errorf("%w: cannot relocate a %v instruction (opcode %#02x)", ErrInvalid, cls, op)
	}
	return false, nil
}

// TypesCompatible reports whether local type lid and target type tid are
// compatible by libbpf's bpf_core_types_are_compat, the rule libbpf also
// applies to the prototypes of kfuncs and the types of typed ksyms:
// kinds equal after typedefs and qualifiers (enums of either width
// alike), any two integers that are not bitfield-like, pointers and
// arrays by their element types, function prototypes by their parameter
// count, parameter and return types; structs and unions by kind alone.
func TypesCompatible(local *btf.Spec, lid btf.TypeID, target *btf.Spec, tid btf.TypeID) (bool, error) {
	return typesCompat(&budget{}, local, lid, target, tid, 32)
}
