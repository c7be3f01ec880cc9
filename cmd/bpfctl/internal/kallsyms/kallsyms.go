// Package kallsyms resolves the helper calls of translated (xlated) BPF
// programs to kernel symbol names through /proc/kallsyms.
//
// After verification the kernel rewrites a helper call's immediate into the
// offset of the helper's function from __bpf_call_base, so that
// "call bpf_map_lookup_elem#1" becomes, for example,
// "call __htab_map_lookup_elem#123456". Resolving the offset needs the
// kernel's symbol table, which only privileged readers see with real
// addresses (kptr_restrict); without them Resolve finds nothing.
package kallsyms

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// DefaultPath is the kernel's symbol table.
const DefaultPath = "/proc/kallsyms"

// ErrNoBase means the symbol table has no usable __bpf_call_base (addresses
// hidden from unprivileged readers, or a kernel without BPF).
var ErrNoBase = errors.New("__bpf_call_base not found or hidden")

// Resolve returns the symbol name at __bpf_call_base+offset for each offset
// that names a symbol in the table read from path. Offsets without a symbol
// are absent from the result.
func Resolve(path string, offsets []int32) (map[int32]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read kernel symbols: %w", err)
	}
	return ResolveData(data, offsets)
}

// ResolveData is Resolve on the contents of a kallsyms file.
func ResolveData(data []byte, offsets []int32) (map[int32]string, error) {
	base, ok := baseAddress(data)
	if !ok || base == 0 {
		return nil, ErrNoBase
	}
	want := make(map[uint64]int32, len(offsets))
	for _, off := range offsets {
		want[base+uint64(int64(off))] = off
	}
	found := make(map[int32]string, len(offsets))
	for len(data) > 0 && len(found) < len(want) {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		addr, name, ok := parseLine(line)
		if !ok {
			continue
		}
		if off, hit := want[addr]; hit {
			if _, dup := found[off]; !dup {
				found[off] = name
			}
		}
	}
	return found, nil
}

func baseAddress(data []byte) (uint64, bool) {
	const sym = " __bpf_call_base"
	for {
		i := bytes.Index(data, []byte(sym))
		if i < 0 {
			return 0, false
		}
		end := i + len(sym)
		if end == len(data) || data[end] == '\n' || data[end] == '\t' {
			start := bytes.LastIndexByte(data[:i], '\n') + 1
			addr, _, ok := parseLine(data[start:end])
			return addr, ok
		}
		data = data[end:]
	}
}

// parseLine splits "ffffffff814cc810 T name [module]".
func parseLine(line []byte) (uint64, string, bool) {
	f := bytes.Fields(line)
	if len(f) < 3 {
		return 0, "", false
	}
	addr, err := strconv.ParseUint(string(f[0]), 16, 64)
	if err != nil {
		return 0, "", false
	}
	return addr, string(f[2]), true
}

// Read returns the symbol table at path (DefaultPath), for ResolveData and
// LookupData.
func Read(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read kernel symbols: %w", err)
	}
	return data, nil
}

// LookupData returns the name of the symbol at each address (such as the
// jited address of a BPF subprogram, "bpf_prog_<tag>_<name>") found in the
// kallsyms contents data. Addresses without a symbol, and 0, are absent
// from the result.
func LookupData(data []byte, addrs []uint64) map[uint64]string {
	want := make(map[uint64]bool, len(addrs))
	for _, a := range addrs {
		if a != 0 {
			want[a] = true
		}
	}
	found := make(map[uint64]string, len(want))
	for len(data) > 0 && len(found) < len(want) {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		addr, name, ok := parseLine(line)
		if !ok || !want[addr] {
			continue
		}
		if _, dup := found[addr]; !dup {
			found[addr] = name
		}
	}
	return found
}
