package bpf_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
	"github.com/purebpf/bpf/verifier"
)

// rejectedSpec is an XDP program the verifier rejects at its first
// instruction (it reads r5, which nothing wrote); its name and section
// are distinct words so that the tests can count how often an error
// names them.
func rejectedSpec() *bpf.ProgramSpec {
	return &bpf.ProgramSpec{
		Name: "once_named", Section: "xdp", Type: bpf.XDP, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Reg(asm.R0, asm.R5), asm.Return()},
	}
}

// gplOnlySpec calls a GPL-only helper under a license that is not
// GPL-compatible: the loader refuses it before the kernel sees it.
func gplOnlySpec() *bpf.ProgramSpec {
	return &bpf.ProgramSpec{
		Name: "once_named", Section: "xdp", Type: bpf.XDP, License: "MIT",
		Instructions: asm.Instructions{asm.Call(asm.FnTracePrintk), asm.Return()},
	}
}

const gplOnlyMessage = `load program once_named (section xdp): rejected by the verifier at instruction 0 (call bpf_trace_printk#6): ` +
	`bpf_trace_printk is GPL-only and the license "MIT" is not GPL-compatible; hint: helper bpf_trace_printk may only ` +
	`be called from a program whose license is GPL-compatible (for example "GPL" or "Dual BSD/GPL")`

// TestLoadErrorsNameProgramOnce checks that the errors of NewProgram and
// NewCollection (and LoadAndAssign) name the program once (they named it twice: "load
// program x: program x: rejected ..."), keep the *verifier.Error (with
// its Program) reachable, and print one line with %v and the whole
// verifier log with %+v.
func TestLoadErrorsNameProgramOnce(t *testing.T) {
	testenv.RequirePrivileged(t)
	loadProgram := func(spec *bpf.ProgramSpec) error {
		p, err := bpf.NewProgram(spec)
		if err == nil {
			p.Close()
		}
		return err
	}
	loadCollection := func(spec *bpf.ProgramSpec) error {
		c, err := bpf.NewCollection(&bpf.CollectionSpec{Programs: map[string]*bpf.ProgramSpec{"once_named": spec}})
		if err == nil {
			c.Close()
		}
		return err
	}
	loadAndAssign := func(spec *bpf.ProgramSpec) error {
		var objs struct {
			P *bpf.Program `bpf:"once_named"`
		}
		cs := &bpf.CollectionSpec{Programs: map[string]*bpf.ProgramSpec{"once_named": spec}}
		err := cs.LoadAndAssign(&objs, bpf.CollectionOptions{})
		if err == nil {
			bpf.CloseAssigned(&objs)
		}
		return err
	}
	tests := []struct {
		name string
		load func(*bpf.ProgramSpec) error
		spec *bpf.ProgramSpec
		// want is the whole message, or its beginning when prefix is
		// set (the rest is the kernel's and the hint's wording).
		want   string
		prefix bool
		log    bool // the error carries a verifier log
	}{
		{"program rejected", loadProgram, rejectedSpec(),
			"load program once_named (section xdp): rejected by the verifier at instruction 0 (r0 = r5): ", true, true},
		{"collection rejected", loadCollection, rejectedSpec(),
			"new collection: load program once_named (section xdp): rejected by the verifier at instruction 0 (r0 = r5): ", true, true},
		{"LoadAndAssign rejected", loadAndAssign, rejectedSpec(),
			"load and assign: load program once_named (section xdp): rejected by the verifier at instruction 0 (r0 = r5): ", true, true},
		{"program GPL-only", loadProgram, gplOnlySpec(), gplOnlyMessage, false, false},
		{"collection GPL-only", loadCollection, gplOnlySpec(), "new collection: " + gplOnlyMessage, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.load(tt.spec)
			if err == nil {
				t.Fatal("loaded")
			}
			msg := err.Error()
			if tt.prefix && !strings.HasPrefix(msg, tt.want) || !tt.prefix && msg != tt.want {
				t.Fatalf("error\n%s\nwant (prefix %v)\n%s", msg, tt.prefix, tt.want)
			}
			if n := strings.Count(msg, "once_named"); n != 1 {
				t.Errorf("the error names the program %d times: %s", n, msg)
			}
			if n := strings.Count(msg, "section xdp"); n != 1 {
				t.Errorf("the error names the section %d times: %s", n, msg)
			}
			var verr *verifier.Error
			if !errors.As(err, &verr) || verr.Program != "once_named" {
				t.Fatalf("no *verifier.Error for once_named in %v", err)
			}
			if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EACCES) {
				t.Errorf("the errno is lost: %v", err)
			}
			if got := fmt.Sprintf("%v", err); got != msg {
				t.Errorf("%%v = %q, want the message", got)
			}
			if got := fmt.Sprintf("%q", err); got != fmt.Sprintf("%q", msg) {
				t.Errorf("%%q = %s", got)
			}
			plus := fmt.Sprintf("%+v", err)
			if !tt.log {
				if verr.Log != "" || plus != msg {
					t.Errorf("%%+v = %q with log %q, want the message alone", plus, verr.Log)
				}
				return
			}
			if verr.Log == "" || !strings.Contains(verr.Log, "R5 !read_ok") {
				t.Fatalf("verifier log %q", verr.Log)
			}
			if want := msg + "\nverifier log:\n" + verr.Log; plus != want {
				t.Errorf("%%+v =\n%s\nwant\n%s", plus, want)
			}
		})
	}
}

