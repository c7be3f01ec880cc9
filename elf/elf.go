// Package elf reads BPF objects compiled by clang (ELF relocatable files
// for EM_BPF, or EM_NONE from old toolchains, little- or big-endian) into
// a *bpf.CollectionSpec: programs with their map, global data and
// bpf-to-bpf call references, and map specs, ready for bpf.NewCollection.
//
// It loads objects of every era: programs with no SEC() in .text (every
// global .text function no one calls is an entry point), iproute2 and
// libbpf section names (see SectionType: program type, expected
// attach type, sleepable and XDP-frags flags, and the attach target of
// fentry/iter/tp_btf/lsm/freplace sections), legacy "maps" sections of any definition size (libbpf's
// 20-byte bpf_map_def, the 28-byte samples/bpf definition with inner map
// index and NUMA node, iproute2's 36-byte bpf_elf_map with id, pinning,
// inner_id and inner_idx), BTF-defined ".maps" (with "values"
// initialisers of program arrays and maps of maps), .data/.rodata/.bss
// global data (each variable described in bpf.CollectionSpec.Variables),
// function pointers (callbacks such as bpf_loop's), zero-size symbols,
// SHT_REL and SHT_RELA relocations, .BTF (the object's types, as one
// *btf.Spec prepared for the kernel and shared by the spec, its programs
// and its maps' key/value types) and .BTF.ext (func_info and line_info,
// anchored to the instructions as asm.Instruction.Func and Line, so that
// verifier errors point at C source lines even after the instructions
// are edited), and objects
// statically linked by `bpftool gen object`: the instructions of a __weak
// function overridden by a strong one, which the linker leaves in .text
// without a symbol, are dropped with their relocations and CO-RE records,
// as libbpf drops them.
//
// CO-RE relocation records of .BTF.ext are read and given to the programs
// they apply to (bpf.ProgramSpec.CORERelocations, described in C terms
// such as "struct task_struct.real_parent", with the object's types in
// bpf.ProgramSpec.BTF); bpf.NewProgram applies them for the kernel it
// loads into. Relocation types that do not fit the
// instruction they patch, and relocations in global data, are refused.
// Relocation type 0 is R_BPF_NONE (skipped) in EM_BPF objects; in EM_NONE
// objects, whose toolchains (OVS's datapath) write type 0 for map
// references, it relocates an LD_IMM64 of a map or data section as
// R_BPF_64_64 and is an error anywhere else. Unknown relocation types
// are errors naming the section and offset, never skipped.
//
// Extern symbols (__kconfig values, __ksym variables and kfuncs) are
// described in bpf.ProgramSpec.Externs and referenced by name from the
// instructions; kconfig values are read from a ".kconfig" map. They are
// resolved at load (bpf.Extern), so that an object whose externs this
// kernel lacks still parses and its other programs load.
//
// Parsing is pure: it never touches the kernel. Every problem is an error
// that names the section and symbol concerned, never a silent skip: a
// program whose section name implies no type gets bpf.UnspecifiedProgram,
// which bpf.NewCollection reports, unless Options give it one.
package elf

import (
	"bytes"
	"cmp"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/internal/btf"
)

// ErrFormat is wrapped by errors about files that are not BPF objects
// or are malformed (malformed BTF included).
var ErrFormat = errors.New("not a valid BPF object")

// errShape is what this package's "not supported" errors wrap: its text
// says the object, not the kernel, is the reason.
var errShape = fmt.Errorf("%w for this object's shape", bpf.ErrNotSupported)

// Options tune ParseWithOptions. The zero value is the default.
type Options struct {
	// Programs sets what the programs named by the keys (the function's
	// symbol name) are, whatever their section says: what
	// "ip link set dev D xdp obj F sec S" does for the programs of S.
	// An entry takes precedence over Sections and DefaultType. When its
	// Type is the type the section implies anyway, the fields it leaves
	// zero (AttachType, Flags, AttachTo) are the section's
	// ("xdp.frags/devmap" keeps its flag and attach type, "iter/bpf_map"
	// its target); with another Type the entry is taken as it is.
	Programs map[string]Convention
	// Sections sets what the programs of the sections whose name matches
	// a Pattern are, whatever the name conventionally implies; the first
	// matching entry wins, and its Convention is merged with the
	// section's as for Programs.
	Sections []SectionOverride
	// DefaultType is the type of programs whose section has no
	// conventional type and no override (".text", "rx", "filter"). Zero
	// leaves them bpf.UnspecifiedProgram.
	DefaultType bpf.ProgramType
	// License is used when the object has no "license" section. The
	// default is "" (not GPL-compatible: GPL-only helpers are refused).
	License string
}

