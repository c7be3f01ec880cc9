package faultinject_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	_ "github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/elf"
	fi "github.com/purebpf/bpf/internal/faultinject"
	"github.com/purebpf/bpf/internal/rtnl"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
)

// errnos are the failures the sweep injects at every request.
var errnos = []unix.Errno{unix.EPERM, unix.ENOMEM, unix.EINTR, unix.EAGAIN, unix.ENOSPC, unix.E2BIG, unix.ENODEV}

// retried lists the requests purebpf retries on an errno, because the
// kernel documents it as transient there: BPF_PROG_LOAD fails with EAGAIN
// when a signal interrupts the verifier, BPF_PROG_TEST_RUN with EINTR when
// one arrives between repetitions. Every other EINTR or EAGAIN must reach
// the caller.
var retried = map[fi.Call]unix.Errno{
	{Kind: fi.BPF, Cmd: uint32(sys.ProgLoadCmd)}:    unix.EAGAIN,
	{Kind: fi.BPF, Cmd: uint32(sys.ProgTestRunCmd)}: unix.EINTR,
}

var btfLoad = fi.Call{Kind: fi.BPF, Cmd: uint32(sys.BTFLoadCmd)}

// loadAgain: BPF_PROG_LOAD refused with an errno that may come from the
// verifier (EACCES, EINVAL, E2BIG, ENOSPC) is loaded again with a log
// buffer (grown while the log does not fit), to report the verifier's
// reasons. A single injected failure is therefore absorbed by that second
// load.
var loadAgain = []unix.Errno{unix.E2BIG, unix.ENOSPC}

// state is what the process holds and what the test interface carries.
type state struct {
	fds     int
	objects []string // prog_id/map_id/link_id/btf_id of our descriptors
	pins    []string
	hooks   string // XDP, tc filters, tcx programs and qdiscs of the test interface
}

func (s state) diff(o state) string {
	var d []string
	if s.fds != o.fds {
		d = append(d, fmt.Sprintf("descriptors %d -> %d", s.fds, o.fds))
	}
	if !slices.Equal(s.objects, o.objects) {
		d = append(d, fmt.Sprintf("objects %v -> %v", s.objects, o.objects))
	}
	if !slices.Equal(s.pins, o.pins) {
		d = append(d, fmt.Sprintf("pins %v -> %v", s.pins, o.pins))
	}
	if s.hooks != o.hooks {
		d = append(d, fmt.Sprintf("hooks %q -> %q", s.hooks, o.hooks))
	}
	return strings.Join(d, "; ")
}

// env is what the snapshots look at.
type env struct {
	pinRoot string
	iface   attach.Interface // zero: no interface
	// reset removes what a failed operation left on the interface, so
	// that the next injection starts from the baseline.
	reset func()
}

func (e *env) snapshot(t *testing.T) state {
	t.Helper()
	var s state
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	s.fds = len(ents)
	for _, ent := range ents {
		b, err := os.ReadFile("/proc/self/fdinfo/" + ent.Name())
		if err != nil {
			continue // the directory's own descriptor, closed by now
		}
		for _, line := range strings.Split(string(b), "\n") {
			for _, k := range []string{"prog_id:", "map_id:", "link_id:", "btf_id:"} {
				if strings.HasPrefix(line, k) {
					s.objects = append(s.objects, strings.Join(strings.Fields(line), ""))
				}
			}
		}
	}
	slices.Sort(s.objects)
	if e.pinRoot != "" {
		filepath.WalkDir(e.pinRoot, func(path string, d os.DirEntry, err error) error {
			if path != e.pinRoot {
				s.pins = append(s.pins, path)
			}
			return nil
		})
	}
	if e.iface.Index != 0 {
		s.hooks = hooks(t, e.iface)
	}
	return s
}

// hooks describes what is attached to the interface: XDP programs, tc
// filters and tcx programs of both hooks, and its qdiscs.
func hooks(t *testing.T, iface attach.Interface) string {
	t.Helper()
	var b strings.Builder
	x, err := attach.XDPPrograms(iface)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "xdp %v;", x.Programs)
	for _, h := range []attach.Hook{attach.Ingress, attach.Egress} {
		f, err := attach.TCFilters(iface, h)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, " %v filters %v;", h, f)
		p, err := attach.TCXPrograms(iface, h)
		if err != nil && !errors.Is(err, bpf.ErrNotSupported) {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, " %v tcx %v;", h, p)
	}
	c, err := rtnl.Shared(iface.Netns)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Put()
	msgs, err := c.Request("RTM_GETQDISC", unix.RTM_GETQDISC, netlink.Request|netlink.Dump, rtnl.AppendTcmsg(nil, 0, 0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if len(m.Data) < rtnl.SizeofTcmsg || int32(binary.NativeEndian.Uint32(m.Data[4:])) != int32(iface.Index) {
			continue
		}
		ad, err := netlink.NewAttributeDecoder(m.Data[rtnl.SizeofTcmsg:])
		if err != nil {
			t.Fatal(err)
		}
		for ad.Next() {
			if ad.Type() == unix.TCA_KIND {
				fmt.Fprintf(&b, " qdisc %x:%s", binary.NativeEndian.Uint32(m.Data[8:]), ad.String())
			}
		}
	}
	return b.String()
}

