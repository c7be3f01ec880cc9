package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"strings"

	"github.com/purebpf/bpf/internal/btf"
)

// fromBTF reads enum bpf_func_id from a kernel BTF file (such as
// /sys/kernel/btf/vmlinux) and checks it as parse checks a header: ids
// dense from 0, every name BPF_FUNC_*, __BPF_FUNC_MAX_ID last.
func fromBTF(path string) ([]helper, int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	spec, err := btf.Parse(raw, binary.NativeEndian)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	t, ok := spec.Named(btf.KindEnum, "bpf_func_id")
	if !ok {
		return nil, 0, fmt.Errorf("%s: no enum bpf_func_id", path)
	}
	var helpers []helper
	max := -1
	for i := range t.Vlen {
		off, v, err := spec.EnumValue(t, i)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: enum bpf_func_id: %w", path, err)
		}
		name, err := spec.String(off)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: enum bpf_func_id: %w", path, err)
		}
		if name == "__BPF_FUNC_MAX_ID" {
			max = int(v)
			continue
		}
		short, ok := strings.CutPrefix(name, "BPF_FUNC_")
		if !ok {
			return nil, 0, fmt.Errorf("%s: enum bpf_func_id: member %s", path, name)
		}
		if int(v) != len(helpers) {
			return nil, 0, fmt.Errorf("%s: enum bpf_func_id: %s = %d, want %d (ids are dense)", path, name, v, len(helpers))
		}
		helpers = append(helpers, helper{name: short, id: int(v)})
	}
	if max != len(helpers) {
		return nil, 0, fmt.Errorf("%s: enum bpf_func_id: __BPF_FUNC_MAX_ID = %d after %d helpers", path, max, len(helpers))
	}
	return helpers, max, nil
}
