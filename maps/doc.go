// Package maps creates BPF maps and reads and writes them from user space.
//
// A Map is created from a Spec with New, reopened with LoadPinned or
// FromID, and read and written with Lookup, Update and Delete. Keys and
// values are passed as []byte, as pointers to fixed-size types (for
// example *uint32 or *struct{...} without pointers) or, for inputs only,
// as fixed-size values. These calls do not allocate: a missing key returns
// a preallocated error matching ErrKeyNotExist.
//
// Per-CPU maps (PerCPUHash, PerCPUArray, LRUPerCPUHash) are read and
// written through caller-owned slices of PossibleCPUs() elements with
// LookupPerCPU and UpdatePerCPU. TypedMap adds a generic layer over a Map
// whose key and value sizes are checked once, in AsTyped.
//
// Batch operations (BatchLookup, BatchLookupAndDelete, BatchUpdate,
// BatchDelete) fall back to one system call per element on kernels or map
// types without batch support. Queue and Stack maps have Push, Pop and
// Peek. RingReader and PerfReader consume RingBuf and PerfEventArray maps.
//
// A Map follows the pattern of every kernel object in purebpf (programs,
// maps, links): ID returns its id (a typed ID, read once when the Map was
// created or opened), Info the kernel's *Info, Pin pins it on bpffs and
// Unpin removes the pin the Map made or was opened from (an error
// matching ErrNotPinned without one), FD the descriptor, and Close
// releases it. IDs lists every map's id.
//
// All methods of Map are safe for concurrent use.
package maps
