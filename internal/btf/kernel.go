package btf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// KernelBTFDir is where the running kernel exposes its BTF: vmlinux (5.4+,
// CONFIG_DEBUG_INFO_BTF) and one file per module (5.11+,
// CONFIG_DEBUG_INFO_BTF_MODULES).
const KernelBTFDir = "/sys/kernel/btf"

// VmlinuxPath is where the running kernel exposes its BTF (5.4+,
// CONFIG_DEBUG_INFO_BTF).
const VmlinuxPath = KernelBTFDir + "/vmlinux"

var kernel struct {
	once sync.Once
	spec *Spec
	err  error
}

// Kernel returns the running kernel's BTF, opened once per process (see
// LoadKernel) and never unmapped.
func Kernel() (*Spec, error) {
	kernel.once.Do(func() {
		kernel.spec, kernel.err = loadKernel(false)
	})
	return kernel.spec, kernel.err
}

// LoadKernel opens the running kernel's BTF without the cache of Kernel:
// it maps VmlinuxPath read-only (kernel 6.16+ allows it) or, where that
// fails, reads it. A mapping is removed when the Spec is no longer
// reachable (Types keep their Spec reachable; bytes from StringBytes or
// Type.Data do not).
func LoadKernel() (*Spec, error) { return loadKernel(true) }

func loadKernel(release bool) (*Spec, error) {
	raw, unmap, err := mapFile(VmlinuxPath)
	if err != nil {
		return nil, fmt.Errorf("kernel BTF: %w", err)
	}
	s, err := Parse(raw, binary.NativeEndian)
	if err != nil {
		if unmap != nil {
			unmap()
		}
		return nil, fmt.Errorf("kernel BTF %s: %w", VmlinuxPath, err)
	}
	if release && unmap != nil {
		runtime.AddCleanup(s, func(f func()) { f() }, unmap)
	}
	return s, nil
}

// LoadFile reads the raw BTF file path, in either byte order (told by
// the magic number), mapping it when it is in sysfs (see mapFile). A
// mapping is removed when the Spec is no longer reachable. Errors name
// path.
func LoadFile(path string) (*Spec, error) {
	raw, unmap, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	bo := binary.ByteOrder(binary.LittleEndian)
	if len(raw) >= 2 && binary.BigEndian.Uint16(raw) == Magic {
		bo = binary.BigEndian
	}
	s, err := Parse(raw, bo)
	if err != nil {
		if unmap != nil {
			unmap()
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if unmap != nil {
		runtime.AddCleanup(s, func(f func()) { f() }, unmap)
	}
	return s, nil
}

// mapFile maps path read-only and private when it is a sysfs file (the
// kernel's BTF, which nobody rewrites or truncates under the mapping), or
// reads it when it is another file or cannot be mapped; unmap is nil for
// data that was read.
func mapFile(path string) (data []byte, unmap func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	var fs unix.Statfs_t
	sysfs := unix.Fstatfs(int(f.Fd()), &fs) == nil && fs.Type == unix.SYSFS_MAGIC
	if n := st.Size(); sysfs && n > 0 && n < 1<<31 {
		b, err := unix.Mmap(int(f.Fd()), 0, int(n), unix.PROT_READ, unix.MAP_PRIVATE)
		if err == nil {
			return b, func() { unix.Munmap(b) }, nil
		}
	}
	data, err = readAll(f, st.Size())
	return data, nil, err
}

// readAll reads f to its end; sysfs reports a size that may be 0 or
// larger than the data.
func readAll(f *os.File, hint int64) ([]byte, error) {
	if hint <= 0 || hint > 1<<31 {
		hint = 1 << 20
	}
	b := make([]byte, 0, hint+1)
	for {
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

var modules struct {
	mu    sync.Mutex
	specs map[string]*moduleEntry
}

type moduleEntry struct {
	once sync.Once
	spec *Spec
	err  error
}

// ErrNoModule is wrapped by the error of KernelModule for a module that
// has no BTF in KernelBTFDir (not loaded, or built without BTF).
var ErrNoModule = errors.New("no BTF for kernel module")

// KernelModule returns the BTF of the loaded kernel module name, split BTF
// on top of Kernel(), read once per module and process (kernel 5.11+,
// CONFIG_DEBUG_INFO_BTF_MODULES). A module without BTF gives an error
// wrapping ErrNoModule. Errors are not kept: a module loaded later is
// found by the next call.
func KernelModule(name string) (*Spec, error) {
	modules.mu.Lock()
	if modules.specs == nil {
		modules.specs = map[string]*moduleEntry{}
	}
	e := modules.specs[name]
	if e == nil {
		e = &moduleEntry{}
		modules.specs[name] = e
	}
	modules.mu.Unlock()
	e.once.Do(func() {
		base, err := Kernel()
		if err != nil {
			e.err = err
			return
		}
		e.spec, e.err = LoadKernelModule(name, base)
	})
	if e.err != nil {
		modules.mu.Lock()
		if modules.specs[name] == e {
			delete(modules.specs, name)
		}
		modules.mu.Unlock()
	}
	return e.spec, e.err
}

// LoadKernelModule reads the BTF of kernel module name and parses it on
// top of base (the running kernel's BTF), without a cache.
func LoadKernelModule(name string, base *Spec) (*Spec, error) {
	if name == "" || name == "vmlinux" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return nil, fmt.Errorf("kernel module BTF %q: %w: not a module name", name, ErrNoModule)
	}
	path := filepath.Join(KernelBTFDir, name)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("kernel module BTF %s: %w", name, ErrNoModule)
		}
		return nil, fmt.Errorf("kernel module BTF %s: %w", name, err)
	}
	defer f.Close()
	var hint int64
	if st, err := f.Stat(); err == nil {
		hint = st.Size()
	}
	raw, err := readAll(f, hint)
	if err != nil {
		return nil, fmt.Errorf("kernel module BTF %s: %w", name, err)
	}
	s, err := ParseSplit(raw, binary.NativeEndian, base)
	if err != nil {
		return nil, fmt.Errorf("kernel module BTF %s: %w", path, err)
	}
	return s, nil
}

// KernelModules returns the names of the loaded kernel modules that have
// BTF (the entries of KernelBTFDir other than vmlinux), sorted.
func KernelModules() ([]string, error) {
	ents, err := os.ReadDir(KernelBTFDir)
	if err != nil {
		return nil, fmt.Errorf("kernel module BTF: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.Name() != "vmlinux" {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// FromPublic returns the *Spec behind a public *btf.Spec (package
// github.com/purebpf/bpf/btf sets it in its init), so that the loader can
// take types a caller supplies. It returns false for anything else.
var FromPublic = func(any) (*Spec, bool) { return nil, false }
