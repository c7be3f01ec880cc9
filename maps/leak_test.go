package maps

import (
	"os"
	"testing"

	"github.com/purebpf/bpf/internal/testenv"
)

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestNoFDLeaks creates and closes maps and readers, including on error
// paths, and checks that the process holds no more descriptors after.
func TestNoFDLeaks(t *testing.T) {
	testenv.RequirePrivileged(t)
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
	if after := openFDs(t); after != before {
		t.Fatalf("%d descriptors open before, %d after", before, after)
	}
}
