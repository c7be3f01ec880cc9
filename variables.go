package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	pbtf "github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/maps"
)

// ErrReadOnly is wrapped by the error of Variable.Set on a variable of a
// ".rodata*" section: NewCollection freezes those maps, so after load
// the variable is a constant.
var ErrReadOnly = errors.New("variable is read-only after load")

// VariableSpec is a global variable of an object: a range of the value
// of one of the collection's global data maps (".data", ".rodata",
// ".bss", or custom ".data.*" and ".rodata.*" sections), each a
// single-element Array. Package elf describes every variable of the
// object's BTF datasecs; CollectionSpec.AddVariable adds others.
//
// Set changes the initial value written into the map when the collection
// is loaded. A VariableSpec, like the CollectionSpec it belongs to, is not
// safe for concurrent modification.
type VariableSpec struct {
	// Name is the variable's symbol name.
	Name string
	// MapName is the global data map (the ELF section) holding it, a key
	// of CollectionSpec.Maps.
	MapName string
	// Offset and Size locate the variable in the map's value, in bytes.
	Offset, Size uint32
	// TypeID is the variable's type (as declared, qualifiers included) in
	// the object's BTF (CollectionSpec.BTF), or 0 when the object has no
	// BTF for it.
	TypeID pbtf.TypeID

	coll *CollectionSpec
}

// AddVariable adds a variable of one of cs's maps to cs.Variables under
// key, checking that the map exists, is a single-element Array and holds
// [Offset, Offset+Size) in its value. It returns the spec bound to cs
// (whose Set writes cs's map contents).
func (cs *CollectionSpec) AddVariable(key string, v VariableSpec) (*VariableSpec, error) {
	if key == "" {
		return nil, errors.New("add variable: empty name")
	}
	if _, dup := cs.Variables[key]; dup {
		return nil, fmt.Errorf("add variable %s: defined twice", key)
	}
	m := cs.Maps[v.MapName]
	if m == nil {
		return nil, fmt.Errorf("add variable %s: map %q is not in the collection", key, v.MapName)
	}
	if m.Type != maps.Array || m.MaxEntries != 1 {
		return nil, fmt.Errorf("add variable %s: map %s is a %s with %d entries, want a single-element array", key, v.MapName, m.Type, m.MaxEntries)
	}
	if v.Size == 0 || uint64(v.Offset)+uint64(v.Size) > uint64(m.ValueSize) {
		return nil, fmt.Errorf("add variable %s: [%d,+%d) is not inside the %d-byte value of map %s", key, v.Offset, v.Size, m.ValueSize, v.MapName)
	}
	if cs.Variables == nil {
		cs.Variables = map[string]*VariableSpec{}
	}
	v.coll = cs
	p := &v
	cs.Variables[key] = p
	return p, nil
}

// copyVariables gives the copy c of a CollectionSpec its own variables,
// bound to it.
func (cs *CollectionSpec) copyVariables(c *CollectionSpec) {
	if cs.Variables == nil {
		return
	}
	c.Variables = make(map[string]*VariableSpec, len(cs.Variables))
	for k, v := range cs.Variables {
		nv := *v
		nv.coll = c
		c.Variables[k] = &nv
	}
}

// readOnlyData reports whether a global data map is frozen at load
// (".rodata" and ".rodata.*").
func readOnlyData(mapName string) bool { return strings.HasPrefix(mapName, ".rodata") }

// ReadOnly reports whether the variable is constant after load (it is in
// a ".rodata*" map, which NewCollection freezes before loading programs,
// so that the verifier knows its value and prunes branches on it).
func (v *VariableSpec) ReadOnly() bool { return readOnlyData(v.MapName) }

// TypeName is the C spelling of the variable's type from the object's
// BTF ("const volatile struct config"), or "" without BTF.
func (v *VariableSpec) TypeName() string {
	if v.coll == nil {
		return ""
	}
	return v.coll.varType(v.TypeID).name
}

// String describes the variable: "variable counter (.bss+8, 4 bytes)".
func (v *VariableSpec) String() string {
	return fmt.Sprintf("variable %s (%s+%d, %d bytes)", v.Name, v.MapName, v.Offset, v.Size)
}