// TestLoadRefusedBeforeVerification checks the error of a load the
// kernel refuses without a verifier log (an attribute it does not
// accept): it says so instead of "rejected by the verifier".
func TestLoadRefusedBeforeVerification(t *testing.T) {
	testenv.RequirePrivileged(t)
	spec := xdpReturn(bpf.XDPPass)
	spec.Flags = bpf.StrictAlignment | 1<<30 // no kernel knows bit 30
	_, err := bpf.NewProgram(spec)
	const want = "load program xdp_ret: refused before verification: the kernel does not accept an attribute of this xdp program " +
		"(flags StrictAlignment|0x40000000, BTF func/line info, attach target): BPF_PROG_LOAD: invalid argument"
	if err == nil || err.Error() != want || !errors.Is(err, unix.EINVAL) {
		t.Fatalf("error\n%v\nwant\n%s", err, want)
	}
	var verr *verifier.Error
	if errors.As(err, &verr) {
		t.Errorf("a *verifier.Error without a log: %+v", verr)
	}
}

// withoutCapabilities runs f on a thread whose effective capabilities
// are all dropped, as an unprivileged process would. The thread is never
// unlocked, so that it exits with its goroutine instead of serving
// others with the changed capabilities.
func withoutCapabilities(t *testing.T, f func()) {
	t.Helper()
	done := make(chan error)
	go func() {
		runtime.LockOSThread()
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			done <- fmt.Errorf("capget: %w", err)
			return
		}
		data[0].Effective, data[1].Effective = 0, 0
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			done <- fmt.Errorf("capset: %w", err)
			return
		}
		f()
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestPrivilegeErrors checks that loads and lookups refused for missing
// privileges (EPERM) say which privileges they need, for programs as for
// maps.
func TestPrivilegeErrors(t *testing.T) {
	// Load once with privileges first, so that nothing the loader
	// caches is decided on the unprivileged thread.
	prog := mustLoad(t, xdpReturn(bpf.XDPPass))
	m, err := maps.New(&maps.Spec{Name: "caps_hash", Type: maps.Hash, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tracing := &bpf.ProgramSpec{Name: "caps_kprobe", Type: bpf.Kprobe, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}}
	network := xdpReturn(bpf.XDPPass)
	network.Name = "caps_xdp"
	tests := []struct {
		name string
		do   func() error
		want string
	}{
		{"xdp program", func() error { _, err := bpf.NewProgram(network); return err },
			"load program caps_xdp: loading xdp programs needs root or CAP_BPF and CAP_NET_ADMIN (CAP_SYS_ADMIN before Linux 5.8): BPF_PROG_LOAD: operation not permitted"},
		{"kprobe program", func() error { _, err := bpf.NewProgram(tracing); return err },
			"load program caps_kprobe: loading kprobe programs needs root or CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN before Linux 5.8): BPF_PROG_LOAD: operation not permitted"},
		{"map", func() error {
			// lpm_trie maps need CAP_BPF even where unprivileged BPF
			// is allowed.
			_, err := maps.New(&maps.Spec{Name: "caps_lpm", Type: maps.LPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 1, Flags: maps.FlagNoPrealloc})
			return err
		}, "create map caps_lpm (lpm_trie, key 8, value 8, max_entries 1, flags 0x1): creating maps needs root or CAP_BPF (CAP_SYS_ADMIN before Linux 5.8): BPF_MAP_CREATE: operation not permitted"},
		{"program by id", func() error { _, err := bpf.ProgramFromID(prog.ID()); return err },
			fmt.Sprintf("open program id %d: needs root or CAP_SYS_ADMIN: BPF_PROG_GET_FD_BY_ID: operation not permitted", prog.ID())},
		{"program ids", func() error { _, err := bpf.ProgramIDs(); return err },
			"list program ids: needs root or CAP_SYS_ADMIN: BPF_PROG_GET_NEXT_ID: operation not permitted"},
		{"map by id", func() error { _, err := maps.FromID(m.ID()); return err },
			fmt.Sprintf("open map id %d: needs root or CAP_SYS_ADMIN: BPF_MAP_GET_FD_BY_ID: operation not permitted", m.ID())},
		{"map ids", func() error { _, err := maps.IDs(); return err },
			"list map ids: needs root or CAP_SYS_ADMIN: BPF_MAP_GET_NEXT_ID: operation not permitted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			withoutCapabilities(t, func() { err = tt.do() })
			if err == nil {
				t.Fatal("succeeded without capabilities")
			}
			if err.Error() != tt.want || !errors.Is(err, unix.EPERM) {
				t.Fatalf("error\n%v\nwant\n%s", err, tt.want)
			}
		})
	}
}