// op is one library operation under test: it returns what undoes its
// success.
type op func() (undo func(), err error)

// sweepStats counts injections over the whole test binary.
var sweepStats struct {
	injected, failed, absorbed, retried int
}

// sweep runs o once while recording its requests, then once per request
// and errno with that request failing, and checks each time that the
// error names the errno, the step (the request) and want (the object),
// that nothing was retried that must not be, and that nothing was left
// behind.
func sweep(t *testing.T, e *env, name string, want []string, o op) {
	t.Helper()
	sweepAbsorb(t, e, name, want, nil, o)
}

// sweepAbsorb is sweep where the operation survives the failures absorb
// accepts (by design: a fallback, an optional step).
func sweepAbsorb(t *testing.T, e *env, name string, want []string, absorb func(fi.Rule) bool, o op) {
	t.Helper()
	// A first run settles what is cached for the process (feature
	// probes, shared netlink sockets).
	undo, err := o()
	if err != nil {
		t.Fatalf("%s without faults: %v", name, err)
	}
	undo()
	base := e.snapshot(t)

	plan := fi.Arm()
	undo, err = o()
	fi.Disarm()
	if err != nil {
		t.Fatalf("%s without faults (recording): %v", name, err)
	}
	undo()
	calls := plan.Calls()
	if d := base.diff(e.snapshot(t)); d != "" {
		t.Fatalf("%s without faults leaves: %s", name, d)
	}
	for _, errno := range errnos {
		points := fi.Points(calls, errno)
		for _, r := range points {
			call := fi.Call{Kind: r.Kind, Cmd: r.Cmd}
			step := stepName(call)
			plan := fi.Arm(r)
			undo, err := o()
			fi.Disarm()
			if len(plan.Fired()) == 0 {
				// The run took another path before reaching the request
				// (a cache filled by an earlier run).
				if undo != nil {
					undo()
				}
				continue
			}
			sweepStats.injected++
			where := fmt.Sprintf("%s, %s #%d failing with %v", name, step, r.N, errno)
			if call == btfLoad && (errno == unix.E2BIG || errno == unix.EPERM) {
				// The kernel refusing the types (too large, or BTF not
				// permitted to this caller): maps and
				// programs go on without them, which a program that
				// needs its func_info then fails to load without.
				sweepStats.absorbed++
				if undo != nil {
					undo()
				}
				if d := base.diff(e.snapshot(t)); d != "" {
					t.Errorf("%s: left behind: %s", where, d)
					base = e.snapshot(t)
				}
				continue
			}
			if err == nil {
				again := plan.Count(r.Kind, r.Cmd) > countOf(calls, call)
				switch {
				case retried[call] == errno:
					if !again {
						t.Errorf("%s: succeeded without retrying the request", where)
					}
					sweepStats.retried++
				case call.Cmd == uint32(sys.ProgLoadCmd) && call.Kind == fi.BPF && slices.Contains(loadAgain, errno) && again:
					sweepStats.absorbed++ // loaded again with a verifier log
				default:
					if absorb != nil && absorb(r) {
						sweepStats.absorbed++
					} else {
						t.Errorf("%s: the operation succeeded: the failure was ignored", where)
					}
				}
				undo()
			} else {
				sweepStats.failed++
				if retried[call] == errno {
					t.Errorf("%s: not retried: %v", where, err)
				}
				if !errors.Is(err, errno) {
					t.Errorf("%s: error does not match the errno: %v", where, err)
				}
				msg := err.Error()
				if !strings.Contains(msg, step) {
					t.Errorf("%s: error does not name the step %s: %v", where, step, err)
				}
				if !slices.ContainsFunc(want, func(w string) bool { return strings.Contains(msg, w) }) {
					t.Errorf("%s: error names none of %q: %v", where, want, err)
				}
			}
			if d := base.diff(e.snapshot(t)); d != "" {
				t.Errorf("%s: left behind: %s", where, d)
				// Start the next injection from a clean state.
				if e.reset != nil {
					e.reset()
				}
				base = e.snapshot(t)
			}
		}
	}
}

func countOf(calls []fi.Call, c fi.Call) int {
	n := 0
	for _, x := range calls {
		if x == c {
			n++
		}
	}
	return n
}

