package bpf_test

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/internal/testenv"
)

// openAttachObject parses an object of elf/testdata and fills AttachTo
// from the section names where the parser did not.
func openAttachObject(t *testing.T, name string) *bpf.CollectionSpec {
	t.Helper()
	testenv.SkipUnsupported(t, features.HaveProgramType(bpf.Tracing))
	spec, err := elf.Open("elf/testdata/" + name + ".o")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range spec.Programs {
		if _, suffix, ok := strings.Cut(p.Section, "/"); ok && p.AttachTo == "" {
			p.AttachTo = suffix
		}
	}
	return spec
}

// TestIterator loads the bpf_map iterator of iter.o, runs it and checks
// that it saw the maps it wrote.
func TestIterator(t *testing.T) {
	testenv.RequirePrivileged(t)
	spec := openAttachObject(t, "iter")
	if got := spec.Programs["dump_bpf_map"].AttachTo; got != "bpf_map" {
		t.Fatalf("AttachTo %q, want bpf_map", got)
	}
	c, err := bpf.NewCollection(spec)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer c.Close()
	link, err := sys.LinkCreate(&sys.LinkCreateAttr{ProgFD: uint32(c.Programs["dump_bpf_map"].FD()), AttachType: uint32(bpf.AttachTraceIter)})
	if err != nil {
		t.Fatalf("iterator link: %v", err)
	}
	defer link.Close()
	attr := struct{ LinkFD, Flags uint32 }{LinkFD: link.Uint()}
	const iterCreate = 33 // BPF_ITER_CREATE
	fd, err := sys.BPF(iterCreate, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if err != nil {
		t.Fatalf("BPF_ITER_CREATE: %v", err)
	}
	f := os.NewFile(uintptr(fd), "bpf_map iterator")
	defer f.Close()
	out, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	var seen uint64
	if err := c.Maps[".bss"].Lookup(uint32(0), &seen); err != nil {
		t.Fatal(err)
	}
	// The collection's own .bss is one of the maps, so there is at least
	// one, and the iterator wrote one byte per map it counted.
	if seen == 0 || uint64(len(out)) != seen || strings.Trim(string(out), "m") != "" {
		t.Errorf("iterator counted %d maps and wrote %q", seen, out)
	}
}

// TestTPBTF loads the tp_btf program of tp_btf.o, attaches it to
// sched_switch and waits until it counted a context switch.
func TestTPBTF(t *testing.T) {
	testenv.RequirePrivileged(t)
	spec := openAttachObject(t, "tp_btf")
	c, err := bpf.NewCollection(spec)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer c.Close()
	// BPF_RAW_TRACEPOINT_OPEN with no name attaches a tp_btf program
	// to its attach_btf_id.
	attr := struct {
		Name   uint64
		ProgFD uint32
		_      uint32
	}{ProgFD: uint32(c.Programs["on_switch"].FD())}
	const rawTracepointOpen = 17
	fd, err := sys.BPF(rawTracepointOpen, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if err != nil {
		t.Fatalf("BPF_RAW_TRACEPOINT_OPEN: %v", err)
	}
	defer unix.Close(fd)
	var n uint64
	for range 1000 {
		time.Sleep(time.Millisecond) // a context switch of this thread
		if err := c.Maps[".bss"].Lookup(uint32(0), &n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
	}
	t.Errorf("no context switch counted")
}

// TestTrampolineTargets loads fentry, fexit, fmod_ret, LSM and freplace
// programs. Kernels that refuse BPF trampolines to every loader (EPERM,
// as in some sandboxes) skip, after the targets were resolved.
func TestTrampolineTargets(t *testing.T) {
	testenv.RequirePrivileged(t)
	ret0 := asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}
	tests := []struct {
		typ    bpf.ProgramType
		attach bpf.AttachType
		to     string
	}{
		{bpf.Tracing, bpf.AttachTraceFentry, "tcp_connect"},
		{bpf.Tracing, bpf.AttachTraceFexit, "tcp_connect"},
		{bpf.Tracing, bpf.AttachModifyReturn, "security_file_open"},
		{bpf.LSM, bpf.AttachLSMMac, "file_open"},
	}
	for _, tt := range tests {
		t.Run(tt.attach.String()+"/"+tt.to, func(t *testing.T) {
			p, err := bpf.NewProgram(&bpf.ProgramSpec{Name: "target", Type: tt.typ, AttachType: tt.attach, AttachTo: tt.to, License: "GPL", Instructions: ret0})
			skipTrampoline(t, err)
			p.Close()
		})
	}
	t.Run("freplace", func(t *testing.T) {
		spec := openAttachObject(t, "freplace")
		one := spec.Copy()
		delete(one.Programs, "new_verdict")
		c, err := bpf.NewCollection(one)
		if err != nil {
			t.Fatalf("%+v", err)
		}
		defer c.Close()
		ext := spec.Copy()
		delete(ext.Programs, "target")
		ext.Programs["new_verdict"].AttachTarget = c.Programs["target"]
		// A function the target does not have is an error naming it.
		ext.Programs["new_verdict"].AttachTo = "purebpf_no_such_function"
		if _, err := bpf.NewCollection(ext); !errors.Is(err, bpf.ErrAttachTarget) || !strings.Contains(err.Error(), "purebpf_no_such_function") {
			t.Fatalf("error %v, want ErrAttachTarget naming the function", err)
		}
		ext.Programs["new_verdict"].AttachTo = "verdict"
		c2, err := bpf.NewCollection(ext)
		skipTrampoline(t, err)
		c2.Close()
	})
}

// skipTrampoline fails on an error other than the kernel's refusal of
// trampolines (EPERM), and skips on that one.
func skipTrampoline(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, unix.EPERM) {
		t.Skipf("kernel lacks a feature: BPF trampolines for this loader (EPERM from BPF_PROG_LOAD): %v", err)
	}
	if err != nil {
		t.Fatalf("%+v", err)
	}
}