// value returns the map spec and its current value (a fresh zeroed
// buffer when it has no contents; not a copy otherwise).
func (v *VariableSpec) value() (*maps.Spec, []byte, error) {
	if v.coll == nil {
		return nil, nil, fmt.Errorf("%s: not part of a CollectionSpec (use CollectionSpec.AddVariable)", v)
	}
	m := v.coll.Maps[v.MapName]
	if m == nil {
		return nil, nil, fmt.Errorf("%s: map %s is not in the collection", v, v.MapName)
	}
	if uint64(v.Offset)+uint64(v.Size) > uint64(m.ValueSize) {
		return nil, nil, fmt.Errorf("%s: outside the %d-byte value of map %s", v, m.ValueSize, v.MapName)
	}
	switch len(m.Contents) {
	case 0:
		return m, make([]byte, m.ValueSize), nil
	case 1:
		b, ok := m.Contents[0].Value.([]byte)
		if !ok || len(b) != int(m.ValueSize) {
			return nil, nil, fmt.Errorf("%s: map %s contents are a %T, want a %d-byte []byte", v, v.MapName, m.Contents[0].Value, m.ValueSize)
		}
		return m, b, nil
	}
	return nil, nil, fmt.Errorf("%s: map %s has %d contents entries, want at most 1", v, v.MapName, len(m.Contents))
}

// Set changes the variable's initial value. value is a []byte of exactly
// Size bytes or a fixed-size value encoding/binary encodes to Size bytes
// (an integer, float, bool, array or struct of those, or a pointer to
// one), in the object's byte order; when the object has BTF, a scalar of
// another kind than the variable's type (a float for an int, an integer
// for a struct) is refused too. ".rodata" variables set here are the
// constants programs are verified with. The map's contents get a new
// buffer (copies of the spec made by Copy are not affected).
func (v *VariableSpec) Set(value any) error {
	m, cur, err := v.value()
	if err != nil {
		return fmt.Errorf("set %w", err)
	}
	t := v.coll.varType(v.TypeID)
	b, err := encodeVariable(value, int(v.Size), v.coll.ByteOrder, t)
	if err != nil {
		return fmt.Errorf("set %s: %w", v, err)
	}
	nb := make([]byte, len(cur))
	copy(nb, cur)
	copy(nb[v.Offset:], b)
	m.Contents = []maps.KV{{Key: uint32(0), Value: nb}}
	return nil
}

// Get decodes the variable's initial value into out: a []byte of Size
// bytes, or a pointer to a fixed-size value of Size bytes (see Set).
func (v *VariableSpec) Get(out any) error {
	_, cur, err := v.value()
	if err != nil {
		return fmt.Errorf("get %w", err)
	}
	t := v.coll.varType(v.TypeID)
	if err := decodeVariable(cur[v.Offset:v.Offset+v.Size], out, v.coll.ByteOrder, t); err != nil {
		return fmt.Errorf("get %s: %w", v, err)
	}
	return nil
}

// varClass is what kind of Go value a variable's BTF type takes.
type varClass uint8

const (
	classAny       varClass = iota // no BTF: any value of the right size
	classInteger                   // int, enum, pointer
	classFloat                     // float
	classComposite                 // struct, union, array
)

// varType describes a variable's BTF type for checks and messages.
type varType struct {
	class varClass
	name  string // C spelling, "" without BTF
}

// varType looks up type id in cs.BTF.
func (cs *CollectionSpec) varType(id pbtf.TypeID) varType {
	if id == 0 || cs.BTF == nil {
		return varType{}
	}
	pub := cs.BTF
	s, ok := btf.FromPublic(pub)
	if !ok {
		return varType{}
	}
	t, err := s.Skip(btf.TypeID(id))
	if err != nil {
		return varType{}
	}
	vt := varType{name: pub.TypeName(id)}
	switch t.Kind {
	case btf.KindInt, btf.KindEnum, btf.KindEnum64, btf.KindPointer:
		vt.class = classInteger
	case btf.KindFloat:
		vt.class = classFloat
	case btf.KindStruct, btf.KindUnion, btf.KindArray:
		vt.class = classComposite
	}
	return vt
}

func (t varType) describe() string {
	if t.name == "" {
		return ""
	}
	return " (" + t.name + ")"
}

// goClass classifies a Go value (after pointers) like varClass.
func goClass(rv reflect.Type) varClass {
	for rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Bool, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return classInteger
	case reflect.Float32, reflect.Float64:
		return classFloat
	}
	return classComposite
}

