package features

import (
	"errors"
	"fmt"
	"sync"

	"github.com/purebpf/bpf/internal/unsupported"
)

// ErrNotSupported matches (errors.Is) every error that says the running
// kernel lacks a feature. It is the same value as bpf.ErrNotSupported,
// which the errors of packages maps, elf and attach match as well.
var ErrNotSupported = unsupported.ErrNotSupported

// Error is the answer of a probe whose feature the running kernel lacks.
// It matches ErrNotSupported.
type Error struct {
	// Feature names what is missing, such as "tcx links" or "helper
	// bpf_fib_lookup for xdp programs".
	Feature string
	// MinKernel is the mainline Linux release that introduced the
	// feature, such as "6.6"; empty when purebpf does not know it (a type
	// newer than its tables, a helper a program type may never call).
	MinKernel string
}

// Error returns, for example, "tcx links: not supported by the running
// kernel (since Linux 6.6)".
func (e *Error) Error() string {
	s := e.Feature + ": " + ErrNotSupported.Error() + " by the running kernel"
	if e.MinKernel != "" {
		s += " (since Linux " + e.MinKernel + ")"
	}
	return s
}

// Unwrap returns ErrNotSupported.
func (e *Error) Unwrap() error { return ErrNotSupported }

// errAbsent is what a probe function returns when the kernel lacks its
// feature; the caller turns it into an *Error with the feature's name and
// version.
var errAbsent = errors.New("absent")

// undecided wraps an error that kept a probe from deciding.
func undecided(feature string, err error) error {
	return fmt.Errorf("probe for %s could not decide: %w", feature, err)
}

// result is the cached outcome of one probe. Only decided outcomes are
// kept; the mutex makes concurrent callers wait for one probe.
type result struct {
	mu      sync.Mutex
	decided bool
	err     error
}

// get returns the cached outcome, or runs probe and caches its outcome if
// it is decided (nil or an error matching ErrNotSupported).
func (r *result) get(probe func() error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.decided {
		return r.err
	}
	err := probe()
	if err == nil || errors.Is(err, ErrNotSupported) {
		r.decided, r.err = true, err
	}
	return err
}

// cache holds one result per key (program type, map type, helper).
type cache[K comparable] struct {
	mu      sync.Mutex
	results map[K]*result
}

// get returns the outcome for k, probing with probe(k) when no decided
// one is cached. Probes of different keys run concurrently.
func (c *cache[K]) get(k K, probe func(K) error) error {
	c.mu.Lock()
	if c.results == nil {
		c.results = make(map[K]*result)
	}
	r := c.results[k]
	if r == nil {
		r = &result{}
		c.results[k] = r
	}
	c.mu.Unlock()
	return r.get(func() error { return probe(k) })
}

// feature is a probe of one fixed feature.
type feature struct {
	name      string
	minKernel string
	// probe returns nil, errAbsent or an undecided error.
	probe func() error
	res   result
}

// check returns nil, an *Error or an undecided error.
func (f *feature) check() error {
	return f.res.get(func() error {
		switch err := f.probe(); {
		case err == nil:
			return nil
		case errors.Is(err, errAbsent):
			return &Error{Feature: f.name, MinKernel: f.minKernel}
		default:
			return undecided(f.name, err)
		}
	})
}

// since returns table[i], or "" when i is not in the table.
func since(table []string, i int) string {
	if i < 0 || i >= len(table) {
		return ""
	}
	return table[i]
}
