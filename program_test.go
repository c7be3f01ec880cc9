package bpf_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/verifier"
)

func xdpReturn(action bpf.XDPAction) *bpf.ProgramSpec {
	return &bpf.ProgramSpec{
		Name:    "xdp_ret",
		Type:    bpf.XDP,
		License: "GPL",
		Instructions: asm.Instructions{
			asm.Mov.Imm(asm.R0, int32(action)),
			asm.Return(),
		},
	}
}

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func mustLoad(t *testing.T, spec *bpf.ProgramSpec) *bpf.Program {
	t.Helper()
	testenv.RequirePrivileged(t)
	prog, err := bpf.NewProgram(spec)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	t.Cleanup(func() { prog.Close() })
	return prog
}

func TestNewProgramAndInfo(t *testing.T) {
	prog := mustLoad(t, xdpReturn(bpf.XDPPass))
	if prog.Type() != bpf.XDP || prog.Name() != "xdp_ret" || prog.FD() < 0 {
		t.Fatalf("unexpected program %v", prog)
	}
	info, err := prog.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.ID == 0 || info.Name != "xdp_ret" || info.Type != bpf.XDP || len(info.Tag) != 16 {
		t.Fatalf("unexpected info %+v", info)
	}
	if info.VerifiedInstructions != 2 || info.XlatedSize != 16 || info.JitedSize == 0 || !info.GPLCompatible {
		t.Fatalf("unexpected sizes %+v", info)
	}
	if d := time.Since(info.LoadTime); d < -time.Second || d > time.Minute {
		t.Fatalf("load time %v is %v away from now", info.LoadTime, d)
	}
	same, err := bpf.ProgramFromID(info.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer same.Close()
	clone, err := prog.Clone()
	if err != nil {
		t.Fatal(err)
	}
	defer clone.Close()
	for _, p := range []*bpf.Program{same, clone} {
		i, err := p.Info()
		if err != nil || i.ID != info.ID || p.Type() != bpf.XDP {
			t.Fatalf("%v: info %+v, %v", p, i, err)
		}
	}
	if err := prog.Close(); err != nil {
		t.Fatal(err)
	}
	if err := prog.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := clone.Info(); err != nil {
		t.Fatalf("clone must outlive the original: %v", err)
	}
}

func TestNewProgramRejections(t *testing.T) {
	testenv.RequirePrivileged(t)
	tests := []struct {
		name      string
		typ       bpf.ProgramType
		license   string
		insns     asm.Instructions
		index     int
		message   string // part of the kernel's message
		hint      string // part of the hint
		errno     unix.Errno
		preLoaded bool // reported before the kernel sees the program
	}{
		{
			name:    "uninitialised register",
			insns:   asm.Instructions{asm.Mov.Reg(asm.R0, asm.R2), asm.Return()},
			index:   0,
			message: "R2 !read_ok",
			hint:    "r2 is read before",
			errno:   unix.EACCES,
		},
		{
			name:    "no return value",
			insns:   asm.Instructions{asm.Mov.Imm(asm.R1, 1), asm.Return()},
			index:   1,
			message: "R0 !read_ok",
			hint:    "set r0",
			errno:   unix.EACCES,
		},
		{
			name: "packet read without bounds check",
			insns: asm.Instructions{
				asm.LoadMem(asm.R2, asm.R1, 0, asm.Word), // r2 = ctx->data
				asm.LoadMem(asm.R0, asm.R2, 0, asm.Byte), // r0 = *(u8 *)data
				asm.Mov.Imm(asm.R0, 2),
				asm.Return(),
			},
			index:   1,
			message: "outside of the packet",
			hint:    "data_end",
			errno:   unix.EACCES,
		},
		{
			name: "bad context offset",
			insns: asm.Instructions{
				asm.LoadMem(asm.R0, asm.R1, 64, asm.Word),
				asm.Return(),
			},
			index:   0,
			message: "invalid bpf_context access",
			hint:    "context field",
			errno:   unix.EACCES,
		},
		{
			name: "jump out of range",
			insns: asm.Instructions{
				{OpCode: asm.OpCode(0x05), Offset: 5}, // goto pc+5
				asm.Mov.Imm(asm.R0, 2),
				asm.Return(),
			},
			index:   0,
			message: "jump out of range",
			hint:    "outside the program",
			errno:   unix.EINVAL,
		},
		{
			name:    "helper not allowed for XDP",
			insns:   asm.Instructions{asm.Call(asm.FnSkbLoadBytesRelative), asm.Mov.Imm(asm.R0, 2), asm.Return()},
			index:   0,
			message: "",
			hint:    "not allowed for this program type",
			errno:   unix.EINVAL,
		},
		{
			name:    "GPL-only helper under a proprietary license",
			license: "Proprietary",
			insns: asm.Instructions{
				asm.Mov.Imm(asm.R1, 0),
				asm.LoadImm64(asm.R2, 0), // two raw slots
				asm.Call(asm.FnTracePrintk),
				asm.Mov.Imm(asm.R0, 2),
				asm.Return(),
			},
			index:     3,
			message:   "bpf_trace_printk is GPL-only",
			hint:      "helper bpf_trace_printk may only be called from a program whose license is GPL-compatible",
			errno:     unix.EINVAL,
			preLoaded: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			license := tt.license
			if license == "" {
				license = "GPL"
			}
			before := openFDs(t)
			prog, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "rejected", Type: bpf.XDP, License: license, Instructions: tt.insns})
			if err == nil {
				prog.Close()
				t.Fatal("the kernel accepted the program")
			}
			var verr *verifier.Error
			if !errors.As(err, &verr) {
				t.Fatalf("error %v is not a *verifier.Error", err)
			}
			if verr.Index != tt.index {
				t.Errorf("index %d, want %d (%+v)", verr.Index, tt.index, err)
			}
			if !strings.Contains(verr.Message, tt.message) {
				t.Errorf("message %q does not contain %q", verr.Message, tt.message)
			}
			if !strings.Contains(verr.Hint, tt.hint) {
				t.Errorf("hint %q does not contain %q", verr.Hint, tt.hint)
			}
			if !errors.Is(err, tt.errno) {
				t.Errorf("errno of %v is not %v", err, tt.errno)
			}
			if !strings.Contains(err.Error(), "program rejected") {
				t.Errorf("error %q does not name the program", err)
			}
			if tt.preLoaded != (verr.Log == "") {
				t.Errorf("log %q: want a kernel log: %v", verr.Log, !tt.preLoaded)
			}
			if after := openFDs(t); after != before {
				t.Errorf("%d descriptors open after the failed load, %d before", after, before)
			}
		})
	}
}