func checkClass(value any, t varType) error {
	if t.class == classAny || value == nil {
		return nil
	}
	if _, ok := value.([]byte); ok {
		return nil
	}
	g := goClass(reflect.TypeOf(value))
	switch {
	case t.class == classFloat && g != classFloat,
		t.class == classInteger && g == classFloat,
		t.class == classComposite && g != classComposite:
		return fmt.Errorf("a %T does not fit a variable of type %s", value, t.name)
	}
	return nil
}

// classFits reports whether a Go value of class c fits a variable of
// type t (the rule of checkClass).
func classFits(c varClass, t varType) bool {
	switch t.class {
	case classAny:
		return true
	case classFloat:
		return c == classFloat
	case classInteger:
		return c != classFloat
	}
	return c == classComposite
}

// putScalar encodes integers, bools and floats into dst in host byte
// order without reflection (the byte order is not an interface, so dst
// stays on the caller's stack); n is 0 for other values.
func putScalar(dst *[8]byte, value any) (n int, class varClass) {
	bo := binary.NativeEndian
	switch x := value.(type) {
	case uint8:
		dst[0] = x
		return 1, classInteger
	case int8:
		dst[0] = uint8(x)
		return 1, classInteger
	case bool:
		dst[0] = 0
		if x {
			dst[0] = 1
		}
		return 1, classInteger
	case uint16:
		bo.PutUint16(dst[:], x)
		return 2, classInteger
	case int16:
		bo.PutUint16(dst[:], uint16(x))
		return 2, classInteger
	case uint32:
		bo.PutUint32(dst[:], x)
		return 4, classInteger
	case int32:
		bo.PutUint32(dst[:], uint32(x))
		return 4, classInteger
	case float32:
		bo.PutUint32(dst[:], math.Float32bits(x))
		return 4, classFloat
	case uint64:
		bo.PutUint64(dst[:], x)
		return 8, classInteger
	case int64:
		bo.PutUint64(dst[:], uint64(x))
		return 8, classInteger
	case float64:
		bo.PutUint64(dst[:], math.Float64bits(x))
		return 8, classFloat
	}
	return 0, classAny
}

// scalarClass is the class of a pointer to an integer, bool or float,
// classComposite for anything else.
func scalarClass(out any) varClass {
	switch out.(type) {
	case *uint8, *int8, *bool, *uint16, *int16, *uint32, *int32, *uint64, *int64:
		return classInteger
	case *float32, *float64:
		return classFloat
	}
	return classComposite
}

// getScalar decodes b (host byte order) into a pointer to an integer,
// bool or float without reflection when its size is len(b); n is that
// size, or 0 (out untouched) for other destinations and sizes.
func getScalar(b []byte, out any) (n int, class varClass) {
	bo := binary.NativeEndian
	switch len(b) {
	case 1:
		switch p := out.(type) {
		case *uint8:
			*p = b[0]
		case *int8:
			*p = int8(b[0])
		case *bool:
			*p = b[0] != 0
		default:
			return 0, classAny
		}
		return 1, classInteger
	case 2:
		switch p := out.(type) {
		case *uint16:
			*p = bo.Uint16(b)
		case *int16:
			*p = int16(bo.Uint16(b))
		default:
			return 0, classAny
		}
		return 2, classInteger
	case 4:
		switch p := out.(type) {
		case *uint32:
			*p = bo.Uint32(b)
		case *int32:
			*p = int32(bo.Uint32(b))
		case *float32:
			*p = math.Float32frombits(bo.Uint32(b))
			return 4, classFloat
		default:
			return 0, classAny
		}
		return 4, classInteger
	case 8:
		switch p := out.(type) {
		case *uint64:
			*p = bo.Uint64(b)
		case *int64:
			*p = int64(bo.Uint64(b))
		case *float64:
			*p = math.Float64frombits(bo.Uint64(b))
			return 8, classFloat
		default:
			return 0, classAny
		}
		return 8, classInteger
	}
	return 0, classAny
}

func orderOf(bo binary.ByteOrder) binary.ByteOrder {
	if bo == nil {
		return binary.NativeEndian
	}
	return bo
}

