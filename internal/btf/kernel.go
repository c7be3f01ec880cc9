package btf

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync"
)

// VmlinuxPath is where the running kernel exposes its BTF (5.4+,
// CONFIG_DEBUG_INFO_BTF).
const VmlinuxPath = "/sys/kernel/btf/vmlinux"

var kernel struct {
	once sync.Once
	spec *Spec
	err  error
}

// Kernel returns the running kernel's BTF, read once per process.
func Kernel() (*Spec, error) {
	kernel.once.Do(func() {
		raw, err := os.ReadFile(VmlinuxPath)
		if err != nil {
			kernel.err = fmt.Errorf("kernel BTF: %w", err)
			return
		}
		kernel.spec, kernel.err = Parse(raw, binary.NativeEndian)
		if kernel.err != nil {
			kernel.err = fmt.Errorf("kernel BTF %s: %w", VmlinuxPath, kernel.err)
		}
	})
	return kernel.spec, kernel.err
}

// FromPublic returns the *Spec behind a public *btf.Spec (package
// github.com/purebpf/bpf/btf sets it in its init), so that the loader can
// take types a caller supplies. It returns false for anything else.
var FromPublic = func(any) (*Spec, bool) { return nil, false }
