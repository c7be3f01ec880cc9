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

	"github.com/purebpf/bpf/internal/sys"
)

// Ring buffer record header bits (BPF_RINGBUF_BUSY_BIT, _DISCARD_BIT).
const (
	ringbufBusy    = 1 << 31
	ringbufDiscard = 1 << 30
	ringbufHdrSize = 8
)

// RingReader consumes records a program wrote to a RingBuf map with
// bpf_ringbuf_output or bpf_ringbuf_reserve/submit (5.8+). Read and
// ReadFunc may be called from several goroutines at once (each record goes
// to one of them); Close may be called from any goroutine and unblocks
// every waiting Read.
type RingReader struct {
	fd       *sys.FD // own reference to the map
	consumer []byte  // consumer page (read-write)
	producer []byte  // producer page followed by the data area, mapped twice
	data     unsafe.Pointer
	mask     uint64
	poller   *poller

	name   string       // the map's name, for errors
	mu     sync.Mutex   // held while touching the rings (not while waiting); Close waits for it
	life   sync.RWMutex // read-held while waiting in epoll; Close takes it before releasing the poller
	closed atomic.Bool
}

// NewRingReader maps m, which must be a RingBuf map, for reading. The
// reader holds its own descriptor: closing m does not affect it.
func NewRingReader(m *Map) (*RingReader, error) {
	if m.typ != RingBuf {
		return nil, fmt.Errorf("map %s: ring reader: %s map is not a ringbuf", m.name, m.typ)
	}
	fd, err := m.fd.Dup()
	if err != nil {
		return nil, fmt.Errorf("map %s: ring reader: %w", m.name, m.fd.Closed(err))
	}
	r := &RingReader{fd: fd, name: m.name, mask: uint64(m.maxEntries) - 1}
	page := os.Getpagesize()
	if r.consumer, err = unix.Mmap(fd.Int(), 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED); err != nil {
		r.release()
		return nil, fmt.Errorf("map %s: ring reader: mmap consumer page: %w", m.name, err)
	}
	if r.producer, err = unix.Mmap(fd.Int(), int64(page), page+2*int(m.maxEntries), unix.PROT_READ, unix.MAP_SHARED); err != nil {
		r.release()
		return nil, fmt.Errorf("map %s: ring reader: mmap data: %w", m.name, err)
	}
	r.data = unsafe.Pointer(&r.producer[page])
	if r.poller, err = newPoller(); err != nil {
		r.release()
		return nil, fmt.Errorf("map %s: ring reader: %w", m.name, err)
	}
	if err := r.poller.add(fd.Int(), 0); err != nil {
		r.release()
		return nil, fmt.Errorf("map %s: ring reader: %w", m.name, err)
	}
	return r, nil
}

func (r *RingReader) release() {
	if r.poller != nil {
		r.poller.release()
	}
	if r.producer != nil {
		unix.Munmap(r.producer)
	}
	if r.consumer != nil {
		unix.Munmap(r.consumer)
	}
	r.fd.Close()
}

func (r *RingReader) consumerPos() *uint64 { return (*uint64)(unsafe.Pointer(&r.consumer[0])) }
func (r *RingReader) producerPos() *uint64 { return (*uint64)(unsafe.Pointer(&r.producer[0])) }

// Close unblocks a waiting Read or ReadFunc (which return an error
// matching ErrClosed), then releases the mappings and the descriptor.
// Closing twice is safe.
func (r *RingReader) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	r.poller.close() // wakes a waiting reader
	r.life.Lock()    // ... and waits until it has left epoll_wait
	defer r.life.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.release()
	return nil
}

// SetDeadline makes blocked and future reads return an error matching
// os.ErrDeadlineExceeded after t; the zero time means no deadline.
func (r *RingReader) SetDeadline(t time.Time) { r.poller.setDeadline(t) }

