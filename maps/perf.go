package maps

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Offsets in struct perf_event_mmap_page.
const (
	perfDataHead   = 1024
	perfDataTail   = 1032
	perfDataOffset = 1040
	perfDataSize   = 1048
)

// perf_event record types.
const (
	perfRecordLost   = 2
	perfRecordSample = 9
)

// perfRing is one CPU's perf buffer.
type perfRing struct {
	cpu  int
	fd   int
	mem  []byte
	data []byte // the data area, a power of two in size
	tmp  []byte // reassembles records that wrap around the end
}

func (p *perfRing) head() uint64 {
	return atomic.LoadUint64((*uint64)(unsafe.Pointer(&p.mem[perfDataHead])))
}
func (p *perfRing) tailPtr() *uint64 { return (*uint64)(unsafe.Pointer(&p.mem[perfDataTail])) }

// PerfReader consumes samples programs wrote to a PerfEventArray map with
// bpf_perf_event_output: one perf buffer per online CPU, polled together.
// One goroutine reads; Close may be called from any goroutine and
// unblocks it.
type PerfReader struct {
	m      *Map
	rings  []*perfRing
	next   int // ring to read first, for fairness
	poller *poller
	lost   atomic.Uint64

	mu     sync.Mutex
	closed atomic.Bool
}

// PerfRecord is one record read by PerfReader.Read: a sample, or a report
// of samples the kernel dropped because the CPU's buffer was full.
type PerfRecord struct {
	// CPU is the CPU whose buffer held the record.
	CPU int
	// Sample holds the sample's bytes (including the kernel's padding to
	// 8 bytes); Read reuses its capacity. Empty for a lost-samples report.
	Sample []byte
	// LostSamples is the number of samples dropped on CPU, for a
	// lost-samples report; 0 for a sample.
	LostSamples uint64
}

// NewPerfReader opens a perf buffer of perCPUBuffer bytes (rounded up to a
// power of two number of pages) on every online CPU and stores their
// descriptors in m, a PerfEventArray map, at each CPU's index.
func NewPerfReader(m *Map, perCPUBuffer int) (*PerfReader, error) {
	if m.typ != PerfEventArray {
		return nil, fmt.Errorf("map %s: perf reader: %s map is not a perf_event_array", m.name, m.typ)
	}
	page := os.Getpagesize()
	pages := 1
	for pages*page < perCPUBuffer {
		pages *= 2
	}
	ncpu, err := PossibleCPUs()
	if err != nil {
		return nil, err
	}
	r := &PerfReader{m: m}
	if r.poller, err = newPoller(); err != nil {
		return nil, fmt.Errorf("map %s: perf reader: %w", m.name, err)
	}
	for cpu := 0; cpu < ncpu && cpu < int(m.maxEntries); cpu++ {
		ring, err := openPerfRing(cpu, pages, page)
		if errors.Is(err, unix.ENODEV) {
			continue // possible but offline CPU
		}
		if err != nil {
			r.release()
			return nil, fmt.Errorf("map %s: perf reader: cpu %d: %w", m.name, cpu, err)
		}
		r.rings = append(r.rings, ring)
		if err := r.poller.add(ring.fd, int32(len(r.rings)-1)); err != nil {
			r.release()
			return nil, fmt.Errorf("map %s: perf reader: %w", m.name, err)
		}
		if err := m.Update(uint32(cpu), uint32(ring.fd), UpdateAny); err != nil {
			r.release()
			return nil, fmt.Errorf("perf reader: %w", err)
		}
	}
	return r, nil
}

func openPerfRing(cpu, pages, page int) (*perfRing, error) {
	attr := unix.PerfEventAttr{
		Type:        unix.PERF_TYPE_SOFTWARE,
		Config:      unix.PERF_COUNT_SW_BPF_OUTPUT,
		Size:        uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Sample_type: unix.PERF_SAMPLE_RAW,
		Wakeup:      1,
	}
	fd, err := unix.PerfEventOpen(&attr, -1, cpu, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("perf_event_open: %w", err)
	}
	mem, err := unix.Mmap(fd, 0, (1+pages)*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mmap perf buffer: %w", err)
	}
	ring := &perfRing{cpu: cpu, fd: fd, mem: mem}
	off := *(*uint64)(unsafe.Pointer(&mem[perfDataOffset]))
	size := *(*uint64)(unsafe.Pointer(&mem[perfDataSize]))
	if off == 0 || size == 0 { // kernels before 4.1
		off, size = uint64(page), uint64(pages*page)
	}
	ring.data = mem[off : off+size]
	if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_ENABLE, 0); err != nil {
		ring.release()
		return nil, fmt.Errorf("enable perf event: %w", err)
	}
	return ring, nil
}

func (p *perfRing) release() {
	unix.Munmap(p.mem)
	unix.Close(p.fd)
}

