package bench

import (
	"errors"
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

func requireRoot(b *testing.B) {
	b.Helper()
	testenv.RequirePrivileged(b)
}

func newPure(b *testing.B, spec *maps.Spec) *maps.Map {
	b.Helper()
	requireRoot(b)
	m, err := maps.New(spec)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m
}

func newCilium(b *testing.B, spec *ebpf.MapSpec) *ebpf.Map {
	b.Helper()
	m, err := ebpf.NewMap(spec)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
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

func BenchmarkMapsHashLookup(b *testing.B) {
	benchElem(b, sys.MapLookupElemCmd)
}

func BenchmarkMapsHashUpdate(b *testing.B) {
	benchElem(b, sys.MapUpdateElemCmd)
}

func benchElem(b *testing.B, cmd sys.Cmd) {
	pm := newPure(b, &maps.Spec{Name: "bench_hash", Type: maps.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 1024})
	cm := newCilium(b, &ebpf.MapSpec{Name: "bench_hash", Type: ebpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 1024})
	key, val := uint32(7), uint64(42)
	if err := pm.Update(&key, &val, maps.UpdateAny); err != nil {
		b.Fatal(err)
	}
	if err := cm.Update(&key, &val, ebpf.UpdateAny); err != nil {
		b.Fatal(err)
	}
	tm, err := maps.AsTyped[uint32, uint64](pm)
	if err != nil {
		b.Fatal(err)
	}
	lookup := cmd == sys.MapLookupElemCmd
	b.Run("raw", func(b *testing.B) {
		attr := sys.MapElemAttr{MapFD: uint32(pm.FD()), Key: sys.NewPointer(unsafe.Pointer(&key)), Value: sys.NewPointer(unsafe.Pointer(&val))}
		b.ReportAllocs()
		for b.Loop() {
			if err := rawElem(cmd, &attr); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("purebpf", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			k, v := uint32(7), uint64(42)
			var err error
			if lookup {
				err = pm.Lookup(&k, &v)
			} else {
				err = pm.Update(&k, &v, maps.UpdateAny)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("purebpf-typed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if lookup {
				_, err = tm.Lookup(7)
			} else {
				err = tm.Update(7, 42, maps.UpdateAny)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cilium", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			k, v := uint32(7), uint64(42)
			var err error
			if lookup {
				err = cm.Lookup(&k, &v)
			} else {
				err = cm.Update(&k, &v, ebpf.UpdateAny)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkMapsPerCPULookup(b *testing.B) {
	pm := newPure(b, &maps.Spec{Name: "bench_pcpu", Type: maps.PerCPUHash, KeySize: 4, ValueSize: 8, MaxEntries: 1024})
	cm := newCilium(b, &ebpf.MapSpec{Name: "bench_pcpu", Type: ebpf.PerCPUHash, KeySize: 4, ValueSize: 8, MaxEntries: 1024})
	ncpu, err := maps.PossibleCPUs()
	if err != nil {
		b.Fatal(err)
	}
	key := uint32(7)
	vals := make([]uint64, ncpu)
	for i := range vals {
		vals[i] = uint64(i + 1)
	}
	if err := pm.UpdatePerCPU(&key, vals, maps.UpdateAny); err != nil {
		b.Fatal(err)
	}
	if err := cm.Update(&key, vals, ebpf.UpdateAny); err != nil {
		b.Fatal(err)
	}
	tm, err := maps.AsTyped[uint32, uint64](pm)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]uint64, ncpu)
	b.Run("raw", func(b *testing.B) {
		attr := sys.MapElemAttr{MapFD: uint32(pm.FD()), Key: sys.NewPointer(unsafe.Pointer(&key)), Value: sys.NewPointer(unsafe.Pointer(&out[0]))}
		b.ReportAllocs()
		for b.Loop() {
			if err := rawElem(sys.MapLookupElemCmd, &attr); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("purebpf", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			k := uint32(7)
			if err := pm.LookupPerCPU(&k, out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("purebpf-typed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := tm.LookupPerCPU(7, out); err != nil {
				b.Fatal(err)
			}
		}
	})
	// cilium/ebpf v0.22.0 takes a caller-owned slice of PossibleCPU()
	// values (like purebpf's LookupPerCPU) or a pointer to a slice it
	// allocates; the first is the like-for-like comparison.
	b.Run("cilium", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			k := uint32(7)
			if err := cm.Lookup(&k, out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cilium-alloc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			k := uint32(7)
			var vs []uint64
			if err := cm.Lookup(&k, &vs); err != nil {
				b.Fatal(err)
			}
		}
	})
}

const batchEntries = 1 << 16

// BenchmarkMapsIterate64k reads every element of a 64k-entry hash map:
// with batch lookups (4096 per call) and with NextKey+Lookup per element.
func BenchmarkMapsIterate64k(b *testing.B) {
	pm := newPure(b, &maps.Spec{Name: "bench_batch", Type: maps.Hash, KeySize: 4, ValueSize: 8, MaxEntries: batchEntries})
	keys, vals := make([]uint32, batchEntries), make([]uint64, batchEntries)
	for i := range keys {
		keys[i], vals[i] = uint32(i), uint64(i)
	}
	if n, err := pm.BatchUpdate(keys, vals, maps.UpdateAny); err != nil || n != batchEntries {
		b.Fatal(n, err)
	}
	cm, err := ebpf.NewMapFromID(ebpf.MapID(must(pm.ID())))
	if err != nil {
		b.Fatal(err)
	}
	defer cm.Close()
	kb, vb := make([]uint32, 4096), make([]uint64, 4096)
	b.Run("purebpf-batch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c maps.BatchCursor
			total := 0
			for !c.Done() {
				n, err := pm.BatchLookup(&c, kb, vb)
				if err != nil {
					b.Fatal(err)
				}
				total += n
			}
			if total != batchEntries {
				b.Fatalf("read %d", total)
			}
		}
	})
	b.Run("purebpf-nextkey-lookup", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
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
					b.Fatal(err)
				}
				if err := pm.Lookup(&next, &v); err != nil {
					b.Fatal(err)
				}
				k = next
				prev = &k
				total++
			}
			if total != batchEntries {
				b.Fatalf("read %d", total)
			}
		}
	})
	b.Run("cilium-batch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c ebpf.MapBatchCursor
			total := 0
			for {
				n, err := cm.BatchLookup(&c, kb, vb, nil)
				total += n
				if errors.Is(err, ebpf.ErrKeyNotExist) {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			if total != batchEntries {
				b.Fatalf("read %d", total)
			}
		}
	})
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
	cm, err := ebpf.NewMapFromID(ebpf.MapID(must(pm.ID())))
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
