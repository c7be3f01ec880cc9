package check

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/purebpf/bpf/verifier"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
)

// kernelEnv holds real maps for loading generated programs.
type kernelEnv struct {
	maps map[string]*maps.Map
	// progArrays: a program array belongs to the first program type that
	// uses it, so each type gets its own.
	progArrays map[kernel.ProgramType]*maps.Map
	fds        map[int]*maps.Spec
}

var (
	envOnce sync.Once
	envVal  *kernelEnv
	envErr  error
)

func loadEnv(t testing.TB) *kernelEnv {
	testenv.RequirePrivileged(t)
	envOnce.Do(func() {
		env := &kernelEnv{maps: map[string]*maps.Map{}, fds: map[int]*maps.Spec{}, progArrays: map[kernel.ProgramType]*maps.Map{}}
		for _, typ := range []kernel.ProgramType{kernel.XDP, kernel.SchedCLS, kernel.SchedACT, kernel.SocketFilter} {
			m, err := maps.New(&maps.Spec{Name: "progs_" + typ.String(), Type: kernel.MapProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 4})
			if err != nil {
				envErr = err
				return
			}
			env.progArrays[typ] = m
		}
		for name, info := range testMaps {
			spec := &maps.Spec{Name: name, Type: info.Type, KeySize: info.KeySize, ValueSize: info.ValueSize, MaxEntries: info.MaxEntries, Flags: info.Flags, InnerMap: info.InnerMap}
			m, err := maps.New(spec)
			if err != nil {
				envErr = fmt.Errorf("create map %s: %w", name, err)
				return
			}
			env.maps[name] = m
			env.fds[m.FD()] = spec
		}
		envVal = env
	})
	if envErr != nil {
		t.Fatal(envErr)
	}
	return envVal
}

// kernelVerdict loads p and returns nil or the kernel's rejection (with
// the last line of its log).
func (env *kernelEnv) kernelVerdict(p genProg, logLevel uint32) (string, error) {
	insns := append(asm.Instructions(nil), p.insns...)
	for i := range insns {
		if insns[i].IsLoadFromMap() && !insns[i].IsMapResolved() {
			m, ok := env.maps[insns[i].Reference()]
			if insns[i].Reference() == "progs" {
				m = env.progArrays[p.typ]
			}
			if !ok {
				return "", fmt.Errorf("unknown map %q", insns[i].Reference())
			}
			insns[i].SetMapFD(m.FD())
		}
	}
	code, err := insns.Encode(binary.NativeEndian)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	license := append([]byte(p.license), 0)
	attr := sys.ProgLoadAttr{
		ProgType: uint32(p.typ),
		InsnCnt:  uint32(len(code) / 8),
		Insns:    sys.NewPointer(unsafe.Pointer(&code[0])),
		License:  sys.NewPointer(unsafe.Pointer(&license[0])),
	}
	var log []byte
	if logLevel != 0 {
		log = make([]byte, 1<<20)
		attr.LogLevel, attr.LogSize, attr.LogBuf = logLevel, uint32(len(log)), sys.NewPointer(unsafe.Pointer(&log[0]))
	}
	fd, err := sys.ProgLoad(&attr)
	if err == nil {
		fd.Close()
		return sys.CString(log), nil
	}
	if logLevel == 0 {
		text, _ := env.kernelVerdict(p, 1)
		return text, err
	}
	return sys.CString(log), err
}

func lastLine(log string) string {
	lines := strings.Split(strings.TrimSpace(log), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := lines[i]; l != "" && !strings.HasPrefix(l, "processed ") && !strings.HasPrefix(l, "verification time") && !strings.HasPrefix(l, "stack depth") {
			return l
		}
	}
	return ""
}

func checkOpts(p genProg) progEnv {
	return progEnv{Program: p.name, ProgramType: p.typ, License: p.license, Maps: testMaps}
}

// outcome compares Check with the kernel for one program.
type outcome struct {
	p      genProg
	ours   error
	kernel error
	klog   string
}

func (o outcome) falseAccept() bool { return o.ours == nil && o.kernel != nil }
func (o outcome) falseReject() bool { return o.ours != nil && o.kernel == nil }

