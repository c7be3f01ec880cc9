package bpf_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/bpftest/packet"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
	"github.com/purebpf/bpf/verifier"
)

func varsSpec(t testing.TB) *bpf.CollectionSpec {
	t.Helper()
	spec, err := elf.Open("elf/testdata/vars.o")
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func mustSet(t testing.TB, spec *bpf.CollectionSpec, name string, v any) {
	t.Helper()
	vs := spec.Variables[name]
	if vs == nil {
		t.Fatalf("no variable %s", name)
	}
	if err := vs.Set(v); err != nil {
		t.Fatal(err)
	}
}

// bpfMappings counts this process's memory mappings of BPF maps.
func bpfMappings(t testing.TB) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "anon_inode:bpf-map")
}

// varsRun runs xdp_vars n times and returns the verdicts.
func varsRun(t *testing.T, p *bpf.Program, n int) []uint32 {
	t.Helper()
	frame := packet.UDPv4(collCli, collHTTP, []byte("vars"))
	var out []uint32
	for range n {
		out = append(out, collRun(t, p, frame))
	}
	return out
}

// TestVariables sets .rodata, .data and .bss variables of vars.o before
// load, runs xdp_vars (it counts in the .bss counter and compares with
// the .rodata limit) and reads and writes the variables after load,
// through the mmapped maps and through the syscall fallback.
func TestVariables(t *testing.T) {
	testenv.RequirePrivileged(t)
	frameLen := uint32(len(packet.UDPv4(collCli, collHTTP, []byte("vars"))))
	for _, tc := range []struct {
		name   string
		mmap   bool
		assign bool // through LoadAndAssign instead of NewCollection
	}{
		{"collection/mmap", true, false},
		{"collection/syscalls", false, false},
		{"assign/mmap", true, true},
		{"assign/syscalls", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer bpf.SetMmapRefused(!tc.mmap)()
			fdsBefore, mapsBefore := collFDs(t), bpfMappings(t)
			spec := varsSpec(t)
			mustSet(t, spec, "limit", uint32(5))
			mustSet(t, spec, "counter", uint64(1))
			mustSet(t, spec, "delta", int64(3))

			var prog *bpf.Program
			vars := map[string]*bpf.Variable{}
			var closeAll func() error
			if tc.assign {
				var objs struct {
					Prog    *bpf.Program  `bpf:"xdp_vars"`
					Counter *bpf.Variable `bpf:"counter"`
					Limit   *bpf.Variable `bpf:"limit"`
					Delta   *bpf.Variable `bpf:"delta"`
					Custom  *bpf.Variable `bpf:"custom"`
					LastLen *bpf.Variable `bpf:"last_len"`
				}
				if err := spec.LoadAndAssign(&objs, bpf.CollectionOptions{}); err != nil {
					t.Fatalf("%+v", err)
				}
				prog = objs.Prog
				vars = map[string]*bpf.Variable{"counter": objs.Counter, "limit": objs.Limit, "delta": objs.Delta, "custom": objs.Custom, "last_len": objs.LastLen}
				closeAll = func() error { return bpf.CloseAssigned(&objs) }
			} else {
				delete(spec.Programs, "xdp_broken") // never verifies
				c, err := bpf.NewCollection(spec)
				if err != nil {
					t.Fatalf("%+v", err)
				}
				prog, vars, closeAll = c.Programs["xdp_vars"], c.Variables, c.Close
			}
			for name, v := range vars {
				if v.Mapped() != tc.mmap {
					t.Errorf("%s: Mapped() = %v, want %v", name, v.Mapped(), tc.mmap)
				}
			}
			// counter starts at 1: runs 1-4 count to 5 (<= limit 5,
			// XDP_PASS), runs 5 and 6 count past the limit (XDP_DROP).
			got := varsRun(t, prog, 6)
			want := []uint32{2, 2, 2, 2, 1, 1}
			if !slicesEqual(got, want) {
				t.Errorf("verdicts %v, want %v (limit 5 from .rodata, counter from 1)", got, want)
			}
			var counter uint64
			var limit, lastLen uint32
			var custom uint64
			for _, g := range []struct {
				name string
				out  any
			}{{"counter", &counter}, {"limit", &limit}, {"last_len", &lastLen}, {"custom", &custom}} {
				if err := vars[g.name].Get(g.out); err != nil {
					t.Fatal(err)
				}
			}
			if counter != 7 || limit != 5 || lastLen != frameLen || custom != 5+6*3 {
				t.Errorf("after 6 runs: counter %d limit %d last_len %d custom %d; want 7, 5, %d, 23", counter, limit, lastLen, custom, frameLen)
			}
			// Written after load: the program sees it.
			if err := vars["counter"].Set(uint64(0)); err != nil {
				t.Fatal(err)
			}
			if err := vars["delta"].Set(int64(-23)); err != nil {
				t.Fatal(err)
			}
			if got := varsRun(t, prog, 1); got[0] != 2 {
				t.Errorf("verdict %d after counter reset, want XDP_PASS", got[0])
			}
			if err := vars["custom"].Get(&custom); err != nil || custom != 0 {
				t.Errorf("custom = %d (%v), want 0 (23 + delta -23)", custom, err)
			}
			if err := vars["limit"].Set(uint32(100)); !errors.Is(err, bpf.ErrReadOnly) {
				t.Errorf(".rodata Set after load: %v, want ErrReadOnly", err)
			}
			if err := closeAll(); err != nil {
				t.Fatal(err)
			}
			if err := vars["counter"].Get(&counter); err == nil {
				t.Error("Get after Close succeeded")
			}
			if fds, mappings := collFDs(t), bpfMappings(t); fds != fdsBefore || mappings != mapsBefore {
				t.Errorf("after Close: %d descriptors and %d map mappings, %d and %d before", fds, mappings, fdsBefore, mapsBefore)
			}
		})
	}
}

