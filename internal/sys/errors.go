package sys

import "github.com/purebpf/bpf/internal/unsupported"

// ErrNotSupported is the one sentinel for "the running kernel lacks a
// feature": bpf.ErrNotSupported and features.ErrNotSupported
// are this value, so errors.Is matches across packages.
var ErrNotSupported = unsupported.ErrNotSupported