// TestVerifierLogGrows rejects a program whose log is larger than the
// first buffer and checks that the whole log arrives.
func TestVerifierLogGrows(t *testing.T) {
	testenv.RequirePrivileged(t)
	var insns asm.Instructions
	for i := 0; i < 200; i++ {
		insns = append(insns, asm.Mov.Imm(asm.R1, int32(i)))
	}
	insns = append(insns, asm.Return()) // r0 never set
	_, err := bpf.NewProgramWithOptions(&bpf.ProgramSpec{Name: "long_log", Type: bpf.XDP, License: "GPL", Instructions: insns}, bpf.ProgramOptions{LogSize: 256})
	var verr *verifier.Error
	if !errors.As(err, &verr) {
		t.Fatalf("want *verifier.Error, got %v", err)
	}
	if verr.Index != 200 || verr.Message != "R0 !read_ok" || verr.Truncated {
		t.Fatalf("index %d message %q truncated %v", verr.Index, verr.Message, verr.Truncated)
	}
	// The first line is the entry state: "0: R1=ctx() R10=fp0" since
	// 6.8, "0: R1=ctx(off=0,imm=0) R10=fp0" before.
	if !strings.HasPrefix(verr.Log, "0: R1=ctx(") || !strings.Contains(verr.Log, "processed 201 insns") || len(verr.Log) < 4096 {
		t.Fatalf("log is not complete (%d bytes): %q...", len(verr.Log), verr.Log[:min(len(verr.Log), 100)])
	}
}

