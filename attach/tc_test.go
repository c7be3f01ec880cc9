package attach_test

import (
	"errors"
	"slices"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/internal/testenv"
)

// counter is a one-slot BPF array map of a uint64, created with raw
// sys.MapCreate.
type counter struct{ fd *sys.FD }

func newCounter(t testing.TB) counter {
	t.Helper()
	fd, err := sys.MapCreate(&sys.MapCreateAttr{MapType: 2 /* BPF_MAP_TYPE_ARRAY */, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fd.Close() })
	return counter{fd}
}

func (c counter) get(t testing.TB) uint64 {
	t.Helper()
	var key uint32
	var val uint64
	err := sys.MapLookupElem(&sys.MapElemAttr{MapFD: c.fd.Uint(),
		Key: sys.NewPointer(unsafe.Pointer(&key)), Value: sys.NewPointer(unsafe.Pointer(&val))})
	if err != nil {
		t.Fatal(err)
	}
	return val
}

// loadICMPCounter loads a program that adds 1 to c for every IPv4 ICMP
// packet and returns verdict. dataOff and dataEndOff are the offsets of the
// packet pointers in the context (xdp_md or __sk_buff).
func loadICMPCounter(t testing.TB, name string, typ bpf.ProgramType, c counter, verdict int32) *bpf.Program {
	t.Helper()
	dataOff, dataEndOff := int16(0), int16(4) // struct xdp_md
	if typ == bpf.SchedCLS {
		dataOff, dataEndOff = 76, 80 // struct __sk_buff
	}
	ldMap := asm.LoadMapPtr(asm.R1, "counter")
	ldMap.SetMapFD(c.fd.Int())
	insns := asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, dataOff, asm.Word),
		asm.LoadMem(asm.R3, asm.R1, dataEndOff, asm.Word),
		asm.Mov.Reg(asm.R4, asm.R2),
		asm.Add.Imm(asm.R4, 34), // ethernet (14) + IPv4 header (20)
		asm.JGT.Reg(asm.R4, asm.R3, "out"),
		asm.LoadMem(asm.R5, asm.R2, 12, asm.Half), // ethertype, network order
		asm.JNE.Imm(asm.R5, 0x0008, "out"),        // ETH_P_IP read little-endian
		asm.LoadMem(asm.R5, asm.R2, 23, asm.Byte), // IP protocol
		asm.JNE.Imm(asm.R5, 1, "out"),             // IPPROTO_ICMP
		asm.StoreImm(asm.R10, -4, 0, asm.Word),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -4),
		ldMap,
		asm.Call(asm.FnMapLookupElem),
		asm.JEq.Imm(asm.R0, 0, "out"),
		asm.Mov.Imm(asm.R1, 1),
		asm.AtomicAdd(asm.R0, 0, asm.R1, asm.DWord),
		asm.Mov.Imm(asm.R0, verdict).WithSymbol("out"),
		asm.Return(),
	}
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: name, Type: typ, License: "GPL", Instructions: insns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prog.Close() })
	return prog
}

const tcActOK, tcActShot = 0, 2

