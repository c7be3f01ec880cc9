package bpf_test

import (
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/bpftest/packet"
	"github.com/purebpf/bpf/internal/testenv"
)

// TestVariablesBesideSpinLock loads elf/testdata/private.o, whose custom
// data section holds a bpf_spin_lock beside a counter: a kernel that
// knows the lock refuses to mmap the section's map (ENOTSUPP), and the
// collection must still load, with the counter read and written through
// map system calls.
func TestVariablesBesideSpinLock(t *testing.T) {
	testenv.RequirePrivileged(t)
	c := loadObject(t, "elf/testdata/private.o")
	counter := c.Variables["counter"]
	if counter == nil {
		t.Fatalf("no variable counter: %v", c.Variables)
	}
	for range 2 {
		if got := collRun(t, c.Programs["count_private"], packet.UDPv4(collCli, collHTTP, nil)); got != uint32(bpf.XDPPass) {
			t.Fatalf("count_private returned %d", got)
		}
	}
	var n uint64
	if err := counter.Get(&n); err != nil || n != 9 {
		t.Fatalf("counter = %d, %v; want 9 (7 + two runs)", n, err)
	}
	if err := counter.Set(uint64(100)); err != nil {
		t.Fatal(err)
	}
	collRun(t, c.Programs["count_private"], packet.UDPv4(collCli, collHTTP, nil))
	if err := counter.Get(&n); err != nil || n != 101 {
		t.Fatalf("counter = %d, %v after Set(100) and a run; want 101", n, err)
	}
}
