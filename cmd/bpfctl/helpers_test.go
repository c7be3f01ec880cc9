package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/bpftest"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
)

// bpfctl runs the command in-process and returns its output and status.
func bpfctl(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return o.String(), e.String(), code
}

// mustBpfctl runs the command and fails the test unless it succeeds.
func mustBpfctl(t testing.TB, args ...string) string {
	t.Helper()
	o, e, code := bpfctl(t, args...)
	if code != 0 {
		t.Fatalf("bpfctl %s: exit %d: %s", strings.Join(args, " "), code, e)
	}
	if e != "" {
		t.Fatalf("bpfctl %s: unexpected stderr %q", strings.Join(args, " "), e)
	}
	return o
}

// tool runs an installed tool (bpftool, ip, tc): when it is absent the
// test skips, or fails under PUREBPF_REQUIRE_PRIVILEGED=1.
func tool(t testing.TB, name string, args ...string) string {
	t.Helper()
	testenv.RequireTool(t, name)
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, msg)
	}
	return string(out)
}

func unmarshal(t testing.TB, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("bad JSON %q: %v", s, err)
	}
}

// fixture is a program using maps of several shapes, with known contents.
type fixture struct {
	prog                    *bpf.Program
	progID                  uint32
	hash, percpu, big, wide *maps.Map
	mapIDs                  []maps.ID // hash, percpu, big, wide
	names                   []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	bpftest.RequirePrivileged(t)
	f := &fixture{}
	// Map names are unique per fixture: closed maps linger by name until
	// the kernel frees them.
	sfx := strconv.FormatUint(uint64(rand.Uint32()), 36)
	f.names = []string{"h_" + sfx, "pc_" + sfx, "b_" + sfx, "w_" + sfx}
	mk := func(s *maps.Spec) *maps.Map {
		m, err := maps.New(s)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		f.mapIDs = append(f.mapIDs, m.ID())
		return m
	}
	f.hash = mk(&maps.Spec{Name: f.names[0], Type: maps.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 16})
	f.percpu = mk(&maps.Spec{Name: f.names[1], Type: maps.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 4})
	f.big = mk(&maps.Spec{Name: f.names[2], Type: maps.Array, KeySize: 4, ValueSize: 20, MaxEntries: 3})
	f.wide = mk(&maps.Spec{Name: f.names[3], Type: maps.Hash, KeySize: 20, ValueSize: 40, MaxEntries: 3})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.hash.Update(uint32(7), uint64(0x1122334455), maps.UpdateAny))
	must(f.hash.Update(uint32(9), uint64(1), maps.UpdateAny))
	big := make([]byte, 20)
	for i := range big {
		big[i] = byte(i * 3)
	}
	must(f.big.Update(uint32(1), big, maps.UpdateAny))
	k, v := make([]byte, 20), make([]byte, 40)
	k[0] = 1
	for i := range v {
		v[i] = byte(i)
	}
	must(f.wide.Update(k, v, maps.UpdateAny))
	cpus, err := maps.PossibleCPUs()
	must(err)
	vals := make([]uint64, cpus)
	for i := range vals {
		vals[i] = uint64(5 + i)
	}
	must(f.percpu.UpdatePerCPU(uint32(2), vals, maps.UpdateAny))

	lookup := func(m string) asm.Instructions {
		return asm.Instructions{
			asm.StoreImm(asm.R10, -4, 0, asm.Word),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -4),
			asm.LoadMapPtr(asm.R1, m),
			asm.Call(asm.FnMapLookupElem),
		}
	}
	insns := append(lookup(f.names[0]), lookup(f.names[1])...)
	insns = append(insns, asm.Call(asm.FnKtimeGetNs), asm.Mov.Imm(asm.R0, int32(bpf.XDPPass)), asm.Return())
	f.prog, err = bpf.NewProgramWithOptions(&bpf.ProgramSpec{Name: "ctl_prog", Type: bpf.XDP, License: "GPL", Instructions: insns},
		bpf.ProgramOptions{Maps: map[string]bpf.MapFD{f.names[0]: f.hash, f.names[1]: f.percpu}})
	must(err)
	t.Cleanup(func() { f.prog.Close() })
	info, err := f.prog.Info()
	must(err)
	f.progID = uint32(info.ID)
	return f
}

func itoa[T ~uint32](v T) string { return strconv.FormatUint(uint64(v), 10) }
