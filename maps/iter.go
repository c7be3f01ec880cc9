package maps

import (
	"errors"
	"unsafe"

	"github.com/purebpf/bpf/internal/sys"
)

// iterChunk is how many elements an Iterator reads per batch call.
const iterChunk = 128

// Iterator walks the elements of a map. Where the kernel has batch
// lookups (5.6+, hash and array maps) it reads chunks with
// BPF_MAP_LOOKUP_BATCH, whose position is a hash bucket, so concurrent
// deletes (including deleting each element just returned) neither restart
// nor abort it: every element present throughout is returned exactly once.
// Otherwise it walks keys with NextKey; if the key it stands on is deleted
// the kernel restarts from the first key, and the iterator ends with
// ErrIterationAborted once it has returned more than max_entries
// elements, rather than loop. Elements added or removed during iteration
// may or may not be seen.
type Iterator struct {
	m *Map

	// batch mode
	cursor       BatchCursor
	keys, values []byte
	n, i         int

	// next-key mode
	nextKeyMode bool
	cur         []byte
	started     bool

	returned int
	done     bool
	err      error
}

// Iterate returns an iterator over m. It allocates its buffers once.
func (m *Map) Iterate() *Iterator {
	return &Iterator{m: m, nextKeyMode: m.batchUnsupported() || isKeyless(m.typ)}
}

// Next copies the next element into keyOut and valueOut (as Lookup
// accepts them; valueOut may be nil to skip values) and reports whether
// there was one. After false, Err says whether iteration completed.
func (it *Iterator) Next(keyOut, valueOut any) bool {
	if it.done {
		return false
	}
	kp, n, why := buffer(keyOut, true)
	if why == "" && n != int(it.m.keySize) {
		why = "key is " + itoa(uint64(n)) + " bytes, map needs " + itoa(uint64(it.m.keySize))
	}
	if why != "" {
		it.fail(it.m.usageErr(opNextKey, "iterate: "+why))
		return false
	}
	var vp unsafe.Pointer
	if valueOut != nil {
		if vp, n, why = buffer(valueOut, true); why == "" && n != it.m.valueBufSize {
			why = "value is " + itoa(uint64(n)) + " bytes, map needs " + itoa(uint64(it.m.valueBufSize))
		}
		if why != "" {
			it.fail(it.m.usageErr(opLookup, "iterate: "+why))
			return false
		}
	}
	return it.next(kp, vp)
}

func (it *Iterator) fail(err error) {
	it.err, it.done = err, true
}

// Err returns the error that ended iteration, or nil if it reached the end
// of the map.
func (it *Iterator) Err() error { return it.err }

func (it *Iterator) next(kp, vp unsafe.Pointer) bool {
	if it.done {
		return false
	}
	m := it.m
	ks, vs := int(m.keySize), m.valueBufSize
	if !it.nextKeyMode {
		for it.i >= it.n {
			if it.cursor.Done() {
				it.done = true
				return false
			}
			if it.keys == nil {
				it.keys, it.values = make([]byte, iterChunk*ks), make([]byte, iterChunk*vs)
			}
			n, err := m.batchLookup(sys.MapLookupBatchCmd, opBatchLookup, &it.cursor, unsafe.Pointer(&it.keys[0]), unsafe.Pointer(&it.values[0]), len(it.keys)/ks)
			if errors.Is(err, errENOSPC) {
				// A hash bucket holds more elements than the buffer.
				it.keys, it.values = make([]byte, 2*len(it.keys)), make([]byte, 2*len(it.values))
				continue
			}
			if err != nil {
				it.fail(err)
				return false
			}
			it.n, it.i = n, 0
		}
		copy(unsafe.Slice((*byte)(kp), ks), it.keys[it.i*ks:])
		if vp != nil {
			copy(unsafe.Slice((*byte)(vp), vs), it.values[it.i*vs:])
		}
		it.i++
		// Without kernel batch support the cursor walks with NextKey,
		// which restarts when its key is deleted: the same guard as
		// below keeps it from looping.
		it.returned++
		if it.cursor.fallback && it.returned > int(m.maxEntries) {
			it.fail(&Error{Map: m.name, Op: "iterate", Err: ErrIterationAborted, sentinel: ErrIterationAborted})
			return false
		}
		return true
	}

	if it.cur == nil {
		it.cur = make([]byte, max(ks, 1))
	}
	for {
		var prev unsafe.Pointer
		if it.started {
			prev = unsafe.Pointer(&it.cur[0])
		}
		if err := m.elem(sys.MapGetNextKeyCmd, opNextKey, prev, kp, 0); err != nil {
			if errors.Is(err, ErrKeyNotExist) {
				it.done = true
				return false
			}
			it.fail(err)
			return false
		}
		copy(it.cur, unsafe.Slice((*byte)(kp), ks))
		it.started = true
		if vp != nil {
			if err := m.elem(sys.MapLookupElemCmd, opLookup, kp, vp, 0); err != nil {
				if errors.Is(err, ErrKeyNotExist) {
					continue // deleted between NextKey and Lookup
				}
				it.fail(err)
				return false
			}
		}
		it.returned++
		if it.returned > int(m.maxEntries) {
			it.fail(&Error{Map: m.name, Op: "iterate", Err: ErrIterationAborted, sentinel: ErrIterationAborted})
			return false
		}
		return true
	}
}
