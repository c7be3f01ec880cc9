package sys

import "github.com/purebpf/bpf/internal/unsupported"

// ErrNotSupported is the one sentinel for "the running kernel lacks a
// feature": bpf.ErrNotSupported, maps.ErrNotSupported and the features
// package all are this value, so errors.Is matches across packages.
var ErrNotSupported = unsupported.ErrNotSupported
