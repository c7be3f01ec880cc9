// Package faultinject is a test-only switch that makes chosen system
// requests of purebpf fail: the Nth bpf(2) call of a chosen command
// (internal/sys.BPF, the one place where purebpf enters bpf(2)) or the Nth
// rtnetlink request of a chosen message type (internal/rtnl's Request and
// Ack, the one place where purebpf sends rtnetlink requests) returns a
// chosen errno without reaching the kernel.
//
// Nothing is armed unless a test calls Arm; while nothing is armed, the
// hooks cost one atomic pointer load per request. The package is
// internal: the public API does not expose it, and only tests of the
// module use it. Arm is process-wide: tests that arm a plan must not run
// in parallel with tests that make bpf(2) or rtnetlink requests.
package faultinject

import (
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Kind tells which request layer a Rule and a Call belong to.
type Kind uint8

const (
	// BPF is a bpf(2) system call; Cmd is the bpf_cmd.
	BPF Kind = iota + 1
	// Netlink is a rtnetlink request; Cmd is the message type
	// (RTM_NEWLINK...).
	Netlink
)

func (k Kind) String() string {
	switch k {
	case BPF:
		return "bpf"
	case Netlink:
		return "netlink"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Call is one request seen while a plan was armed.
type Call struct {
	Kind Kind
	Cmd  uint32
}

// Rule makes the Nth (counting from 1) request of Kind and Cmd made after
// Arm fail with Errno. N == 0 never fires (a plan of such rules only
// records the calls).
type Rule struct {
	Kind  Kind
	Cmd   uint32
	N     int
	Errno unix.Errno
}

// Plan is an armed set of rules and the record of the requests made while
// it is armed.
type Plan struct {
	mu    sync.Mutex
	rules []Rule
	seen  map[Call]int
	calls []Call
	fired []Call
}

var active atomic.Pointer[Plan]

// Arm installs a plan made of rules (none: record only) and returns it.
// It replaces any plan armed before. Call Disarm when done.
func Arm(rules ...Rule) *Plan {
	p := &Plan{rules: rules, seen: make(map[Call]int)}
	active.Store(p)
	return p
}

// Disarm removes the armed plan; requests reach the kernel again.
func Disarm() { active.Store(nil) }

// Active returns the armed plan or nil. It is the hooks' fast path: one
// atomic load.
func Active() *Plan { return active.Load() }

// Check records a request of kind and cmd and returns the errno it must
// fail with, or 0 to let it through. The hooks call it when a plan is
// armed.
func (p *Plan) Check(kind Kind, cmd uint32) unix.Errno {
	c := Call{kind, cmd}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen[c]++
	p.calls = append(p.calls, c)
	n := p.seen[c]
	for _, r := range p.rules {
		if r.Kind == kind && r.Cmd == cmd && r.N == n && r.Errno != 0 {
			p.fired = append(p.fired, c)
			return r.Errno
		}
	}
	return 0
}

// Calls returns the requests made while the plan was armed, in order.
func (p *Plan) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.calls...)
}

// Fired returns the requests the plan made fail, in order.
func (p *Plan) Fired() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.fired...)
}

// Count returns how many requests of kind and cmd were made while the
// plan was armed.
func (p *Plan) Count(kind Kind, cmd uint32) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[Call{kind, cmd}]
}

// Points turns a recorded sequence of calls into one Rule per call: the
// rule that fails exactly that call (the Nth of its command) with errno.
func Points(calls []Call, errno unix.Errno) []Rule {
	seen := make(map[Call]int)
	rules := make([]Rule, 0, len(calls))
	for _, c := range calls {
		seen[c]++
		rules = append(rules, Rule{Kind: c.Kind, Cmd: c.Cmd, N: seen[c], Errno: errno})
	}
	return rules
}
