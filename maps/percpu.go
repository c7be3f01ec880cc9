package maps

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/purebpf/bpf/internal/sys"
)

var possibleCPUs = sync.OnceValues(func() (int, error) {
	b, err := os.ReadFile("/sys/devices/system/cpu/possible")
	if err != nil {
		return 0, fmt.Errorf("possible CPUs: %w", err)
	}
	n, err := parseCPUList(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("possible CPUs: parse %q: %w", b, err)
	}
	return n, nil
})

// PossibleCPUs returns the number of possible CPUs: the number of values a
// per-CPU map holds per key. It reads /sys/devices/system/cpu/possible
// once.
func PossibleCPUs() (int, error) { return possibleCPUs() }

// parseCPUList returns 1 + the highest CPU of a list like "0-3,5".
func parseCPUList(s string) (int, error) {
	highest := -1
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		l, err := strconv.Atoi(lo)
		if err != nil {
			return 0, err
		}
		h, err := strconv.Atoi(hi)
		if err != nil {
			return 0, err
		}
		if h < l || l < 0 {
			return 0, fmt.Errorf("bad range %q", part)
		}
		highest = max(highest, h)
	}
	if highest < 0 {
		return 0, fmt.Errorf("no CPUs")
	}
	return highest + 1, nil
}

// perCPU checks a per-CPU operation's slice and returns the kernel buffer
// to use directly, or nil when values must go through the scratch buffer.
func (m *Map) perCPUCheck(o op, p unsafe.Pointer, n, elem int) (direct bool, err error) {
	if m.ncpu == 0 {
		return false, m.usageErr(o, "per-CPU values on a "+m.typ.String()+" map")
	}
	if elem == int(m.valueSize) && n == m.ncpu {
		return elem%8 == 0, nil
	}
	if elem*n == m.valueBufSize && (elem == 1 || elem == 8) {
		return true, nil // raw kernel layout ([]byte or []uint64 words)
	}
	if n != m.ncpu {
		return false, m.usageErr(o, "per-CPU slice has "+itoa(uint64(n))+" elements, need one per possible CPU ("+itoa(uint64(m.ncpu))+")")
	}
	return false, m.usageErr(o, "per-CPU element is "+itoa(uint64(elem))+" bytes, map value size is "+itoa(uint64(m.valueSize)))
}

func (m *Map) scratchBuf() []byte {
	if len(m.scratch) < m.valueBufSize {
		m.scratch = make([]byte, m.valueBufSize)
	}
	return m.scratch[:m.valueBufSize]
}

// lookupPerCPU fills n elements of size elem at p.
func (m *Map) lookupPerCPU(kp, p unsafe.Pointer, n, elem int) error {
	direct, err := m.perCPUCheck(opLookup, p, n, elem)
	if err != nil {
		return err
	}
	if direct {
		return m.elem(sys.MapLookupElemCmd, opLookup, kp, p, 0)
	}
	m.scratchMu.Lock()
	defer m.scratchMu.Unlock()
	buf := m.scratchBuf()
	if err := m.elem(sys.MapLookupElemCmd, opLookup, kp, unsafe.Pointer(&buf[0]), 0); err != nil {
		return err
	}
	dst := unsafe.Slice((*byte)(p), n*elem)
	stride := int(round8(m.valueSize))
	for cpu := 0; cpu < n; cpu++ {
		copy(dst[cpu*elem:(cpu+1)*elem], buf[cpu*stride:])
	}
	return nil
}

// updatePerCPU writes n elements of size elem from p.
func (m *Map) updatePerCPU(kp, p unsafe.Pointer, n, elem int, flags UpdateFlags) error {
	direct, err := m.perCPUCheck(opUpdate, p, n, elem)
	if err != nil {
		return err
	}
	if direct {
		return m.elem(sys.MapUpdateElemCmd, opUpdate, kp, p, uint64(flags))
	}
	m.scratchMu.Lock()
	defer m.scratchMu.Unlock()
	buf := m.scratchBuf()
	clear(buf)
	src := unsafe.Slice((*byte)(p), n*elem)
	stride := int(round8(m.valueSize))
	for cpu := 0; cpu < n; cpu++ {
		copy(buf[cpu*stride:cpu*stride+elem], src[cpu*elem:])
	}
	return m.elem(sys.MapUpdateElemCmd, opUpdate, kp, unsafe.Pointer(&buf[0]), uint64(flags))
}

// LookupPerCPU copies the per-CPU values of key into values, a slice of
// PossibleCPUs() elements of the map's value size ([]uint64 for 8-byte
// values, or a slice of any fixed-size type). A []byte or []uint64 holding
// the kernel's raw layout (each value rounded up to 8 bytes) is accepted
// too. It does not allocate.
func (m *Map) LookupPerCPU(key, values any) error {
	kp, err := m.keyPtr(opLookup, key)
	if err != nil {
		return err
	}
	p, n, elem, ok := sliceOf(values)
	if !ok {
		return m.usageErr(opLookup, "per-CPU values must be a slice of fixed-size elements")
	}
	return m.lookupPerCPU(kp, p, n, elem)
}

// UpdatePerCPU sets the per-CPU values of key from values (as in
// LookupPerCPU).
func (m *Map) UpdatePerCPU(key, values any, flags UpdateFlags) error {
	kp, err := m.keyPtr(opUpdate, key)
	if err != nil {
		return err
	}
	p, n, elem, ok := sliceOf(values)
	if !ok {
		return m.usageErr(opUpdate, "per-CPU values must be a slice of fixed-size elements")
	}
	return m.updatePerCPU(kp, p, n, elem, flags)
}

// LookupPerCPUSum returns the sum over all CPUs of key's value, which must
// be a 4- or 8-byte unsigned counter. It does not allocate.
func (m *Map) LookupPerCPUSum(key any) (uint64, error) {
	kp, err := m.keyPtr(opLookup, key)
	if err != nil {
		return 0, err
	}
	if m.ncpu == 0 || (m.valueSize != 8 && m.valueSize != 4) {
		return 0, m.usageErr(opLookup, "LookupPerCPUSum needs a per-CPU map with 4- or 8-byte values")
	}
	// Up to 64 CPUs the values fit a buffer on the stack, and concurrent
	// callers do not wait for each other; beyond that they share the
	// map's scratch buffer.
	var stack [64 * 8]byte
	buf := stack[:]
	if m.ncpu*8 > len(stack) {
		m.scratchMu.Lock()
		defer m.scratchMu.Unlock()
		buf = m.scratchBuf()
	}
	if err := m.elem(sys.MapLookupElemCmd, opLookup, kp, unsafe.Pointer(&buf[0]), 0); err != nil {
		return 0, err
	}
	var sum uint64
	for cpu := 0; cpu < m.ncpu; cpu++ {
		if m.valueSize == 8 {
			sum += *(*uint64)(unsafe.Pointer(&buf[cpu*8]))
		} else {
			sum += uint64(*(*uint32)(unsafe.Pointer(&buf[cpu*8])))
		}
	}
	return sum, nil
}
