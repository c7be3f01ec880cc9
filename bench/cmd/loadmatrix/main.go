// Command loadmatrix loads every entry program of a set of BPF objects,
// one program at a time, with purebpf and with cilium/ebpf, and prints
// which loader loaded what: the side-by-side measurement on objects
// neither project wrote.
//
//	go run ./cmd/loadmatrix [-v] object.o|dir ...
//
// Each program is loaded alone: a copy of the object's collection spec
// with only that program, so that every map it references is created and
// one program's failure costs no other. Objects in the other byte order
// are skipped. It needs root (CAP_BPF, CAP_SYS_ADMIN) on a BPF kernel.
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/elf"
)

func main() {
	verbose := flag.Bool("v", false, "print every program's outcome and the first line of each error")
	flag.Parse()
	root, err := mountPinRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadmatrix:", err)
		os.Exit(1)
	}
	pinRoot = root
	defer func() { unix.Unmount(root, 0); os.Remove(root) }()
	var files []string
	for _, arg := range flag.Args() {
		if st, err := os.Stat(arg); err == nil && st.IsDir() {
			for _, pat := range []string{"*.o", "*.elf"} {
				m, _ := filepath.Glob(filepath.Join(arg, pat))
				files = append(files, m...)
			}
			continue
		}
		files = append(files, arg)
	}
	sort.Strings(files)
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "usage: loadmatrix [-v] object.o|dir ...")
		os.Exit(2)
	}
	_ = rlimit.RemoveMemlock()
	var tot struct{ objs, progs, pParsed, cParsed, pLoaded, cLoaded int }
	fmt.Printf("%-36s %6s %8s %8s\n", "object", "progs", "purebpf", "cilium")
	for _, f := range files {
		r := loadObject(f, *verbose)
		if r.skipped {
			continue
		}
		tot.objs++
		tot.progs += r.progs
		tot.pLoaded += r.pLoaded
		tot.cLoaded += r.cLoaded
		if r.pParsed {
			tot.pParsed++
		}
		if r.cParsed {
			tot.cParsed++
		}
		fmt.Printf("%-36s %6d %8s %8s\n", filepath.Base(f), r.progs, r.cell(r.pParsed, r.pLoaded), r.cell(r.cParsed, r.cLoaded))
	}
	fmt.Printf("%-36s %6d %8d %8d\n", fmt.Sprintf("total (%d objects)", tot.objs), tot.progs, tot.pLoaded, tot.cLoaded)
	fmt.Printf("objects parsed: purebpf %d, cilium %d\n", tot.pParsed, tot.cParsed)
}

type result struct {
	skipped          bool
	progs            int
	pParsed, cParsed bool
	pLoaded, cLoaded int
}

func (r result) cell(parsed bool, n int) string {
	if !parsed {
		return "parse!"
	}
	return fmt.Sprint(n)
}

func loadObject(path string, verbose bool) result {
	var r result
	pspec, perr := elf.Open(path)
	cspec, cerr := ebpf.LoadCollectionSpec(path)
	if perr == nil && !native(pspec.ByteOrder) || cerr == nil && !native(cspec.ByteOrder) {
		r.skipped = true
		return r
	}
	names := map[string]bool{}
	if perr == nil {
		r.pParsed = true
		for n := range pspec.Programs {
			names[n] = true
		}
	} else if verbose {
		fmt.Printf("  %s: purebpf parse: %s\n", filepath.Base(path), firstLine(perr))
	}
	if cerr == nil {
		r.cParsed = true
		for n := range cspec.Programs {
			names[n] = true
		}
	} else if verbose {
		fmt.Printf("  %s: cilium parse: %s\n", filepath.Base(path), firstLine(cerr))
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	r.progs = len(sorted)
	for _, name := range sorted {
		var pe, ce error = errors.New("not parsed"), errors.New("not parsed")
		if perr == nil {
			pe = loadPurebpf(pspec, name)
			if pe == nil {
				r.pLoaded++
			}
		}
		if cerr == nil {
			ce = loadCilium(cspec, name)
			if ce == nil {
				r.cLoaded++
			}
		}
		if verbose {
			fmt.Printf("  %s %s: purebpf %s | cilium %s\n", filepath.Base(path), name, outcome(pe), outcome(ce))
		}
	}
	return r
}

// native reports whether bo is the host's byte order (binary.NativeEndian
// is a type of its own, so comparing interface values does not tell).
func native(bo binary.ByteOrder) bool {
	if bo == nil {
		return true
	}
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], 1)
	return bo.Uint16(b[:]) == 1
}

// pinRoot is a private bpffs both loaders pin maps under (objects pin
// maps by name, as libbpf's LIBBPF_PIN_BY_NAME); it is emptied after
// every load so that no loader reuses the other's maps.
var pinRoot string

// mountPinRoot mounts a fresh bpffs on a temporary directory.
func mountPinRoot() (string, error) {
	dir, err := os.MkdirTemp("", "loadmatrix-bpffs-")
	if err != nil {
		return "", err
	}
	if err := unix.Mount("bpf", dir, "bpf", 0, ""); err != nil {
		os.Remove(dir)
		return "", fmt.Errorf("mount bpffs on %s: %w", dir, err)
	}
	return dir, nil
}

// clearPins removes everything pinned under pinRoot.
func clearPins() {
	entries, _ := os.ReadDir(pinRoot)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(pinRoot, e.Name()))
	}
}

func loadPurebpf(spec *bpf.CollectionSpec, name string) error {
	defer clearPins()
	p, ok := spec.Programs[name]
	if !ok {
		return errors.New("no such program")
	}
	one := spec.Copy()
	one.Programs = map[string]*bpf.ProgramSpec{name: p.Copy()}
	coll, err := bpf.NewCollectionWithOptions(one, bpf.CollectionOptions{PinRoot: pinRoot})
	if err != nil {
		return err
	}
	defer coll.Close()
	if coll.Programs[name] == nil {
		return errors.New("collection loaded without the program")
	}
	return nil
}

func loadCilium(spec *ebpf.CollectionSpec, name string) error {
	defer clearPins()
	p, ok := spec.Programs[name]
	if !ok {
		return errors.New("no such program")
	}
	one := spec.Copy()
	one.Programs = map[string]*ebpf.ProgramSpec{name: p.Copy()}
	coll, err := ebpf.NewCollectionWithOptions(one, ebpf.CollectionOptions{Maps: ebpf.MapOptions{PinPath: pinRoot}})
	if err != nil {
		return err
	}
	defer coll.Close()
	if coll.Programs[name] == nil {
		// cilium/ebpf skips programs it has no type for.
		return errors.New("collection loaded without the program")
	}
	return nil
}

func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	return firstLine(err)
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 110 {
		s = s[:110] + "..."
	}
	return s
}