// stepName is how errors name a request.
func stepName(c fi.Call) string {
	if c.Kind == fi.BPF {
		return sys.Cmd(c.Cmd).String()
	}
	if s, ok := rtmNames[c.Cmd]; ok {
		return s
	}
	return fmt.Sprintf("netlink type %d", c.Cmd)
}

var rtmNames = map[uint32]string{
	unix.RTM_NEWLINK: "RTM_NEWLINK", unix.RTM_DELLINK: "RTM_DELLINK", unix.RTM_GETLINK: "RTM_GETLINK",
	unix.RTM_SETLINK: "RTM_SETLINK", unix.RTM_NEWQDISC: "RTM_NEWQDISC", unix.RTM_DELQDISC: "RTM_DELQDISC",
	unix.RTM_GETQDISC: "RTM_GETQDISC", unix.RTM_NEWTFILTER: "RTM_NEWTFILTER", unix.RTM_DELTFILTER: "RTM_DELTFILTER",
	unix.RTM_GETTFILTER: "RTM_GETTFILTER",
}

// bpffs mounts a private bpffs instance for the test.
func bpffs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, "mode=0700"); err != nil {
		testenv.Skip(t, "cannot mount a bpffs instance: "+err.Error())
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sweepStats.injected > 0 {
		fmt.Printf("fault injection: %d injected failures (%d returned as errors, %d retried, %d absorbed by design)\n",
			sweepStats.injected, sweepStats.failed, sweepStats.retried, sweepStats.absorbed)
	}
	os.Exit(code)
}

// TestSweepCollections fails every request NewCollection makes for each
// committed object that loads here.
func TestSweepCollections(t *testing.T) {
	testenv.RequirePrivileged(t)
	root := "../.."
	var objs []string
	for _, g := range []string{"examples/*/bpf/*.o", "elf/testdata/*.o"} {
		m, err := filepath.Glob(filepath.Join(root, g))
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, m...)
	}
	if len(objs) == 0 {
		t.Fatal("no committed objects found")
	}
	pinRoot := filepath.Join(bpffs(t), "sweep")
	if err := os.Mkdir(pinRoot, 0o700); err != nil {
		t.Fatal(err)
	}
	e := &env{pinRoot: pinRoot}
	loaded := 0
	for _, path := range objs {
		rel, _ := filepath.Rel(root, path)
		spec, dropped := loadable(path, pinRoot)
		cleanPins(t, pinRoot)
		if spec == nil {
			t.Logf("%s: no program loads here, not swept", rel)
			continue
		}
		if len(dropped) > 0 {
			t.Logf("%s: swept without %v, which do not load here", rel, dropped)
		}
		cleanPins(t, pinRoot)
		loaded++
		want := []string{}
		for n := range spec.Programs {
			want = append(want, n)
		}
		for n := range spec.Maps {
			want = append(want, n)
		}
		t.Run(rel, func(t *testing.T) {
			sweep(t, e, "NewCollection "+rel, want, func() (func(), error) {
				c, err := bpf.NewCollectionWithOptions(spec, collOpts(pinRoot))
				if err != nil {
					return nil, err
				}
				return func() { c.Close(); cleanPins(t, pinRoot) }, nil
			})
			pinned := false
			for _, m := range spec.Maps {
				pinned = pinned || m.Pinning != maps.PinNone
			}
			if !pinned {
				return
			}
			// With the pins of an earlier load present, a failed load
			// reuses them and must leave them.
			c, err := bpf.NewCollectionWithOptions(spec, collOpts(pinRoot))
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			defer cleanPins(t, pinRoot)
			sweep(t, e, "NewCollection "+rel+" (pins present)", want, func() (func(), error) {
				c, err := bpf.NewCollectionWithOptions(spec, collOpts(pinRoot))
				if err != nil {
					return nil, err
				}
				return func() { c.Close() }, nil
			})
		})
	}
	if loaded == 0 {
		t.Fatal("no committed object loads here")
	}
}

func collOpts(pinRoot string) bpf.CollectionOptions {
	return bpf.CollectionOptions{PinRoot: pinRoot, UnknownPinning: bpf.IgnoreUnknownPinning}
}

