package maps

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/purebpf/bpf/internal/testenv"
)

// openFDs returns the process's open descriptors, each with what it
// refers to ("anon_inode:bpf-map", "pipe:[123]", a path).
func openFDs(t *testing.T) map[string]string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	fds := make(map[string]string, len(ents))
	for _, e := range ents {
		// The directory's own descriptor is closed by now: it does not
		// resolve any more, and is not counted.
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
			fds[e.Name()] = target
		}
	}
	return fds
}

// startRuntimePoller makes the Go runtime open the descriptors it opens
// lazily, once per process: its network poller (an epoll and an eventfd
// descriptor), created by the first timer or the first os.Open of a
// pollable file. A test binary started without -test.timeout has no timer
// before its first test, so when TestNoFDLeaks ran first the poller was
// created inside the measured code (by PossibleCPUs reading
// /sys/devices/system/cpu/possible), and "8 descriptors before, 10 after"
// was the runtime's, not a leak.
func startRuntimePoller(t *testing.T) {
	t.Helper()
	time.AfterFunc(time.Hour, func() {}).Stop()
	f, err := os.Open("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// TestNoFDLeaks creates and closes maps and readers, including on error
// paths, and checks that the process holds exactly the descriptors it held
// before: none added (a leak) and none closed (a double close of a number
// the package did not own).
func TestNoFDLeaks(t *testing.T) {
	testenv.RequirePrivileged(t)
	startRuntimePoller(t)
	before := openFDs(t)
	for i := 0; i < 3; i++ {
		// Map-in-map: the inner template is closed after creation.
		m, err := New(&Spec{Name: "t_leak", Type: ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 1,
			InnerMap: &Spec{Type: Array, KeySize: 4, ValueSize: 4, MaxEntries: 1}})
		if err != nil {
			t.Fatal(err)
		}
		m.Close()
		// Contents that do not fit: New fails and closes the map.
		if _, err := New(&Spec{Name: "t_leak2", Type: Hash, KeySize: 4, ValueSize: 8, MaxEntries: 1,
			Contents: []KV{{uint32(1), uint64(1)}, {uint32(2), uint64(2)}}}); err == nil {
			t.Fatal("contents beyond max_entries were accepted")
		}
		rb, err := New(&Spec{Name: "t_leak3", Type: RingBuf, MaxEntries: 4096})
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewRingReader(rb)
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		rb.Close()
		pe, err := New(&Spec{Name: "t_leak4", Type: PerfEventArray, KeySize: 4, ValueSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		pr, err := NewPerfReader(pe, 4096)
		if err != nil {
			t.Fatal(err)
		}
		pr.Close()
		pe.Close()
	}
	after := openFDs(t)
	var opened, closed []string
	for fd, target := range after {
		if before[fd] != target {
			opened = append(opened, fd+" -> "+target)
		}
	}
	for fd, target := range before {
		if after[fd] != target {
			closed = append(closed, fd+" -> "+target)
		}
	}
	slices.Sort(opened)
	slices.Sort(closed)
	if len(opened) > 0 || len(closed) > 0 {
		t.Fatalf("%d descriptors open before, %d after; left open: %v; closed: %v", len(before), len(after), opened, closed)
	}
}
