package bpf

import "github.com/purebpf/bpf/internal/sys"

// ErrNotSupported is returned (wrapped) when the running kernel lacks a
// feature an operation needs. Test with errors.Is. It is the same value as
// maps.ErrNotSupported and features.ErrNotSupported; errors.As with a
// *features.Error gives the feature's name and the Linux release that
// introduced it.
var ErrNotSupported = sys.ErrNotSupported
