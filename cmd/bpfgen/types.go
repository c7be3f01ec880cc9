package main

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/purebpf/bpf/btf"
)

// errNoGoType is returned for a BTF type that has no fixed-size Go
// equivalent (void, functions, forward declarations, data sections).
var errNoGoType = errors.New("no Go equivalent")

// typeGen turns BTF types into Go declarations. Named structs, unions and
// enums (and anonymous ones reached through a typedef or a member) become
// defined Go types named prefix + CamelCase(name); integers, floats,
// pointers and arrays become Go's built-in types.
type typeGen struct {
	spec   *btf.Spec
	prefix string
	big    bool // the object is big-endian (bitfield and union accessors)

	names    map[btf.TypeID]string // Go name of each declared type
	taken    map[string]btf.TypeID // Go names in use
	decls    map[btf.TypeID]string // declaration text by type
	order    []btf.TypeID          // declared types, in first-use order
	checks   []string              // compile-time size/offset assertions
	typedefs map[btf.TypeID]bool   // typedefs declared as types of their own (-type)
	busy     map[btf.TypeID]bool   // types being declared (cycle guard)
	needBin  bool                  // declarations use encoding/binary
	needB2U  bool                  // declarations use b2u
	// typedefOf names the typedef an anonymous type was named after.
	typedefOf map[btf.TypeID]string
}

func newTypeGen(spec *btf.Spec, prefix string, big bool) *typeGen {
	return &typeGen{
		spec: spec, prefix: prefix, big: big,
		names: map[btf.TypeID]string{}, taken: map[string]btf.TypeID{},
		decls: map[btf.TypeID]string{}, typedefs: map[btf.TypeID]bool{},
		busy: map[btf.TypeID]bool{}, typedefOf: map[btf.TypeID]string{},
	}
}

// camel turns a C identifier into an exported Go one: "flow_key" →
// "FlowKey", "rx_v4" → "RxV4"; other characters than letters and digits
// separate words.
func camel(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r)) || r > unicode.MaxASCII {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if out == "" || unicode.IsDigit(rune(out[0])) {
		out = "X" + out
	}
	return out
}

// typ returns the type id with qualifiers (and type tags) removed.
func (g *typeGen) skipQuals(id btf.TypeID) (btf.TypeID, btf.Type, error) {
	for range 32 {
		t, err := g.spec.TypeByID(id)
		if err != nil {
			return 0, nil, err
		}
		switch q := t.(type) {
		case *btf.Const:
			id = q.Type
		case *btf.Volatile:
			id = q.Type
		case *btf.Restrict:
			id = q.Type
		case *btf.TypeTag:
			id = q.Type
		default:
			return id, t, nil
		}
	}
	return 0, nil, fmt.Errorf("type %d: qualifiers nested too deep", id)
}

// resolve follows qualifiers and typedefs, except typedefs declared as
// types of their own; name is the innermost typedef name seen (for
// naming an anonymous struct, union or enum).
func (g *typeGen) resolve(id btf.TypeID) (btf.TypeID, btf.Type, string, error) {
	name := ""
	for range 64 {
		rid, t, err := g.skipQuals(id)
		if err != nil {
			return 0, nil, "", err
		}
		td, ok := t.(*btf.Typedef)
		if !ok || g.typedefs[rid] {
			return rid, t, name, nil
		}
		name = td.Name
		id = td.Type
	}
	return 0, nil, "", fmt.Errorf("type %d: typedefs nested too deep", id)
}

// name reserves a Go name for type id.
func (g *typeGen) name(id btf.TypeID, cname string) string {
	if n, ok := g.names[id]; ok {
		return n
	}
	base := g.prefix + camel(cname)
	n := base
	for i := 2; ; i++ {
		if _, used := g.taken[n]; !used {
			break
		}
		n = base + strconv.Itoa(i)
	}
	g.taken[n] = id
	g.names[id] = n
	return n
}

// Request declares a type named by the user (-type), which may also be a
// typedef of an integer, declared as a defined Go type.
func (g *typeGen) Request(cname string) (string, error) {
	ids, _, err := g.spec.TypesByName(cname)
	if err != nil {
		return "", fmt.Errorf("type %q: %w", cname, err)
	}
	if len(ids) == 0 {
		return "", fmt.Errorf("type %q: not in the object's BTF", cname)
	}
	id := ids[0]
	t, err := g.spec.TypeByID(id)
	if err != nil {
		return "", err
	}
	if td, ok := t.(*btf.Typedef); ok {
		// A typedef of a number is a defined Go type of its own; one of
		// a struct, union or array is the type it names (an anonymous
		// one named after the typedef).
		_, under, _, err := g.resolve(td.Type)
		if err != nil {
			return "", err
		}
		switch under.(type) {
		case *btf.Int, *btf.Float, *btf.Pointer:
			g.typedefs[id] = true
		}
	}
	return g.GoType(id, cname)
}

