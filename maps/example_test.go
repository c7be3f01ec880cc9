package maps_test

import (
	"errors"
	"fmt"

	"github.com/purebpf/bpf/maps"
)

// Count packets per protocol in a hash map, the way a program's counters
// are read from user space.
func Example() {
	m, err := maps.New(&maps.Spec{Name: "proto_count", Type: maps.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 256})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	proto, count := uint32(17), uint64(3)
	if err := m.Update(&proto, &count, maps.UpdateAny); err != nil {
		fmt.Println(err)
		return
	}
	var got uint64
	if err := m.Lookup(&proto, &got); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("udp:", got)

	tcp := uint32(6)
	err = m.Lookup(&tcp, &got)
	fmt.Println("tcp missing:", errors.Is(err, maps.ErrKeyNotExist))
	// Output:
	// udp: 3
	// tcp missing: true
}

// A typed view checks sizes once and reads per-CPU counters into a
// caller-owned slice without allocating.
func ExampleAsTyped() {
	m, err := maps.New(&maps.Spec{Name: "rxcnt", Type: maps.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 256})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	counters, err := maps.AsTyped[uint32, uint64](m)
	if err != nil {
		fmt.Println(err)
		return
	}
	ncpu, _ := maps.PossibleCPUs()
	perCPU := make([]uint64, ncpu)
	for i := range perCPU {
		perCPU[i] = 2
	}
	if err := counters.UpdatePerCPU(17, perCPU, maps.UpdateAny); err != nil {
		fmt.Println(err)
		return
	}
	if err := counters.LookupPerCPU(17, perCPU); err != nil {
		fmt.Println(err)
		return
	}
	sum, err := m.LookupPerCPUSum(uint32(17))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("total per CPU equal to 2:", sum == uint64(2*ncpu))
	// Output: total per CPU equal to 2: true
}

// Read a whole map in chunks with one system call per chunk.
func ExampleMap_BatchLookup() {
	m, err := maps.New(&maps.Spec{Name: "flows", Type: maps.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 1024})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	keys, vals := []uint32{1, 2, 3}, []uint64{10, 20, 30}
	if _, err := m.BatchUpdate(keys, vals, maps.UpdateAny); err != nil {
		fmt.Println(err)
		return
	}
	var cursor maps.BatchCursor
	kb, vb := make([]uint32, 256), make([]uint64, 256)
	var sum uint64
	for !cursor.Done() {
		n, err := m.BatchLookup(&cursor, kb, vb)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, v := range vb[:n] {
			sum += v
		}
	}
	fmt.Println("sum:", sum)
	// Output: sum: 60
}
