package bpf

import (
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/maps"
)

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

// ErrNotPinned matches errors of Unpin on a Program or Map that has no pin
// of its own (it was neither pinned nor opened from a pin, or its pin was
// removed already). It also matches os.ErrNotExist. It is the same value
// as maps.ErrNotPinned.
var ErrNotPinned = maps.ErrNotPinned
