package maps

import (
	"runtime"
	"unsafe"

	"github.com/purebpf/bpf/internal/sys"
)

// elem runs one element command. kp and vp may be nil.
func (m *Map) elem(cmd sys.Cmd, o op, kp, vp unsafe.Pointer, flags uint64) error {
	attr := sys.MapElemAttr{MapFD: m.fd.Uint(), Key: sys.NewPointer(kp), Value: sys.NewPointer(vp), Flags: flags}
	err := sys.MapElem(cmd, &attr)
	// The descriptor's owner must outlive the call: its cleanup would
	// otherwise close the descriptor under the kernel's feet.
	runtime.KeepAlive(m.fd)
	if err != nil {
		return m.wrapErr(o, err)
	}
	return nil
}

// keyPtr resolves key and checks its size.
func (m *Map) keyPtr(o op, key any) (unsafe.Pointer, error) {
	p, n, why := buffer(key, false)
	if why != "" {
		if key == nil && m.keySize == 0 {
			return nil, nil
		}
		return nil, m.usageErr(o, "key: "+why)
	}
	if n != int(m.keySize) {
		return nil, m.sizeErr(o, "key", n, int(m.keySize))
	}
	return p, nil
}

// valuePtr resolves a value buffer of size want.
func (m *Map) valuePtr(o op, v any, writable bool, want int) (unsafe.Pointer, error) {
	p, n, why := buffer(v, writable)
	if why != "" {
		return nil, m.usageErr(o, "value: "+why)
	}
	if n != want {
		return nil, m.sizeErr(o, "value", n, want)
	}
	return p, nil
}

func (m *Map) sizeErr(o op, what string, got, want int) error {
	msg := what + " is " + itoa(uint64(got)) + " bytes, map needs " + itoa(uint64(want))
	if what == "value" && m.ncpu > 0 {
		msg += " (" + itoa(uint64(m.ncpu)) + " possible CPUs x " + itoa(uint64(round8(m.valueSize))) + "; use LookupPerCPU/UpdatePerCPU for one value per CPU)"
	}
	return m.usageErr(o, msg)
}

// Lookup copies the value of key into valueOut, a []byte or a pointer to
// a fixed-size type of the map's value size (for per-CPU maps: all CPUs'
// values, each rounded up to 8 bytes; see LookupPerCPU). A missing key
// gives an error matching ErrKeyNotExist. For map-in-map and program
// array maps the value read is the inner object's id.
func (m *Map) Lookup(key, valueOut any) error {
	kp, err := m.keyPtr(opLookup, key)
	if err != nil {
		return err
	}
	vp, err := m.valuePtr(opLookup, valueOut, true, m.valueBufSize)
	if err != nil {
		return err
	}
	return m.elem(sys.MapLookupElemCmd, opLookup, kp, vp, 0)
}

// fdValue is implemented by objects whose descriptor is stored as a map
// value (maps in map-in-map types, programs in program arrays).
type fdValue interface{ FD() int }

// Update sets the value of key. key and value are []byte, pointers to
// fixed-size types or fixed-size values. For map-in-map, program array
// and other descriptor-holding maps the value may also be a *Map or any
// object with an FD() int method. flags is UpdateAny, UpdateNoExist or
// UpdateExist, optionally with UpdateLock.
func (m *Map) Update(key, value any, flags UpdateFlags) error {
	kp, err := m.keyPtr(opUpdate, key)
	if err != nil {
		return err
	}
	if holdsFDs(m.typ) {
		if f, ok := noescapeAny(value).(fdValue); ok {
			fd := uint32(f.FD())
			return m.elem(sys.MapUpdateElemCmd, opUpdate, kp, unsafe.Pointer(&fd), uint64(flags))
		}
	}
	vp, err := m.valuePtr(opUpdate, value, false, m.valueBufSize)
	if err != nil {
		return err
	}
	return m.elem(sys.MapUpdateElemCmd, opUpdate, kp, vp, uint64(flags))
}

// Delete removes key. A missing key gives an error matching
// ErrKeyNotExist.
func (m *Map) Delete(key any) error {
	kp, err := m.keyPtr(opDelete, key)
	if err != nil {
		return err
	}
	return m.elem(sys.MapDeleteElemCmd, opDelete, kp, nil, 0)
}

// LookupAndDelete copies the value of key into valueOut and removes key
// atomically (hash maps 5.14+, queue and stack 4.20+).
func (m *Map) LookupAndDelete(key, valueOut any) error {
	kp, err := m.keyPtr(opLookupAndDelete, key)
	if err != nil {
		return err
	}
	vp, err := m.valuePtr(opLookupAndDelete, valueOut, true, m.valueBufSize)
	if err != nil {
		return err
	}
	return m.elem(sys.MapLookupAndDeleteElemCmd, opLookupAndDelete, kp, vp, 0)
}

// NextKey writes the key after key into nextKeyOut; a nil key asks for
// the first key. After the last key it returns an error matching
// ErrKeyNotExist. If key is not in the map, the kernel returns the first
// key (hash maps), so iterating while others delete may restart; Iterator
// handles that.
func (m *Map) NextKey(key, nextKeyOut any) error {
	var kp unsafe.Pointer
	if key != nil {
		var err error
		if kp, err = m.keyPtr(opNextKey, key); err != nil {
			return err
		}
	}
	np, n, why := buffer(nextKeyOut, true)
	if why != "" {
		return m.usageErr(opNextKey, "next key: "+why)
	}
	if n != int(m.keySize) {
		return m.sizeErr(opNextKey, "next key", n, int(m.keySize))
	}
	return m.elem(sys.MapGetNextKeyCmd, opNextKey, kp, np, 0)
}

// Push adds value to a Queue or Stack (4.20+). With UpdateExist a full
// map drops its oldest element to make room; otherwise a full map gives
// an error matching ErrMapFull. Push also adds to a BloomFilter.
func (m *Map) Push(value any, flags UpdateFlags) error {
	vp, err := m.valuePtr(opPush, value, false, m.valueBufSize)
	if err != nil {
		return err
	}
	return m.elem(sys.MapUpdateElemCmd, opPush, nil, vp, uint64(flags))
}

// Pop removes the next element of a Queue (oldest) or Stack (newest) into
// valueOut. An empty map gives an error matching ErrKeyNotExist.
func (m *Map) Pop(valueOut any) error {
	vp, err := m.valuePtr(opPop, valueOut, true, m.valueBufSize)
	if err != nil {
		return err
	}
	return m.elem(sys.MapLookupAndDeleteElemCmd, opPop, nil, vp, 0)
}

// Peek copies the next element of a Queue or Stack into valueOut without
// removing it. An empty map gives an error matching ErrKeyNotExist. On a
// BloomFilter, Peek with the value to test reports membership: nil if the
// value may be present, ErrKeyNotExist if it is certainly absent.
func (m *Map) Peek(valueOut any) error {
	writable := m.typ != BloomFilter
	vp, err := m.valuePtr(opPeek, valueOut, writable, m.valueBufSize)
	if err != nil {
		return err
	}
	return m.elem(sys.MapLookupElemCmd, opPeek, nil, vp, 0)
}

// noescapeAny hides v from escape analysis, so that calling a method of an
// interface it holds does not move callers' values to the heap. The
// methods called on the result must not retain it.
func noescapeAny(v any) any {
	w := *(*[2]uintptr)(unsafe.Pointer(&v))
	return *(*any)(unsafe.Pointer(&w))
}