// TestProgramPinUnpin checks the pin rule every object follows: Unpin
// removes the pin the Program made or was opened from, and says
// ErrNotPinned (which matches os.ErrNotExist) when it has none.
func TestProgramPinUnpin(t *testing.T) {
	dir := mountBPFFS(t)
	prog := mustLoad(t, xdpReturn(bpf.XDPPass))
	exists := func(path string) bool {
		_, err := os.Stat(path)
		return err == nil
	}
	tests := []struct {
		name string
		// setup pins (or not) and returns the Program to unpin, and the
		// pin it must remove ("" for none).
		setup     func(t *testing.T, path string) (*bpf.Program, string)
		want      string // Unpin's error, "" for none
		notPinned bool   // the error matches ErrNotPinned
	}{
		{name: "pinned by Pin", setup: func(t *testing.T, path string) (*bpf.Program, string) {
			if err := prog.Pin(path); err != nil {
				t.Fatal(err)
			}
			return prog, path
		}},
		{name: "opened from the pin", setup: func(t *testing.T, path string) (*bpf.Program, string) {
			if err := prog.Pin(path); err != nil {
				t.Fatal(err)
			}
			// prog forgets the path once the other Program removes it.
			t.Cleanup(func() { prog.Unpin() })
			p, err := bpf.LoadPinnedProgram(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			return p, path
		}},
		{name: "never pinned", setup: func(t *testing.T, path string) (*bpf.Program, string) {
			return prog, ""
		}, want: "unpin program xdp_ret: not pinned", notPinned: true},
		{name: "clone of a pinned program", setup: func(t *testing.T, path string) (*bpf.Program, string) {
			if err := prog.Pin(path); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { prog.Unpin() })
			c, err := prog.Clone()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			return c, ""
		}, want: "unpin program xdp_ret: not pinned", notPinned: true},
		{name: "pin removed by someone else", setup: func(t *testing.T, path string) (*bpf.Program, string) {
			if err := prog.Pin(path); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			return prog, ""
		}, want: "unpin program xdp_ret: remove %s: no such file or directory"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := fmt.Sprintf("%s/pin%d", dir, i)
			p, pin := tt.setup(t, path)
			if pin != "" && p.PinnedPath() != pin {
				t.Fatalf("PinnedPath() = %q, want %q", p.PinnedPath(), pin)
			}
			err := p.Unpin()
			want := strings.ReplaceAll(tt.want, "%s", path)
			switch {
			case want == "" && err != nil:
				t.Fatalf("Unpin: %v", err)
			case want != "" && (err == nil || err.Error() != want):
				t.Fatalf("Unpin: %v, want %s", err, want)
			case want != "" && !errors.Is(err, os.ErrNotExist):
				t.Errorf("Unpin: %v does not match os.ErrNotExist", err)
			case want != "" && errors.Is(err, bpf.ErrNotPinned) != tt.notPinned:
				t.Errorf("Unpin: %v matches ErrNotPinned: %v, want %v", err, !tt.notPinned, tt.notPinned)
			}
			if pin != "" && exists(pin) {
				t.Errorf("pin %s still exists", pin)
			}
			if tt.notPinned && tt.name != "never pinned" && !exists(path) {
				t.Errorf("Unpin of a Program without a pin of its own removed %s", path)
			}
			// Afterwards the Program has no pin: a second Unpin says so.
			if err := p.Unpin(); !errors.Is(err, bpf.ErrNotPinned) || p.PinnedPath() != "" {
				t.Errorf("second Unpin: %v, PinnedPath %q", err, p.PinnedPath())
			}
			// Unpinning does not unload or close: the Program still runs.
			if res, err := p.Run(bpf.RunOptions{Data: make([]byte, 64)}); err != nil || res.ReturnValue != uint32(bpf.XDPPass) {
				t.Errorf("run after Unpin: %v, %v", res, err)
			}
		})
	}
}