// GoType returns the Go type expression for BTF type id, declaring the
// named types it needs; hint names an anonymous composite type.
func (g *typeGen) GoType(id btf.TypeID, hint string) (string, error) {
	rid, t, tdName, err := g.resolve(id)
	if err != nil {
		return "", err
	}
	if tdName != "" {
		hint = tdName
	}
	switch t := t.(type) {
	case *btf.Int:
		return intType(t.Size, t.Encoding&btf.IntSigned != 0, t.Encoding&btf.IntBool != 0)
	case *btf.Float:
		switch t.Size {
		case 4:
			return "float32", nil
		case 8:
			return "float64", nil
		}
		return fmt.Sprintf("[%d]byte", t.Size), nil
	case *btf.Pointer:
		// BPF pointers are 64-bit; user space sees them as numbers.
		return "uint64", nil
	case *btf.Array:
		et, err := g.GoType(t.Type, hint+"_elem")
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("[%d]%s", t.Nelems, et), nil
	case *btf.Struct, *btf.Union, *btf.Enum, *btf.Enum64, *btf.Typedef:
		cname := t.TypeName()
		if cname == "" {
			cname = hint
			if tdName != "" {
				g.typedefOf[rid] = tdName
			}
		}
		if cname == "" {
			cname = fmt.Sprintf("anon%d", rid)
		}
		n := g.name(rid, cname)
		if _, done := g.decls[rid]; done || g.busy[rid] {
			return n, nil
		}
		g.busy[rid] = true
		defer delete(g.busy, rid)
		decl, err := g.declare(rid, n, t)
		if err != nil {
			delete(g.names, rid)
			delete(g.taken, n)
			return "", err
		}
		g.decls[rid] = decl
		g.order = append(g.order, rid)
		return n, nil
	}
	return "", fmt.Errorf("%s: %w", g.spec.TypeName(id), errNoGoType)
}

func intType(size uint32, signed, boolean bool) (string, error) {
	if boolean && size == 1 {
		return "bool", nil
	}
	switch size {
	case 1, 2, 4, 8:
		s := "uint"
		if signed {
			s = "int"
		}
		return s + strconv.Itoa(int(size)*8), nil
	case 16:
		return "[2]uint64", nil
	}
	return "", fmt.Errorf("%d-byte integer: %w", size, errNoGoType)
}

// goAlign is the largest alignment Go gives a value of BTF type id on any
// platform (8 for 64-bit integers, whose alignment is 4 on 32-bit ones;
// the generated code only relies on it being no larger than C's).
func (g *typeGen) goAlign(id btf.TypeID) (uint32, error) {
	_, t, _, err := g.resolve(id)
	if err != nil {
		return 0, err
	}
	switch t := t.(type) {
	case *btf.Int:
		if t.Size == 16 {
			return 8, nil
		}
		return t.Size, nil
	case *btf.Float:
		if t.Size == 4 || t.Size == 8 {
			return t.Size, nil
		}
		return 1, nil
	case *btf.Pointer:
		return 8, nil
	case *btf.Enum:
		return t.Size, nil
	case *btf.Enum64:
		return t.Size, nil
	case *btf.Array:
		return g.goAlign(t.Type)
	case *btf.Union:
		return 1, nil // a byte array
	case *btf.Typedef:
		return g.goAlign(t.Type)
	case *btf.Struct:
		if g.packed(t) {
			return 1, nil
		}
		a := uint32(1)
		for _, m := range t.Members {
			if m.BitfieldSize != 0 {
				continue // byte-array storage
			}
			ma, err := g.goAlign(m.Type)
			if err != nil {
				return 0, err
			}
			a = max(a, ma)
		}
		return a, nil
	}
	return 1, nil
}

// packed reports whether a struct has a member Go could not place at its
// C offset (or a size Go would round up), as __attribute__((packed))
// gives: its members are then byte arrays.
func (g *typeGen) packed(s *btf.Struct) bool {
	a := uint32(1)
	for _, m := range s.Members {
		if m.BitfieldSize != 0 {
			continue
		}
		ma, err := g.goAlign(m.Type)
		if err != nil {
			return true
		}
		if (m.BitOffset/8)%ma != 0 || m.BitOffset%8 != 0 {
			return true
		}
		a = max(a, ma)
	}
	return s.Size%a != 0
}

