package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/maps"
)

// CollectionSpec describes the programs and maps of one object, as
// package elf reads them from a clang ELF file. NewCollection creates the
// maps and loads the programs.
type CollectionSpec struct {
	// Programs by name (the function's symbol name).
	Programs map[string]*ProgramSpec
	// Maps by name. Global data sections become maps named after the
	// section (".data", ".rodata", ".bss", ".rodata.str1.1", ...).
	//
	// A relative maps.Spec.PinPath (including "") of a pinned map is
	// relative to CollectionOptions.PinRoot: "" for libbpf's
	// LIBBPF_PIN_BY_NAME, "tc/globals" for iproute2's PIN_GLOBAL_NS.
	//
	// In Contents, a MapRef value (in map-in-map types) and a ProgramRef
	// value (in program arrays) stand for the collection's map or program
	// of that name.
	Maps map[string]*maps.Spec
	// ByteOrder of the object.
	ByteOrder binary.ByteOrder

	// BTF holds the object's types as the kernel takes them (data section
	// sizes and variable offsets filled in, extern declarations made
	// acceptable), or nil. Its programs (ProgramSpec.BTF) and maps
	// (maps.Spec.BTF) refer to this Spec; NewCollection loads it into the
	// kernel once for all of them.
	BTF *btf.Spec
	// Variables are the global variables of the data maps, by name (see
	// VariableSpec): Set them before loading.
	Variables map[string]*VariableSpec
}

// MapRef, as a value in maps.Spec.Contents of an ArrayOfMaps or
// HashOfMaps, names another map of the same collection: NewCollection
// stores that map there.
type MapRef string

// ProgramRef, as a value in maps.Spec.Contents of a ProgArray, names a
// program of the same collection: NewCollection stores it there once the
// programs are loaded.
type ProgramRef string

// Copy returns a copy of the spec with its own programs (instructions
// included) and maps; the read-only BTF is shared.
func (cs *CollectionSpec) Copy() *CollectionSpec {
	if cs == nil {
		return nil
	}
	c := *cs
	c.Programs = make(map[string]*ProgramSpec, len(cs.Programs))
	for n, p := range cs.Programs {
		c.Programs[n] = p.Copy()
	}
	c.Maps = make(map[string]*maps.Spec, len(cs.Maps))
	for n, m := range cs.Maps {
		c.Maps[n] = m.Copy()
	}
	cs.copyVariables(&c)
	return &c
}

// DefaultPinRoot is where pinned maps go unless CollectionOptions.PinRoot
// says otherwise.
const DefaultPinRoot = "/sys/fs/bpf"

// CollectionOptions tunes NewCollectionWithOptions.
type CollectionOptions struct {
	// PinRoot is the bpffs directory relative pin paths start from
	// (DefaultPinRoot if empty). iproute2's PIN_GLOBAL_NS maps live in
	// PinRoot/tc/globals, libbpf's LIBBPF_PIN_BY_NAME maps in PinRoot.
	// Missing directories below PinRoot are created.
	PinRoot string
	// Programs are the options of every program load, KernelTypes for
	// CO-RE included (its Maps field is ignored: programs use the
	// collection's maps).
	Programs ProgramOptions
	// Kconfig overrides values of kconfig externs by name, written as in
	// the kernel's .config: "y", "n", "m", "250", "0x10", "\"text\"";
	// also LINUX_KERNEL_VERSION and the other LINUX_* facts. Others come
	// from /proc/config.gz (or /boot/config-$(uname -r)).
	Kconfig map[string]string
	// UnknownPinning decides how maps whose object asked for a pinning
	// value the loader does not know (maps.PinUnknown, such as cilium's
	// 16) are pinned. When nil, such a map fails the collection with an
	// error naming the map and the value; IgnoreUnknownPinning creates
	// them unpinned.
	UnknownPinning UnknownPinningFunc
}

// Collection is a set of loaded programs and created maps. Close releases
// all of them (pinned maps stay pinned).
type Collection struct {
	// Programs are the loaded programs, by the names of the spec's
	// Programs.
	Programs map[string]*Program
	// Maps are the created (or, for pinned maps, opened) maps, by the
	// names of the spec's Maps.
	Maps map[string]*maps.Map
	// Variables are the global variables of the spec's Variables, by the
	// same names (nil when it has none).
	Variables map[string]*Variable
}

