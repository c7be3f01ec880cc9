package sys

import "errors"

// ErrNotSupported is the one sentinel for "the running kernel lacks a
// feature": bpf.ErrNotSupported, maps.ErrNotSupported and the features
// package all are this value, so errors.Is matches across packages.
var ErrNotSupported = errors.New("not supported by the running kernel")
