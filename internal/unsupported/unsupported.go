// Package unsupported holds the one sentinel error for "the running kernel
// lacks a feature". It imports nothing, so every package (and test helper)
// can match it without import cycles.
package unsupported

import "errors"

// ErrNotSupported is the value behind bpf.ErrNotSupported,
// maps.ErrNotSupported, sys.ErrNotSupported and the features probes.
var ErrNotSupported = errors.New("not supported by the running kernel")