// pingAfterDrop pings n times after a warm-up echo that may be lost while
// the neighbour entry, starved by a dropping program, is resolved again.
func pingAfterDrop(t testing.TB, p *testnet.VethPair, n int) int {
	t.Helper()
	if _, err := testnet.Ping(p.A.Netns, p.B.Addr(), testnet.PingOptions{Count: 1, Timeout: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	return ping(t, p, n)
}

func ping(t testing.TB, p *testnet.VethPair, n int) int {
	t.Helper()
	rep, err := testnet.Ping(p.A.Netns, p.B.Addr(), testnet.PingOptions{Count: n, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return rep.Received
}

// TestTCAndXDPCountSameFlows is layercoop's shape: an XDP program and a tc
// egress program on the same interface count the two halves of the same
// ICMP exchanges.
func TestTCAndXDPCountSameFlows(t *testing.T) {
	for _, method := range []attach.Method{attach.MethodNetlink, attach.MethodLink} {
		t.Run(method.String(), func(t *testing.T) {
			p := newPair(t)
			if method == attach.MethodLink {
				testenv.SkipUnsupported(t, features.HaveXDPLink())
				testenv.SkipUnsupported(t, features.HaveTCX())
			}
			xdpCount, tcCount := newCounter(t), newCounter(t)
			xdpProg := loadICMPCounter(t, "xdp_count", bpf.XDP, xdpCount, int32(bpf.XDPPass))
			tcProg := loadICMPCounter(t, "tc_count", bpf.SchedCLS, tcCount, tcActOK)

			xa, err := attach.XDP(attach.ByName(p.B.Name).In(p.B.Netns), xdpProg, attach.XDPOptions{Method: method})
			if err != nil {
				t.Fatal(err)
			}
			defer xa.Close()
			ta, err := attach.TC(attach.ByName(p.B.Name).In(p.B.Netns), tcProg, attach.Egress, attach.TCOptions{Method: method})
			if err != nil {
				t.Fatal(err)
			}
			defer ta.Close()
			if ta.Method() != method || ta.Hook() != attach.Egress {
				t.Fatalf("tc attachment method %v hook %v, want %v egress", ta.Method(), ta.Hook(), method)
			}

			const n = 5
			if got := ping(t, p, n); got != n {
				t.Fatalf("%d of %d echo replies", got, n)
			}
			if x, c := xdpCount.get(t), tcCount.get(t); x != n || c != n {
				t.Fatalf("XDP counted %d echo requests, tc egress %d replies; want %d each", x, c, n)
			}

			info, err := tcProg.Info()
			if err != nil {
				t.Fatal(err)
			}
			if method == attach.MethodNetlink {
				filters, err := attach.TCFilters(attach.ByName(p.B.Name).In(p.B.Netns), attach.Egress)
				if err != nil {
					t.Fatal(err)
				}
				want := attach.TCFilter{Hook: attach.Egress, Priority: 49152, Handle: 1, Protocol: unix.ETH_P_ALL,
					Kind: "bpf", ProgramID: info.ID, Name: "tc_count", Tag: info.Tag, DirectAction: true}
				if len(filters) != 1 || filters[0] != want || ta.Filter() != want {
					t.Fatalf("filters %+v, attachment's %+v; want [%+v]", filters, ta.Filter(), want)
				}
				ingress, err := attach.TCFilters(attach.ByIndex(p.B.Index).In(p.B.Netns), attach.Ingress)
				if err != nil || len(ingress) != 0 {
					t.Fatalf("ingress filters %v, %v; want none", ingress, err)
				}
			} else {
				progs, err := attach.TCXPrograms(attach.ByName(p.B.Name).In(p.B.Netns), attach.Egress)
				if err != nil {
					t.Fatal(err)
				}
				if len(progs) != 1 || progs[0].ProgramID != info.ID || progs[0].LinkID == 0 {
					t.Fatalf("tcx programs %+v, want program %d through a link", progs, info.ID)
				}
			}

			// Detach tc: only XDP counts from now on.
			if err := ta.Close(); err != nil {
				t.Fatal(err)
			}
			if method == attach.MethodNetlink {
				if filters, err := attach.TCFilters(attach.ByName(p.B.Name).In(p.B.Netns), attach.Egress); err != nil || len(filters) != 0 {
					t.Fatalf("after Close: filters %v, %v; want none", filters, err)
				}
			} else if progs, err := attach.TCXPrograms(attach.ByName(p.B.Name).In(p.B.Netns), attach.Egress); err != nil || len(progs) != 0 {
				t.Fatalf("after Close: tcx programs %v, %v; want none", progs, err)
			}
			if got := ping(t, p, n); got != n {
				t.Fatalf("%d of %d echo replies", got, n)
			}
			if x, c := xdpCount.get(t), tcCount.get(t); x != 2*n || c != n {
				t.Fatalf("after tc detach: XDP %d, tc %d; want %d and %d", x, c, 2*n, n)
			}
		})
	}
}

func TestTCFilterReplaceAndDelete(t *testing.T) {
	p := newPair(t)
	ns, iface := p.B.Netns, p.B.Name
	pass1 := loadReturn(t, "pass1", bpf.SchedCLS, tcActOK)
	pass2 := loadReturn(t, "pass2", bpf.SchedCLS, tcActOK)
	drop := loadReturn(t, "drop", bpf.SchedCLS, tcActShot)
	opts := attach.TCOptions{Priority: 10, Handle: 7, Name: "first"}

	a1, err := attach.TC(attach.ByName(iface).In(ns), pass1, attach.Egress, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a1.Close()
	if a1.Method() != attach.MethodNetlink { // filter-only options choose netlink
		t.Fatalf("method %v, want netlink", a1.Method())
	}
	if _, err := attach.TC(attach.ByName(iface).In(ns), pass2, attach.Egress, opts); !errors.Is(err, unix.EEXIST) {
		t.Fatalf("same priority and handle without Replace: %v, want EEXIST", err)
	}
	o := opts
	o.Replace, o.Name = true, "second"
	a2, err := attach.TC(attach.ByName(iface).In(ns), drop, attach.Egress, o)
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()
	filters, err := attach.TCFilters(attach.ByName(iface).In(ns), attach.Egress)
	if err != nil {
		t.Fatal(err)
	}
	if len(filters) != 1 || filters[0].ProgramID != progID(t, drop) || filters[0].Name != "second" || filters[0].Priority != 10 || filters[0].Handle != 7 {
		t.Fatalf("after replace: %+v", filters)
	}
	if got := ping(t, p, 2); got != 0 {
		t.Fatalf("egress drop filter: %d echo replies got through", got)
	}
	// The first attachment's filter now runs someone else's program.
	if err := a1.Detach(); !errors.Is(err, attach.ErrVanished) {
		t.Fatalf("Detach of the replaced filter: %v, want ErrVanished", err)
	}
	if filters, _ := attach.TCFilters(attach.ByName(iface).In(ns), attach.Egress); len(filters) != 1 {
		t.Fatalf("Detach of a replaced filter removed it: %+v", filters)
	}

	// Another filter at another priority; delete one, then flush.
	a3, err := attach.TC(attach.ByName(iface).In(ns), pass2, attach.Egress, attach.TCOptions{Priority: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer a3.Close()
	if f := a3.Filter(); f.Priority != 20 || f.Handle == 0 {
		t.Fatalf("kernel-chosen handle not found: %+v", f)
	}
	if err := attach.DeleteTCFilter(attach.ByName(iface).In(ns), filters[0]); err != nil {
		t.Fatal(err)
	}
	if err := attach.DeleteTCFilter(attach.ByName(iface).In(ns), filters[0]); !errors.Is(err, attach.ErrVanished) {
		t.Fatalf("deleting twice: %v, want ErrVanished", err)
	}
	if got := pingAfterDrop(t, p, 2); got != 2 {
		t.Fatalf("after deleting the drop filter: %d of 2 replies", got)
	}
	filters, err = attach.TCFilters(attach.ByName(iface).In(ns), attach.Egress)
	if err != nil || len(filters) != 1 || filters[0].Priority != 20 {
		t.Fatalf("remaining filters %+v, %v", filters, err)
	}
	if err := attach.DeleteTCFilters(attach.ByName(iface).In(ns), attach.Egress); err != nil {
		t.Fatal(err)
	}
	if filters, err = attach.TCFilters(attach.ByName(iface).In(ns), attach.Egress); err != nil || len(filters) != 0 {
		t.Fatalf("after flush: %+v, %v", filters, err)
	}
	if err := a3.Close(); err != nil { // already flushed: nothing to do
		t.Fatal(err)
	}
	if err := attach.DeleteClsact(attach.ByName(iface).In(ns)); err != nil {
		t.Fatal(err)
	}
	if err := attach.DeleteClsact(attach.ByName(iface).In(ns)); err == nil {
		t.Fatal("deleting a missing clsact qdisc succeeded")
	}
	if err := attach.EnsureClsact(attach.ByName(iface).In(ns)); err != nil {
		t.Fatal(err)
	}
	if err := attach.EnsureClsact(attach.ByName(iface).In(ns)); err != nil {
		t.Fatalf("EnsureClsact twice: %v", err)
	}
}

// TestTCAutoMethod: Method Auto attaches a tcx link where the kernel has
// tcx and a cls_bpf filter elsewhere, and either way the program runs.
func TestTCAutoMethod(t *testing.T) {
	p := newPair(t)
	want := autoTCMethod(t)
	drop := loadReturn(t, "auto_drop", bpf.SchedCLS, tcActShot)
	a, err := attach.TC(attach.ByName(p.B.Name).In(p.B.Netns), drop, attach.Ingress, attach.TCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Method() != want {
		t.Fatalf("Auto chose %v, want %v (features.HaveTCX: %v)", a.Method(), want, features.HaveTCX())
	}
	if want == attach.MethodLink {
		assertTCX(t, p, attach.Ingress, progID(t, drop))
	} else if f, err := attach.TCFilters(attach.ByName(p.B.Name).In(p.B.Netns), attach.Ingress); err != nil || len(f) != 1 || f[0].ProgramID != progID(t, drop) {
		t.Fatalf("filters %+v, %v; want one running program %d", f, err, progID(t, drop))
	}
	if got := ping(t, p, 2); got != 0 {
		t.Fatalf("ingress drop through %v: %d echo replies got through", a.Method(), got)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got := pingAfterDrop(t, p, 2); got != 2 {
		t.Fatalf("after Close: %d of 2 replies", got)
	}
}

// TestTCXMatchesProbe: requests that need tcx (Method Link, an Anchor,
// ListTCX) work where features says the kernel has tcx, and fail with
// ErrNotSupported naming tcx and Linux 6.6 where it does not.
func TestTCXMatchesProbe(t *testing.T) {
	p := newPair(t)
	probe := features.HaveTCX()
	if probe != nil && !errors.Is(probe, bpf.ErrNotSupported) {
		t.Fatalf("feature probe failed: %v", probe)
	}
	cls := loadReturn(t, "cls", bpf.SchedCLS, tcActOK)
	for _, tc := range []struct {
		hook attach.Hook
		opts attach.TCOptions
	}{
		{attach.Ingress, attach.TCOptions{Method: attach.MethodLink}},
		{attach.Egress, attach.TCOptions{Anchor: attach.First()}},
	} {
		opts := tc.opts
		a, err := attach.TC(attach.ByName(p.B.Name).In(p.B.Netns), cls, tc.hook, opts)
		if probe == nil {
			if err != nil {
				t.Fatalf("attach %+v with tcx: %v", opts, err)
			}
			if a.Method() != attach.MethodLink {
				t.Fatalf("attach %+v: method %v, want link", opts, a.Method())
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var fe *features.Error
		if !errors.Is(err, bpf.ErrNotSupported) || !errors.As(err, &fe) || fe.MinKernel != "6.6" {
			t.Fatalf("attach %+v without tcx: %v, want ErrNotSupported naming tcx and 6.6", opts, err)
		}
	}
	progs, err := attach.TCXPrograms(attach.ByName(p.B.Name).In(p.B.Netns), attach.Ingress)
	switch {
	case probe == nil && (err != nil || len(progs) != 0):
		t.Fatalf("ListTCX with tcx: %v, %v; want no programs", progs, err)
	case probe != nil && !errors.Is(err, bpf.ErrNotSupported):
		t.Fatalf("ListTCX without tcx: %v, want ErrNotSupported", err)
	}
}

func TestTCXOrderAndDrop(t *testing.T) {
	p := newPair(t)
	testenv.SkipUnsupported(t, features.HaveTCX())
	ns, iface := p.B.Netns, p.B.Name
	p1 := loadReturn(t, "p1", bpf.SchedCLS, -1) // TCX_NEXT
	p2 := loadReturn(t, "p2", bpf.SchedCLS, -1)
	p3 := loadReturn(t, "p3", bpf.SchedCLS, -1)
	drop := loadReturn(t, "drop", bpf.SchedCLS, tcActShot)

	a1, err := attach.TC(attach.ByName(iface).In(ns), p1, attach.Ingress, attach.TCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a1.Close()
	if want := autoTCMethod(t); a1.Method() != want {
		t.Fatalf("Auto chose %v, want %v", a1.Method(), want)
	}
	a2, err := attach.TC(attach.ByName(iface).In(ns), p2, attach.Ingress, attach.TCOptions{Anchor: attach.First()})
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()
	a3, err := attach.TC(attach.ByName(iface).In(ns), p3, attach.Ingress, attach.TCOptions{Anchor: attach.After(p2)})
	if err != nil {
		t.Fatal(err)
	}
	defer a3.Close()
	assertTCX(t, p, attach.Ingress, progID(t, p2), progID(t, p3), progID(t, p1))

	// Anchors that do not exist fail.
	if _, err := attach.TC(attach.ByName(iface).In(ns), drop, attach.Ingress, attach.TCOptions{Anchor: attach.BeforeID(0x7fffffff)}); err == nil {
		t.Fatal("anchor on a missing program succeeded")
	}

	ad, err := attach.TC(attach.ByName(iface).In(ns), drop, attach.Ingress, attach.TCOptions{Anchor: attach.BeforeID(progID(t, p1))})
	if err != nil {
		t.Fatal(err)
	}
	assertTCX(t, p, attach.Ingress, progID(t, p2), progID(t, p3), progID(t, drop), progID(t, p1))
	if got := ping(t, p, 2); got != 0 {
		t.Fatalf("tcx ingress drop: %d echo replies got through", got)
	}
	if err := ad.Detach(); err != nil {
		t.Fatal(err)
	}
	if got := pingAfterDrop(t, p, 2); got != 2 {
		t.Fatalf("after tcx detach: %d of 2 replies", got)
	}
	for _, a := range []*attach.TCAttachment{a1, a2, a3} {
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
	assertTCX(t, p, attach.Ingress)
}

func assertTCX(t *testing.T, p *testnet.VethPair, hook attach.Hook, ids ...bpf.ProgramID) {
	t.Helper()
	progs, err := attach.TCXPrograms(attach.ByName(p.B.Name).In(p.B.Netns), hook)
	if err != nil {
		t.Fatal(err)
	}
	var got []bpf.ProgramID
	for _, pr := range progs {
		got = append(got, pr.ProgramID)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("tcx %v order %v, want %v", hook, got, ids)
	}
}

func TestTCErrors(t *testing.T) {
	p := newPair(t)
	cls := loadReturn(t, "cls", bpf.SchedCLS, 0)
	for _, tc := range []struct {
		name  string
		iface string
		prog  *bpf.Program
		hook  attach.Hook
		opts  attach.TCOptions
		want  error
	}{
		{"xdp program", p.B.Name, dropworld(t), attach.Egress, attach.TCOptions{}, attach.ErrProgramType},
		{"missing interface", "nosuch0", cls, attach.Egress, attach.TCOptions{}, attach.ErrNoInterface},
		{"missing interface (filter)", "nosuch0", cls, attach.Egress, attach.TCOptions{Method: attach.MethodNetlink}, attach.ErrNoInterface},
		{"no hook", p.B.Name, cls, 0, attach.TCOptions{}, nil},
		{"filter options on a link", p.B.Name, cls, attach.Egress, attach.TCOptions{Method: attach.MethodLink, Priority: 3}, nil},
		{"anchor on a filter", p.B.Name, cls, attach.Egress, attach.TCOptions{Method: attach.MethodNetlink, Anchor: attach.First()}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := attach.TC(attach.ByName(tc.iface).In(p.B.Netns), tc.prog, tc.hook, tc.opts)
			var ae *attach.Error
			if !errors.As(err, &ae) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("got %v, want an *attach.Error matching %v", err, tc.want)
			}
			t.Log(err)
		})
	}
	if f, err := attach.TCFilters(attach.ByName(p.B.Name).In(p.B.Netns), attach.Egress); err != nil || len(f) != 0 {
		t.Fatalf("failed attaches left filters: %v %v", f, err)
	}
	if _, err := attach.TCFilters(attach.ByName("nosuch0").In(p.B.Netns), attach.Egress); !errors.Is(err, attach.ErrNoInterface) {
		t.Fatalf("list on a missing interface: %v", err)
	}
}

// TestDeleteTCFiltersWithoutQdisc: flushing a hook without a clsact qdisc
// deletes nothing and succeeds; a missing interface is still an error.
func TestDeleteTCFiltersWithoutQdisc(t *testing.T) {
	p := newPair(t)
	if err := attach.DeleteTCFilters(attach.ByName(p.B.Name).In(p.B.Netns), attach.Ingress); err != nil {
		t.Fatal(err)
	}
	if err := attach.DeleteTCFilters(attach.ByName("nonexistent0").In(p.B.Netns), attach.Ingress); !errors.Is(err, attach.ErrNoInterface) {
		t.Fatalf("missing interface: %v", err)
	}
}

// TestTCSameProgramTwice attaches one program twice with kernel-chosen
// priorities: each attachment must own its own filter, so closing the
// second leaves the first in place.
func TestTCSameProgramTwice(t *testing.T) {
	p := newPair(t)
	prog := loadReturn(t, "tc_twice", bpf.SchedCLS, 0)
	first, err := attach.TC(attach.ByName(p.B.Name).In(p.B.Netns), prog, attach.Egress, attach.TCOptions{Method: attach.MethodNetlink})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := attach.TC(attach.ByName(p.B.Name).In(p.B.Netns), prog, attach.Egress, attach.TCOptions{Method: attach.MethodNetlink})
	if err != nil {
		t.Fatal(err)
	}
	f1, f2 := first.Filter(), second.Filter()
	if f1.Priority == f2.Priority && f1.Handle == f2.Handle {
		t.Fatalf("both attachments claim filter pref %d handle %#x", f1.Priority, f1.Handle)
	}
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	filters, err := attach.TCFilters(attach.ByName(p.B.Name).In(p.B.Netns), attach.Egress)
	if err != nil || len(filters) != 1 || filters[0].Priority != f1.Priority || filters[0].Handle != f1.Handle {
		t.Fatalf("after closing the second: %v, %v; want only pref %d handle %#x", filters, err, f1.Priority, f1.Handle)
	}
}
