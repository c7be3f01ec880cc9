// Package kernel holds the enums of the kernel's BPF UAPI that several
// layers share (program, attach, map and link types). Public packages
// re-export them with type aliases, so users see bpf.XDP and maps.Hash.
package kernel

import "strconv"

//go:generate go run ./internal/gentypes -in testdata/uapi.h -kernel types_gen.go -alias ../../types_gen.go -context ../../context_gen.go

func name(table []string, v uint32, kind string) string {
	if int(v) < len(table) && table[v] != "" {
		return table[v]
	}
	return kind + "(" + strconv.FormatUint(uint64(v), 10) + ")"
}

// String returns the kernel's name of the program type, such as "xdp".
func (t ProgramType) String() string { return name(programTypeNames[:], uint32(t), "ProgramType") }

// String returns the kernel's name of the attach type, such as "xdp" or "tcx_ingress".
func (t AttachType) String() string { return name(attachTypeNames[:], uint32(t), "AttachType") }

// String returns the kernel's name of the map type, such as "percpu_array".
func (t MapType) String() string { return name(mapTypeNames[:], uint32(t), "MapType") }

// String returns the kernel's name of the link type, such as "xdp" or "tcx".
func (t LinkType) String() string { return name(linkTypeNames[:], uint32(t), "LinkType") }

// PerCPU reports whether lookups of maps of type t return one value per
// possible CPU (per-CPU hash, array, LRU hash and cgroup storage).
func (t MapType) PerCPU() bool {
	switch t {
	case MapPerCPUHash, MapPerCPUArray, MapLRUPerCPUHash, MapPerCPUCGroupStorage:
		return true
	}
	return false
}