// loadable returns the object's spec (read as is, or with bpf.XDP for
// sections of no conventional type) without the programs that do not
// load here (a kernel feature, a deliberate refusal of the corpus), and
// those programs; nil when none loads.
func loadable(path, pinRoot string) (*bpf.CollectionSpec, []string) {
	try := func(s *bpf.CollectionSpec) bool {
		c, err := bpf.NewCollectionWithOptions(s, collOpts(pinRoot))
		if err == nil {
			c.Close()
		}
		return err == nil
	}
	for _, opts := range []elf.Options{{}, {DefaultType: bpf.XDP}} {
		s, err := elf.OpenWithOptions(path, opts)
		if err != nil {
			continue
		}
		if try(s) {
			return s, nil
		}
		var dropped []string
		for name := range s.Programs {
			one := s.Copy()
			for other := range one.Programs {
				if other != name {
					delete(one.Programs, other)
				}
			}
			if !try(one) {
				dropped = append(dropped, name)
			}
		}
		if len(dropped) == len(s.Programs) {
			continue
		}
		for _, name := range dropped {
			delete(s.Programs, name)
		}
		if try(s) {
			slices.Sort(dropped)
			return s, dropped
		}
	}
	return nil, nil
}

func cleanPins(t *testing.T, root string) {
	ents, _ := os.ReadDir(root)
	for _, ent := range ents {
		if err := os.RemoveAll(filepath.Join(root, ent.Name())); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSnapshotSeesLeaks: the sweep's check finds a descriptor, a map and
// a pin left behind, so that its silence means something.
func TestSnapshotSeesLeaks(t *testing.T) {
	testenv.RequirePrivileged(t)
	pinRoot := filepath.Join(bpffs(t), "leak")
	if err := os.Mkdir(pinRoot, 0o700); err != nil {
		t.Fatal(err)
	}
	e := &env{pinRoot: pinRoot}
	base := e.snapshot(t)
	m, err := maps.New(&maps.Spec{Name: "leak", Type: maps.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Pin(filepath.Join(pinRoot, "leak")); err != nil {
		t.Fatal(err)
	}
	defer m.Unpin()
	d := base.diff(e.snapshot(t))
	for _, want := range []string{"descriptors", "map_id:", "pins"} {
		if !strings.Contains(d, want) {
			t.Errorf("a map left open and pinned: the difference %q does not mention %s", d, want)
		}
	}
}

// TestPlan: the Nth request of the chosen command fails, the others pass,
// and a plan of no rules records without failing.
func TestPlan(t *testing.T) {
	p := fi.Arm(fi.Rule{Kind: fi.BPF, Cmd: 7, N: 2, Errno: unix.EPERM})
	got := []unix.Errno{p.Check(fi.BPF, 7), p.Check(fi.Netlink, 7), p.Check(fi.BPF, 7), p.Check(fi.BPF, 7)}
	fi.Disarm()
	if want := []unix.Errno{0, 0, unix.EPERM, 0}; !slices.Equal(got, want) {
		t.Errorf("errnos %v, want %v", got, want)
	}
	if f := p.Fired(); len(f) != 1 || f[0] != (fi.Call{Kind: fi.BPF, Cmd: 7}) {
		t.Errorf("fired %v", f)
	}
	if fi.Active() != nil {
		t.Error("Disarm left a plan armed")
	}
	rules := fi.Points([]fi.Call{{fi.BPF, 5}, {fi.Netlink, 5}, {fi.BPF, 5}}, unix.ENOMEM)
	if want := []fi.Rule{{fi.BPF, 5, 1, unix.ENOMEM}, {fi.Netlink, 5, 1, unix.ENOMEM}, {fi.BPF, 5, 2, unix.ENOMEM}}; !slices.Equal(rules, want) {
		t.Errorf("Points: %v, want %v", rules, want)
	}
}

// TestBTFRefusedLoadsWithout: a BPF_BTF_LOAD refused with EPERM or EINVAL
// (an unprivileged socket filter loader, a kernel without BTF) loads the
// collection without its types, as libbpf does; ENOMEM fails the load,
// naming BPF_BTF_LOAD.
func TestBTFRefusedLoadsWithout(t *testing.T) {
	testenv.RequirePrivileged(t)
	spec, err := elf.Open("../../examples/xdp1/bpf/xdp1.o")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		errno unix.Errno
		loads bool
	}{{unix.EPERM, true}, {unix.EACCES, true}, {unix.EINVAL, true}, {unix.ENOMEM, false}} {
		fi.Arm(fi.Rule{Kind: fi.BPF, Cmd: uint32(sys.BTFLoadCmd), N: 1, Errno: tc.errno})
		coll, err := bpf.NewCollection(spec)
		fi.Disarm()
		switch {
		case tc.loads && err != nil:
			t.Errorf("BPF_BTF_LOAD failing with %v: %v, want a load without BTF", tc.errno, err)
		case !tc.loads && (err == nil || !errors.Is(err, tc.errno) || !strings.Contains(err.Error(), "BTF")):
			t.Errorf("BPF_BTF_LOAD failing with %v: %v, want an error naming the BTF load", tc.errno, err)
		}
		if coll != nil {
			coll.Close()
		}
	}
}
