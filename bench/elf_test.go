package bench

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/internal/testenv"
)

// elfObjects are the committed tutorial objects.
func elfObjects(tb testing.TB) []string {
	files, err := filepath.Glob("../examples/*/bpf/*.o")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no objects: %v", err)
	}
	sort.Strings(files)
	return files
}

func objName(path string) string { return strings.TrimSuffix(filepath.Base(path), ".o") }

// BenchmarkELFParse compares parsing an object in memory: purebpf
// elf.Parse against cilium/ebpf LoadCollectionSpecFromReader.
func BenchmarkELFParse(b *testing.B) {
	for _, obj := range elfObjects(b) {
		data, err := os.ReadFile(obj)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(objName(obj)+"/purebpf", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := elf.Parse(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(objName(obj)+"/cilium", func(b *testing.B) {
			if _, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(data)); err != nil {
				b.Skipf("cilium cannot parse it: %v", err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkELFOpen compares elf.Open (one read of the file) with reading
// the file and parsing it.
func BenchmarkELFOpen(b *testing.B) {
	obj := "../examples/xdp1/bpf/xdp1.o"
	b.Run("Open", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := elf.Open(obj); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ReadFile+Parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			data, err := os.ReadFile(obj)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := elf.Parse(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// readSyscalls returns the number of read system calls of the process
// (/proc/self/io syscr).
func readSyscalls(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skipf("no /proc/self/io: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscr: "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	t.Skip("no syscr in /proc/self/io")
	return 0
}

// TestELFOpenReads checks that elf.Open reads the file with one read
// system call, and Parse with none.
func TestELFOpenReads(t *testing.T) {
	obj := "../examples/xdp1/bpf/xdp1.o"
	data, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	// Reading /proc/self/io is itself one read (plus one for EOF).
	base0 := readSyscalls(t)
	base := readSyscalls(t) - base0
	before := readSyscalls(t)
	if _, err := elf.Parse(data); err != nil {
		t.Fatal(err)
	}
	parse := readSyscalls(t) - before - base
	before = readSyscalls(t)
	if _, err := elf.Open(obj); err != nil {
		t.Fatal(err)
	}
	open := readSyscalls(t) - before - base
	t.Logf("read system calls: Parse %d, Open %d", parse, open)
	if parse != 0 || open > 1 {
		t.Errorf("Parse made %d reads, Open %d; want 0 and 1", parse, open)
	}
}

// BenchmarkELFNewCollection compares loading a single-program object
// (tcpfilter_sec: XDP, 19 instructions, no maps): purebpf NewCollection,
// cilium/ebpf NewCollection, and the floor, a raw BPF_PROG_LOAD of the
// same instructions.
func BenchmarkELFNewCollection(b *testing.B) {
	testenv.RequirePrivileged(b)
	obj := "../examples/tcpfilter/bpf/tcpfilter_sec.o"
	b.Run("purebpf", func(b *testing.B) {
		spec, err := elf.Open(obj)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			c, err := bpf.NewCollection(spec)
			if err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
	})
	b.Run("cilium", func(b *testing.B) {
		spec, err := ebpf.LoadCollectionSpec(obj)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			c, err := ebpf.NewCollection(spec)
			if err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
	})
	b.Run("raw", func(b *testing.B) {
		spec, err := elf.Open(obj)
		if err != nil {
			b.Fatal(err)
		}
		code, err := spec.Programs["tcpfilter"].Instructions.Encode(binary.NativeEndian)
		if err != nil {
			b.Fatal(err)
		}
		license := []byte("GPL\x00")
		attr := sys.ProgLoadAttr{
			ProgType: uint32(bpf.XDP), InsnCnt: uint32(len(code) / asm.InstructionSize),
			Insns: sys.SlicePointer(code), License: sys.SlicePointer(license),
			ExpectedAttachType: uint32(bpf.AttachXDP),
		}
		b.ReportAllocs()
		for b.Loop() {
			fd, err := sys.ProgLoad(&attr)
			if err != nil {
				b.Fatal(err)
			}
			fd.Close()
		}
	})
}

// loaderTypes are the types a user gives for sections without a
// conventional type (what "ip ... sec S" and "tc ... sec S" imply).
var loaderTypes = elf.Options{
	DefaultType: bpf.XDP,
	SectionTypes: []elf.SectionTypeOverride{
		{Pattern: "filter", Type: bpf.SocketFilter},
		{Pattern: "tx", Type: bpf.SchedCLS},
	},
}

// TestLoaderMatrix shows, per object, how many of its entry programs
// purebpf, bpftool prog loadall (when installed) and cilium/ebpf load.
// purebpf gets the types a user would give on the command line; so does
// cilium (UnspecifiedProgram set by hand), bpftool gets none.
func TestLoaderMatrix(t *testing.T) {
	testenv.RequirePrivileged(t)
	pin := t.TempDir()
	if err := unix.Mount("bpf", pin, "bpf", 0, "mode=0700"); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(pin, unix.MNT_DETACH)
	bpftool, _ := exec.LookPath("bpftool")
	var rows []string
	for _, obj := range elfObjects(t) {
		if strings.Contains(obj, "bpfeb") {
			continue // big-endian: not for this kernel
		}
		spec, err := elf.OpenWithOptions(obj, loaderTypes)
		if err != nil {
			t.Errorf("%s: %v", obj, err)
			continue
		}
		entries := len(spec.Programs)
		pure := 0
		for name := range spec.Programs {
			one := spec.Copy()
			for n := range one.Programs {
				if n != name {
					delete(one.Programs, n)
				}
			}
			if c, err := bpf.NewCollectionWithOptions(one, bpf.CollectionOptions{PinRoot: pin}); err == nil {
				pure++
				c.Close()
			}
		}
		cil := ciliumLoads(obj, spec)
		tool := "-"
		if bpftool != "" {
			dir := filepath.Join(pin, "bpftool-"+objName(obj))
			exec.Command(bpftool, "prog", "loadall", obj, dir).Run()
			ents, _ := os.ReadDir(dir)
			tool = strconv.Itoa(len(ents))
			os.RemoveAll(dir)
		}
		rows = append(rows, fmt.Sprintf("| %s | %d | %d | %s | %d |", objName(obj), entries, pure, tool, cil))
		if pure != entries && !strings.Contains(obj, "nongpl") {
			t.Errorf("%s: purebpf loads %d of %d programs", obj, pure, entries)
		}
	}
	os.RemoveAll(filepath.Join(pin, "tc"))
	t.Logf("\n| object | entry programs | purebpf | bpftool loadall | cilium/ebpf |\n|---|---|---|---|---|\n%s", strings.Join(rows, "\n"))
}

// ciliumLoads counts the programs cilium/ebpf loads from obj, one at a
// time, with the types purebpf found set by hand for unspecified ones.
func ciliumLoads(obj string, pure *bpf.CollectionSpec) int {
	spec, err := ebpf.LoadCollectionSpec(obj)
	if err != nil {
		return 0
	}
	n := 0
	for name := range spec.Programs {
		one := spec.Copy()
		for other := range one.Programs {
			if other != name {
				delete(one.Programs, other)
			}
		}
		p := one.Programs[name]
		if p.Type == ebpf.UnspecifiedProgram {
			if ps := pure.Programs[name]; ps != nil {
				p.Type = ebpf.ProgramType(ps.Type)
			}
		}
		for _, m := range one.Maps {
			m.Pinning = ebpf.PinNone
		}
		c, err := ebpf.NewCollection(one)
		if err == nil && c.Programs[name] != nil {
			n++
		}
		if c != nil {
			c.Close()
		}
	}
	return n
}