// SectionOverride gives the programs of the sections matching Pattern a
// Convention of the caller's instead of the one SectionType finds.
type SectionOverride struct {
	// Pattern is matched against the whole section name with path.Match
	// syntax ("tail-*", "2/*", "from-netdev"); ParseWithOptions refuses a
	// malformed pattern.
	Pattern string
	// Convention is what the programs of the matching sections are (see
	// Options.Programs for how its zero fields are filled).
	Convention Convention
}

// Open reads the object at path with one read and parses it with default
// options.
func Open(path string) (*bpf.CollectionSpec, error) {
	return OpenWithOptions(path, Options{})
}

// OpenWithOptions reads the object at path with one read (after a stat)
// and parses it.
func OpenWithOptions(path string, opts Options) (*bpf.CollectionSpec, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("elf: %w", err)
	}
	spec, err := ParseWithOptions(data, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return spec, nil
}

// readFile reads a regular file with a single read of its stat size
// (os.ReadFile reads once more to see EOF).
func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() <= 0 || st.Size() > 1<<31 {
		return io.ReadAll(f)
	}
	buf := make([]byte, st.Size())
	n, err := f.Read(buf)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if n < len(buf) {
		// Short read: finish the slow way.
		rest, err := io.ReadAll(f)
		if err != nil {
			return nil, err
		}
		return append(buf[:n], rest...), nil
	}
	return buf, nil
}

// Parse parses a BPF object in memory with default options. The returned
// spec does not retain data.
func Parse(data []byte) (*bpf.CollectionSpec, error) {
	return ParseWithOptions(data, Options{})
}

// ParseWithOptions parses a BPF object in memory. Malformed input gives
// an error wrapping ErrFormat (an object cut short also wraps
// io.ErrUnexpectedEOF and says what lies beyond its end: the section
// header table, the section names, the symbol table, a section by name);
// a valid object using a feature this package does not implement (such
// as pointers stored in global data) gives an error wrapping
// bpf.ErrNotSupported that says "for this object's shape". It must never
// panic (FuzzParse and
// FuzzParseFields check that, and a panic is a bug to report: no recover
// turns it into an error that would hide where it happened).
func ParseWithOptions(data []byte, opts Options) (*bpf.CollectionSpec, error) {
	return parse(data, opts)
}

func parse(data []byte, opts Options) (*bpf.CollectionSpec, error) {
	for _, o := range opts.Sections {
		if _, err := path.Match(o.Pattern, ""); err != nil {
			return nil, fmt.Errorf("elf: section type pattern %q: %w", o.Pattern, err)
		}
	}
	o, err := newObject(data)
	if err == nil {
		err = o.load(opts)
	}
	if err != nil {
		if !errors.Is(err, ErrFormat) && !errors.Is(err, bpf.ErrNotSupported) {
			// Everything else the input causes (malformed .BTF or
			// .BTF.ext from internal/btf or btf included) is a malformed
			// object.
			return nil, fmt.Errorf("elf: %w: %w", ErrFormat, err)
		}
		return nil, fmt.Errorf("elf: %w", err)
	}
	return o.spec, nil
}

// section is one ELF section with its bytes.
type section struct {
	idx   int
	name  string
	hdr   *elf.Section
	data  []byte // nil for NOBITS
	size  uint64
	kind  sectionKind
	rels  []*elf.Section
	syms  []int // symbol indexes defined in this section, sorted by value
	used  bool  // a global data section referenced by a program
	funcs []*function
	// offs is the raw slot of each instruction of a program section;
	// starts maps a raw slot to the function starting there.
	offs   []int
	starts map[int]*function
}