// encodeVariable encodes value as size bytes.
func encodeVariable(value any, size int, bo binary.ByteOrder, t varType) ([]byte, error) {
	if value == nil {
		return nil, errors.New("nil value")
	}
	if b, ok := value.([]byte); ok {
		if len(b) != size {
			return nil, fmt.Errorf("%d bytes given for a %d-byte variable%s", len(b), size, t.describe())
		}
		return b, nil
	}
	if err := checkClass(value, t); err != nil {
		return nil, err
	}
	n := binary.Size(value)
	if n < 0 {
		return nil, fmt.Errorf("a %T has no fixed size (want a fixed-size value or a []byte of %d bytes)", value, size)
	}
	if n != size {
		return nil, fmt.Errorf("a %T is %d bytes, the variable%s is %d", value, n, t.describe(), size)
	}
	return binary.Append(make([]byte, 0, size), orderOf(bo), value)
}

// decodeVariable decodes b (the variable's bytes) into out.
func decodeVariable(b []byte, out any, bo binary.ByteOrder, t varType) error {
	if out == nil {
		return errors.New("nil destination")
	}
	if p, ok := out.([]byte); ok {
		if len(p) != len(b) {
			return fmt.Errorf("%d-byte buffer for a %d-byte variable%s", len(p), len(b), t.describe())
		}
		copy(p, b)
		return nil
	}
	if reflect.TypeOf(out).Kind() != reflect.Pointer {
		return fmt.Errorf("destination is a %T, want a pointer or a []byte", out)
	}
	if err := checkClass(out, t); err != nil {
		return err
	}
	n := binary.Size(out)
	if n < 0 {
		return fmt.Errorf("a %T has no fixed size", out)
	}
	if n != len(b) {
		return fmt.Errorf("a %T is %d bytes, the variable%s is %d", out, n, t.describe(), len(b))
	}
	_, err := binary.Decode(b, orderOf(bo), out)
	return err
}

// Variable is a global variable of a loaded collection, read and written
// through a memory mapping of its map when the map was created with
// maps.FlagMmapable (5.5+; NewCollection asks for it for every map that
// holds variables), through map lookups and updates otherwise.
//
// Get and Set are safe for concurrent use, but not atomic with respect to
// programs, which read and write the same memory at the same time: a
// value wider than 8 bytes may be seen half-written. Without a mapping,
// Set reads the map's whole value, patches the variable and writes the
// value back: a program's concurrent writes to other variables of the
// same section between the two calls are lost. Mapped reports which path
// a Variable takes. Close releases its mapping and descriptor (Collection
// .Close closes the collection's variables).
type Variable struct {
	name     string
	mapName  string
	offset   uint32
	size     uint32
	readOnly bool
	order    binary.ByteOrder
	native   bool // order is the host's: the scalar fast paths apply
	typ      varType

	m   *maps.Map    // own descriptor of the data map
	mem *maps.Memory // nil: lookups and updates

	mu      sync.Mutex // the syscall path's scratch buffer
	scratch []byte
}

// newVariable makes the loaded variable of vs in map m (cloning its
// descriptor, mapping its memory when the map is mmapable).
func newVariable(cs *CollectionSpec, vs *VariableSpec, m *maps.Map) (*Variable, error) {
	if uint64(vs.Offset)+uint64(vs.Size) > uint64(m.ValueSize()) {
		return nil, fmt.Errorf("%s: outside the %d-byte value of map %s", vs, m.ValueSize(), vs.MapName)
	}
	c, err := m.Clone()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", vs, err)
	}
	v := &Variable{name: vs.Name, mapName: vs.MapName, offset: vs.Offset, size: vs.Size,
		readOnly: readOnlyData(vs.MapName), order: orderOf(cs.ByteOrder), native: isHostOrder(cs.ByteOrder),
		typ: cs.varType(vs.TypeID), m: c}
	if c.Type() == maps.Array && c.Flags()&maps.FlagMmapable != 0 {
		v.mem, err = c.Mmap(!v.readOnly)
		switch {
		case err == nil:
		case errors.Is(err, enotsupp) || errors.Is(err, unix.EINVAL):
			// The kernel maps no value holding fields it manages
			// (a bpf_spin_lock, timer, list head, kptr: ENOTSUPP),
			// though it creates the map mmapable: use the map
			// system calls instead.
			v.mem = nil
		default:
			c.Close()
			return nil, fmt.Errorf("%s: %w", vs, err)
		}
	}
	return v, nil
}