// NewCollection creates the maps and loads the programs of spec with
// default options. See NewCollectionWithOptions.
func NewCollection(spec *CollectionSpec) (*Collection, error) {
	return NewCollectionWithOptions(spec, CollectionOptions{})
}

// NewCollectionWithOptions creates every map of spec (reusing or creating
// pins as each map's Pinning says, writing Contents, freezing the
// ".rodata*" global data maps, mapping the memory of those holding
// Variables; maps get their key/value types (maps.Spec.BTF) when their
// type takes any, and are created without them if the kernel refuses
// them), then loads every program with its map references resolved and,
// when its instructions carry BTF function and line information
// (asm.Instruction.Func and Line), with that information, so that
// verifier errors name C source lines; and finally fills program arrays.
// The object's types are loaded into the kernel once (BPF_BTF_LOAD) for
// all maps and programs; a kernel that refuses them gets maps and
// programs without them. A program whose Type is
// UnspecifiedProgram (its section name gave no type) is an error naming
// the program and the section, reported before anything is created. On
// any failure everything created so far is closed (and pins this call
// created are removed).
func NewCollectionWithOptions(spec *CollectionSpec, opts CollectionOptions) (*Collection, error) {
	coll, err := newCollection(spec, opts)
	if err != nil {
		return nil, wrapLoad(fmt.Errorf("new collection: %w", err)) // %+v prints the verifier log
	}
	return coll, nil
}

// newCollection is NewCollectionWithOptions with errors that do not say
// which operation failed: the caller (NewCollectionWithOptions,
// LoadAndAssign) names it.
func newCollection(spec *CollectionSpec, opts CollectionOptions) (_ *Collection, err error) {
	if spec == nil {
		return nil, errors.New("nil CollectionSpec")
	}
	progNames := sortedKeys(spec.Programs)
	for _, name := range progNames {
		p := spec.Programs[name]
		if p == nil {
			return nil, fmt.Errorf("program %s: nil ProgramSpec", name)
		}
		if p.Type == UnspecifiedProgram {
			return nil, fmt.Errorf("%s: program type unknown: section %q has no conventional type; set spec.Programs[%q].Type (for example to bpf.XDP or bpf.SchedCLS), or pass elf.Options.Programs / Sections / DefaultType when parsing: %w", p.describe(), p.Section, name, ErrUnspecifiedType)
		}
	}

	spec, kconfig, err := prepareKconfig(spec, opts.Kconfig)
	if err != nil {
		return nil, err
	}

	coll := &Collection{Programs: make(map[string]*Program, len(spec.Programs)), Maps: make(map[string]*maps.Map, len(spec.Maps))}
	var createdPins []string
	defer func() {
		if err != nil {
			// Pins, then the directories made for them, deepest first.
			for i := len(createdPins) - 1; i >= 0; i-- {
				os.Remove(createdPins[i])
			}
			coll.Close()
		}
	}()

	// Without BTF support (or with BTF this kernel cannot parse), maps
	// and programs are created without their BTF.
	objs := new(btfObjects)
	defer objs.close()

	if err := createMaps(spec, opts, coll, objs, &createdPins); err != nil {
		return nil, err
	}
	if err := coll.newVariables(spec); err != nil {
		return nil, err
	}

	mapFDs := make(map[string]MapFD, len(coll.Maps))
	for n, m := range coll.Maps {
		mapFDs[n] = m
	}
	popts := opts.Programs
	popts.Maps = mapFDs
	popts.btf = objs
	for _, name := range progNames {
		if err := kconfig.check(spec.Programs[name]); err != nil {
			return nil, err
		}
		p, err := NewProgramWithOptions(spec.Programs[name], popts)
		if err != nil {
			return nil, err
		}
		coll.Programs[name] = p
	}

	for _, name := range sortedKeys(spec.Maps) {
		for i, kv := range spec.Maps[name].Contents {
			ref, ok := kv.Value.(ProgramRef)
			if !ok {
				continue
			}
			p := coll.Programs[string(ref)]
			if p == nil {
				return nil, fmt.Errorf("map %s: contents[%d]: program %q is not in the collection", name, i, string(ref))
			}
			if err := coll.Maps[name].Update(kv.Key, p, maps.UpdateAny); err != nil {
				return nil, fmt.Errorf("map %s: store program %s: %w", name, ref, err)
			}
		}
	}
	return coll, nil
}