// AvailableBytes returns how many bytes of records are waiting.
func (r *RingReader) AvailableBytes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed.Load() {
		return 0
	}
	return int(atomic.LoadUint64(r.producerPos()) - atomic.LoadUint64(r.consumerPos()))
}

// Size returns the size of the data area in bytes.
func (r *RingReader) Size() int { return int(r.mask + 1) }

// RingRecord is one record read by RingReader.Read.
type RingRecord struct {
	// Sample holds the record's bytes; Read reuses its capacity.
	Sample []byte
	// Remaining is how many bytes of records were still waiting after this
	// one was read.
	Remaining int
}

// Read blocks until a record is available and copies it into rec. It
// returns an error matching ErrClosed after Close and
// os.ErrDeadlineExceeded after the deadline. It allocates only to grow
// rec.Sample.
func (r *RingReader) Read(rec *RingRecord) error {
	var got bool
	_, err := r.read(1, func(sample []byte) {
		rec.Sample = append(rec.Sample[:0], sample...)
		got = true
	}, &rec.Remaining)
	if err != nil {
		return err
	}
	if !got {
		return fmt.Errorf("map %s: ring reader: no record", r.name)
	}
	return nil
}

// ReadFunc blocks until at least one record is available, then calls fn
// with each waiting record (up to max records if max > 0) and returns how
// many it handled. sample points into the ring buffer itself (zero copy):
// it is valid only until fn returns, and must not be written.
func (r *RingReader) ReadFunc(max int, fn func(sample []byte)) (int, error) {
	var rem int
	return r.read(max, fn, &rem)
}

func (r *RingReader) read(max int, fn func([]byte), remaining *int) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed.Load() {
		return 0, &Error{Map: r.name, Op: "read", Err: ErrClosed, sentinel: ErrClosed}
	}
	n := 0
	for {
		// Read the consumer position again after every wait: another
		// goroutine's Read may have consumed records meanwhile.
		cons := atomic.LoadUint64(r.consumerPos())
		prod := atomic.LoadUint64(r.producerPos())
		for cons < prod && (max <= 0 || n < max) {
			hdr := atomic.LoadUint32((*uint32)(unsafe.Add(r.data, cons&r.mask)))
			if hdr&ringbufBusy != 0 {
				break // the producer has not committed this record yet
			}
			length := uint64(hdr &^ (ringbufBusy | ringbufDiscard))
			if hdr&ringbufDiscard == 0 {
				fn(unsafe.Slice((*byte)(unsafe.Add(r.data, (cons&r.mask)+ringbufHdrSize)), length))
				n++
			}
			cons += (length + ringbufHdrSize + 7) &^ 7
			atomic.StoreUint64(r.consumerPos(), cons)
		}
		if n > 0 {
			*remaining = int(prod - cons)
			return n, nil
		}
		if cons < prod {
			// A record is being written: poll would report readiness
			// immediately, so yield instead of spinning on epoll.
			r.mu.Unlock()
			time.Sleep(time.Microsecond)
			r.mu.Lock()
			if r.closed.Load() {
				return 0, &Error{Map: r.name, Op: "read", Err: ErrClosed, sentinel: ErrClosed}
			}
			continue
		}
		// Wait without the lock, so that AvailableBytes and Close are
		// not held up by a reader waiting for records.
		r.mu.Unlock()
		r.life.RLock()
		var err error
		if !r.closed.Load() {
			err = r.poller.wait()
		}
		r.life.RUnlock()
		r.mu.Lock()
		if r.closed.Load() {
			return 0, &Error{Map: r.name, Op: "read", Err: ErrClosed, sentinel: ErrClosed}
		}
		if err != nil {
			if errors.Is(err, ErrClosed) {
				return 0, &Error{Map: r.name, Op: "read", Err: ErrClosed, sentinel: ErrClosed}
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return 0, err
			}
			return 0, fmt.Errorf("map %s: ring reader: %w", r.name, err)
		}
	}
}