// declare writes the declaration of composite or enum type id named n.
func (g *typeGen) declare(id btf.TypeID, n string, t btf.Type) (string, error) {
	var b bytes.Buffer
	switch t := t.(type) {
	case *btf.Enum:
		return g.enum(n, t.Name, t.Size, t.Signed, t.Values, false)
	case *btf.Enum64:
		return g.enum(n, t.Name, t.Size, t.Signed, t.Values, true)
	case *btf.Typedef:
		under, err := g.GoType(t.Type, t.Name)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "// %s is the C type %s.\ntype %s %s\n", n, t.Name, n, under)
		size, err := g.spec.Size(id)
		if err != nil {
			return "", err
		}
		g.checks = append(g.checks, fmt.Sprintf("_ = x[unsafe.Sizeof(*new(%s))-%d]", n, size))
		return b.String(), nil
	case *btf.Union:
		return g.union(n, t, g.anonKind("union", id))
	case *btf.Struct:
		return g.strct(n, t, g.anonKind("struct", id))
	}
	return "", fmt.Errorf("%s: %w", n, errNoGoType)
}

func (g *typeGen) enum(n, cname string, size uint32, signed bool, vals []btf.EnumValue, is64 bool) (string, error) {
	under, err := intType(size, signed, false)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	kw := "enum " + cname
	if cname == "" {
		kw = "an anonymous enum"
	}
	fmt.Fprintf(&b, "// %s is %s (%d bytes).\ntype %s %s\n", n, kw, size, n, under)
	if len(vals) > 0 {
		b.WriteString("\n// Values of " + n + ".\nconst (\n")
		seen := map[string]bool{}
		for _, v := range vals {
			cn := n + camel(v.Name)
			if seen[cn] || g.taken[cn] != 0 {
				cn += "_"
			}
			seen[cn] = true
			var lit string
			if signed {
				x := int64(v.Value)
				if !is64 {
					x = int64(int32(v.Value))
				}
				lit = strconv.FormatInt(x, 10)
			} else {
				x := v.Value
				if size < 8 {
					x &= 1<<(8*size) - 1
				}
				lit = strconv.FormatUint(x, 10)
			}
			fmt.Fprintf(&b, "\t%s %s = %s\n", cn, n, lit)
		}
		b.WriteString(")\n")
	}
	g.checks = append(g.checks, fmt.Sprintf("_ = x[unsafe.Sizeof(*new(%s))-%d]", n, size))
	return b.String(), nil
}

// union declares a union as a byte array of its size with a getter and a
// setter per member, which copy the member's bytes (in the object's byte
// order for integers).
// anonKind describes an anonymous struct or union: "an anonymous
// struct", or "the struct of typedef point_t".
func (g *typeGen) anonKind(kind string, id btf.TypeID) string {
	if td := g.typedefOf[id]; td != "" {
		return "the " + kind + " of typedef " + td
	}
	return "an anonymous " + kind
}

func (g *typeGen) union(n string, u *btf.Union, anon string) (string, error) {
	var b bytes.Buffer
	kw := "union " + u.Name
	if u.Name == "" {
		kw = anon
	}
	fmt.Fprintf(&b, "// %s is %s (%d bytes), kept as bytes: use the accessors.\ntype %s [%d]byte\n", n, kw, u.Size, n, u.Size)
	used := map[string]bool{}
	for i, m := range u.Members {
		if m.BitfieldSize != 0 || m.BitOffset != 0 {
			continue // a union bitfield: read the bytes
		}
		mname := m.Name
		if mname == "" {
			mname = "anon" + strconv.Itoa(i)
		}
		gt, err := g.GoType(m.Type, u.Name+"_"+mname)
		if errors.Is(err, errNoGoType) {
			continue
		}
		if err != nil {
			return "", err
		}
		size, err := g.spec.Size(m.Type)
		if err != nil || size == 0 || size > u.Size {
			continue
		}
		fn := camel(mname)
		if used[fn] {
			continue
		}
		used[fn] = true
		g.needBin = true
		fmt.Fprintf(&b, "\n// %s returns the union as member %s.\nfunc (u *%s) %s() %s {\n\tvar v %s\n\t_, _ = binary.Decode(u[:%d], %s, &v)\n\treturn v\n}\n",
			fn, m.Name, n, fn, gt, gt, size, g.byteOrder())
		fmt.Fprintf(&b, "\n// Set%s stores v as member %s, leaving the other bytes.\nfunc (u *%s) Set%s(v %s) {\n\t_, _ = binary.Encode(u[:%d], %s, v)\n}\n",
			fn, m.Name, n, fn, gt, size, g.byteOrder())
	}
	g.checks = append(g.checks, fmt.Sprintf("_ = x[unsafe.Sizeof(*new(%s))-%d]", n, u.Size))
	return b.String(), nil
}