func slicesEqual(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRodataPruning shows that .rodata is frozen before the programs
// load: with bad_mode 0 the verifier knows the branch that reads the
// packet without a bounds check is dead; set to 1, the same program is
// rejected there.
func TestRodataPruning(t *testing.T) {
	testenv.RequirePrivileged(t)
	for _, tc := range []struct {
		badMode uint32
		ok      bool
	}{{0, true}, {1, false}} {
		spec := varsSpec(t)
		delete(spec.Programs, "xdp_broken")
		mustSet(t, spec, "bad_mode", tc.badMode)
		c, err := bpf.NewCollection(spec)
		if tc.ok {
			if err != nil {
				t.Fatalf("bad_mode %d: %+v", tc.badMode, err)
			}
			c.Close()
			continue
		}
		var verr *verifier.Error
		if !errors.As(err, &verr) || !strings.Contains(err.Error(), "xdp_vars") {
			c.Close()
			t.Fatalf("bad_mode %d: error %v, want a verifier rejection of xdp_vars", tc.badMode, err)
		}
	}
}

// TestVariableErrors checks the errors of bad input, before and after
// load.
func TestVariableErrors(t *testing.T) {
	testenv.RequirePrivileged(t)
	spec := varsSpec(t)
	type config struct {
		Mark       uint32
		Port       uint16
		Proto, Pad uint8
	}
	for _, tc := range []struct {
		variable string
		value    any
		want     string // "" for success
	}{
		{"counter", uint64(1), ""},
		{"counter", int64(-1), ""},
		{"counter", []byte{1, 2, 3, 4, 5, 6, 7, 8}, ""},
		{"counter", uint32(1), "a uint32 is 4 bytes, the variable (__u64) is 8"},
		{"counter", []byte{1}, "1 bytes given for a 8-byte variable (__u64)"},
		{"counter", float64(1), "does not fit a variable of type __u64"},
		{"counter", "string", "has no fixed size"},
		{"counter", nil, "nil value"},
		{"cfg", config{Mark: 1, Port: 2, Proto: 17}, ""},
		{"cfg", &config{Mark: 1}, ""},
		{"cfg", uint64(1), "does not fit a variable of type const volatile struct config"},
		{"limit", [4]byte{1, 2, 3, 4}, ""},
	} {
		err := spec.Variables[tc.variable].Set(tc.value)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Set(%s, %#v): %v", tc.variable, tc.value, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.variable)):
			t.Errorf("Set(%s, %#v): %v; want an error naming the variable and saying %q", tc.variable, tc.value, err, tc.want)
		}
	}
	var cfg config
	if err := spec.Variables["cfg"].Get(&cfg); err != nil || cfg != (config{Mark: 1}) {
		t.Errorf("cfg = %+v (%v) after the last Set", cfg, err)
	}
	// Copies made before a Set keep their values.
	cp := spec.Copy()
	mustSet(t, spec, "limit", uint32(9))
	var limit uint32
	if err := cp.Variables["limit"].Get(&limit); err != nil || limit != 0x04030201 {
		t.Errorf("copy's limit = %#x (%v), want 0x04030201 (set before the copy)", limit, err)
	}

	c, err := bpf.NewCollection(cp.Copy())
	if err == nil {
		c.Close()
		t.Fatal("vars.o loaded with xdp_broken")
	}
	delete(spec.Programs, "xdp_broken")
	c, err = bpf.NewCollection(spec)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	defer c.Close()
	for _, tc := range []struct {
		what string
		err  error
		want string
	}{
		{"Set on .rodata", c.Variables["limit"].Set(uint32(1)), "read-only after load"},
		{"Set of the wrong size", c.Variables["counter"].Set(uint8(1)), "a uint8 is 1 bytes"},
		{"Get of the wrong size", c.Variables["counter"].Get(new(uint32)), "a *uint32 is 4 bytes"},
		{"Get into a value", c.Variables["counter"].Get(uint64(0)), "want a pointer or a []byte"},
		{"Get into a short slice", c.Variables["cfg"].Get(make([]byte, 4)), "4-byte buffer for a 8-byte variable"},
		{"Get of a float from an integer", c.Variables["counter"].Get(new(float64)), "a *float64 does not fit a variable of type __u64"},
		{"Set of a float into an integer", c.Variables["counter"].Set(1.5), "a float64 does not fit a variable of type __u64"},
		{"Get of an integer from a struct", c.Variables["cfg"].Get(new(uint64)), "does not fit a variable of type const volatile struct config"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.what, tc.err, tc.want)
		}
	}
	if err := c.Variables["limit"].Get(&limit); err != nil || limit != 9 {
		t.Errorf("limit = %d (%v), want 9", limit, err)
	}
	if c.Maps[".rodata"].Flags()&maps.FlagMmapable == 0 || c.Maps[".data"].Flags()&maps.FlagMmapable == 0 {
		t.Errorf(".rodata flags %#x, .data flags %#x: want FlagMmapable", c.Maps[".rodata"].Flags(), c.Maps[".data"].Flags())
	}
	if c.Maps["other_map"].Flags()&maps.FlagMmapable != 0 {
		t.Error("other_map (no variables) got FlagMmapable")
	}
}

