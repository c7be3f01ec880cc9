package maps

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/purebpf/bpf/internal/sys"
)

// TypedMap is a Map with fixed-size Go key and value types K and V (plain
// memory: no pointers, strings, slices or interfaces). Sizes are checked
// once by AsTyped; operations neither reflect nor allocate. For per-CPU
// maps V is the type of one CPU's value.
type TypedMap[K, V any] struct {
	m *Map
}

// AsTyped checks that K and V match m's key and value sizes and returns a
// typed view of m. The view shares m's descriptor: closing m closes it.
// For Queue, Stack and BloomFilter maps K is ignored (use struct{}).
func AsTyped[K, V any](m *Map) (*TypedMap[K, V], error) {
	kt, vt := reflect.TypeFor[K](), reflect.TypeFor[V]()
	if p := pointerPath(kt); p != "" {
		return nil, fmt.Errorf("map %s: key type %s contains a Go pointer (%s)", m.name, kt, p)
	}
	if p := pointerPath(vt); p != "" {
		return nil, fmt.Errorf("map %s: value type %s contains a Go pointer (%s)", m.name, vt, p)
	}
	if ks := kt.Size(); ks != uintptr(m.keySize) && !(m.keySize == 0 && ks == 0) {
		return nil, fmt.Errorf("map %s: key type %s is %d bytes, map key size is %d", m.name, kt, ks, m.keySize)
	}
	if vs := vt.Size(); vs != uintptr(m.valueSize) {
		return nil, fmt.Errorf("map %s: value type %s is %d bytes, map value size is %d", m.name, vt, vs, m.valueSize)
	}
	return &TypedMap[K, V]{m: m}, nil
}

// NewTyped creates a map from spec, filling in KeySize and ValueSize from
// K and V when they are 0, and returns its typed view.
func NewTyped[K, V any](spec *Spec) (*TypedMap[K, V], error) {
	s := *spec
	if s.KeySize == 0 && !isKeyless(s.Type) {
		s.KeySize = uint32(unsafe.Sizeof(*new(K)))
	}
	if s.ValueSize == 0 && s.Type != RingBuf && s.Type != UserRingBuf {
		s.ValueSize = uint32(unsafe.Sizeof(*new(V)))
	}
	m, err := New(&s)
	if err != nil {
		return nil, err
	}
	t, err := AsTyped[K, V](m)
	if err != nil {
		m.Close()
		return nil, err
	}
	return t, nil
}

// Map returns the untyped map.
func (t *TypedMap[K, V]) Map() *Map { return t.m }

// Close closes the underlying map.
func (t *TypedMap[K, V]) Close() error { return t.m.Close() }

func (t *TypedMap[K, V]) perCPU(o op) error {
	if t.m.ncpu != 0 {
		return t.m.usageErr(o, "per-CPU map: use LookupPerCPU/UpdatePerCPU")
	}
	return nil
}

// Lookup returns the value of key; a missing key gives an error matching
// ErrKeyNotExist.
func (t *TypedMap[K, V]) Lookup(key K) (V, error) {
	var v V
	if err := t.perCPU(opLookup); err != nil {
		return v, err
	}
	err := t.m.elem(sys.MapLookupElemCmd, opLookup, unsafe.Pointer(&key), unsafe.Pointer(&v), 0)
	return v, err
}

// LookupInto copies the value of key into *value, avoiding a copy of
// large values.
func (t *TypedMap[K, V]) LookupInto(key *K, value *V) error {
	if err := t.perCPU(opLookup); err != nil {
		return err
	}
	return t.m.elem(sys.MapLookupElemCmd, opLookup, unsafe.Pointer(key), unsafe.Pointer(value), 0)
}

// Update sets the value of key (see Map.Update for flags).
func (t *TypedMap[K, V]) Update(key K, value V, flags UpdateFlags) error {
	if err := t.perCPU(opUpdate); err != nil {
		return err
	}
	return t.m.elem(sys.MapUpdateElemCmd, opUpdate, unsafe.Pointer(&key), unsafe.Pointer(&value), uint64(flags))
}

// Delete removes key.
func (t *TypedMap[K, V]) Delete(key K) error {
	return t.m.elem(sys.MapDeleteElemCmd, opDelete, unsafe.Pointer(&key), nil, 0)
}