func (r *PerfReader) release() {
	for _, ring := range r.rings {
		// Remove the descriptor from the map so programs stop writing.
		r.m.Delete(uint32(ring.cpu))
		ring.release()
	}
	r.rings = nil
	r.poller.release()
}

// Close unblocks a waiting Read (which returns an error matching
// ErrClosed), removes the buffers from the map and releases them.
// Closing twice is safe.
func (r *PerfReader) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	r.poller.close()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.release()
	return nil
}

// SetDeadline makes blocked and future reads return an error matching
// os.ErrDeadlineExceeded after t; the zero time means no deadline.
func (r *PerfReader) SetDeadline(t time.Time) { r.poller.setDeadline(t) }

// LostSamples returns the total number of samples the kernel reported
// dropped so far.
func (r *PerfReader) LostSamples() uint64 { return r.lost.Load() }

// Read blocks until a record is available and copies it into rec. It
// returns an error matching ErrClosed after Close and
// os.ErrDeadlineExceeded after the deadline.
func (r *PerfReader) Read(rec *PerfRecord) error {
	var got bool
	_, err := r.readFunc(1, true, func(cpu int, sample []byte, lost uint64) {
		rec.CPU, rec.LostSamples = cpu, lost
		rec.Sample = append(rec.Sample[:0], sample...)
		got = true
	})
	if err == nil && !got {
		err = errors.New("perf reader: no record")
	}
	return err
}

// ReadFunc blocks until at least one sample is available, then calls fn
// with each waiting sample (up to max if max > 0) and returns how many it
// handled. Lost-sample reports only update LostSamples. sample points
// into the perf buffer (zero copy) unless the record wrapped around its
// end; it is valid only until fn returns.
func (r *PerfReader) ReadFunc(max int, fn func(cpu int, sample []byte)) (int, error) {
	return r.readFunc(max, false, func(cpu int, sample []byte, lost uint64) {
		if lost == 0 {
			fn(cpu, sample)
		}
	})
}

// readFunc waits for records and drains them into fn; countLost says
// whether lost-sample reports count as records (Read returns them, as
// PerfRecord.LostSamples) or not (ReadFunc only counts samples).
func (r *PerfReader) readFunc(max int, countLost bool, fn func(cpu int, sample []byte, lost uint64)) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if r.closed.Load() {
			return 0, &Error{Map: r.m.name, Op: "read", Err: ErrClosed, sentinel: ErrClosed}
		}
		n := 0
		for i := 0; i < len(r.rings) && (max <= 0 || n < max); i++ {
			ring := r.rings[(r.next+i)%len(r.rings)]
			n += r.drain(ring, max-n, max > 0, countLost, fn)
		}
		r.next = (r.next + 1) % max1(len(r.rings))
		if n > 0 {
			return n, nil
		}
		if err := r.poller.wait(); err != nil {
			if errors.Is(err, ErrClosed) {
				return 0, &Error{Map: r.m.name, Op: "read", Err: ErrClosed, sentinel: ErrClosed}
			}
			return 0, err
		}
	}
}

func max1(n int) int { return max(n, 1) }

// drain handles the records waiting in ring, up to limit if bounded, and
// returns how many records it passed to fn (lost-sample reports counted
// only with countLost).
func (r *PerfReader) drain(ring *perfRing, limit int, bounded, countLost bool, fn func(int, []byte, uint64)) int {
	head := ring.head()
	tail := atomic.LoadUint64(ring.tailPtr())
	size := uint64(len(ring.data))
	n := 0
	for tail < head && (!bounded || n < limit) {
		rec := ring.record(tail, size)
		typ := *(*uint32)(unsafe.Pointer(&rec[0]))
		switch typ {
		case perfRecordSample:
			rawSize := *(*uint32)(unsafe.Pointer(&rec[8]))
			fn(ring.cpu, rec[12:12+rawSize], 0)
			n++
		case perfRecordLost:
			lost := *(*uint64)(unsafe.Pointer(&rec[16]))
			r.lost.Add(lost)
			fn(ring.cpu, nil, lost)
			if countLost {
				n++
			}
		}
		tail += uint64(len(rec))
		atomic.StoreUint64(ring.tailPtr(), tail)
	}
	return n
}

// record returns the record at pos, copying it into tmp if it wraps.
func (p *perfRing) record(pos, size uint64) []byte {
	off := pos & (size - 1)
	// Records are 8-byte aligned, so the 8-byte header never wraps.
	hdrSize := uint64(*(*uint16)(unsafe.Pointer(&p.data[off+6])))
	if off+hdrSize <= size {
		return p.data[off : off+hdrSize]
	}
	if uint64(cap(p.tmp)) < hdrSize {
		p.tmp = make([]byte, hdrSize)
	}
	p.tmp = p.tmp[:hdrSize]
	k := copy(p.tmp, p.data[off:])
	copy(p.tmp[k:], p.data)
	return p.tmp
}
