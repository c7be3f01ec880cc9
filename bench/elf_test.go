package bench

import (
	"bytes"
	"encoding/binary"
	"errors"
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
	ib "github.com/purebpf/bpf/internal/btf"
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
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("kernel lacks a feature: no /proc/self/io (CONFIG_TASK_IO_ACCOUNTING): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscr: "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	t.Fatalf("no syscr in /proc/self/io:\n%s", b)
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
// (tcpfilter_sec: XDP, 19 instructions, no maps, with BTF) and closing it.
func BenchmarkELFNewCollection(b *testing.B) {
	runVariants(b, newCollectionVariants(b))
}

// newCollectionVariants: purebpf NewCollection, cilium/ebpf
// NewCollection, and the floor, raw BPF_BTF_LOAD of the object's BTF and
// BPF_PROG_LOAD of the same instructions with its func_info and line_info
// (what both libraries do); raw-nobtf is the program load alone.
// programBTF returns the raw BTF of p (host byte order) and the
// bpf_func_info and bpf_line_info records of its instructions, prebuilt
// for the raw floor as the loader builds them at each load.
func programBTF(tb testing.TB, p *bpf.ProgramSpec) (raw, funcInfo, lineInfo []byte) {
	tb.Helper()
	if p.BTF == nil {
		tb.Fatalf("%s has no BTF", p.Name)
	}
	raw, err := p.BTF.Marshal(binary.NativeEndian)
	if err != nil {
		tb.Fatal(err)
	}
	types, _ := ib.FromPublic(p.BTF)
	ne := binary.NativeEndian
	slot := uint32(0)
	for _, ins := range p.Instructions {
		if fn := ins.Func(); fn != nil {
			funcInfo = ne.AppendUint32(ne.AppendUint32(funcInfo, slot), uint32(fn.Type))
		}
		if l := ins.Line(); l != nil {
			file, _ := types.StringOffset(l.File)
			text, _ := types.StringOffset(l.Text)
			lineInfo = ne.AppendUint32(ne.AppendUint32(ne.AppendUint32(ne.AppendUint32(lineInfo, slot), file), text), l.Line<<10|l.Column)
		}
		slot += uint32(ins.Slots())
	}
	if len(funcInfo) == 0 || len(lineInfo) == 0 {
		tb.Fatalf("%s has no func or line info", p.Name)
	}
	return raw, funcInfo, lineInfo
}

func newCollectionVariants(tb testing.TB) []variant {
	testenv.RequirePrivileged(tb)
	const obj = "../examples/tcpfilter/bpf/tcpfilter_sec.o"
	spec, err := elf.Open(obj)
	if err != nil {
		tb.Fatal(err)
	}
	cspec, err := ebpf.LoadCollectionSpec(obj)
	if err != nil {
		tb.Fatal(err)
	}
	code, err := spec.Programs["tcpfilter"].Instructions.Encode(binary.NativeEndian)
	if err != nil {
		tb.Fatal(err)
	}
	rawBTF, funcInfo, lineInfo := programBTF(tb, spec.Programs["tcpfilter"])
	license := []byte("GPL\x00")
	btfAttr := sys.BTFLoadAttr{BTF: sys.SlicePointer(rawBTF), BTFSize: uint32(len(rawBTF))}
	withBTF := sys.ProgLoadAttr{
		ProgType: uint32(bpf.XDP), InsnCnt: uint32(len(code) / asm.InstructionSize),
		Insns: sys.SlicePointer(code), License: sys.SlicePointer(license),
		ExpectedAttachType: uint32(bpf.AttachXDP),
		FuncInfoRecSize:    8, FuncInfo: sys.SlicePointer(funcInfo), FuncInfoCnt: uint32(len(funcInfo) / 8),
		LineInfoRecSize: 16, LineInfo: sys.SlicePointer(lineInfo), LineInfoCnt: uint32(len(lineInfo) / 16),
	}
	noBTF := sys.ProgLoadAttr{
		ProgType: uint32(bpf.XDP), InsnCnt: uint32(len(code) / asm.InstructionSize),
		Insns: sys.SlicePointer(code), License: sys.SlicePointer(license),
		ExpectedAttachType: uint32(bpf.AttachXDP),
	}
	return []variant{
		{"purebpf", func() error {
			c, err := bpf.NewCollection(spec)
			if err != nil {
				return err
			}
			return c.Close()
		}},
		{"cilium", func() error {
			c, err := ebpf.NewCollection(cspec)
			if err != nil {
				return err
			}
			c.Close()
			return nil
		}},
		{"raw", func() error {
			btfFD, err := sys.BTFLoad(&btfAttr)
			if err != nil {
				return err
			}
			defer btfFD.Close()
			withBTF.ProgBTFFD = btfFD.Uint()
			fd, err := sys.ProgLoad(&withBTF)
			if err != nil {
				return err
			}
			return fd.Close()
		}},
		{"raw-nobtf", func() error {
			fd, err := sys.ProgLoad(&noBTF)
			if err != nil {
				return err
			}
			return fd.Close()
		}},
	}
}

// loaderTypes returns the types a user gives for the sections of obj
// that have no conventional type, as the tutorial's commands do: "ip link
// set dev D xdp obj F sec S" makes them XDP, layercoop's tx goes to "tc
// filter add ... bpf da obj F sec tx", and portfilter_socket's filter is
// a socket filter (SO_ATTACH_BPF). portfilter.o's "filter" is XDP.
func loaderTypes(obj string) elf.Options {
	opts := elf.Options{
		DefaultType: bpf.XDP,
		Sections:    []elf.SectionOverride{{Pattern: "tx", Convention: elf.Convention{Type: bpf.SchedCLS}}},
	}
	if objName(obj) == "portfilter_socket" {
		opts.Sections = append(opts.Sections, elf.SectionOverride{Pattern: "filter", Convention: elf.Convention{Type: bpf.SocketFilter}})
	}
	return opts
}

// loaderRow is one row of the loader matrix: how many entry programs an
// object has and how many of them each loader loads.
type loaderRow struct {
	entries, purebpf, bpftool, cilium int
}

// recordedBpftool is the bpftool version BENCHMARKS.md's matrix was
// measured with; other versions may load other objects, so their column
// is only shown.
const recordedBpftool = "bpftool v7.1.0"

// recordedLoaderMatrix parses the loader matrix of BENCHMARKS.md: the
// table after the line naming TestLoaderMatrix, whose cells start with
// the counts (what follows a count is commentary).
func recordedLoaderMatrix(t *testing.T) map[string]loaderRow {
	t.Helper()
	data, err := os.ReadFile("../BENCHMARKS.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(data), "`TestLoaderMatrix`")
	if !ok {
		t.Fatal("BENCHMARKS.md has no loader matrix (a table after `TestLoaderMatrix`)")
	}
	rows := map[string]loaderRow{}
	inTable := false
	for _, line := range strings.Split(table, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if !inTable || strings.HasPrefix(strings.TrimSpace(cells[0]), "--") {
			inTable = true // the header and the separator
			continue
		}
		if len(cells) != 5 {
			t.Fatalf("BENCHMARKS.md loader matrix: %d cells in %q, want 5", len(cells), line)
		}
		var n [4]int
		for i := range n {
			f := strings.Fields(cells[i+1])
			if len(f) == 0 {
				t.Fatalf("BENCHMARKS.md loader matrix: empty cell in %q", line)
			}
			if n[i], err = strconv.Atoi(f[0]); err != nil {
				t.Fatalf("BENCHMARKS.md loader matrix: %q: %v", line, err)
			}
		}
		rows[strings.TrimSpace(cells[0])] = loaderRow{n[0], n[1], n[2], n[3]}
	}
	if len(rows) == 0 {
		t.Fatal("BENCHMARKS.md's loader matrix has no rows")
	}
	return rows
}

// TestLoaderMatrix counts, per committed object, the entry programs that
// purebpf, bpftool prog loadall and cilium/ebpf load, one program at a
// time, and checks the counts against the matrix BENCHMARKS.md records
// (the bpftool column only for the version it was measured with).
// purebpf gets the types a user would give on the command line; so does
// cilium (UnspecifiedProgram set by hand), bpftool gets none.
func TestLoaderMatrix(t *testing.T) {
	testenv.RequirePrivileged(t)
	testenv.RequireTool(t, "bpftool")
	pin := t.TempDir()
	if err := unix.Mount("bpf", pin, "bpf", 0, "mode=0700"); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(pin, unix.MNT_DETACH)
	version, err := exec.Command("bpftool", "version").Output()
	if err != nil {
		t.Fatalf("bpftool version: %v", err)
	}
	sameBpftool := strings.HasPrefix(string(version), recordedBpftool+"\n")
	recorded := recordedLoaderMatrix(t)
	var rows []string
	seen := map[string]bool{}
	for _, obj := range elfObjects(t) {
		if strings.Contains(obj, "bpfeb") {
			continue // big-endian: not for this kernel
		}
		name := objName(obj)
		seen[name] = true
		spec, err := elf.OpenWithOptions(obj, loaderTypes(obj))
		if err != nil {
			t.Errorf("%s: %v", obj, err)
			continue
		}
		var got loaderRow
		got.entries = len(spec.Programs)
		for name := range spec.Programs {
			one := spec.Copy()
			for n := range one.Programs {
				if n != name {
					delete(one.Programs, n)
				}
			}
			if c, err := bpf.NewCollectionWithOptions(one, bpf.CollectionOptions{PinRoot: pin}); err == nil {
				got.purebpf++
				c.Close()
			} else if !strings.Contains(obj, "nongpl") {
				t.Errorf("%s: purebpf cannot load %s: %v", obj, name, err)
			}
		}
		got.cilium = ciliumLoads(obj, spec)
		dir := filepath.Join(pin, "bpftool-"+name)
		exec.Command("bpftool", "prog", "loadall", obj, dir).Run()
		ents, _ := os.ReadDir(dir)
		got.bpftool = len(ents)
		os.RemoveAll(dir)
		rows = append(rows, fmt.Sprintf("| %s | %d | %d | %d | %d |", name, got.entries, got.purebpf, got.bpftool, got.cilium))

		want, ok := recorded[name]
		switch {
		case !ok:
			t.Errorf("BENCHMARKS.md's loader matrix has no row for %s", name)
		case !sameBpftool && (got.entries != want.entries || got.purebpf != want.purebpf || got.cilium != want.cilium):
			t.Errorf("%s: measured %+v; BENCHMARKS.md says %+v (bpftool column not compared: %s is not %s)", name, got, want, strings.SplitN(string(version), "\n", 2)[0], recordedBpftool)
		case sameBpftool && got != want:
			t.Errorf("%s: measured %+v; BENCHMARKS.md says %+v", name, got, want)
		}
	}
	for name := range recorded {
		if !seen[name] {
			t.Errorf("BENCHMARKS.md's loader matrix has a row for %s, which is not a committed object", name)
		}
	}
	os.RemoveAll(filepath.Join(pin, "tc"))
	t.Logf("\n| object | entry programs | purebpf | bpftool prog loadall | cilium/ebpf |\n| --- | --- | --- | --- | --- |\n%s", strings.Join(rows, "\n"))
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
