package maps

import (
	"errors"
	"runtime"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/internal/sys"
)

// BatchCursor remembers where a sequence of BatchLookup or
// BatchLookupAndDelete calls stopped. The zero value starts at the
// beginning of the map; use one cursor per pass and map.
type BatchCursor struct {
	in, out  []byte // opaque kernel position (in_batch, out_batch)
	started  bool
	done     bool
	fallback bool // position is a key, kept in in
	m        *Map // map the cursor was used with
}

// Done reports whether the last call reached the end of the map.
func (c *BatchCursor) Done() bool { return c.done }

// Reset rewinds the cursor to the beginning of the map.
func (c *BatchCursor) Reset() { c.started, c.done, c.fallback = false, false, false }

// batchUnsupported is set per map once the kernel refused a batch command
// for it; later calls go straight to the fallback.
type batchState struct{ unsupported atomic.Bool }

func (m *Map) batchUnsupported() bool { return m.noBatch || m.batch.unsupported.Load() }

// isBatchUnsupported reports whether err says the kernel or map type has
// no batch operations.
func isBatchUnsupported(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, enotsupp) || errors.Is(err, unix.EOPNOTSUPP)
}

// batchBufs resolves keys and values into buffers and an element count.
func (m *Map) batchBufs(o op, keys, values any, needValues bool) (kp, vp unsafe.Pointer, count int, err error) {
	kp, kn, why := buffer(keys, true)
	if why != "" {
		return nil, nil, 0, m.usageErr(o, "keys: "+why)
	}
	if m.keySize == 0 || kn%int(m.keySize) != 0 {
		return nil, nil, 0, m.usageErr(o, "keys buffer of "+itoa(uint64(kn))+" bytes is not a whole number of "+itoa(uint64(m.keySize))+"-byte keys")
	}
	count = kn / int(m.keySize)
	if !needValues {
		return kp, nil, count, nil
	}
	vp, vn, why := buffer(values, true)
	if why != "" {
		return nil, nil, 0, m.usageErr(o, "values: "+why)
	}
	if vn != count*m.valueBufSize {
		return nil, nil, 0, m.usageErr(o, "values buffer is "+itoa(uint64(vn))+" bytes, "+itoa(uint64(count))+" keys need "+itoa(uint64(count*m.valueBufSize)))
	}
	return kp, vp, count, nil
}

// BatchLookup reads up to len(keys) elements following the cursor into
// keys and values (slices, or []byte holding whole keys and values; for
// per-CPU maps each element's values are PossibleCPUs() values rounded up
// to 8 bytes) and returns how many it read. When the end of the map is
// reached c.Done() becomes true; n may be non-zero then. Hash maps return
// whole buckets: a buffer smaller than a bucket gives an error matching
// unix.ENOSPC. On kernels without BPF_MAP_LOOKUP_BATCH (before 5.6) or map
// types without it, it falls back to NextKey and Lookup per element.
func (m *Map) BatchLookup(c *BatchCursor, keys, values any) (int, error) {
	kp, vp, count, err := m.batchBufs(opBatchLookup, keys, values, true)
	if err != nil {
		return 0, err
	}
	return m.batchLookup(sys.MapLookupBatchCmd, opBatchLookup, c, kp, vp, count)
}

// BatchLookupAndDelete is BatchLookup that also deletes the elements it
// returns (5.6+; falls back to single operations).
func (m *Map) BatchLookupAndDelete(c *BatchCursor, keys, values any) (int, error) {
	kp, vp, count, err := m.batchBufs(opBatchLookupAndDelete, keys, values, true)
	if err != nil {
		return 0, err
	}
	return m.batchLookup(sys.MapLookupAndDeleteBatchCmd, opBatchLookupAndDelete, c, kp, vp, count)
}

func (m *Map) batchLookup(cmd sys.Cmd, o op, c *BatchCursor, kp, vp unsafe.Pointer, count int) (int, error) {
	if c.m != m {
		c.m = m
		c.Reset()
	}
	if c.done || count == 0 {
		return 0, nil
	}
	tokenSize := max(int(m.keySize), 8)
	if len(c.in) < tokenSize {
		c.in, c.out = make([]byte, tokenSize), make([]byte, tokenSize)
	}
	if c.fallback || m.batchUnsupported() {
		return m.batchLookupFallback(o, c, kp, vp, count)
	}
	attr := sys.MapBatchAttr{
		OutBatch: sys.SlicePointer(c.out), Keys: sys.NewPointer(kp), Values: sys.NewPointer(vp),
		Count: uint32(count), MapFD: m.fd.Uint(),
	}
	if c.started {
		attr.InBatch = sys.SlicePointer(c.in)
	}
	err := sys.MapBatch(cmd, &attr)
	runtime.KeepAlive(m.fd)
	n := int(attr.Count)
	switch {
	case err == nil:
	case errors.Is(err, unix.ENOENT):
		c.done = true
		return n, nil
	case !c.started && isBatchUnsupported(err):
		m.batch.unsupported.Store(true)
		return m.batchLookupFallback(o, c, kp, vp, count)
	default:
		return n, m.wrapErr(o, err)
	}
	c.started = true
	copy(c.in, c.out)
	return n, nil
}

