package maps

import (
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Memory is a shared mapping of the values of an Array map created with
// FlagMmapable (5.5+): element i starts at byte i*round8(ValueSize).
// Reads and writes go straight to the map's memory, which programs read
// and write at the same time: ReadAt and WriteAt copy bytes without any
// atomicity, so a value may be seen half-written by either side (use
// values of at most 8 naturally aligned bytes, or program-side
// synchronisation, when that matters). A Memory is safe for concurrent
// use; Close waits for ReadAt and WriteAt calls in progress and unmaps; later calls fail with ErrClosed.
type Memory struct {
	mu       sync.RWMutex
	b        []byte
	size     int // bytes of values: maxEntries*round8(valueSize)
	writable bool
	name     string
}

// Mmap maps the values of m, which must be an Array created with
// FlagMmapable, read-write when writable is set (refused by the kernel
// for frozen maps), read-only otherwise. The mapping holds its own
// reference to the map: m may be closed before the Memory.
func (m *Map) Mmap(writable bool) (*Memory, error) {
	if m.typ != Array || m.flags&FlagMmapable == 0 {
		return nil, fmt.Errorf("map %s: mmap: only Array maps created with FlagMmapable can be mapped (type %s, flags %#x)", m.name, m.typ, uint32(m.flags))
	}
	size := int(m.maxEntries) * int(round8(m.valueSize))
	page := os.Getpagesize()
	length := (size + page - 1) / page * page
	prot := unix.PROT_READ
	if writable {
		prot |= unix.PROT_WRITE
	}
	b, err := unix.Mmap(m.fd.Int(), 0, length, prot, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map %s: mmap %d bytes (writable %v): %w", m.name, length, writable, m.fd.Closed(err))
	}
	return &Memory{b: b, size: size, writable: writable, name: m.name}, nil
}

// Len is the number of bytes of values the mapping covers.
func (mm *Memory) Len() int { return mm.size }

// Writable reports whether the mapping was made read-write.
func (mm *Memory) Writable() bool { return mm.writable }

// ReadAt copies len(p) bytes at offset off of the values into p
// (io.ReaderAt); reading past Len is io.EOF after what fits.
func (mm *Memory) ReadAt(p []byte, off int64) (int, error) {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	if mm.b == nil {
		return 0, fmt.Errorf("map %s: read: %w", mm.name, ErrClosed)
	}
	if off < 0 || off > int64(mm.size) {
		return 0, fmt.Errorf("map %s: read at offset %d of %d bytes", mm.name, off, mm.size)
	}
	n := copy(p, mm.b[off:mm.size])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt copies p to offset off of the values (io.WriterAt); it fails
// on a read-only mapping and writes nothing past Len.
func (mm *Memory) WriteAt(p []byte, off int64) (int, error) {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	if mm.b == nil {
		return 0, fmt.Errorf("map %s: write: %w", mm.name, ErrClosed)
	}
	if !mm.writable {
		return 0, fmt.Errorf("map %s: write: the mapping is read-only", mm.name)
	}
	if off < 0 || off > int64(mm.size) || int64(len(p)) > int64(mm.size)-off {
		return 0, fmt.Errorf("map %s: write of %d bytes at offset %d of %d bytes", mm.name, len(p), off, mm.size)
	}
	return copy(mm.b[off:], p), nil
}

// Close unmaps the memory. Closing twice is safe.
func (mm *Memory) Close() error {
	if mm == nil {
		return nil
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.b == nil {
		return nil
	}
	err := unix.Munmap(mm.b)
	mm.b = nil
	if err != nil {
		return fmt.Errorf("map %s: munmap: %w", mm.name, err)
	}
	return nil
}
