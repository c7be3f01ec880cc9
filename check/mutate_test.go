package check

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
	"github.com/purebpf/bpf/verifier"
)

// The mutation differential (issue 16): the programs of the repository's
// committed objects are encoded with real map descriptors, mutated at the
// byte level (random bytes and bits, instruction fields, reserved fields,
// helper ids, registers, constants and jump offsets, opcodes, copied and
// swapped instructions) from a seed, decoded and checked; every mutant the
// checker accepts is loaded into the running kernel (with the object's
// func_info when the length is unchanged), and a kernel rejection is a
// false accept, which fails the test. Every false accept ever found is kept
// in testdata/mutants.txt and replayed by TestMutationCorpus.
//
// Environment: PUREBPF_MUTANTS (number of mutants, default 3000, 600 with
// -short), PUREBPF_MUTATION_SEED (default mutationSeed),
// PUREBPF_MUTANTS_RECORD=1 appends new false accepts to the corpus,
// PUREBPF_MUTANTS_ALL=1 also counts false ErrRejected verdicts,
// PUREBPF_MUTATION_OBJECTS (space-separated globs, relative to check/)
// mutates the programs of these objects instead, of every modelled type
// (such as testdata/progs/flow_dissector.o).

const mutationSeed = 16

// mutationBase is one program of a committed object, ready to load.
type mutationBase struct {
	object, name string
	spec         *bpf.ProgramSpec
	code         []byte // encoded, map loads resolved
	fds          map[int]*maps.Spec
	globals      map[int]*globalProto
	funcStarts   []int
	lines        []int
	special      map[*maps.Spec]bool
	funcInfo     []byte
	lineInfo     []byte
	btfFD        *sys.FD
}

var (
	mutOnce  sync.Once
	mutBases []*mutationBase
	mutErr   error
	// mutKeep holds the collections whose maps the bases use.
	mutKeep []*bpf.Collection
)