func (o outcome) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s, %s]: ours=%v kernel=", o.p.name, o.p.class, o.p.typ, o.ours)
	if o.kernel == nil {
		b.WriteString("accepted")
	} else {
		fmt.Fprintf(&b, "%q", lastLine(o.klog))
	}
	return b.String()
}

func compare(t testing.TB, env *kernelEnv, p genProg) outcome {
	ours := checkInsns(p.insns, checkOpts(p))
	var e *verifier.Error
	if ours != nil && !errors.As(ours, &e) {
		t.Fatalf("%s: Check returned %T, want *verifier.Error", p.name, ours)
	}
	klog, kerr := env.kernelVerdict(p, 0)
	return outcome{p: p, ours: ours, kernel: kerr, klog: klog}
}

// corpusSeed and corpusSize define the fixed corpus run in CI.
const (
	corpusSeed = 20240609
	corpusSize = 2400
)

// figures are the counts of a differential run.
type figures struct {
	Programs, FalseAccepts, FalseRejects int
}

func (f figures) String() string {
	return fmt.Sprintf("%d programs, %d agree, %d false accepts, %d false rejects",
		f.Programs, f.Programs-f.FalseAccepts-f.FalseRejects, f.FalseAccepts, f.FalseRejects)
}

// recorded are the figures KNOWN_DIFFERENCES.md states, by run and kernel
// series. A run on a series listed here must give exactly these figures
// (update both when they change); on another series it must give no false
// accept, and its figures are logged for recording.
var recorded = map[string]map[string]figures{
	"project": {
		"6.18": {Programs: 15},
	},
	"corpus": { // seed 20240609, 2400 programs
		"6.18": {Programs: 2400},
	},
	// PUREBPF_VERIFIER_LONG=1: seeds 1 to 7, 5000 programs each.
	"seed1": {"6.18": {Programs: 5000}},
	"seed2": {"6.18": {Programs: 5000, FalseRejects: 4}},
	"seed3": {"6.18": {Programs: 5000, FalseRejects: 3}},
	"seed4": {"6.18": {Programs: 5000, FalseRejects: 2}},
	"seed5": {"6.18": {Programs: 5000, FalseRejects: 1}},
	"seed6": {"6.18": {Programs: 5000, FalseRejects: 1}},
	"seed7": {"6.18": {Programs: 5000}},
}

// runningSeries returns "major.minor" of the running kernel.
func runningSeries(t testing.TB) string {
	v, err := kernel.RunningVersion()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d.%d", v.Major, v.Minor)
}