// ErrUnspecifiedType is wrapped by the error of NewCollection for a program
// without a type.
var ErrUnspecifiedType = errors.New("program type not set")

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// isHostOrder reports whether bo (nil: the host's) is the host's byte
// order, without allocating for the standard byte orders.
func isHostOrder(bo binary.ByteOrder) bool {
	switch bo {
	case nil, binary.NativeEndian:
		return true
	case binary.LittleEndian:
		return hostLittleEndian
	case binary.BigEndian:
		return !hostLittleEndian
	}
	b := []byte{1, 0}
	return bo.Uint16(b) == binary.NativeEndian.Uint16(b)
}

var hostLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// createMaps creates the maps of spec in dependency order (maps stored in
// map-in-maps first).
// mkdirAll is os.MkdirAll that appends the directories it made to
// created, outermost first, so that a failed load can remove them.
func mkdirAll(dir string, created *[]string) error {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		missing = append(missing, d)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := len(missing) - 1; i >= 0; i-- {
		*created = append(*created, missing[i])
	}
	return nil
}

func createMaps(spec *CollectionSpec, opts CollectionOptions, coll *Collection, objs *btfObjects, createdPins *[]string) error {
	root := opts.PinRoot
	if root == "" {
		root = DefaultPinRoot
	}
	const (
		todo = iota
		busy
		done
	)
	state := make(map[string]int, len(spec.Maps))
	var create func(name string, from string) error
	create = func(name, from string) error {
		ms := spec.Maps[name]
		if ms == nil {
			return fmt.Errorf("map %s: contents refer to map %q, which is not in the collection", from, name)
		}
		switch state[name] {
		case done:
			return nil
		case busy:
			return fmt.Errorf("map %s: map-in-map contents form a cycle", name)
		}
		state[name] = busy
		s := *ms
		s.Contents = nil
		for i, kv := range ms.Contents {
			switch v := kv.Value.(type) {
			case ProgramRef:
				continue // stored once programs are loaded
			case MapRef:
				if err := create(string(v), name); err != nil {
					return err
				}
				s.Contents = append(s.Contents, maps.KV{Key: kv.Key, Value: coll.Maps[string(v)]})
			default:
				s.Contents = append(s.Contents, ms.Contents[i])
			}
		}
		if s.Name == "" {
			s.Name = name
		}
		if err := resolvePinning(name, &s, opts); err != nil {
			return err
		}
		var pin string
		if s.Pinning != maps.PinNone {
			if !filepath.IsAbs(s.PinPath) {
				s.PinPath = filepath.Join(root, s.PinPath)
			}
			if err := mkdirAll(s.PinPath, createdPins); err != nil {
				return fmt.Errorf("map %s: pin directory: %w", name, err)
			}
			pin = filepath.Join(s.PinPath, s.Name)
			if _, err := os.Lstat(pin); err == nil {
				pin = "" // reused, not ours to remove
			}
		}
		m, err := createMap(spec, name, &s, objs)
		if err != nil {
			return err
		}
		if pin != "" {
			*createdPins = append(*createdPins, pin)
		}
		coll.Maps[name] = m
		if (strings.HasPrefix(name, ".rodata") || name == KconfigMap) && pin == "" && s.Pinning == maps.PinNone {
			if err := m.Freeze(); err != nil {
				return fmt.Errorf("map %s: %w", name, err)
			}
		}
		state[name] = done
		return nil
	}
	for _, name := range sortedKeys(spec.Maps) {
		if err := create(name, name); err != nil {
			return err
		}
	}
	return nil
}

// Close closes every program and map of the collection (pins stay).
// Closing twice is safe.
func (c *Collection) Close() error {
	if c == nil {
		return nil
	}
	var errs []error
	for _, p := range c.Programs {
		errs = append(errs, p.Close())
	}
	for _, m := range c.Maps {
		errs = append(errs, m.Close())
	}
	for _, v := range c.Variables {
		errs = append(errs, v.Close())
	}
	return errors.Join(errs...)
}
