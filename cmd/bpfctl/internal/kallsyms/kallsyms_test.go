package kallsyms

import (
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/purebpf/bpf/internal/testenv"
)

const table = `ffffffff81000000 T _stext
ffffffff814cc7f0 t bpf_prog_free_deferred
ffffffff814cc810 T __bpf_call_base
ffffffff814cc820 T __bpf_call_base_args
ffffffff81500000 t __htab_map_lookup_elem
ffffffff81500000 t __htab_map_lookup_elem_alias
ffffffff81400000 T bpf_ktime_get_ns
ffffffffc0000000 t helper_in_module	[mymod]
`

func TestResolveData(t *testing.T) {
	tests := []struct {
		name string
		data string
		offs []int32
		want map[int32]string
		err  error
	}{
		{"forward and backward", table, []int32{0x337f0, -0xcc810, 0x10}, map[int32]string{
			0x337f0: "__htab_map_lookup_elem", -0xcc810: "bpf_ktime_get_ns", 0x10: "__bpf_call_base_args"}, nil},
		{"module symbol", table, []int32{int32(0xffffffffc0000000 - 0xffffffff814cc810)}, map[int32]string{
			int32(0xffffffffc0000000 - 0xffffffff814cc810): "helper_in_module"}, nil},
		{"no symbol there", table, []int32{1}, map[int32]string{}, nil},
		{"hidden addresses", "0000000000000000 T __bpf_call_base\n0000000000000000 T foo\n", []int32{0}, nil, ErrNoBase},
		{"no base", "ffffffff81000000 T _stext\n", []int32{0}, nil, ErrNoBase},
		{"garbage", "not a table", []int32{0}, nil, ErrNoBase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveData([]byte(tt.data), tt.offs)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestResolveKernel resolves an offset of the running kernel: offset 0 is
// __bpf_call_base itself. It skips only where the kernel cannot answer: no
// /proc/kallsyms (CONFIG_KALLSYMS=n) or addresses hidden even from root
// (kernel.kptr_restrict=2). Without root it skips, or fails under
// PUREBPF_REQUIRE_PRIVILEGED=1; any other error fails.
func TestResolveKernel(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Skip(t, "kallsyms addresses are hidden from unprivileged readers (run as root)")
	}
	if _, err := Resolve("/nonexistent/kallsyms", nil); err == nil {
		t.Error("no error for a missing file")
	}
	got, err := Resolve(DefaultPath, []int32{0})
	switch {
	case errors.Is(err, os.ErrNotExist):
		t.Skipf("kernel lacks a feature: %v (CONFIG_KALLSYMS)", err)
	case errors.Is(err, ErrNoBase) && kptrRestrict(t) == 2:
		t.Skip("kernel.kptr_restrict=2 hides kernel addresses from root too")
	case err != nil:
		t.Fatal(err)
	}
	if got[0] != "__bpf_call_base" {
		t.Errorf("offset 0 is %q, want __bpf_call_base", got[0])
	}
}

// kptrRestrict returns the kernel.kptr_restrict sysctl.
func kptrRestrict(t *testing.T) int {
	b, err := os.ReadFile("/proc/sys/kernel/kptr_restrict")
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("kptr_restrict %q: %v", b, err)
	}
	return n
}

func TestLookupData(t *testing.T) {
	tests := []struct {
		name  string
		addrs []uint64
		want  map[uint64]string
	}{
		{"first of two names", []uint64{0xffffffff81500000}, map[uint64]string{0xffffffff81500000: "__htab_map_lookup_elem"}},
		{"module symbol", []uint64{0xffffffffc0000000}, map[uint64]string{0xffffffffc0000000: "helper_in_module"}},
		{"no symbol there", []uint64{0xffffffff81500001}, map[uint64]string{}},
		{"zero (hidden)", []uint64{0}, map[uint64]string{}},
	}
	for _, tt := range tests {
		if got := LookupData([]byte(table), tt.addrs); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