func TestNewProgramBadSpecs(t *testing.T) {
	testenv.RequirePrivileged(t)
	tests := []struct {
		name string
		spec *bpf.ProgramSpec
		want string
	}{
		{"nil", nil, "nil ProgramSpec"},
		{"no type", &bpf.ProgramSpec{Name: "rx", Section: "rx", Instructions: asm.Instructions{asm.Return()}}, "program rx: program type is not set"},
		{"no type with section", &bpf.ProgramSpec{Name: "f", Section: "weird", Instructions: asm.Instructions{asm.Return()}}, "program f (section weird): program type is not set (unknown section name?): set ProgramSpec.Type"},
		{"empty", &bpf.ProgramSpec{Name: "e", Type: bpf.XDP}, "program e: no instructions"},
		{"unknown label", &bpf.ProgramSpec{Name: "l", Type: bpf.XDP, Instructions: asm.Instructions{asm.Ja("nowhere"), asm.Return()}}, "nowhere"},
		{"unresolved map", &bpf.ProgramSpec{Name: "m", Type: bpf.XDP, Instructions: asm.Instructions{asm.LoadMapPtr(asm.R1, "counters"), asm.Return()}}, `references map "counters"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prog, err := bpf.NewProgram(tt.spec)
			if err == nil {
				prog.Close()
				t.Fatal("loaded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

type rawMap struct{ fd *sys.FD }

func (m rawMap) FD() int { return m.fd.Int() }

func TestMapReferences(t *testing.T) {
	testenv.RequirePrivileged(t)
	fd, err := sys.MapCreate(&sys.MapCreateAttr{MapType: 1, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	spec := &bpf.ProgramSpec{Name: "lookup", Type: bpf.XDP, License: "GPL", Instructions: asm.Instructions{
		asm.StoreImm(asm.R10, -4, 0, asm.Word),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -4),
		asm.LoadMapPtr(asm.R1, "counters"),
		asm.Call(asm.FnMapLookupElem),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord), // no NULL check
		asm.Mov.Imm(asm.R0, 2),
		asm.Return(),
	}}
	_, err = bpf.NewProgramWithOptions(spec, bpf.ProgramOptions{Maps: map[string]bpf.MapFD{"counters": rawMap{fd}}})
	var verr *verifier.Error
	if !errors.As(err, &verr) || verr.Index != 6 || !strings.Contains(verr.Hint, "NULL") {
		t.Fatalf("want a NULL-check rejection at instruction 6, got %+v", err)
	}
	if spec.Instructions[3].IsMapResolved() {
		t.Fatal("NewProgram modified the spec's instructions")
	}
	// With the check the program loads and references the map.
	fixed := spec.Copy()
	fixed.Instructions = append(fixed.Instructions[:5:5],
		asm.JEq.Imm(asm.R0, 0, "out"),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
		asm.Mov.Imm(asm.R0, 2).WithSymbol("out"),
		asm.Return(),
	)
	prog, err := bpf.NewProgramWithOptions(fixed, bpf.ProgramOptions{Maps: map[string]bpf.MapFD{"counters": rawMap{fd}}})
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer prog.Close()
	info, err := prog.Info()
	if err != nil {
		t.Fatal(err)
	}
	var mi sys.MapInfo
	if err := sys.MapInfoByFD(fd, &mi); err != nil {
		t.Fatal(err)
	}
	if len(info.MapIDs) != 1 || uint32(info.MapIDs[0]) != mi.ID {
		t.Fatalf("map ids %v, want [%d]", info.MapIDs, mi.ID)
	}
}

// mountBPFFS mounts a private bpffs instance for the test.
func mountBPFFS(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, ""); err != nil {
		testenv.Skip(t, "cannot mount bpffs: "+err.Error())
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

func TestPinAndLoadPinned(t *testing.T) {
	prog := mustLoad(t, xdpReturn(bpf.XDPDrop))
	path := filepath.Join(mountBPFFS(t), "dropper")
	if err := prog.Pin(path); err != nil {
		t.Fatal(err)
	}
	pinned, err := bpf.LoadPinnedProgram(path)
	if err != nil {
		t.Fatal(err)
	}
	defer pinned.Close()
	a, _ := prog.Info()
	b, err := pinned.Info()
	if err != nil || a.ID != b.ID || pinned.Name() != "xdp_ret" || pinned.Type() != bpf.XDP {
		t.Fatalf("pinned program %v: %+v vs %+v (%v)", pinned, b, a, err)
	}
	if err := prog.Unpin(); err != nil {
		t.Fatal(err)
	}
	if _, err := bpf.LoadPinnedProgram(path); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("after unpin: %v", err)
	}
}

func TestProgramIDsAndXlated(t *testing.T) {
	prog := mustLoad(t, xdpReturn(bpf.XDPDrop))
	info, err := prog.Info()
	if err != nil {
		t.Fatal(err)
	}
	ids, err := bpf.ProgramIDs()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for i, id := range ids {
		if i > 0 && id <= ids[i-1] {
			t.Fatalf("ids not increasing: %v", ids)
		}
		found = found || id == info.ID
	}
	if !found {
		t.Fatalf("program id %d not in %v", info.ID, ids)
	}
	insns, err := prog.XlatedInstructions()
	if err != nil {
		t.Fatal(err)
	}
	if got := insns.String(); got != "   0: (b7) r0 = 1\n   1: (95) exit\n" {
		t.Fatalf("xlated program:\n%s", got)
	}
	memlock, err := prog.MemoryLocked()
	if err != nil || memlock == 0 {
		t.Fatalf("memlock %d, %v", memlock, err)
	}
}

// TestInfoManyMaps covers programs with more map ids than Info's first
// call fetches.
func TestInfoManyMaps(t *testing.T) {
	testenv.RequirePrivileged(t)
	refs := map[string]bpf.MapFD{}
	var insns asm.Instructions
	for i := 0; i < 20; i++ {
		fd, err := sys.MapCreate(&sys.MapCreateAttr{MapType: 2, KeySize: 4, ValueSize: 4, MaxEntries: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer fd.Close()
		name := fmt.Sprintf("m%d", i)
		refs[name] = rawMap{fd}
		insns = append(insns, asm.LoadMapPtr(asm.R1, name))
	}
	insns = append(insns, asm.Mov.Imm(asm.R0, 2), asm.Return())
	prog, err := bpf.NewProgramWithOptions(&bpf.ProgramSpec{Name: "many_maps", Type: bpf.XDP, License: "GPL", Instructions: insns}, bpf.ProgramOptions{Maps: refs})
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer prog.Close()
	info, err := prog.Info()
	if err != nil || len(info.MapIDs) != 20 {
		t.Fatalf("%d map ids, %v", len(info.MapIDs), err)
	}
}
