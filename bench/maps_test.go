package bench

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
)

// Map benchmarks: the raw bpf(2) floor (a prebuilt attribute and one
// syscall), purebpf's untyped and typed APIs, and cilium/ebpf v0.22.0 on
// the same kind of map.

func requireRoot(tb testing.TB) {
	tb.Helper()
	testenv.RequirePrivileged(tb)
}

func newPure(tb testing.TB, spec *maps.Spec) *maps.Map {
	tb.Helper()
	requireRoot(tb)
	m, err := maps.New(spec)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

func newCilium(tb testing.TB, spec *ebpf.MapSpec) *ebpf.Map {
	tb.Helper()
	m, err := ebpf.NewMap(spec)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

// rawElem issues one BPF_MAP_*_ELEM command with a prebuilt attribute.
func rawElem(cmd sys.Cmd, attr *sys.MapElemAttr) error {
	_, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(unsafe.Pointer(attr)), unsafe.Sizeof(*attr))
	if errno != 0 {
		return errno
	}
	return nil
}

// variant is one way of doing a benchmark's operation; the benchmark runs
// each as a sub-benchmark, TestRecordedAllocs counts their allocations.
type variant struct {
	name string
	op   func() error
}

// runVariants runs each variant as a sub-benchmark.
func runVariants(b *testing.B, vs []variant) {
	for _, v := range vs {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := v.op(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMapsHashLookup(b *testing.B) {
	runVariants(b, elemVariants(b, sys.MapLookupElemCmd))
}

func BenchmarkMapsHashUpdate(b *testing.B) {
	runVariants(b, elemVariants(b, sys.MapUpdateElemCmd))
}

// elemVariants look up or update a present key of a hash map (4-byte key,
// 8-byte value).
func elemVariants(tb testing.TB, cmd sys.Cmd) []variant {
	pm := newPure(tb, &maps.Spec{Name: "bench_hash", Type: maps.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 1024})
	cm := newCilium(tb, &ebpf.MapSpec{Name: "bench_hash", Type: ebpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 1024})
	key, val := uint32(7), uint64(42)
	if err := pm.Update(&key, &val, maps.UpdateAny); err != nil {
		tb.Fatal(err)
	}
	if err := cm.Update(&key, &val, ebpf.UpdateAny); err != nil {
		tb.Fatal(err)
	}
	tm, err := maps.AsTyped[uint32, uint64](pm)
	if err != nil {
		tb.Fatal(err)
	}
	attr := sys.MapElemAttr{MapFD: uint32(pm.FD()), Key: sys.NewPointer(unsafe.Pointer(&key)), Value: sys.NewPointer(unsafe.Pointer(&val))}
	if cmd == sys.MapLookupElemCmd {
		return []variant{
			{"raw", func() error { return rawElem(cmd, &attr) }},
			{"purebpf", func() error { k, v := uint32(7), uint64(0); return pm.Lookup(&k, &v) }},
			{"purebpf-typed", func() error { _, err := tm.Lookup(7); return err }},
			{"cilium", func() error { k, v := uint32(7), uint64(0); return cm.Lookup(&k, &v) }},
		}
	}
	return []variant{
		{"raw", func() error { return rawElem(cmd, &attr) }},
		{"purebpf", func() error { k, v := uint32(7), uint64(42); return pm.Update(&k, &v, maps.UpdateAny) }},
		{"purebpf-typed", func() error { return tm.Update(7, 42, maps.UpdateAny) }},
		{"cilium", func() error { k, v := uint32(7), uint64(42); return cm.Update(&k, &v, ebpf.UpdateAny) }},
	}
}

func BenchmarkMapsPerCPULookup(b *testing.B) {
	runVariants(b, perCPUVariants(b))
}

// perCPUVariants look up a present key of a per-CPU hash map (8-byte
// values) into a caller-owned []uint64 of PossibleCPUs() values.
// cilium/ebpf v0.22.0 takes such a slice (the like-for-like comparison)
// or a pointer to a slice it allocates (cilium-alloc).
func perCPUVariants(tb testing.TB) []variant {
	pm := newPure(tb, &maps.Spec{Name: "bench_pcpu", Type: maps.PerCPUHash, KeySize: 4, ValueSize: 8, MaxEntries: 1024})
	cm := newCilium(tb, &ebpf.MapSpec{Name: "bench_pcpu", Type: ebpf.PerCPUHash, KeySize: 4, ValueSize: 8, MaxEntries: 1024})
	ncpu, err := maps.PossibleCPUs()
	if err != nil {
		tb.Fatal(err)
	}
	key := uint32(7)
	vals := make([]uint64, ncpu)
	for i := range vals {
		vals[i] = uint64(i + 1)
	}
	if err := pm.UpdatePerCPU(&key, vals, maps.UpdateAny); err != nil {
		tb.Fatal(err)
	}
	if err := cm.Update(&key, vals, ebpf.UpdateAny); err != nil {
		tb.Fatal(err)
	}
	tm, err := maps.AsTyped[uint32, uint64](pm)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]uint64, ncpu)
	attr := sys.MapElemAttr{MapFD: uint32(pm.FD()), Key: sys.NewPointer(unsafe.Pointer(&key)), Value: sys.NewPointer(unsafe.Pointer(&out[0]))}
	return []variant{
		{"raw", func() error { return rawElem(sys.MapLookupElemCmd, &attr) }},
		{"purebpf", func() error { k := uint32(7); return pm.LookupPerCPU(&k, out) }},
		{"purebpf-typed", func() error { return tm.LookupPerCPU(7, out) }},
		{"cilium", func() error { k := uint32(7); return cm.Lookup(&k, out) }},
		{"cilium-alloc", func() error { k := uint32(7); var vs []uint64; return cm.Lookup(&k, &vs) }},
	}
}

const batchEntries = 1 << 16

// BenchmarkMapsIterate64k reads every element of a 64k-entry hash map:
// with batch lookups (4096 per call) and with NextKey+Lookup per element.
func BenchmarkMapsIterate64k(b *testing.B) {
	runVariants(b, iterateVariants(b))
}

// iterateVariants read all batchEntries elements of a hash map, checking
// the count.
func iterateVariants(tb testing.TB) []variant {
	pm := newPure(tb, &maps.Spec{Name: "bench_batch", Type: maps.Hash, KeySize: 4, ValueSize: 8, MaxEntries: batchEntries})
	keys, vals := make([]uint32, batchEntries), make([]uint64, batchEntries)
	for i := range keys {
		keys[i], vals[i] = uint32(i), uint64(i)
	}
	if n, err := pm.BatchUpdate(keys, vals, maps.UpdateAny); err != nil || n != batchEntries {
		tb.Fatal(n, err)
	}
	cm, err := ebpf.NewMapFromID(ebpf.MapID(pm.ID()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cm.Close() })
	kb, vb := make([]uint32, 4096), make([]uint64, 4096)
	count := func(total int) error {
		if total != batchEntries {
			return fmt.Errorf("read %d elements, want %d", total, batchEntries)
		}
		return nil
	}
	return []variant{
		{"purebpf-batch", func() error {
			var c maps.BatchCursor
			total := 0
			for !c.Done() {
				n, err := pm.BatchLookup(&c, kb, vb)
				if err != nil {
					return err
				}
				total += n
			}
			return count(total)
		}},
		{"purebpf-nextkey-lookup", func() error {
			var k, next uint32
			var v uint64
			total := 0
			var prev any // nil: first key
			for {
				err := pm.NextKey(prev, &next)
				if errors.Is(err, maps.ErrKeyNotExist) {
					break
				}
				if err != nil {
					return err
				}
				if err := pm.Lookup(&next, &v); err != nil {
					return err
				}
				k = next
				prev = &k
				total++
			}
			return count(total)
		}},
		{"cilium-batch", func() error {
			var c ebpf.MapBatchCursor
			total := 0
			for {
				n, err := cm.BatchLookup(&c, kb, vb, nil)
				total += n
				if errors.Is(err, ebpf.ErrKeyNotExist) {
					break
				}
				if err != nil {
					return err
				}
			}
			return count(total)
		}},
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// BenchmarkMapsRingbuf measures end-to-end ring buffer throughput: a BPF
// program emits 16-byte records (bpf_ringbuf_output, 1000 per test run)
// while a reader consumes them. ns/op is per record.
func BenchmarkMapsRingbuf(b *testing.B) {
	pm := newPure(b, &maps.Spec{Name: "bench_ring", Type: maps.RingBuf, MaxEntries: 1 << 22})
	prod := newRingProducer(b, pm.FD())
	cm, err := ebpf.NewMapFromID(ebpf.MapID(pm.ID()))
	if err != nil {
		b.Fatal(err)
	}
	defer cm.Close()

	drive := func(b *testing.B, read func(n int) (int, error)) {
		var got atomic.Int64
		done := make(chan error, 1)
		b.ResetTimer()
		start := time.Now()
		go func() {
			for got.Load() < int64(b.N) {
				n, err := read(b.N - int(got.Load()))
				if err != nil {
					done <- err
					return
				}
				got.Add(int64(n))
			}
			done <- nil
		}()
		for {
			select {
			case err := <-done:
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
				return
			default:
			}
			if got.Load() < int64(b.N) {
				prod.run(b, 1000)
			} else {
				time.Sleep(10 * time.Microsecond)
			}
		}
	}
	b.Run("purebpf-ReadFunc", func(b *testing.B) {
		r, err := maps.NewRingReader(pm)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		var sum uint64
		drive(b, func(n int) (int, error) {
			return r.ReadFunc(0, func(s []byte) { sum += uint64(s[0]) })
		})
		b.StopTimer()
		for r.AvailableBytes() > 0 {
			r.ReadFunc(0, func([]byte) {})
		}
	})
	b.Run("purebpf-Read", func(b *testing.B) {
		r, err := maps.NewRingReader(pm)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		var rec maps.RingRecord
		drive(b, func(int) (int, error) { return 1, r.Read(&rec) })
		b.StopTimer()
		for r.AvailableBytes() > 0 {
			r.ReadFunc(0, func([]byte) {})
		}
	})
	b.Run("cilium-ReadInto", func(b *testing.B) {
		r, err := ringbuf.NewReader(cm)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		var rec ringbuf.Record
		drive(b, func(int) (int, error) { return 1, r.ReadInto(&rec) })
		b.StopTimer()
		r.SetDeadline(time.Now())
		for r.ReadInto(&rec) == nil {
		}
	})
}
