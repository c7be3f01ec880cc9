package bpf

import "errors"

// ErrNotSupported is returned (wrapped) when the running kernel lacks a
// feature an operation needs. Test with errors.Is.
var ErrNotSupported = errors.New("not supported by this kernel")