// batchLookupFallback emulates a lookup batch with NextKey and Lookup
// (and Delete).
func (m *Map) batchLookupFallback(o op, c *BatchCursor, kp, vp unsafe.Pointer, count int) (int, error) {
	c.fallback = true
	ks, vs := int(m.keySize), m.valueBufSize
	n := 0
	for n < count {
		k := unsafe.Add(kp, n*ks)
		var prev unsafe.Pointer
		if c.started && o == opBatchLookup {
			prev = unsafe.Pointer(&c.in[0])
		}
		if err := m.elem(sys.MapGetNextKeyCmd, o, prev, k, 0); err != nil {
			if errors.Is(err, ErrKeyNotExist) {
				c.done = true
				return n, nil
			}
			return n, err
		}
		copy(c.in[:ks], unsafe.Slice((*byte)(k), ks))
		c.started = true
		v := unsafe.Add(vp, n*vs)
		if err := m.elem(sys.MapLookupElemCmd, o, k, v, 0); err != nil {
			if errors.Is(err, ErrKeyNotExist) {
				continue // deleted meanwhile
			}
			return n, err
		}
		if o == opBatchLookupAndDelete {
			if err := m.elem(sys.MapDeleteElemCmd, o, k, nil, 0); err != nil && !errors.Is(err, ErrKeyNotExist) {
				return n, err
			}
		}
		n++
	}
	return n, nil
}

// BatchUpdate writes keys[i] = values[i] for every key (keys and values
// as in BatchLookup) and returns how many it wrote. flags apply to every
// element (UpdateAny, UpdateNoExist, UpdateExist, UpdateLock). Falls back
// to Update per element on kernels without BPF_MAP_UPDATE_BATCH.
func (m *Map) BatchUpdate(keys, values any, flags UpdateFlags) (int, error) {
	kp, vp, count, err := m.batchBufs(opBatchUpdate, keys, values, true)
	if err != nil {
		return 0, err
	}
	return m.batchWrite(sys.MapUpdateBatchCmd, opBatchUpdate, kp, vp, count, flags)
}

// BatchDelete deletes keys and returns how many it deleted. A missing key
// stops it with an error matching ErrKeyNotExist. Falls back to Delete per
// element on kernels without BPF_MAP_DELETE_BATCH.
func (m *Map) BatchDelete(keys any) (int, error) {
	kp, _, count, err := m.batchBufs(opBatchDelete, keys, nil, false)
	if err != nil {
		return 0, err
	}
	return m.batchWrite(sys.MapDeleteBatchCmd, opBatchDelete, kp, nil, count, 0)
}

func (m *Map) batchWrite(cmd sys.Cmd, o op, kp, vp unsafe.Pointer, count int, flags UpdateFlags) (int, error) {
	if count == 0 {
		return 0, nil
	}
	if !m.batchUnsupported() {
		attr := sys.MapBatchAttr{Keys: sys.NewPointer(kp), Values: sys.NewPointer(vp), Count: uint32(count), MapFD: m.fd.Uint(), ElemFlags: uint64(flags)}
		err := sys.MapBatch(cmd, &attr)
		runtime.KeepAlive(m.fd)
		if err == nil {
			return int(attr.Count), nil
		}
		unsupported := errors.Is(err, enotsupp) || errors.Is(err, unix.EOPNOTSUPP) ||
			(errors.Is(err, unix.EINVAL) && flags == 0)
		if attr.Count != 0 || !unsupported {
			return int(attr.Count), m.wrapErr(o, err)
		}
		m.batch.unsupported.Store(true)
	}
	ks, vs := int(m.keySize), m.valueBufSize
	for i := 0; i < count; i++ {
		k := unsafe.Add(kp, i*ks)
		var err error
		if cmd == sys.MapDeleteBatchCmd {
			err = m.elem(sys.MapDeleteElemCmd, o, k, nil, 0)
		} else {
			err = m.elem(sys.MapUpdateElemCmd, o, k, unsafe.Add(vp, i*vs), uint64(flags))
		}
		if err != nil {
			return i, err
		}
	}
	return count, nil
}