// LookupAndDelete returns the value of key and removes it (5.14+ for
// hash maps).
func (t *TypedMap[K, V]) LookupAndDelete(key K) (V, error) {
	var v V
	if err := t.perCPU(opLookupAndDelete); err != nil {
		return v, err
	}
	err := t.m.elem(sys.MapLookupAndDeleteElemCmd, opLookupAndDelete, unsafe.Pointer(&key), unsafe.Pointer(&v), 0)
	return v, err
}

// LookupPerCPU copies key's per-CPU values into values, which must have
// PossibleCPUs() elements.
func (t *TypedMap[K, V]) LookupPerCPU(key K, values []V) error {
	return t.m.lookupPerCPU(unsafe.Pointer(&key), unsafe.Pointer(unsafe.SliceData(values)), len(values), int(unsafe.Sizeof(*new(V))))
}

// UpdatePerCPU sets key's per-CPU values from values (PossibleCPUs()
// elements).
func (t *TypedMap[K, V]) UpdatePerCPU(key K, values []V, flags UpdateFlags) error {
	return t.m.updatePerCPU(unsafe.Pointer(&key), unsafe.Pointer(unsafe.SliceData(values)), len(values), int(unsafe.Sizeof(*new(V))), flags)
}

// NextKey returns the key after key; see Map.NextKey.
func (t *TypedMap[K, V]) NextKey(key K) (K, error) {
	var next K
	err := t.m.elem(sys.MapGetNextKeyCmd, opNextKey, unsafe.Pointer(&key), unsafe.Pointer(&next), 0)
	return next, err
}

// FirstKey returns the map's first key; an empty map gives an error
// matching ErrKeyNotExist.
func (t *TypedMap[K, V]) FirstKey() (K, error) {
	var next K
	err := t.m.elem(sys.MapGetNextKeyCmd, opNextKey, nil, unsafe.Pointer(&next), 0)
	return next, err
}

// Push adds value to a Queue or Stack (see Map.Push).
func (t *TypedMap[K, V]) Push(value V, flags UpdateFlags) error {
	return t.m.elem(sys.MapUpdateElemCmd, opPush, nil, unsafe.Pointer(&value), uint64(flags))
}

// Pop removes and returns the next element of a Queue or Stack.
func (t *TypedMap[K, V]) Pop() (V, error) {
	var v V
	err := t.m.elem(sys.MapLookupAndDeleteElemCmd, opPop, nil, unsafe.Pointer(&v), 0)
	return v, err
}

// Peek returns the next element of a Queue or Stack without removing it.
func (t *TypedMap[K, V]) Peek() (V, error) {
	var v V
	err := t.m.elem(sys.MapLookupElemCmd, opPeek, nil, unsafe.Pointer(&v), 0)
	return v, err
}

// BatchLookup reads up to len(keys) elements after the cursor; see
// Map.BatchLookup.
func (t *TypedMap[K, V]) BatchLookup(c *BatchCursor, keys []K, values []V) (int, error) {
	return t.m.BatchLookup(c, keys, values)
}

// BatchLookupAndDelete is BatchLookup that also removes what it reads.
func (t *TypedMap[K, V]) BatchLookupAndDelete(c *BatchCursor, keys []K, values []V) (int, error) {
	return t.m.BatchLookupAndDelete(c, keys, values)
}

// BatchUpdate writes keys[i] = values[i]; see Map.BatchUpdate.
func (t *TypedMap[K, V]) BatchUpdate(keys []K, values []V, flags UpdateFlags) (int, error) {
	return t.m.BatchUpdate(keys, values, flags)
}

// BatchDelete removes keys; see Map.BatchDelete.
func (t *TypedMap[K, V]) BatchDelete(keys []K) (int, error) {
	return t.m.BatchDelete(keys)
}

// Iterate returns an iterator over the map's elements.
func (t *TypedMap[K, V]) Iterate() *TypedIterator[K, V] {
	return &TypedIterator[K, V]{it: t.m.Iterate()}
}

// TypedIterator walks a TypedMap; see Iterator.
type TypedIterator[K, V any] struct {
	it *Iterator
}

// Next reads the next element into *key and *value and reports whether
// there was one; after false, Err tells why iteration stopped.
func (i *TypedIterator[K, V]) Next(key *K, value *V) bool {
	return i.it.next(unsafe.Pointer(key), unsafe.Pointer(value))
}

// Err returns the error that ended iteration, or nil at the end of the map.
func (i *TypedIterator[K, V]) Err() error { return i.it.Err() }
