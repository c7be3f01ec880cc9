package kallsyms

import (
	"errors"
	"os"
	"reflect"
	"testing"
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
// __bpf_call_base itself.
func TestResolveKernel(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("kallsyms addresses are hidden from unprivileged readers")
	}
	got, err := Resolve(DefaultPath, []int32{0})
	if err != nil {
		t.Skip(err)
	}
	if got[0] != "__bpf_call_base" {
		t.Errorf("offset 0 is %q", got[0])
	}
	if _, err := Resolve("/nonexistent/kallsyms", nil); err == nil {
		t.Error("no error for a missing file")
	}
}
