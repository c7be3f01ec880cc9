// Package btfobj lets the root package create maps with a BTF object it
// has already loaded (BPF_BTF_LOAD), so that a collection loads its
// object's types once instead of once per map. Package maps sets
// CreateMap when it is initialised.
package btfobj

// CreateMap creates the map described by spec (a *maps.Spec whose BTF
// field holds the key and value types) with those types taken from the
// loaded BTF object fd, which holds the same types, and returns the
// *maps.Map.
var CreateMap func(spec any, fd int) (any, error)