type sectionKind uint8

const (
	kindOther sectionKind = iota
	kindProgram
	kindLegacyMaps
	kindBTFMaps
	kindData
	kindLicense
	kindVersion
)

// symbol is an ELF symbol with the facts the loader needs.
type symbol struct {
	name    string
	value   uint64
	size    uint64
	section int // ELF section index (elf.SHN_UNDEF and the like for specials)
	bind    elf.SymBind
	typ     elf.SymType
	// hidden is set for STV_HIDDEN and STV_INTERNAL visibility
	// (__hidden in libbpf's headers).
	hidden bool
}

func (s *symbol) describe() string {
	if s.name == "" {
		return fmt.Sprintf("%s symbol at %#x", s.typ, s.value)
	}
	return "symbol " + s.name
}

// object is the state of one parse.
type object struct {
	data     []byte
	f        *elf.File
	bo       binary.ByteOrder
	sections []*section // by ELF index; nil for sections we do not keep
	syms     []symbol   // by ELF symbol index; 0 is the null symbol
	spec     *bpf.CollectionSpec
	license  string
	version  uint32
	hasLic   bool

	btf     *btf.Spec
	ext     *btf.Ext
	kraw    []byte // .BTF prepared for the kernel (host byte order only)
	mapDefs []sectionDefs
	linked  []linkedProgram
	symIdx  map[[2]string]uint64 // section, name -> value, built on demand
	externs *externTable
}