// Name is the variable's symbol name.
func (v *Variable) Name() string { return v.name }

// MapName is the global data map holding the variable.
func (v *Variable) MapName() string { return v.mapName }

// Offset is the variable's offset in the map's value.
func (v *Variable) Offset() uint32 { return v.offset }

// Size is the variable's size in bytes.
func (v *Variable) Size() uint32 { return v.size }

// ReadOnly reports whether the variable is a ".rodata*" constant, which
// Set refuses after load: the programs were verified with its value
// (NewCollection freezes the map, unless it is pinned).
func (v *Variable) ReadOnly() bool { return v.readOnly }

// TypeName is the C spelling of the variable's type (see
// VariableSpec.TypeName).
func (v *Variable) TypeName() string { return v.typ.name }

// Mapped reports whether Get and Set go through a memory mapping (else
// through map lookups and updates).
func (v *Variable) Mapped() bool { return v.mem != nil }

// String describes the variable: "variable counter (.bss+8, 4 bytes)".
func (v *Variable) String() string {
	return fmt.Sprintf("variable %s (%s+%d, %d bytes)", v.name, v.mapName, v.offset, v.size)
}

// Get reads the variable's current value into out: a []byte of Size
// bytes, or a pointer to a fixed-size value of Size bytes (host byte
// order). Pointers to integers, bools and floats take no reflection and
// no allocation.
func (v *Variable) Get(out any) error {
	var stack [64]byte
	var b []byte
	if v.size <= uint32(len(stack)) {
		b = stack[:v.size]
	} else {
		b = make([]byte, v.size)
	}
	if err := v.read(b); err != nil {
		return fmt.Errorf("get %s: %w", v, err)
	}
	if v.native && classFits(scalarClass(out), v.typ) {
		if n, _ := getScalar(b, out); n == len(b) {
			return nil
		}
	}
	// The general path keeps b on the stack by decoding a copy.
	if err := decodeVariable(append([]byte(nil), b...), out, v.order, v.typ); err != nil {
		return fmt.Errorf("get %s: %w", v, err)
	}
	return nil
}

func (v *Variable) read(b []byte) error {
	if v.mem != nil {
		_, err := v.mem.ReadAt(b, int64(v.offset))
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.lookup(); err != nil {
		return err
	}
	copy(b, v.scratch[v.offset:])
	return nil
}

// lookup reads the map's value into v.scratch (v.mu held).
func (v *Variable) lookup() error {
	if v.scratch == nil {
		v.scratch = make([]byte, v.m.ValueSize())
	}
	return v.m.Lookup(uint32(0), v.scratch)
}

// Set writes value (a []byte of Size bytes or a fixed-size value of Size
// bytes, host byte order; see VariableSpec.Set) into the variable. It
// fails with ErrReadOnly for ".rodata*" variables.
func (v *Variable) Set(value any) error {
	if v.readOnly {
		return fmt.Errorf("set %s: %w (frozen before the programs were loaded; set it on the VariableSpec before loading)", v, ErrReadOnly)
	}
	var stack [8]byte
	var b []byte
	if n, class := putScalar(&stack, value); v.native && n == int(v.size) && classFits(class, v.typ) {
		b = stack[:n]
	} else {
		var err error
		if b, err = encodeVariable(value, int(v.size), v.order, v.typ); err != nil {
			return fmt.Errorf("set %s: %w", v, err)
		}
	}
	if v.mem != nil {
		if _, err := v.mem.WriteAt(b, int64(v.offset)); err != nil {
			return fmt.Errorf("set %s: %w", v, err)
		}
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.lookup(); err != nil {
		return fmt.Errorf("set %s: %w", v, err)
	}
	copy(v.scratch[v.offset:], b)
	if err := v.m.Update(uint32(0), v.scratch, maps.UpdateAny); err != nil {
		return fmt.Errorf("set %s: %w", v, err)
	}
	return nil
}

// Close unmaps the variable's memory and closes its descriptor of the
// map. Closing twice is safe; Get and Set fail afterwards.
func (v *Variable) Close() error {
	if v == nil {
		return nil
	}
	return errors.Join(v.mem.Close(), v.m.Close())
}
