package maps

import (
	"fmt"

	"github.com/purebpf/bpf/internal/kernel"
)

// Type is a BPF map type (enum bpf_map_type). String returns the kernel's
// name, such as "percpu_array".
type Type = kernel.MapType

// Map types. The comment gives the kernel version that introduced each.
const (
	UnspecifiedMap      Type = kernel.UnspecifiedMap
	Hash                Type = kernel.MapHash                // 3.19
	Array               Type = kernel.MapArray               // 3.19
	ProgArray           Type = kernel.MapProgArray           // 4.2
	PerfEventArray      Type = kernel.MapPerfEventArray      // 4.3
	PerCPUHash          Type = kernel.MapPerCPUHash          // 4.6
	PerCPUArray         Type = kernel.MapPerCPUArray         // 4.6
	StackTrace          Type = kernel.MapStackTrace          // 4.6
	CGroupArray         Type = kernel.MapCGroupArray         // 4.8
	LRUHash             Type = kernel.MapLRUHash             // 4.10
	LRUPerCPUHash       Type = kernel.MapLRUPerCPUHash       // 4.10
	LPMTrie             Type = kernel.MapLPMTrie             // 4.11
	ArrayOfMaps         Type = kernel.MapArrayOfMaps         // 4.12
	HashOfMaps          Type = kernel.MapHashOfMaps          // 4.12
	DevMap              Type = kernel.MapDevMap              // 4.14
	SockMap             Type = kernel.MapSockMap             // 4.14
	CPUMap              Type = kernel.MapCPUMap              // 4.15
	XSKMap              Type = kernel.MapXSKMap              // 4.18
	SockHash            Type = kernel.MapSockHash            // 4.18
	CGroupStorage       Type = kernel.MapCGroupStorage       // 4.19
	ReuseportSockArray  Type = kernel.MapReuseportSockarray  // 4.19
	PerCPUCGroupStorage Type = kernel.MapPerCPUCGroupStorage // 4.20
	Queue               Type = kernel.MapQueue               // 4.20
	Stack               Type = kernel.MapStack               // 4.20
	SkStorage           Type = kernel.MapSkStorage           // 5.2
	DevMapHash          Type = kernel.MapDevMapHash          // 5.4
	StructOps           Type = kernel.MapStructOps           // 5.6
	RingBuf             Type = kernel.MapRingBuf             // 5.8
	InodeStorage        Type = kernel.MapInodeStorage        // 5.10
	TaskStorage         Type = kernel.MapTaskStorage         // 5.11
	BloomFilter         Type = kernel.MapBloomFilter         // 5.16
	UserRingBuf         Type = kernel.MapUserRingBuf         // 6.1
	CGrpStorage         Type = kernel.MapCGrpStorage         // 6.2
	Arena               Type = kernel.MapArena               // 6.9
)

// isPerCPU reports whether lookups of t return one value per possible CPU
// (Type.PerCPU).
func isPerCPU(t Type) bool { return t.PerCPU() }

// isArrayLike reports whether t is indexed by a dense uint32 key.
func isArrayLike(t Type) bool {
	switch t {
	case Array, PerCPUArray, ProgArray, PerfEventArray, CGroupArray, ArrayOfMaps,
		DevMap, CPUMap, XSKMap, SockMap, ReuseportSockArray:
		return true
	}
	return false
}

// isKeyless reports whether t has no keys (key size 0).
func isKeyless(t Type) bool {
	switch t {
	case Queue, Stack, BloomFilter, RingBuf, UserRingBuf:
		return true
	}
	return false
}

// holdsFDs reports whether updates of t take a descriptor as the value
// (and lookups return an id).
func holdsFDs(t Type) bool {
	switch t {
	case ProgArray, PerfEventArray, CGroupArray, ArrayOfMaps, HashOfMaps, SockMap, SockHash,
		ReuseportSockArray, XSKMap:
		return true
	}
	return false
}

// Flags are map creation flags (BPF_F_* for BPF_MAP_CREATE).
type Flags uint32

// Map creation flags.
const (
	// FlagNoPrealloc allocates hash elements on demand; LPMTrie requires it.
	FlagNoPrealloc Flags = 1 << 0
	// FlagNoCommonLRU gives LRU maps one LRU list per CPU.
	FlagNoCommonLRU Flags = 1 << 1
	// FlagNUMANode places the map on Spec.NumaNode.
	FlagNUMANode Flags = 1 << 2
	// FlagReadOnly makes the descriptor read-only for user space.
	FlagReadOnly Flags = 1 << 3
	// FlagWriteOnly makes the descriptor write-only for user space.
	FlagWriteOnly Flags = 1 << 4
	// FlagStackBuildID stores build ids in StackTrace maps.
	FlagStackBuildID Flags = 1 << 5
	// FlagZeroSeed uses a zero hash seed (testing only, 5.0+).
	FlagZeroSeed Flags = 1 << 6
	// FlagReadOnlyProg makes the map read-only for programs (5.2+).
	FlagReadOnlyProg Flags = 1 << 7
	// FlagWriteOnlyProg makes the map write-only for programs (5.2+).
	FlagWriteOnlyProg Flags = 1 << 8
	// FlagClone clones sk storage on socket clone (5.2+).
	FlagClone Flags = 1 << 9
	// FlagMmapable allows mmap of Array maps (5.5+).
	FlagMmapable Flags = 1 << 10
	// FlagPreserveElems keeps perf event array entries when the map's
	// creator closes its descriptor (5.10+).
	FlagPreserveElems Flags = 1 << 11
	// FlagInnerMap lets the inner maps of a map-in-map differ in
	// max_entries (5.10+).
	FlagInnerMap Flags = 1 << 12
)

// UpdateFlags select how Update treats an existing key (BPF_ANY,
// BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK).
type UpdateFlags uint64

// Update flags.
const (
	// UpdateAny creates the key or replaces its value.
	UpdateAny UpdateFlags = 0
	// UpdateNoExist creates the key only if it is missing; otherwise the
	// update fails with an error matching ErrKeyExist.
	UpdateNoExist UpdateFlags = 1
	// UpdateExist replaces the value of an existing key only; otherwise the
	// update fails with an error matching ErrKeyNotExist.
	UpdateExist UpdateFlags = 2
	// UpdateLock takes the value's bpf_spin_lock during the update (5.1+;
	// the value type must have one, described by BTF).
	UpdateLock UpdateFlags = 4
)

// PinType selects whether New pins a map.
type PinType int

const (
	// PinNone does not pin the map.
	PinNone PinType = iota
	// PinByName pins the map at Spec.PinPath/Spec.Name; if a map is already
	// pinned there and is compatible with the Spec, New reuses it.
	PinByName
	// PinUnknown marks a map whose object asked for a pinning value this
	// package does not know (for instance cilium's 16, its "replace"
	// pinning, or an iproute2 custom value from /etc/iproute2/bpf_pinning);
	// Spec.PinValue holds the raw value. The loader parses such objects but
	// New refuses the Spec: whoever creates the map decides first (package
	// bpf's CollectionOptions.UnknownPinning) and sets PinNone or PinByName.
	PinUnknown
)

// String names the pin type: "none", "by-name", "unknown" or
// "PinType(n)" for values outside the constants.
func (p PinType) String() string {
	switch p {
	case PinNone:
		return "none"
	case PinByName:
		return "by-name"
	case PinUnknown:
		return "unknown"
	}
	return fmt.Sprintf("PinType(%d)", int(p))
}

// ID is the kernel's id of a map (bpf_map_info.id). Ids are unique while
// the map exists and may be reused after it is freed.
type ID uint32