// report logs the outcomes of a run and returns its figures.
func report(t *testing.T, outs []outcome) figures {
	var f figures
	byClass := map[string][3]int{}
	for _, o := range outs {
		cl := o.p.class
		if i := strings.IndexByte(cl, '/'); i >= 0 {
			cl = cl[:i]
		}
		c := byClass[cl]
		switch {
		case o.falseAccept():
			f.FalseAccepts++
			c[1]++
			t.Errorf("FALSE ACCEPT %v", o)
		case o.falseReject():
			f.FalseRejects++
			c[2]++
			t.Logf("false reject %v", o)
		default:
			c[0]++
		}
		byClass[cl] = c
	}
	f.Programs = len(outs)
	classes := make([]string, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	var b strings.Builder
	for _, c := range classes {
		v := byClass[c]
		fmt.Fprintf(&b, "  %-12s agree %4d  false accepts %d  false rejects %d\n", c, v[0], v[1], v[2])
	}
	t.Logf("%v\n%s", f, b.String())
	return f
}

// assertRecorded compares the figures of run with the recorded ones for
// the running kernel's series.
func assertRecorded(t *testing.T, run string, got figures) {
	series := runningSeries(t)
	if got.FalseAccepts != 0 {
		t.Errorf("%s on Linux %s: %d false accepts", run, series, got.FalseAccepts)
	}
	want, ok := recorded[run][series]
	if !ok {
		t.Logf("%s on Linux %s: no recorded figures; record %#v in harness_test.go and KNOWN_DIFFERENCES.md", run, series, got)
		return
	}
	if got != want {
		t.Errorf("%s on Linux %s: %v, recorded %v (KNOWN_DIFFERENCES.md): update both if the change is understood", run, series, got, want)
	}
}

// TestDifferentialProjectPrograms compares Check with the kernel on the
// programs of the project's examples and tests.
func TestDifferentialProjectPrograms(t *testing.T) {
	env := loadEnv(t)
	var outs []outcome
	for _, p := range projectPrograms() {
		o := compare(t, env, p)
		if o.falseReject() {
			t.Errorf("false reject of a project program: %v", o)
		}
		outs = append(outs, o)
	}
	assertRecorded(t, "project", report(t, outs))
}

// TestDifferentialCorpus compares Check with the kernel on the fixed corpus
// of generated programs and checks the recorded figures.
func TestDifferentialCorpus(t *testing.T) {
	env := loadEnv(t)
	n := corpusSize
	seed := uint64(corpusSeed)
	// -short, PUREBPF_VERIFIER_SEED and PUREBPF_VERIFIER_N explore other
	// corpora: then only false accepts fail.
	explore := false
	if testing.Short() {
		n, explore = 400, true
	}
	if v := os.Getenv("PUREBPF_VERIFIER_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
		explore = true
	}
	if v := os.Getenv("PUREBPF_VERIFIER_N"); v != "" {
		n, _ = strconv.Atoi(v)
		explore = true
	}
	outs := make([]outcome, 0, n)
	for i := 0; i < n; i++ {
		outs = append(outs, compare(t, env, generate(seed, i)))
	}
	f := report(t, outs)
	if os.Getenv("PUREBPF_VERIFIER_DUMP") != "" {
		for _, o := range outs {
			t.Logf("%v", o)
		}
	}
	if !explore {
		assertRecorded(t, "corpus", f)
	}
}

// TestDifferentialSeeds compares Check with the kernel on seeds 1 to 7
// (35,000 programs, about 2 minutes) and checks the recorded figures.
func TestDifferentialSeeds(t *testing.T) {
	if os.Getenv("PUREBPF_VERIFIER_LONG") == "" {
		t.Skip("long differential run (35,000 programs): set PUREBPF_VERIFIER_LONG=1")
	}
	env := loadEnv(t)
	for seed := uint64(1); seed <= 7; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			outs := make([]outcome, 0, 5000)
			for i := 0; i < 5000; i++ {
				outs = append(outs, compare(t, env, generate(seed, i)))
			}
			assertRecorded(t, fmt.Sprintf("seed%d", seed), report(t, outs))
		})
	}
}

// FuzzDifferential generates a program from the fuzzer's seed and index and
// fails on a false accept.
func FuzzDifferential(f *testing.F) {
	for i := 0; i < 32; i++ {
		f.Add(uint64(corpusSeed), uint16(i))
	}
	f.Fuzz(func(t *testing.T, seed uint64, i uint16) {
		env := loadEnv(t)
		o := compare(t, env, generate(seed, int(i)))
		if o.falseAccept() {
			t.Fatalf("false accept: %v", o)
		}
	})
}

// FuzzCheck feeds arbitrary instruction streams to Check: it must never
// panic, and it must return nil or an *verifier.Error.
func FuzzCheck(f *testing.F) {
	code, _ := asm.Instructions{asm.Mov.Imm(asm.R0, 1), asm.Return()}.Encode(binary.LittleEndian)
	f.Add(code, uint8(6))
	code, _ = xdp1().Encode(binary.LittleEndian)
	f.Add(code, uint8(6))
	f.Fuzz(func(t *testing.T, code []byte, typ uint8) {
		insns, err := asm.Decode(code, binary.LittleEndian)
		if err != nil {
			return
		}
		// typ picks the program type and the kernel version.
		pt := []kernel.ProgramType{kernel.XDP, kernel.SchedCLS, kernel.SocketFilter}[int(typ)%3]
		kv := series[int(typ)/3%len(series)]
		err = checkInsns(insns, progEnv{ProgramType: pt, License: "GPL", MapsByFD: map[int]*maps.Spec{}, MaxProcessed: 20000, KernelVersion: kv})
		var e *verifier.Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("Check returned %T", err)
		}
	})
}
