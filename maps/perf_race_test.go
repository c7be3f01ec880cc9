package maps

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestPerfReaderCloseConcurrentReads is TestRingReaderCloseConcurrentReads
// for the perf reader: several goroutines Read while records arrive; Close
// unblocks every one of them with ErrClosed, no record is read twice, and
// when the readers drained the buffer first every record was read once.
func TestPerfReaderCloseConcurrentReads(t *testing.T) {
	const (
		readers = 8
		records = 200 // 200 records of 8 bytes (+ headers) fit a 16 KiB buffer: none lost
		rounds  = 20
	)
	m := mustNew(t, &Spec{Name: "t_perfrace", Type: PerfEventArray, KeySize: 4, ValueSize: 4})
	prod := newProducer(t, m, 8)
	for round := range rounds {
		drain := round%2 == 0
		t.Run(fmt.Sprintf("round%d", round), func(t *testing.T) {
			r, err := NewPerfReader(m, 16<<10)
			if err != nil {
				t.Fatal(err)
			}
			var got, lost atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, readers)
			for range readers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var rec PerfRecord
					for {
						if err := r.Read(&rec); err != nil {
							errs <- err
							return
						}
						if rec.LostSamples > 0 {
							lost.Add(int64(rec.LostSamples))
							continue
						}
						if len(rec.Sample) < 8 {
							errs <- fmt.Errorf("sample of %d bytes, want 8 or more (padded)", len(rec.Sample))
							return
						}
						got.Add(1)
					}
				}()
			}
			prod.run(t, records)
			if drain {
				for deadline := time.Now().Add(10 * time.Second); got.Load() < records; time.Sleep(time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("%d of %d records read after 10s (%d lost)", got.Load(), records, lost.Load())
					}
				}
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Close did not unblock every Read within 10s")
			}
			close(errs)
			for err := range errs {
				if !errors.Is(err, ErrClosed) {
					t.Fatalf("Read: %v, want ErrClosed", err)
				}
			}
			if lost.Load() != 0 {
				t.Fatalf("%d samples lost", lost.Load())
			}
			switch n := got.Load(); {
			case n > records:
				t.Fatalf("%d records read, %d written", n, records)
			case drain && n != records:
				t.Fatalf("%d records read, %d written", n, records)
			}
		})
	}
}

// TestPerfReaderDeadlineReachesEveryReader: a deadline set while several
// goroutines wait in Read reaches every one of them.
func TestPerfReaderDeadlineReachesEveryReader(t *testing.T) {
	const readers, rounds = 3, 50
	m := mustNew(t, &Spec{Name: "t_perfdl", Type: PerfEventArray, KeySize: 4, ValueSize: 4})
	r, err := NewPerfReader(m, 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for round := range rounds {
		r.SetDeadline(time.Time{})
		var started sync.WaitGroup
		errs := make(chan error, readers)
		for range readers {
			started.Add(1)
			go func() {
				var rec PerfRecord
				started.Done()
				errs <- r.Read(&rec)
			}()
		}
		started.Wait()
		time.Sleep(2 * time.Millisecond) // let them reach epoll_wait
		r.SetDeadline(time.Now().Add(time.Millisecond))
		timeout := time.After(10 * time.Second)
		for i := range readers {
			select {
			case err := <-errs:
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("round %d: reader returned %v, want os.ErrDeadlineExceeded", round, err)
				}
			case <-timeout:
				t.Fatalf("round %d: %d of %d readers ignored the deadline for 10s", round, readers-i, readers)
			}
		}
	}
}