// mutationObjects are the committed objects whose programs are mutated
// (PUREBPF_MUTATION_OBJECTS, space-separated globs, replaces the list).
func mutationObjects() ([]string, error) {
	var out []string
	pats := []string{"../examples/*/bpf/*.o", "../elf/testdata/*.o", "testdata/*.o", "testdata/progs/callbacks.o", "testdata/progs/timers.o"}
	if g := os.Getenv("PUREBPF_MUTATION_OBJECTS"); g != "" {
		pats = strings.Fields(g)
	}
	for _, pat := range pats {
		m, err := filepath.Glob(pat)
		if err != nil {
			return nil, err
		}
		for _, p := range m {
			if !strings.Contains(p, "bpfeb") {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

func loadMutationBases(t testing.TB) []*mutationBase {
	testenv.RequirePrivileged(t)
	mutOnce.Do(func() {
		// objectBases asks ctxModels which program types are modelled:
		// the tables are built on the first check, maybe not yet.
		ensureTables()
		objs, err := mutationObjects()
		if err != nil {
			mutErr = err
			return
		}
		for _, obj := range objs {
			mutBases = append(mutBases, objectBases(obj)...)
		}
		if os.Getenv("PUREBPF_MUTATION_OBJECTS") != "" {
			if len(mutBases) == 0 {
				mutErr = errors.New("PUREBPF_MUTATION_OBJECTS: no program of these objects can be mutated")
			}
			return
		}
		gens, err := generatedBases(t)
		if err != nil {
			mutErr = err
			return
		}
		mutBases = append(mutBases, gens...)
		if len(mutBases) == 0 {
			mutErr = errors.New("no program of the committed objects can be mutated")
		}
	})
	if mutErr != nil {
		t.Fatal(mutErr)
	}
	return mutBases
}

// objectBases prepares the programs of obj that the checker models and
// whose references all resolve to maps (no externs, no kfuncs).
func objectBases(obj string) []*mutationBase {
	cs, err := elf.Open(obj)
	if err != nil {
		return nil
	}
	name := filepath.Base(obj)
	var names []string
	for n, p := range cs.Programs {
		switch _, modelled := ctxModels[p.Type]; {
		case p.Type == bpf.SocketFilter, p.Type == bpf.SchedCLS, p.Type == bpf.SchedACT, p.Type == bpf.XDP:
			names = append(names, n)
		case modelled && os.Getenv("PUREBPF_MUTATION_OBJECTS") != "":
			// The other modelled types, for the objects named.
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	// Create the object's maps (not its programs), unpinned.
	onlyMaps := cs.Copy()
	onlyMaps.Programs = nil
	for _, m := range onlyMaps.Maps {
		m.Pinning, m.PinPath = maps.PinNone, ""
	}
	coll, err := bpf.NewCollection(onlyMaps)
	if err != nil {
		return nil
	}
	mutKeep = append(mutKeep, coll)
	var btfFD *sys.FD
	if cs.BTF != nil {
		if raw, err := cs.BTF.Marshal(binary.NativeEndian); err == nil {
			attr := sys.BTFLoadAttr{BTF: sys.SlicePointer(raw), BTFSize: uint32(len(raw))}
			btfFD, _ = sys.BTFLoad(&attr)
		}
	}
	special := specialValues(cs.Maps)
	var out []*mutationBase
	for _, n := range names {
		spec := cs.Programs[n]
		r, err := spec.RelocateCORE(nil)
		if err != nil {
			continue
		}
		insns := slices.Clone(r.Spec.Instructions)
		fds := map[int]*maps.Spec{}
		ok := true
		for i := range insns {
			ins := &insns[i]
			if ins.IsKfuncCall() || (ins.OpCode == asm.LdImmDW && ins.Src != 0 && !ins.IsLoadFromMap() && !ins.IsLoadOfFunctionPointer()) {
				ok = false
				break
			}
			if !ins.IsLoadFromMap() || ins.IsMapResolved() {
				continue
			}
			m, found := coll.Maps[ins.Reference()]
			if !found {
				ok = false
				break
			}
			ins.SetMapFD(m.FD())
			fds[m.FD()] = cs.Maps[ins.Reference()]
		}
		if !ok {
			continue
		}
		code, err := insns.Encode(binary.NativeEndian)
		if err != nil {
			continue
		}
		b := &mutationBase{object: name, name: n, spec: r.Spec, code: code, fds: fds, special: special}
		// The func info the loader would send (line info is optional
		// for the kernel and left out).
		if starts, globals := funcInfo(r.Spec); btfFD != nil && starts != nil {
			b.btfFD, b.funcStarts, b.globals = btfFD, starts, globals
			k := 0
			for _, ins := range r.Spec.Instructions {
				if fn := ins.Func(); fn != nil {
					b.funcInfo = binary.NativeEndian.AppendUint32(b.funcInfo, uint32(starts[k]))
					b.funcInfo = binary.NativeEndian.AppendUint32(b.funcInfo, uint32(fn.Type))
					k++
				}
			}
		}
		out = append(out, b)
	}
	return out
}

// generatedBases are the project programs (projectprogs_test.go) and the
// first mutationGenerated programs of the fixed corpus (seed corpusSeed),
// which reach helpers, ring buffers, legacy packet loads and program types
// the committed objects do not; their object name is "gen".
func generatedBases(t testing.TB) ([]*mutationBase, error) {
	env := loadEnv(t)
	progs := projectPrograms()
	for i := 0; i < mutationGenerated; i++ {
		progs = append(progs, generate(corpusSeed, i))
	}
	var out []*mutationBase
	for _, p := range progs {
		insns := slices.Clone(p.insns)
		fds := map[int]*maps.Spec{}
		for i := range insns {
			if !insns[i].IsLoadFromMap() || insns[i].IsMapResolved() {
				continue
			}
			ref := insns[i].Reference()
			m := env.maps[ref]
			if ref == "progs" {
				m = env.progArrays[p.typ]
			}
			if m == nil {
				return nil, fmt.Errorf("generated program %s: unknown map %q", p.name, ref)
			}
			insns[i].SetMapFD(m.FD())
			fds[m.FD()] = testMaps[ref]
		}
		code, err := insns.Encode(binary.NativeEndian)
		if err != nil {
			return nil, fmt.Errorf("generated program %s: %w", p.name, err)
		}
		out = append(out, &mutationBase{object: "gen", name: p.name, code: code, fds: fds,
			spec: &bpf.ProgramSpec{Name: p.name, Type: p.typ, License: p.license}})
	}
	return out, nil
}

// mutationGenerated is the number of corpus programs mutated.
const mutationGenerated = 600

// check runs the checker on code (a mutant of b): nil when accepted.
func (b *mutationBase) check(code []byte) (error, bool) {
	insns, err := asm.Decode(code, binary.NativeEndian)
	if err != nil {
		return err, false
	}
	var starts, lines []int
	var globals map[int]*globalProto
	if len(code) == len(b.code) {
		globals, starts, lines = b.globals, b.funcStarts, b.lines
	}
	return checkInsns(insns, progEnv{
		Program:       b.name,
		ProgramType:   b.spec.Type,
		AttachType:    b.spec.AttachType,
		License:       b.spec.License,
		MapsByFD:      b.fds,
		GlobalFuncs:   globals,
		FuncInfo:      starts,
		LineInfo:      lines,
		SpecialValues: b.special,
		MaxProcessed:  200_000,
	}), true
}

// load loads code into the kernel as b's program; with a log, the last
// line of the verifier's log is returned.
func (b *mutationBase) load(code []byte, withLog bool) (string, error) {
	license := append([]byte(b.spec.License), 0)
	attr := sys.ProgLoadAttr{
		ProgType:           uint32(b.spec.Type),
		ExpectedAttachType: uint32(b.spec.AttachType),
		ProgFlags:          uint32(b.spec.Flags),
		InsnCnt:            uint32(len(code) / 8),
		Insns:              sys.NewPointer(unsafe.Pointer(&code[0])),
		License:            sys.NewPointer(unsafe.Pointer(&license[0])),
	}
	if b.btfFD != nil && len(code) == len(b.code) {
		attr.ProgBTFFD = uint32(b.btfFD.Int())
		attr.FuncInfoRecSize, attr.FuncInfoCnt = 8, uint32(len(b.funcInfo)/8)
		attr.FuncInfo = sys.NewPointer(unsafe.Pointer(&b.funcInfo[0]))
		if len(b.lineInfo) > 0 {
			attr.LineInfoRecSize, attr.LineInfoCnt = 16, uint32(len(b.lineInfo)/16)
			attr.LineInfo = sys.NewPointer(unsafe.Pointer(&b.lineInfo[0]))
		}
	}
	var log []byte
	if withLog {
		log = make([]byte, 1<<22)
		attr.LogLevel, attr.LogSize, attr.LogBuf = 1, uint32(len(log)), sys.NewPointer(unsafe.Pointer(&log[0]))
	}
	fd, err := sys.ProgLoad(&attr)
	if err == nil {
		fd.Close()
	}
	return lastLine(sys.CString(log)), err
}

// mutation is a change of single bytes of a base program's encoding: the
// form kept in the corpus (descriptors differ between runs, so the
// mutant is re-derived from the base).
type mutation struct {
	at  []int
	val []byte
}

func (m *mutation) set(code []byte, at int, v byte) {
	if code[at] != v {
		m.at, m.val = append(m.at, at), append(m.val, v)
		code[at] = v
	}
}

func (m mutation) String() string {
	parts := make([]string, len(m.at))
	for i := range m.at {
		parts[i] = fmt.Sprintf("%d:%02x", m.at[i], m.val[i])
	}
	return strings.Join(parts, ",")
}

func parseMutation(s string) (mutation, error) {
	var m mutation
	for _, part := range strings.Split(s, ",") {
		at, val, ok := strings.Cut(part, ":")
		a, err1 := strconv.Atoi(at)
		v, err2 := strconv.ParseUint(val, 16, 8)
		if !ok || err1 != nil || err2 != nil {
			return m, fmt.Errorf("bad mutation %q", part)
		}
		m.at, m.val = append(m.at, a), append(m.val, byte(v))
	}
	return m, nil
}

func (m mutation) apply(base []byte) ([]byte, error) {
	code := slices.Clone(base)
	for i, at := range m.at {
		if at < 0 || at >= len(code) {
			return nil, fmt.Errorf("mutation offset %d outside %d bytes", at, len(code))
		}
		code[at] = m.val[i]
	}
	return code, nil
}

// mutate applies one to three random mutations to a copy of base.
func mutate(r *rand.Rand, base []byte) ([]byte, mutation) {
	code := slices.Clone(base)
	var m mutation
	n := len(code) / 8
	small := func() int64 { return int64(r.IntN(17)) - 8 }
	setImm := func(slot int, v int64) {
		var b [4]byte
		binary.NativeEndian.PutUint32(b[:], uint32(v))
		for i := range b {
			m.set(code, slot*8+4+i, b[i])
		}
	}
	setOff := func(slot int, v int64) {
		var b [2]byte
		binary.NativeEndian.PutUint16(b[:], uint16(v))
		m.set(code, slot*8+2, b[0])
		m.set(code, slot*8+3, b[1])
	}
	imm := func(slot int) int64 { return int64(int32(binary.NativeEndian.Uint32(code[slot*8+4:]))) }
	off := func(slot int) int64 { return int64(int16(binary.NativeEndian.Uint16(code[slot*8+2:]))) }
	regs := func(dst, src byte) byte {
		if isBigEndianHost() {
			return dst<<4 | src&0xf
		}
		return src<<4 | dst&0xf
	}
	dstOf := func(slot int) byte {
		if isBigEndianHost() {
			return code[slot*8+1] >> 4
		}
		return code[slot*8+1] & 0xf
	}
	srcOf := func(slot int) byte {
		if isBigEndianHost() {
			return code[slot*8+1] & 0xf
		}
		return code[slot*8+1] >> 4
	}
	reg := func() byte {
		if r.IntN(10) == 0 {
			return byte(11 + r.IntN(5))
		}
		return byte(r.IntN(11))
	}
	for k := 1 + r.IntN(3); k > 0; k-- {
		s := r.IntN(n)
		switch r.IntN(11) {
		case 0: // random byte
			m.set(code, s*8+r.IntN(8), byte(r.Uint32()))
		case 1: // bit flip
			at := s*8 + r.IntN(8)
			m.set(code, at, code[at]^1<<r.IntN(8))
		case 2: // a reserved (or any) field made small and non-zero
			switch r.IntN(4) {
			case 0:
				setOff(s, 1+int64(r.IntN(4)))
			case 1:
				setImm(s, []int64{1, -1, 8, 16, 32, 64}[r.IntN(6)])
			case 2:
				m.set(code, s*8+1, regs(dstOf(s), byte(1+r.IntN(10))))
			case 3:
				m.set(code, s*8+1, regs(byte(1+r.IntN(10)), srcOf(s)))
			}
		case 3: // helper id
			var calls []int
			for i := 0; i < n; i++ {
				if code[i*8] == 0x85 && srcOf(i) == 0 {
					calls = append(calls, i)
				}
			}
			if len(calls) > 0 {
				setImm(calls[r.IntN(len(calls))], int64(r.IntN(215)))
			} else {
				setImm(s, int64(r.IntN(215)))
			}
		case 4: // registers
			if r.IntN(2) == 0 {
				m.set(code, s*8+1, regs(reg(), srcOf(s)))
			} else {
				m.set(code, s*8+1, regs(dstOf(s), reg()))
			}
		case 5: // constant off by a little
			setImm(s, imm(s)+small())
		case 6: // offset (jump or memory) off by a little
			setOff(s, off(s)+small())
		case 7: // opcode from the program, or any
			if r.IntN(2) == 0 {
				m.set(code, s*8, code[r.IntN(n)*8])
			} else {
				m.set(code, s*8, byte(r.Uint32()))
			}
		case 8: // copy an instruction over another
			from := r.IntN(n)
			for i := 0; i < 8; i++ {
				m.set(code, s*8+i, code[from*8+i])
			}
		case 9: // swap neighbours
			if s+1 < n {
				a, b := slices.Clone(code[s*8:s*8+8]), slices.Clone(code[s*8+8:s*8+16])
				for i := 0; i < 8; i++ {
					m.set(code, s*8+i, b[i])
					m.set(code, s*8+8+i, a[i])
				}
			}
		case 10: // compare against a constant changed to its neighbour
			op := code[s*8]
			if op&7 == 5 || op&7 == 6 {
				setImm(s, imm(s)+[]int64{-1, 1}[r.IntN(2)])
			} else {
				setImm(s, imm(s)+small())
			}
		}
	}
	return code, m
}

func isBigEndianHost() bool {
	return binary.NativeEndian.Uint16([]byte{0, 1}) == 1
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// mutationStats counts what happened to the mutants of one run.
type mutationStats struct {
	mutants, undecodable, accepted, unsupported, rejected, falseAccepts, falseRejects int
}

// TestMutationDifferential mutates the committed objects' programs and
// fails on any mutant the checker accepts and the kernel rejects.
func TestMutationDifferential(t *testing.T) {
	bases := loadMutationBases(t)
	n := envInt("PUREBPF_MUTANTS", 3000)
	if testing.Short() {
		n = min(n, 600)
	}
	seed := uint64(envInt("PUREBPF_MUTATION_SEED", mutationSeed))
	r := rand.New(rand.NewPCG(seed, 0x16))
	var st mutationStats
	var found, rejectSamples []string
	// PUREBPF_MUTANTS_ALL=1 also loads the mutants the checker rejects,
	// to count false ErrRejected verdicts (logged, not failures).
	loadAll := os.Getenv("PUREBPF_MUTANTS_ALL") == "1"
	for i := 0; i < n; i++ {
		b := bases[r.IntN(len(bases))]
		code, m := mutate(r, b.code)
		st.mutants++
		err, decoded := b.check(code)
		switch {
		case !decoded:
			st.undecodable++
			continue
		case errors.Is(err, ErrUnsupported):
			st.unsupported++
			continue
		case err != nil:
			st.rejected++
			if loadAll {
				if _, kerr := b.load(code, false); kerr == nil {
					st.falseRejects++
					if len(rejectSamples) < 20 {
						rejectSamples = append(rejectSamples, fmt.Sprintf("%s %s %s: %v", b.object, b.name, m, err))
					}
				}
			}
			continue
		}
		st.accepted++
		if _, kerr := b.load(code, false); kerr == nil {
			continue
		}
		st.falseAccepts++
		msg, _ := b.load(code, true)
		line := fmt.Sprintf("%s %s %s # seed %d mutant %d: %s", b.object, b.name, m, seed, i, msg)
		found = append(found, line)
		t.Errorf("false accept: %s", line)
	}
	t.Logf("seed %d: %d mutants of %d programs: %d undecodable, %d accepted (all loaded), %d ErrUnsupported, %d ErrRejected; %d false accepts",
		seed, st.mutants, len(bases), st.undecodable, st.accepted, st.unsupported, st.rejected, st.falseAccepts)
	if loadAll {
		t.Logf("%d of the ErrRejected mutants are accepted by the kernel (false ErrRejected), for example:\n%s", st.falseRejects, strings.Join(rejectSamples, "\n"))
	}
	if len(found) > 0 && os.Getenv("PUREBPF_MUTANTS_RECORD") == "1" {
		f, err := os.OpenFile("testdata/mutants.txt", os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, l := range found {
			fmt.Fprintln(f, l)
		}
	}
}

// TestMutationCorpus replays every false accept the mutation differential
// ever found (testdata/mutants.txt: object, program, byte changes of the
// program's encoding, and the kernel's message): the checker must not
// accept one the kernel rejects.
func TestMutationCorpus(t *testing.T) {
	bases := loadMutationBases(t)
	byName := map[string]*mutationBase{}
	for _, b := range bases {
		byName[b.object+" "+b.name] = b
	}
	f, err := os.Open("testdata/mutants.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	cases := 0
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 3 {
			t.Fatalf("mutants.txt:%d: want object, program and mutation", line)
		}
		b := byName[fields[0]+" "+fields[1]]
		if b == nil {
			t.Fatalf("mutants.txt:%d: no program %s in %s", line, fields[1], fields[0])
		}
		m, err := parseMutation(fields[2])
		if err != nil {
			t.Fatalf("mutants.txt:%d: %v", line, err)
		}
		code, err := m.apply(b.code)
		if err != nil {
			t.Fatalf("mutants.txt:%d: %v", line, err)
		}
		cases++
		cerr, decoded := b.check(code)
		if !decoded || cerr != nil {
			var e *verifier.Error
			if decoded && !errors.As(cerr, &e) {
				t.Errorf("mutants.txt:%d: check returned %T", line, cerr)
			}
			continue
		}
		if _, kerr := b.load(code, false); kerr != nil {
			msg, _ := b.load(code, true)
			t.Errorf("mutants.txt:%d: false accept (kernel: %s)", line, msg)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cases == 0 {
		t.Fatal("testdata/mutants.txt has no case")
	}
}