func newObject(data []byte) (*object, error) {
	if err := checkTruncated(data); err != nil {
		return nil, err
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if f.Class != elf.ELFCLASS64 {
		return nil, fmt.Errorf("%w: %s file, BPF objects are ELFCLASS64", ErrFormat, f.Class)
	}
	if f.Type != elf.ET_REL {
		return nil, fmt.Errorf("%w: file type %s, BPF objects are relocatable files (ET_REL)", ErrFormat, f.Type)
	}
	if f.Machine != elf.EM_BPF && f.Machine != elf.EM_NONE {
		return nil, fmt.Errorf("%w: machine %s, not EM_BPF (or EM_NONE of old toolchains)", ErrFormat, f.Machine)
	}
	o := &object{data: data, f: f, bo: f.ByteOrder}
	o.spec = &bpf.CollectionSpec{
		Programs:  map[string]*bpf.ProgramSpec{},
		ByteOrder: f.ByteOrder,
	}
	return o, nil
}

// sectionData returns the bytes of s, slicing the file (no copy).
func (o *object) sectionData(s *elf.Section) ([]byte, error) {
	if s.Type == elf.SHT_NOBITS {
		return nil, nil
	}
	if s.Flags&elf.SHF_COMPRESSED != 0 {
		return nil, fmt.Errorf("%w: section %s is compressed", errShape, s.Name)
	}
	end := s.Offset + s.Size
	if end < s.Offset || end > uint64(len(o.data)) {
		return nil, fmt.Errorf("%w: section %s: [%d,+%d) beyond the end of the %d-byte file", ErrFormat, s.Name, s.Offset, s.Size, len(o.data))
	}
	return o.data[s.Offset:end:end], nil
}

func (o *object) load(opts Options) error {
	if err := o.readSymbols(); err != nil {
		return err
	}
	if err := o.classify(); err != nil {
		return err
	}
	if !o.hasLic {
		o.license = opts.License
	}
	if err := o.loadBTF(); err != nil {
		return err
	}
	if err := o.collectExterns(); err != nil {
		return err
	}
	if err := o.loadMaps(); err != nil {
		return err
	}
	if err := o.loadPrograms(opts); err != nil {
		return err
	}
	if err := o.finishExterns(); err != nil {
		return err
	}
	if err := o.loadDataMaps(); err != nil {
		return err
	}
	if err := o.loadVariables(); err != nil {
		return err
	}
	if err := o.finishBTF(); err != nil {
		return err
	}
	if err := o.fixExternBTF(); err != nil {
		return err
	}
	if err := o.staticHiddenFuncs(); err != nil {
		return err
	}
	return o.publishBTF()
}

// readSymbols reads .symtab into o.syms (index 0 is the null symbol).
func (o *object) readSymbols() error {
	var symtab *elf.Section
	for _, s := range o.f.Sections {
		if s.Type == elf.SHT_SYMTAB {
			if symtab != nil {
				return fmt.Errorf("%w: more than one symbol table", ErrFormat)
			}
			symtab = s
		}
	}
	if symtab == nil {
		return fmt.Errorf("%w: no symbol table (stripped object?)", ErrFormat)
	}
	raw, err := o.sectionData(symtab)
	if err != nil {
		return err
	}
	if int(symtab.Link) >= len(o.f.Sections) || symtab.Link == 0 {
		return fmt.Errorf("%w: symbol table links to string table section %d, which does not exist", ErrFormat, symtab.Link)
	}
	strs, err := o.sectionData(o.f.Sections[symtab.Link])
	if err != nil {
		return err
	}
	const symSize = 24
	if len(raw)%symSize != 0 {
		return fmt.Errorf("%w: symbol table size %d is not a multiple of %d", ErrFormat, len(raw), symSize)
	}
	n := len(raw) / symSize
	o.syms = make([]symbol, n)
	for i := 1; i < n; i++ {
		b := raw[i*symSize:]
		nameOff := o.bo.Uint32(b)
		info := b[4]
		shndx := o.bo.Uint16(b[6:])
		sym := symbol{
			value:   o.bo.Uint64(b[8:]),
			size:    o.bo.Uint64(b[16:]),
			section: int(shndx),
			bind:    elf.ST_BIND(info),
			typ:     elf.ST_TYPE(info),
			hidden:  elf.SymVis(b[5]&3) == elf.STV_HIDDEN || elf.SymVis(b[5]&3) == elf.STV_INTERNAL,
		}
		if nameOff != 0 {
			if int(nameOff) >= len(strs) {
				return fmt.Errorf("%w: symbol %d: name offset %d outside the string table", ErrFormat, i, nameOff)
			}
			end := bytes.IndexByte(strs[nameOff:], 0)
			if end < 0 {
				return fmt.Errorf("%w: symbol %d: name is not NUL-terminated", ErrFormat, i)
			}
			sym.name = string(strs[nameOff : int(nameOff)+end])
		}
		if sym.typ == elf.STT_SECTION && sym.name == "" && sym.section < len(o.f.Sections) {
			sym.name = o.f.Sections[sym.section].Name
		}
		o.syms[i] = sym
	}
	return nil
}

// classify sorts sections by role and attaches relocation sections and
// symbols to the sections they belong to.
func (o *object) classify() error {
	o.sections = make([]*section, len(o.f.Sections))
	for i, s := range o.f.Sections {
		var kind sectionKind
		switch {
		case s.Type == elf.SHT_REL || s.Type == elf.SHT_RELA:
			// First, whatever the section's name: the loop below indexes
			// sections by the target of every relocation section.
			if int(s.Info) <= 0 || int(s.Info) >= len(o.f.Sections) {
				return fmt.Errorf("%w: relocation section %s applies to section %d, which does not exist", ErrFormat, s.Name, s.Info)
			}
			continue
		case s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_EXECINSTR != 0:
			if s.Size == 0 {
				continue
			}
			kind = kindProgram
		case s.Name == "maps" && s.Type == elf.SHT_PROGBITS:
			kind = kindLegacyMaps
		case s.Name == ".maps" && s.Type == elf.SHT_PROGBITS:
			kind = kindBTFMaps
		case s.Name == "license":
			kind = kindLicense
		case s.Name == "version":
			kind = kindVersion
		case isDataSection(s.Name) && (s.Type == elf.SHT_PROGBITS || s.Type == elf.SHT_NOBITS):
			kind = kindData
		case s.Name == ".BTF" || s.Name == ".BTF.ext":
		default:
			continue
		}
		data, err := o.sectionData(s)
		if err != nil {
			return err
		}
		o.sections[i] = &section{idx: i, name: s.Name, hdr: s, data: data, size: s.Size, kind: kind}
		switch kind {
		case kindLicense:
			o.license = cString(data)
			o.hasLic = true
		case kindVersion:
			if len(data) != 4 {
				return fmt.Errorf("%w: section version has %d bytes, want 4", ErrFormat, len(data))
			}
			o.version = o.bo.Uint32(data)
		}
	}
	for _, s := range o.f.Sections {
		if s.Type != elf.SHT_REL && s.Type != elf.SHT_RELA {
			continue
		}
		if target := o.sections[s.Info]; target != nil {
			target.rels = append(target.rels, s)
		}
	}
	for i := 1; i < len(o.syms); i++ {
		sym := &o.syms[i]
		if sym.section <= 0 || sym.section >= len(o.sections) || o.sections[sym.section] == nil {
			continue
		}
		if sym.typ == elf.STT_SECTION || sym.typ == elf.STT_FILE {
			continue
		}
		sec := o.sections[sym.section]
		sec.syms = append(sec.syms, i)
	}
	for _, sec := range o.sections {
		if sec != nil {
			sortSyms(sec.syms, o.syms)
		}
	}
	return nil
}

func isDataSection(name string) bool {
	for _, p := range []string{".data", ".rodata", ".bss"} {
		if name == p || len(name) > len(p) && name[:len(p)] == p && name[len(p)] == '.' {
			return true
		}
	}
	return false
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// sortSyms sorts symbol indexes by value, then global before local, then
// by index.
func sortSyms(idx []int, syms []symbol) {
	slices.SortFunc(idx, func(a, b int) int {
		sa, sb := &syms[a], &syms[b]
		if sa.value != sb.value {
			return cmp.Compare(sa.value, sb.value)
		}
		if la, lb := sa.bind == elf.STB_LOCAL, sb.bind == elf.STB_LOCAL; la != lb {
			if lb {
				return -1
			}
			return 1
		}
		return cmp.Compare(a, b)
	})
}

// relocation is one entry of a SHT_REL or SHT_RELA section.
type relocation struct {
	offset uint64
	sym    int
	typ    uint32
	addend int64
	rela   bool
}

// relocations decodes the relocation sections that apply to sec.
func (o *object) relocations(sec *section) ([]relocation, error) {
	var out []relocation
	for _, rs := range sec.rels {
		raw, err := o.sectionData(rs)
		if err != nil {
			return nil, err
		}
		size := 16
		if rs.Type == elf.SHT_RELA {
			size = 24
		}
		if len(raw)%size != 0 {
			return nil, fmt.Errorf("%w: relocation section %s: size %d is not a multiple of %d", ErrFormat, rs.Name, len(raw), size)
		}
		for i := 0; i+size <= len(raw); i += size {
			info := o.bo.Uint64(raw[i+8:])
			r := relocation{offset: o.bo.Uint64(raw[i:]), sym: int(info >> 32), typ: uint32(info), rela: size == 24}
			if r.rela {
				r.addend = int64(o.bo.Uint64(raw[i+16:]))
			}
			switch r.typ {
			case rBPFNone:
				// The ABI's "no relocation" in EM_BPF objects. Old and
				// foreign toolchains writing EM_NONE objects (OVS's
				// datapath) emit type 0 for map references: kept and
				// decided by applyRelocation, never skipped silently.
				if o.f.Machine != elf.EM_NONE {
					continue
				}
			case rBPF64_64, rBPF64_ABS64, rBPF64_ABS32, rBPF64_NODYLD32, rBPF64_32:
			default:
				return nil, fmt.Errorf("%w: relocation section %s: entry %d at offset %d of section %s: relocation type %d is not understood", errShape, rs.Name, i/size, r.offset, sec.name, r.typ)
			}
			if r.sym <= 0 || r.sym >= len(o.syms) {
				return nil, fmt.Errorf("%w: relocation section %s: entry %d refers to symbol %d of %d", ErrFormat, rs.Name, i/size, r.sym, len(o.syms))
			}
			if r.offset >= sec.size {
				return nil, fmt.Errorf("%w: relocation section %s: entry %d at offset %d outside section %s (%d bytes)", ErrFormat, rs.Name, i/size, r.offset, sec.name, sec.size)
			}
			out = append(out, r)
		}
	}
	return out, nil
}
