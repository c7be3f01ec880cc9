package maps

import (
	"encoding/binary"
	"errors"
	"os"
	"testing"
	"time"
)

func checkSample(t *testing.T, s []byte, size int) {
	t.Helper()
	if len(s) < size {
		t.Fatalf("sample of %d bytes, want %d", len(s), size)
	}
	for i := 0; i < size/8; i++ {
		if w := binary.LittleEndian.Uint64(s[8*i:]); w != uint64(i+1) {
			t.Fatalf("word %d = %d, want %d (sample %x)", i, w, i+1, s)
		}
	}
}

func TestRingReader(t *testing.T) {
	m := mustNew(t, &Spec{Name: "t_ring", Type: RingBuf, MaxEntries: 1 << 16})
	prod := newProducer(t, m, 24)
	r, err := NewRingReader(m)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	prod.run(t, 100)
	if got := r.AvailableBytes(); got != 100*32 {
		t.Fatalf("AvailableBytes = %d, want %d", got, 100*32)
	}
	var rec RingRecord
	for i := 0; i < 10; i++ {
		if err := r.Read(&rec); err != nil {
			t.Fatal(err)
		}
		checkSample(t, rec.Sample, 24)
		if len(rec.Sample) != 24 || rec.Remaining != (99-i)*32 {
			t.Fatalf("record %d: %d bytes, %d remaining", i, len(rec.Sample), rec.Remaining)
		}
	}
	n, err := r.ReadFunc(0, func(s []byte) { checkSample(t, s, 24) })
	if err != nil || n != 90 {
		t.Fatalf("ReadFunc = %d, %v; want 90", n, err)
	}
	// Reading into a reused record does not allocate.
	prod.run(t, 200)
	if a := testing.AllocsPerRun(100, func() {
		if err := r.Read(&rec); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Fatalf("Read: %v allocations", a)
	}

	// Drain what is left from above before another goroutine reads: two
	// concurrent readers would split the records between them.
	if n, err := r.ReadFunc(99, func([]byte) {}); err != nil || n != 99 {
		t.Fatalf("drain: %d, %v", n, err)
	}
	// Many runs wrap around the ring; all records arrive intact.
	total := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for total < 5000 {
			n, err := r.ReadFunc(0, func(s []byte) {
				if binary.LittleEndian.Uint64(s) != 1 || len(s) != 24 {
					t.Errorf("bad sample %x", s)
				}
			})
			if err != nil {
				t.Error(err)
				return
			}
			total += n
		}
	}()
	for i := 0; i < 50; i++ {
		prod.run(t, 100)
		time.Sleep(time.Millisecond)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("read %d of 5000 records", total)
	}
}

func TestRingReaderCloseUnblocks(t *testing.T) {
	m := mustNew(t, &Spec{Name: "t_ringc", Type: RingBuf, MaxEntries: 4096})
	r, err := NewRingReader(m)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		var rec RingRecord
		errc <- r.Read(&rec)
	}()
	time.Sleep(20 * time.Millisecond)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Read after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock Read")
	}
	if err := r.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	// Deadline.
	r2, err := NewRingReader(m)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	r2.SetDeadline(time.Now().Add(10 * time.Millisecond))
	var rec RingRecord
	if err := r2.Read(&rec); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past deadline: %v", err)
	}
	if _, err := NewRingReader(mustNew(t, hashSpec("t_notring", 1))); err == nil {
		t.Fatal("ring reader on a hash map")
	}
}

func TestPerfReader(t *testing.T) {
	m := mustNew(t, &Spec{Name: "t_perf", Type: PerfEventArray, KeySize: 4, ValueSize: 4})
	r, err := NewPerfReader(m, 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	prod := newProducer(t, m, 16)
	prod.run(t, 10)
	var rec PerfRecord
	for i := 0; i < 10; i++ {
		r.SetDeadline(time.Now().Add(5 * time.Second))
		if err := r.Read(&rec); err != nil {
			t.Fatal(err)
		}
		if rec.LostSamples != 0 {
			t.Fatalf("lost %d", rec.LostSamples)
		}
		checkSample(t, rec.Sample, 16)
	}
	// Overflow a one-page buffer: the kernel reports lost samples.
	prod.run(t, 1000)
	got, lost := 0, uint64(0)
	readAll := func() {
		r.SetDeadline(time.Now().Add(200 * time.Millisecond))
		for {
			err := r.Read(&rec)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.LostSamples > 0 {
				lost += rec.LostSamples
			} else {
				checkSample(t, rec.Sample, 16)
				got++
			}
		}
	}
	readAll()
	// The kernel reports the loss with the next sample that fits.
	prod.run(t, 1)
	readAll()
	if lost == 0 || got+int(lost) != 1001 || r.LostSamples() != lost {
		t.Fatalf("read %d, lost %d (reader says %d), want 1001 in all", got, lost, r.LostSamples())
	}

	errc := make(chan error, 1)
	r.SetDeadline(time.Time{})
	go func() { errc <- r.Read(&rec) }()
	time.Sleep(20 * time.Millisecond)
	r.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Read after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock Read")
	}
}
