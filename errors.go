package bpf

import "github.com/purebpf/bpf/internal/sys"

// ErrNotSupported is the module's one "not supported" sentinel, returned
// (wrapped) when the running kernel lacks a feature an operation needs
// (the text says "by the running kernel") and when purebpf does not
// implement what an object needs (elf's errors say "for this object's
// shape"; attach.ErrModeNotSupported says "by the device"). Test with
// errors.Is. It is the same value as maps.ErrNotSupported,
// features.ErrNotSupported and elf.ErrNotSupported; errors.As with a
// *features.Error gives the feature's name and the Linux release that
// introduced it.
var ErrNotSupported = sys.ErrNotSupported