func (g *typeGen) byteOrder() string {
	if g.big {
		return "binary.BigEndian"
	}
	return "binary.LittleEndian"
}

// field is a Go field of a generated struct.
type field struct {
	name, typ, comment string
	off, size          uint32
}

// strct declares a struct with explicit padding fields, bitfields in
// byte-array storage with accessors.
func (g *typeGen) strct(n string, s *btf.Struct, anon string) (string, error) {
	packed := g.packed(s)
	var fields []field
	var methods bytes.Buffer
	used := map[string]bool{}
	uniq := func(base string) string {
		f := base
		for i := 2; used[f]; i++ {
			f = base + strconv.Itoa(i)
		}
		used[f] = true
		return f
	}
	ms := s.Members
	for i := 0; i < len(ms); i++ {
		m := ms[i]
		if m.BitfieldSize != 0 {
			// A run of bitfields whose bytes overlap: one storage field.
			lo, hi := m.BitOffset/8, (m.BitOffset+m.BitfieldSize+7)/8
			j := i + 1
			for ; j < len(ms) && ms[j].BitfieldSize != 0 && ms[j].BitOffset/8 < hi; j++ {
				hi = max(hi, (ms[j].BitOffset+ms[j].BitfieldSize+7)/8)
			}
			if hi-lo > 8 {
				return "", fmt.Errorf("struct %s: bitfields over %d bytes", s.Name, hi-lo)
			}
			sf := uniq(fmt.Sprintf("Bitfield%d", lo))
			fields = append(fields, field{name: sf, typ: fmt.Sprintf("[%d]byte", hi-lo), off: lo, size: hi - lo, comment: "bitfields, see the accessors"})
			for _, bm := range ms[i:j] {
				if bm.Name == "" {
					continue
				}
				if err := g.bitfield(&methods, n, sf, lo, hi, bm, used); err != nil {
					return "", err
				}
			}
			i = j - 1
			continue
		}
		size, err := g.spec.Size(m.Type)
		if err != nil {
			return "", fmt.Errorf("struct %s member %s: %w", s.Name, m.Name, err)
		}
		if size == 0 {
			continue // flexible array or empty struct: nothing to place
		}
		mname := m.Name
		if mname == "" {
			mname = "anon" + strconv.Itoa(i)
		}
		hint := s.Name + "_" + mname
		if s.Name == "" {
			hint = strings.TrimPrefix(n, g.prefix) + "_" + mname
		}
		gt, err := g.GoType(m.Type, hint)
		if err != nil && !errors.Is(err, errNoGoType) {
			return "", err
		}
		comment := ""
		if err != nil || packed {
			gt = fmt.Sprintf("[%d]byte", size)
			comment = "C type " + g.spec.TypeName(m.Type)
		}
		fields = append(fields, field{name: uniq(camel(mname)), typ: gt, off: m.BitOffset / 8, size: size, comment: comment})
	}
	var b bytes.Buffer
	kw := "struct " + s.Name
	if s.Name == "" {
		kw = anon
	}
	fmt.Fprintf(&b, "// %s is %s (%d bytes).\ntype %s struct {\n", n, kw, s.Size, n)
	pos := uint32(0)
	pad := 0
	for _, f := range fields {
		if f.off < pos {
			return "", fmt.Errorf("struct %s: member %s at %d overlaps the previous one (ends at %d)", s.Name, f.name, f.off, pos)
		}
		if f.off > pos {
			fmt.Fprintf(&b, "\t_ [%d]byte\n", f.off-pos)
			pad++
		}
		if f.comment != "" {
			fmt.Fprintf(&b, "\t%s %s // %s\n", f.name, f.typ, f.comment)
		} else {
			fmt.Fprintf(&b, "\t%s %s\n", f.name, f.typ)
		}
		g.checks = append(g.checks, fmt.Sprintf("_ = x[unsafe.Offsetof(%s{}.%s)-%d]", n, f.name, f.off))
		pos = f.off + f.size
	}
	if pos > s.Size {
		return "", fmt.Errorf("struct %s: members end at %d, past its size %d", s.Name, pos, s.Size)
	}
	if pos < s.Size {
		fmt.Fprintf(&b, "\t_ [%d]byte\n", s.Size-pos)
	}
	b.WriteString("}\n")
	b.Write(methods.Bytes())
	g.checks = append(g.checks, fmt.Sprintf("_ = x[unsafe.Sizeof(*new(%s))-%d]", n, s.Size))
	return b.String(), nil
}