// TestLoadAndAssign checks that only what the struct names is loaded
// (vars.o's xdp_broken never verifies) and the errors for bad structs.
func TestLoadAndAssign(t *testing.T) {
	testenv.RequirePrivileged(t)
	spec := varsSpec(t)
	fdsBefore := collFDs(t)
	var objs struct {
		Vars  *bpf.Program `bpf:"xdp_vars"`
		Other struct {
			Map *maps.Map `bpf:"other_map"`
		}
		Embedded
		Untagged *bpf.Program
	}
	if err := spec.LoadAndAssign(&objs, bpf.CollectionOptions{}); err != nil {
		t.Fatalf("%+v", err)
	}
	if objs.Vars == nil || objs.Other.Map != nil || objs.Counter == nil || objs.Untagged != nil {
		t.Errorf("assigned %+v: want Vars and Counter (embedded) only; nested non-embedded structs are not walked", objs)
	}
	if got := varsRun(t, objs.Vars, 1)[0]; got != uint32(bpf.XDPPass) {
		t.Errorf("xdp_vars returned %d", got)
	}
	var counter uint64
	if err := objs.Counter.Get(&counter); err != nil || counter != 1 {
		t.Errorf("counter = %d (%v), want 1", counter, err)
	}
	if err := bpf.CloseAssigned(&objs); err != nil {
		t.Fatal(err)
	}
	if objs.Vars != nil || objs.Counter != nil {
		t.Error("CloseAssigned left fields set")
	}
	if fds := collFDs(t); fds != fdsBefore {
		t.Errorf("%d descriptors open after CloseAssigned, %d before", fds, fdsBefore)
	}

	var bad struct {
		P *bpf.Program `bpf:"xdp_vars"`
	}
	for _, tc := range []struct {
		what string
		to   any
		want string
	}{
		{"nil", nil, "want a non-nil pointer to a struct"},
		{"struct value", bad, "want a non-nil pointer to a struct"},
		{"unknown program", &struct {
			P *bpf.Program `bpf:"nope"`
		}{}, `field P: no program "nope" in the collection (programs: xdp_broken, xdp_other, xdp_vars)`},
		{"unknown map", &struct {
			M *maps.Map `bpf:"nope"`
		}{}, `field M: no map "nope"`},
		{"unknown variable", &struct {
			V *bpf.Variable `bpf:"nope"`
		}{}, `field V: no variable "nope"`},
		{"wrong type", &struct {
			P bpf.Program `bpf:"xdp_vars"`
		}{}, "field P (tag \"xdp_vars\"): type bpf.Program, want *bpf.Program, *maps.Map or *bpf.Variable"},
		{"unexported", &struct {
			p *bpf.Program `bpf:"xdp_vars"`
		}{}, "field p (tag \"xdp_vars\"): unexported"},
		{"empty tag", &struct {
			P *bpf.Program `bpf:""`
		}{}, "field P: empty bpf tag"},
		{"program that does not load", &struct {
			P *bpf.Program  `bpf:"xdp_broken"`
			V *bpf.Variable `bpf:"counter"`
		}{}, "xdp_broken"},
	} {
		err := spec.LoadAndAssign(tc.to, bpf.CollectionOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.what, err, tc.want)
		}
	}
	if fds := collFDs(t); fds != fdsBefore {
		t.Errorf("%d descriptors open after the failures, %d before", fds, fdsBefore)
	}
}

