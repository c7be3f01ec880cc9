package maps

import (
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"
)

// eface is the layout of an empty interface value.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// sliceHeader is the layout of a slice.
type sliceHeader struct {
	data unsafe.Pointer
	len  int
	cap  int
}

// shape says how the memory behind an interface value is found.
type shape uint8

const (
	shapeInvalid shape = iota
	shapeValue         // data word points at a fixed-size value (read-only use)
	shapePointer       // data word is a pointer to a fixed-size value
	shapeSlice         // data word points at a slice header of fixed-size elements
)

// typeInfo describes one dynamic type accepted as a key or value.
type typeInfo struct {
	typ   uintptr // the type descriptor's address
	shape shape
	size  int    // size of the value, pointee or slice element
	why   string // for shapeInvalid: why the type is refused
}

// typeCache maps type descriptors to typeInfo without locks or
// allocation on hits. Misses compute the info with reflect once.
var typeCache struct {
	slots [512]atomic.Pointer[typeInfo]
	mu    sync.Mutex
}

func cachedType(typ uintptr) *typeInfo {
	h := (typ >> 4) * 0x9E3779B97F4A7C15 >> 55 // 9 bits
	for i := uintptr(0); i < 8; i++ {
		ti := typeCache.slots[(h+i)%uintptr(len(typeCache.slots))].Load()
		if ti == nil {
			return nil
		}
		if ti.typ == typ {
			return ti
		}
	}
	return nil
}

func storeType(ti *typeInfo) {
	typeCache.mu.Lock()
	defer typeCache.mu.Unlock()
	h := (ti.typ >> 4) * 0x9E3779B97F4A7C15 >> 55
	for i := uintptr(0); i < 8; i++ {
		slot := &typeCache.slots[(h+i)%uintptr(len(typeCache.slots))]
		if cur := slot.Load(); cur == nil || cur.typ == ti.typ {
			slot.Store(ti)
			return
		}
	}
	// Cache full around this hash: the type is described by reflect on
	// every call, which is slower and allocates (a few hundred distinct
	// key and value types would be needed to get here).
}

// describe computes the typeInfo of t with reflect (slow path).
func describe(t reflect.Type) *typeInfo {
	ti := &typeInfo{}
	switch t.Kind() {
	case reflect.Pointer:
		ti.shape, ti.size = shapePointer, int(t.Elem().Size())
		if p := pointerPath(t.Elem()); p != "" {
			ti.shape, ti.why = shapeInvalid, fmt.Sprintf("%s contains a Go pointer (%s)", t, p)
		}
	case reflect.Slice:
		ti.shape, ti.size = shapeSlice, int(t.Elem().Size())
		if p := pointerPath(t.Elem()); p != "" {
			ti.shape, ti.why = shapeInvalid, fmt.Sprintf("%s contains a Go pointer (%s)", t, p)
		}
	default:
		ti.shape, ti.size = shapeValue, int(t.Size())
		if p := pointerPath(t); p != "" {
			ti.shape, ti.why = shapeInvalid, fmt.Sprintf("%s contains a Go pointer (%s)", t, p)
		}
	}
	return ti
}

// pointerPath names the first part of t that holds a Go pointer, or ""
// if t is plain memory the kernel may read and write.
func pointerPath(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return ""
	case reflect.Array:
		if t.Len() == 0 {
			return ""
		}
		return pointerPath(t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if p := pointerPath(t.Field(i).Type); p != "" {
				return "field " + t.Field(i).Name
			}
		}
		return ""
	}
	return t.Kind().String()
}

// typeInfoOf returns the cached description of v's dynamic type.
func typeInfoOf(v any) *typeInfo {
	typ := uintptr((*eface)(unsafe.Pointer(&v)).typ)
	if ti := cachedType(typ); ti != nil {
		return ti
	}
	return slowTypeInfo(typ, reflect.TypeOf(v))
}

//go:noinline
func slowTypeInfo(typ uintptr, t reflect.Type) *typeInfo {
	ti := describe(t)
	ti.typ = typ
	storeType(ti)
	return ti
}

// buffer returns the address and byte size of the memory behind v:
// a []byte or slice of fixed-size elements, a pointer to a fixed-size
// value, or (if !writable) a fixed-size value. why explains a refusal.
func buffer(v any, writable bool) (p unsafe.Pointer, n int, why string) {
	switch x := v.(type) {
	case []byte:
		return unsafe.Pointer(unsafe.SliceData(x)), len(x), ""
	case *uint32:
		return unsafe.Pointer(x), 4, ""
	case *uint64:
		return unsafe.Pointer(x), 8, ""
	case []uint64:
		return unsafe.Pointer(unsafe.SliceData(x)), 8 * len(x), ""
	case nil:
		return nil, 0, "nil key or value"
	}
	e := (*eface)(unsafe.Pointer(&v))
	ti := typeInfoOf(v)
	switch ti.shape {
	case shapePointer:
		if e.data == nil {
			return nil, 0, "nil pointer"
		}
		return e.data, ti.size, ""
	case shapeSlice:
		h := (*sliceHeader)(e.data)
		return h.data, h.len * ti.size, ""
	case shapeValue:
		if writable {
			return nil, 0, "output must be a pointer or a slice, not a value"
		}
		return e.data, ti.size, ""
	}
	return nil, 0, ti.why
}

// sliceOf returns the address, length and element size of a slice value.
func sliceOf(v any) (p unsafe.Pointer, n, elem int, ok bool) {
	switch x := v.(type) {
	case []uint64:
		return unsafe.Pointer(unsafe.SliceData(x)), len(x), 8, true
	case []byte:
		return unsafe.Pointer(unsafe.SliceData(x)), len(x), 1, true
	case []uint32:
		return unsafe.Pointer(unsafe.SliceData(x)), len(x), 4, true
	case nil:
		return nil, 0, 0, false
	}
	ti := typeInfoOf(v)
	if ti.shape != shapeSlice {
		return nil, 0, 0, false
	}
	h := (*sliceHeader)((*eface)(unsafe.Pointer(&v)).data)
	return h.data, h.len, ti.size, true
}
