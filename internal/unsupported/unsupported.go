// Package unsupported holds the module's one sentinel error for "not
// supported", whether the running kernel lacks a feature or purebpf does
// not implement what an object needs. It imports nothing, so every package
// (and test helper) can match it without import cycles.
package unsupported

import "errors"

// ErrNotSupported is the value behind bpf.ErrNotSupported,
// features.ErrNotSupported and sys.ErrNotSupported, wrapped by the
// errors of maps, elf, attach and the probes. Its text is neutral: the
// errors wrapping it say what the reason is ("by the running kernel", or
// the object's shape).
var ErrNotSupported = errors.New("not supported")