// bitfield writes the getter and setter of bitfield member m, stored in
// bytes [lo, hi) of the struct as field sf.
func (g *typeGen) bitfield(w *bytes.Buffer, n, sf string, lo, hi uint32, m btf.Member, used map[string]bool) error {
	gt, err := g.GoType(m.Type, m.Name)
	if err != nil {
		return fmt.Errorf("bitfield %s: %w", m.Name, err)
	}
	signed := false
	if _, t, _, err := g.resolve(m.Type); err == nil {
		switch t := t.(type) {
		case *btf.Int:
			signed = t.Encoding&btf.IntSigned != 0
		case *btf.Enum:
			signed = t.Signed
		case *btf.Enum64:
			signed = t.Signed
		}
	}
	// The value's bits in the storage read as one integer: from the least
	// significant end on little-endian objects, from the most significant
	// on big-endian ones.
	shift := m.BitOffset - lo*8
	if g.big {
		shift = hi*8 - m.BitOffset - m.BitfieldSize
	}
	fn := camel(m.Name)
	if used[fn] || used["Set"+fn] {
		fn += "Bits"
	}
	used[fn], used["Set"+fn] = true, true
	mask := uint64(1)<<m.BitfieldSize - 1
	if m.BitfieldSize == 64 {
		mask = ^uint64(0)
	}
	conv := fmt.Sprintf("%s(x)", gt)
	if gt == "bool" {
		conv = "x != 0"
	}
	fmt.Fprintf(w, "\n// %s returns bitfield %s (%d bits at bit %d).\nfunc (s *%s) %s() %s {\n\tvar buf [8]byte\n", fn, m.Name, m.BitfieldSize, m.BitOffset, n, fn, gt)
	if g.big {
		fmt.Fprintf(w, "\tcopy(buf[%d:], s.%s[:])\n\tx := binary.BigEndian.Uint64(buf[:]) >> %d & %#x\n", 8-(hi-lo), sf, shift, mask)
	} else {
		fmt.Fprintf(w, "\tcopy(buf[:], s.%s[:])\n\tx := binary.LittleEndian.Uint64(buf[:]) >> %d & %#x\n", sf, shift, mask)
	}
	if signed && m.BitfieldSize < 64 {
		fmt.Fprintf(w, "\tif x&%#x != 0 {\n\t\tx |= ^uint64(%#x)\n\t}\n", uint64(1)<<(m.BitfieldSize-1), mask)
	}
	fmt.Fprintf(w, "\treturn %s\n}\n", conv)
	val := "uint64(v)"
	if gt == "bool" {
		val = "b2u(v)"
	}
	if strings.HasPrefix(gt, "[") {
		return fmt.Errorf("bitfield %s of type %s: %w", m.Name, gt, errNoGoType)
	}
	fmt.Fprintf(w, "\n// Set%s stores v (its low %d bits) in bitfield %s.\nfunc (s *%s) Set%s(v %s) {\n\tvar buf [8]byte\n", fn, m.BitfieldSize, m.Name, n, fn, gt)
	if g.big {
		fmt.Fprintf(w, "\tcopy(buf[%d:], s.%s[:])\n\tx := binary.BigEndian.Uint64(buf[:])\n", 8-(hi-lo), sf)
		fmt.Fprintf(w, "\tx = x&^(%#x<<%d) | (%s&%#x)<<%d\n\tbinary.BigEndian.PutUint64(buf[:], x)\n\tcopy(s.%s[:], buf[%d:])\n}\n", mask, shift, val, mask, shift, sf, 8-(hi-lo))
	} else {
		fmt.Fprintf(w, "\tcopy(buf[:], s.%s[:])\n\tx := binary.LittleEndian.Uint64(buf[:])\n", sf)
		fmt.Fprintf(w, "\tx = x&^(%#x<<%d) | (%s&%#x)<<%d\n\tbinary.LittleEndian.PutUint64(buf[:], x)\n\tcopy(s.%s[:], buf[:])\n}\n", mask, shift, val, mask, shift, sf)
	}
	g.needBin = true
	if gt == "bool" {
		g.needB2U = true
	}
	return nil
}

// Decls returns the declarations in a deterministic order (by Go name).
func (g *typeGen) Decls() []string {
	ids := append([]btf.TypeID(nil), g.order...)
	sort.Slice(ids, func(i, j int) bool { return g.names[ids[i]] < g.names[ids[j]] })
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, g.decls[id])
	}
	return out
}

// Checks returns the compile-time assertions, sorted.
func (g *typeGen) Checks() []string {
	c := append([]string(nil), g.checks...)
	sort.Strings(c)
	return c
}