// Embedded is a struct embedded in TestLoadAndAssign's: its tagged
// fields are assigned too.
type Embedded struct {
	Counter *bpf.Variable `bpf:"counter"`
}

// TestLoadAndAssignProgArray loads a program that tail-calls through a
// program array: the array must be named (the kernel empties it when its
// last descriptor closes), and then the tail call target is loaded too.
func TestLoadAndAssignProgArray(t *testing.T) {
	testenv.RequirePrivileged(t)
	spec, err := elf.OpenWithOptions("elf/testdata/features.o", elf.Options{DefaultType: bpf.XDP})
	if err != nil {
		t.Fatal(err)
	}
	var without struct {
		Tail *bpf.Program `bpf:"xdp_tail"`
	}
	err = spec.LoadAndAssign(&without, bpf.CollectionOptions{})
	if err == nil || !strings.Contains(err.Error(), "program array jumps holds programs") || without.Tail != nil {
		bpf.CloseAssigned(&without)
		t.Fatalf("error %v, want one asking for a field naming jumps", err)
	}
	var with struct {
		Tail  *bpf.Program `bpf:"xdp_tail"`
		Jumps *maps.Map    `bpf:"jumps"`
	}
	if err := spec.LoadAndAssign(&with, bpf.CollectionOptions{}); err != nil {
		t.Fatalf("%+v", err)
	}
	defer bpf.CloseAssigned(&with)
	if got := collRun(t, with.Tail, packet.UDPv4(collCli, collHTTP, nil)); got != uint32(bpf.XDPTx) {
		t.Errorf("xdp_tail returned %d, want XDP_TX from tail_target through jumps", got)
	}
}

// BenchmarkVariableGet reads an 8-byte .bss variable through the mapping
// and through a map lookup (the fallback before 5.5), and writes it.
func BenchmarkVariableGet(b *testing.B) {
	testenv.RequirePrivileged(b)
	for _, mmap := range []bool{true, false} {
		name := "mmap"
		if !mmap {
			name = "syscall"
		}
		restore := bpf.SetMmapRefused(!mmap)
		spec := varsSpec(b)
		delete(spec.Programs, "xdp_broken")
		c, err := bpf.NewCollection(spec)
		restore()
		if err != nil {
			b.Fatal(err)
		}
		v := c.Variables["counter"]
		var x uint64
		b.Run("Get/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Get(&x); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Set/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Set(x); err != nil {
					b.Fatal(err)
				}
			}
		})
		c.Close()
	}
}

// TestVariableConcurrent reads and writes a variable from several
// goroutines while programs run, then closes it under them: no crash, and
// Get and Set fail cleanly afterwards (run with -race).
func TestVariableConcurrent(t *testing.T) {
	testenv.RequirePrivileged(t)
	for _, mmap := range []bool{true, false} {
		restore := bpf.SetMmapRefused(!mmap)
		spec := varsSpec(t)
		delete(spec.Programs, "xdp_broken")
		c, err := bpf.NewCollection(spec)
		restore()
		if err != nil {
			t.Fatal(err)
		}
		v := c.Variables["delta"]
		done := make(chan error, 4)
		for g := range 4 {
			go func() {
				var x int64
				var last error
				for i := range 2000 {
					if g%2 == 0 {
						last = v.Set(int64(i))
					} else {
						last = v.Get(&x)
					}
					if last != nil {
						break
					}
				}
				done <- last
			}()
		}
		varsRun(t, c.Programs["xdp_vars"], 10)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		for range 4 {
			if err := <-done; err != nil && !errors.Is(err, maps.ErrClosed) && !strings.Contains(err.Error(), "closed") {
				t.Errorf("mmap %v: %v", mmap, err)
			}
		}
		if err := v.Set(int64(1)); err == nil {
			t.Errorf("mmap %v: Set after Close succeeded", mmap)
		}
	}
}