// TestProgramIDs checks that ID() is the kernel's id (Info().ID), found by
// ProgramIDs and ProgramFromID, and that a missing id matches
// os.ErrNotExist.
func TestProgramIDs(t *testing.T) {
	prog := mustLoad(t, xdpReturn(bpf.XDPPass))
	info, err := prog.Info()
	if err != nil {
		t.Fatal(err)
	}
	id := prog.ID()
	if id == 0 || info.ID != id {
		t.Fatalf("ID() = %d, Info().ID = %d", id, info.ID)
	}
	byID, err := bpf.ProgramFromID(id)
	if err != nil {
		t.Fatal(err)
	}
	defer byID.Close()
	clone, err := prog.Clone()
	if err != nil {
		t.Fatal(err)
	}
	defer clone.Close()
	pinned := mountBPFFS(t) + "/ids"
	if err := prog.Pin(pinned); err != nil {
		t.Fatal(err)
	}
	byPin, err := bpf.LoadPinnedProgram(pinned)
	if err != nil {
		t.Fatal(err)
	}
	defer byPin.Close()
	for name, p := range map[string]*bpf.Program{"ProgramFromID": byID, "Clone": clone, "LoadPinnedProgram": byPin} {
		if p.ID() != id || p.Name() != "xdp_ret" || p.Type() != bpf.XDP {
			t.Errorf("%s: id %d, name %s, type %s; want %d xdp_ret xdp", name, p.ID(), p.Name(), p.Type(), id)
		}
	}
	ids, err := bpf.ProgramIDs()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range ids {
		found = found || x == id
	}
	if !found {
		t.Fatalf("ProgramIDs() lacks %d", id)
	}
	const missing = bpf.ProgramID(0xfffffff0)
	_, err = bpf.ProgramFromID(missing)
	if want := fmt.Sprintf("open program id %d: BPF_PROG_GET_FD_BY_ID: no such file or directory", missing); err == nil || err.Error() != want || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ProgramFromID(%d): %v, want %s", missing, err, want)
	}
}
