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

// TestIteratorChurn iterates a hash map, pass after pass, while another
// goroutine keeps inserting new keys and deleting old ones. Every pass
// ends; every element returned is a real one (value = key+1). With batch
// lookups each key comes at most once and every key present throughout
// comes exactly once (the Iterator's documented promise); walking with
// NextKey, a pass either completes having returned every key present
// throughout (a key may come twice after the kernel restarted the walk)
// or stops with ErrIterationAborted.
func TestIteratorChurn(t *testing.T) {
	for _, mode := range []string{"batch", "nextkey"} {
		t.Run(mode, func(t *testing.T) {
			const (
				max    = 512
				stable = 128 // keys 0..127, present throughout
				window = 64  // churn keys present at a time
				passes = 30
			)
			m := mustNew(t, hashSpec("t_churn", max))
			m.noBatch = mode == "nextkey"
			for k := uint32(0); k < stable; k++ {
				if err := m.Update(k, uint64(k)+1, UpdateAny); err != nil {
					t.Fatal(err)
				}
			}
			stop := make(chan struct{})
			churnErr := make(chan error, 1)
			go func() {
				for c := uint32(1000); ; c++ {
					select {
					case <-stop:
						churnErr <- nil
						return
					default:
					}
					if err := m.Update(c, uint64(c)+1, UpdateNoExist); err != nil {
						churnErr <- err
						return
					}
					if c >= 1000+window {
						if err := m.Delete(c - window); err != nil {
							churnErr <- err
							return
						}
					}
				}
			}()
			aborted := 0
			for pass := range passes {
				seen := map[uint32]int{}
				var k uint32
				var v uint64
				it := m.Iterate()
				steps := 0
				for it.Next(&k, &v) {
					steps++
					if steps > 4*max {
						close(stop)
						t.Fatalf("pass %d: more than %d elements from a map of at most %d: the iteration does not end", pass, 4*max, stable+window)
					}
					// A stable key's element is never freed, so its value
					// is always its own. A churned key's may not be: a
					// preallocated hash map reuses a deleted element for
					// the next insert at once, and the lookup of the
					// system call copies the value without a lock, so it
					// can read the new key's value (the kernel's
					// semantics, seen here as key 7063 with 7129).
					if k < stable && v != uint64(k)+1 {
						close(stop)
						t.Fatalf("pass %d: key %d with value %d", pass, k, v)
					}
					seen[k]++
				}
				err := it.Err()
				switch {
				case err == nil:
				case mode == "nextkey" && errors.Is(err, ErrIterationAborted):
					aborted++
					continue
				default:
					close(stop)
					t.Fatalf("pass %d: %v", pass, err)
				}
				for s := uint32(0); s < stable; s++ {
					if seen[s] == 0 {
						close(stop)
						t.Fatalf("pass %d: key %d, present throughout, was not returned", pass, s)
					}
				}
				if mode == "batch" {
					for key, n := range seen {
						if n > 1 {
							close(stop)
							t.Fatalf("pass %d: key %d returned %d times", pass, key, n)
						}
					}
				}
			}
			close(stop)
			if err := <-churnErr; err != nil {
				t.Fatalf("churn: %v", err)
			}
			t.Logf("%d of %d passes aborted", aborted, passes)
		})
	}
}

// TestRingReaderCloseConcurrentReads: many goroutines block in Read on one
// RingReader while a program writes records; Close, once every record was
// read or in the middle of the stream, makes every Read return ErrClosed,
// and no record is delivered twice (or, when Close waited, lost).
func TestRingReaderCloseConcurrentReads(t *testing.T) {
	const (
		readers = 8
		records = 200
		rounds  = 20
	)
	m := mustNew(t, &Spec{Name: "t_ringrace", Type: RingBuf, MaxEntries: 1 << 16})
	prod := newProducer(t, m, 8)
	for round := range rounds {
		drain := round%2 == 0
		t.Run(fmt.Sprintf("round%d", round), func(t *testing.T) {
			r, err := NewRingReader(m)
			if err != nil {
				t.Fatal(err)
			}
			var got atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, readers)
			for range readers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var rec RingRecord
					for {
						if err := r.Read(&rec); err != nil {
							errs <- err
							return
						}
						if len(rec.Sample) != 8 {
							errs <- fmt.Errorf("sample of %d bytes, want 8", len(rec.Sample))
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
						t.Fatalf("%d of %d records read after 10s", got.Load(), records)
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
			switch n := got.Load(); {
			case n > records:
				t.Fatalf("%d records read, %d written", n, records)
			case drain && n != records:
				t.Fatalf("%d records read, %d written", n, records)
			}
		})
		// The next round's reader must start with an empty ring.
		r, err := NewRingReader(m)
		if err != nil {
			t.Fatal(err)
		}
		r.SetDeadline(time.Now())
		for {
			var rec RingRecord
			if err := r.Read(&rec); err != nil {
				break
			}
		}
		r.Close()
	}
}

// TestRingReaderDeadlineReachesEveryReader sets a deadline while several
// goroutines wait in Read: every one of them must return
// os.ErrDeadlineExceeded (one wake-up used to reach only the first
// reader; the others waited until Close).
func TestRingReaderDeadlineReachesEveryReader(t *testing.T) {
	const readers, rounds = 3, 50
	m := mustNew(t, &Spec{Name: "t_ringdl", Type: RingBuf, MaxEntries: 1 << 12})
	r, err := NewRingReader(m)
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
				var rec RingRecord
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
