package faultinject_test

import (
	"errors"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
)

// TestSweepMaps fails every request of the map batch operations and of
// the ring and perf reader set-ups, map creation included.
func TestSweepMaps(t *testing.T) {
	testenv.RequirePrivileged(t)
	e := &env{}
	const n = 64
	keys, values := make([]uint32, n), make([]uint64, n)
	for i := range keys {
		keys[i], values[i] = uint32(i), uint64(i)*3
	}
	newHash := func() (*maps.Map, error) {
		return maps.New(&maps.Spec{Name: "sweep_hash", Type: maps.Hash, KeySize: 4, ValueSize: 8, MaxEntries: n})
	}
	want := []string{"sweep_hash"}
	batch := features.HaveMapBatch() == nil
	if !batch {
		t.Logf("batch operations fall back to single ones: %v", features.HaveMapBatch())
	}

	sweep(t, e, "map batch update, lookup, lookup-and-delete, delete", want, func() (func(), error) {
		m, err := newHash()
		if err != nil {
			return nil, err
		}
		fail := func(err error) (func(), error) { m.Close(); return nil, err }
		if _, err := m.BatchUpdate(keys, values, maps.UpdateAny); err != nil {
			return fail(err)
		}
		gotK, gotV := make([]uint32, n), make([]uint64, n)
		var c maps.BatchCursor
		total := 0
		for !c.Done() {
			k, err := m.BatchLookup(&c, gotK[total:], gotV[total:])
			if err != nil {
				return fail(err)
			}
			total += k
			if total == n {
				break
			}
		}
		if total != n {
			return fail(errors.New("lookup batch: short read"))
		}
		if _, err := m.BatchDelete(keys[:n/2]); err != nil {
			return fail(err)
		}
		var c2 maps.BatchCursor
		if _, err := m.BatchLookupAndDelete(&c2, gotK, gotV); err != nil {
			return fail(err)
		}
		return func() { m.Close() }, nil
	})

	sweep(t, e, "ring reader", []string{"sweep_ring"}, func() (func(), error) {
		m, err := maps.New(&maps.Spec{Name: "sweep_ring", Type: maps.RingBuf, MaxEntries: 4096})
		if err != nil {
			return nil, err
		}
		defer m.Close()
		r, err := maps.NewRingReader(m)
		if err != nil {
			return nil, err
		}
		return func() { r.Close() }, nil
	})

	sweep(t, e, "perf reader", []string{"sweep_perf"}, func() (func(), error) {
		m, err := maps.New(&maps.Spec{Name: "sweep_perf", Type: maps.PerfEventArray})
		if err != nil {
			return nil, err
		}
		r, err := maps.NewPerfReader(m, 4096)
		if err != nil {
			m.Close()
			return nil, err
		}
		return func() { r.Close(); m.Close() }, nil
	})
}

// TestSweepRun: BPF_PROG_TEST_RUN is retried on EINTR (a signal between
// repetitions) and on nothing else.
func TestSweepRun(t *testing.T) {
	testenv.RequirePrivileged(t)
	prog := loadReturn(t, "sweep_run", bpf.XDP, int32(bpf.XDPPass))
	sweep(t, &env{}, "Program.Run", []string{"sweep_run"}, func() (func(), error) {
		_, err := prog.Run(bpf.RunOptions{Data: make([]byte, 64)})
		return func() {}, err
	})
}
