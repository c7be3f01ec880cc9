package maps

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/sys"
)

// KV is one initial element of a map: Key and Value in any form Update
// accepts (a *Map value stands for its descriptor in map-in-map types).
type KV struct {
	Key, Value any
}

// Spec describes a map to create.
type Spec struct {
	// Name is the map's name; the kernel keeps the first 15 bytes, with
	// characters other than letters, digits, '_' and '.' replaced by '_'.
	Name string
	// Type is the map type; UnspecifiedMap is an error.
	Type Type
	// KeySize and ValueSize are in bytes. Per-CPU maps store one value per
	// possible CPU, each rounded up to 8 bytes.
	KeySize, ValueSize uint32
	// MaxEntries is the capacity: elements for most maps, bytes for RingBuf
	// (a power of two multiple of the page size). For PerfEventArray 0
	// means the number of possible CPUs (and a KeySize or ValueSize of 0
	// means 4, a CPU index and an event descriptor, as libbpf and
	// old objects' "maps" sections assume).
	MaxEntries uint32
	// Flags are the creation flags (map_flags), such as FlagNoPrealloc.
	Flags Flags
	// MapExtra is map_extra: the number of hash functions of a BloomFilter
	// (1-15, 0 for the default 5).
	MapExtra uint64
	// NumaNode is the NUMA node of the map's memory; the kernel uses it
	// only with FlagNUMANode.
	NumaNode uint32
	// BTF, when not nil, holds the types of the key and the value
	// (KeyType, ValueType: ids in BTF, 0 for none), so that tools can
	// format the map's contents (and maps with spin locks or timers can
	// be created). New loads them into the kernel (BPF_BTF_LOAD, kernel
	// 4.18+) for the creation, for the map types that take any: not for
	// maps of descriptors, devices or CPUs, perf event arrays, ring
	// buffers, stack traces, queues, stacks, arenas and map-in-map outer
	// maps, which the kernel refuses types for (they stay in the spec,
	// for readers: a ring buffer's record type).
	BTF *btf.Spec
	// KeyType is the id of the key's type in BTF (0: none, as for maps
	// whose key the kernel types itself, and always without BTF).
	KeyType btf.TypeID
	// ValueType is the id of the value's type in BTF (0: none).
	ValueType btf.TypeID
	// Pinning says whether and how the map is pinned (see PinType).
	Pinning PinType
	// PinPath is the directory on a bpffs mount that a map with Pinning
	// PinByName is pinned in, as PinPath/Name.
	PinPath string
	// PinValue is the raw pinning value the object's map definition held
	// when Pinning is PinUnknown (the loader sets it; it is ignored with
	// other pin types).
	PinValue uint32
	// InnerMap is the template of the inner maps of ArrayOfMaps and
	// HashOfMaps.
	InnerMap *Spec
	// Contents are written into the map after creation.
	Contents []KV

	loadedBTF int // 1 + the descriptor of BTF already loaded, or 0
}

// Copy returns a deep copy of s (Contents share keys and values).
func (s *Spec) Copy() *Spec {
	if s == nil {
		return nil
	}
	c := *s
	c.InnerMap = s.InnerMap.Copy()
	c.Contents = append([]KV(nil), s.Contents...)
	return &c
}

// String describes the spec: "counts (hash, key 4, value 8, max_entries
// 16, flags 0x0)".
func (s *Spec) String() string {
	return fmt.Sprintf("%s (%s, key %d, value %d, max_entries %d, flags %#x)",
		s.Name, s.Type, s.KeySize, s.ValueSize, s.MaxEntries, uint32(s.Flags))
}

// Map is an open BPF map. Its methods are safe for concurrent use; Close
// releases the descriptor (the kernel frees the map when nothing else
// holds it).
type Map struct {
	name       string
	typ        Type
	keySize    uint32
	valueSize  uint32
	maxEntries uint32
	flags      Flags
	id         ID
	fd         *sys.FD

	// valueBufSize is the size of the buffer a lookup fills: valueSize, or
	// ncpu*round8(valueSize) for per-CPU maps.
	valueBufSize int
	ncpu         int

	// notExist holds this map's ENOENT error for each operation, so misses
	// do not allocate.
	notExist [numOps]Error

	// scratch backs per-CPU conversions for value sizes that are not a
	// multiple of 8 and LookupPerCPUSum.
	scratchMu sync.Mutex
	scratch   []byte

	pinMu  sync.Mutex
	pinned string

	noBatch bool // tests force the batch fallback
	batch   batchState
}

// New creates the map described by spec (and pins it, or reuses a pinned
// one, as spec.Pinning says), then writes spec.Contents.
func New(spec *Spec) (*Map, error) {
	if spec == nil {
		return nil, errors.New("create map: nil spec")
	}
	if spec.Pinning == PinByName {
		return newPinned(spec)
	}
	if spec.Pinning == PinUnknown {
		return nil, fmt.Errorf("create map %s: unknown pinning value %d from the object: set Pinning to PinNone or PinByName first", spec.Name, spec.PinValue)
	}
	if spec.Pinning != PinNone {
		return nil, fmt.Errorf("create map %s: unknown pin type %v", spec.Name, spec.Pinning)
	}
	return create(spec)
}

func create(spec *Spec) (*Map, error) {
	s := *spec
	if s.Type == PerfEventArray && s.KeySize == 0 {
		s.KeySize = 4
	}
	if s.Type == PerfEventArray && s.ValueSize == 0 {
		s.ValueSize = 4
	}
	if s.Type == PerfEventArray && s.MaxEntries == 0 {
		n, err := PossibleCPUs()
		if err != nil {
			return nil, fmt.Errorf("create map %s: %w", s.Name, err)
		}
		s.MaxEntries = uint32(n)
	}
	if err := validate(&s); err != nil {
		return nil, fmt.Errorf("create map %s: %w", s.Name, err)
	}
	attr := sys.MapCreateAttr{
		MapType:    uint32(s.Type),
		KeySize:    s.KeySize,
		ValueSize:  s.ValueSize,
		MaxEntries: s.MaxEntries,
		MapFlags:   uint32(s.Flags),
		MapName:    sys.ObjName(s.Name),
		MapExtra:   s.MapExtra,
		NumaNode:   s.NumaNode,
	}
	if s.BTF != nil && takesBTF(s.Type) {
		fd, closeFD, err := loadBTF(&s)
		if err != nil {
			return nil, fmt.Errorf("create map %s: %w", s.Name, err)
		}
		defer closeFD()
		attr.BTFFD, attr.BTFKeyTypeID, attr.BTFValueTypeID = fd, uint32(s.KeyType), uint32(s.ValueType)
	}
	if s.Type == ArrayOfMaps || s.Type == HashOfMaps {
		inner := s.InnerMap.Copy()
		inner.Pinning, inner.Contents = PinNone, nil
		if inner.Name == "" {
			inner.Name = s.Name + "_inner"
		}
		tmpl, err := create(inner)
		if err != nil {
			return nil, fmt.Errorf("create map %s: inner map: %w", s.Name, err)
		}
		defer tmpl.Close()
		attr.InnerMapFD = tmpl.fd.Uint()
	}
	fd, err := sys.MapCreate(&attr)
	if err != nil {
		return nil, createError(&s, err)
	}
	var info sys.MapInfo
	if err := sys.MapInfoByFD(fd, &info); err != nil {
		fd.Close()
		return nil, fmt.Errorf("create map %s: info of the new map: %w", s.Name, err)
	}
	m, err := newMap(fd, ID(info.ID), s.Name, s.Type, s.KeySize, s.ValueSize, s.MaxEntries, s.Flags)
	if err != nil {
		fd.Close()
		return nil, err
	}
	for i, kv := range s.Contents {
		if err := m.Update(kv.Key, kv.Value, UpdateAny); err != nil {
			m.Close()
			return nil, fmt.Errorf("create map %s: contents[%d]: %w", s.Name, i, withoutMapName(err))
		}
	}
	return m, nil
}

// validate checks the rules of each map type the kernel would reject with
// a bare EINVAL, so that the error says which one failed.
func validate(s *Spec) error {
	want := func(field string, got uint32, ok bool, rule string) error {
		if ok {
			return nil
		}
		return fmt.Errorf("%s maps need %s %s, spec has %d", s.Type, field, rule, got)
	}
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if s.Type == UnspecifiedMap {
		return errors.New("map type not set")
	}
	switch s.Type {
	case Hash, PerCPUHash, LRUHash, LRUPerCPUHash:
		add(want("key size", s.KeySize, s.KeySize > 0, "> 0"))
		add(want("value size", s.ValueSize, s.ValueSize > 0, "> 0"))
	case Array, PerCPUArray:
		add(want("key size", s.KeySize, s.KeySize == 4, "== 4"))
		add(want("value size", s.ValueSize, s.ValueSize > 0, "> 0"))
	case ProgArray, PerfEventArray, CGroupArray, ArrayOfMaps, XSKMap:
		add(want("key size", s.KeySize, s.KeySize == 4, "== 4"))
		add(want("value size", s.ValueSize, s.ValueSize == 4, "== 4"))
	case SockMap:
		// A socket's descriptor, or (5.7+) a u64 socket cookie.
		add(want("key size", s.KeySize, s.KeySize == 4, "== 4"))
		add(want("value size", s.ValueSize, s.ValueSize == 4 || s.ValueSize == 8, "4 or 8"))
	case HashOfMaps:
		add(want("key size", s.KeySize, s.KeySize > 0, "> 0"))
		add(want("value size", s.ValueSize, s.ValueSize == 4, "== 4"))
	case SockHash:
		add(want("key size", s.KeySize, s.KeySize > 0, "> 0"))
		add(want("value size", s.ValueSize, s.ValueSize == 4 || s.ValueSize == 8, "4 or 8"))
	case DevMap, CPUMap:
		add(want("key size", s.KeySize, s.KeySize == 4, "== 4"))
		add(want("value size", s.ValueSize, s.ValueSize == 4 || s.ValueSize == 8, "4 or 8"))
	case DevMapHash:
		add(want("key size", s.KeySize, s.KeySize == 4, "== 4"))
		add(want("value size", s.ValueSize, s.ValueSize == 4 || s.ValueSize == 8, "4 or 8"))
	case LPMTrie:
		add(want("key size", s.KeySize, s.KeySize >= 5 && s.KeySize <= 4+256, "in 5..260 (u32 prefix length + data)"))
		add(want("value size", s.ValueSize, s.ValueSize > 0, "> 0"))
		if s.Flags&FlagNoPrealloc == 0 {
			errs = append(errs, errors.New("lpm_trie maps need flag FlagNoPrealloc"))
		}
	case Queue, Stack, BloomFilter:
		add(want("key size", s.KeySize, s.KeySize == 0, "== 0"))
		add(want("value size", s.ValueSize, s.ValueSize > 0, "> 0"))
		if s.Type == BloomFilter && s.MapExtra > 15 {
			errs = append(errs, fmt.Errorf("bloom_filter maps take 1-15 hash functions in MapExtra, spec has %d", s.MapExtra))
		}
	case RingBuf, UserRingBuf:
		add(want("key size", s.KeySize, s.KeySize == 0, "== 0"))
		add(want("value size", s.ValueSize, s.ValueSize == 0, "== 0"))
		page := uint32(os.Getpagesize())
		if s.MaxEntries == 0 || s.MaxEntries&(s.MaxEntries-1) != 0 || s.MaxEntries%page != 0 {
			errs = append(errs, fmt.Errorf("%s maps need max_entries a power of two multiple of the page size (%d), spec has %d", s.Type, page, s.MaxEntries))
		}
	}
	switch s.Type {
	case RingBuf, UserRingBuf:
	case CGroupStorage, PerCPUCGroupStorage, SkStorage, InodeStorage, TaskStorage, CGrpStorage, StructOps, Arena:
	default:
		add(want("max_entries", s.MaxEntries, s.MaxEntries > 0, "> 0"))
	}
	if (s.Type == ArrayOfMaps || s.Type == HashOfMaps) && s.InnerMap == nil {
		errs = append(errs, fmt.Errorf("%s maps need an InnerMap spec", s.Type))
	}
	return errors.Join(errs...)
}

// createError explains a BPF_MAP_CREATE failure.
func createError(s *Spec, err error) error {
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.E2BIG) || errors.Is(err, enotsupp) || errors.Is(err, unix.EOPNOTSUPP) {
		// Old kernels refuse unknown map types with EINVAL or E2BIG:
		// ask (once per type, cached) whether the type exists at all.
		if ferr := features.HaveMapType(s.Type); errors.Is(ferr, features.ErrNotSupported) {
			return fmt.Errorf("create map %s: %w: %w", s, ferr, err)
		}
	}
	if s.BTF != nil && takesBTF(s.Type) && errors.Is(err, enotsupp) {
		// map_check_no_btf: the type exists, its maps take no BTF.
		return fmt.Errorf("create map %s: %s maps take no key/value BTF types (%s); create it without Spec.BTF: %w", s, s.Type, s.btfTypes(), err)
	}
	var hint string
	switch {
	case errors.Is(err, unix.EINVAL):
		hint = "the kernel refused the type, a size, max_entries or the flags"
		if s.BTF != nil && takesBTF(s.Type) {
			hint = "the kernel refused the type, a size, max_entries, the flags or the key/value BTF types"
		}
		if s.Flags != 0 {
			hint += fmt.Sprintf(" (flags %#x may not apply to %s maps)", uint32(s.Flags), s.Type)
		}
	case errors.Is(err, unix.E2BIG):
		hint = "key size, value size or max_entries exceeds the kernel's limit for this map type"
	case errors.Is(err, unix.ENOMEM):
		hint = "not enough memory (or RLIMIT_MEMLOCK on kernels before 5.11) for max_entries elements"
	case errors.Is(err, unix.EPERM):
		hint = "creating maps needs root or CAP_BPF (CAP_SYS_ADMIN before Linux 5.8)"
	case errors.Is(err, enotsupp), errors.Is(err, unix.EOPNOTSUPP):
		// The type exists (HaveMapType did not say otherwise): the kernel
		// refused this map's shape, not the map type, so the text does
		// not blame the running kernel; errors.Is still matches
		// features.ErrNotSupported.
		return &shapeNotSupported{
			msg: fmt.Sprintf("create map %s: the kernel has %s maps but does not support this one's attributes (flags, key/value BTF, inner map or map_extra): %v", s, s.Type, err),
			err: err,
		}
	}
	if hint == "" {
		return fmt.Errorf("create map %s: %w", s, err)
	}
	return fmt.Errorf("create map %s: %s: %w", s, hint, err)
}

// newMap wraps an owned descriptor.
func newMap(fd *sys.FD, id ID, name string, typ Type, keySize, valueSize, maxEntries uint32, flags Flags) (*Map, error) {
	m := &Map{
		id: id, name: name, typ: typ, keySize: keySize, valueSize: valueSize,
		maxEntries: maxEntries, flags: flags, fd: fd, valueBufSize: int(valueSize),
	}
	if m.name == "" {
		m.name = typ.String()
	}
	if isPerCPU(typ) {
		n, err := PossibleCPUs()
		if err != nil {
			return nil, fmt.Errorf("map %s: %w", m.name, err)
		}
		m.ncpu = n
		m.valueBufSize = n * int(round8(valueSize))
	}
	for i := range m.notExist {
		m.notExist[i] = Error{Map: m.name, Op: opNames[i], Err: enoent, sentinel: ErrKeyNotExist}
	}
	return m, nil
}

// enoent is the shared cause of ErrKeyNotExist errors.
var enoent error = unix.ENOENT

func round8(n uint32) uint32 { return (n + 7) &^ 7 }

// fromFD builds a Map from an owned descriptor using the kernel's info.
func fromFD(fd *sys.FD, what string) (*Map, error) {
	var info sys.MapInfo
	if err := sys.MapInfoByFD(fd, &info); err != nil {
		fd.Close()
		return nil, fmt.Errorf("%s: map info: %w", what, err)
	}
	m, err := newMap(fd, ID(info.ID), sys.CString(info.Name[:]), Type(info.Type), info.KeySize, info.ValueSize, info.MaxEntries, Flags(info.MapFlags))
	if err != nil {
		fd.Close()
		return nil, err
	}
	return m, nil
}

// LoadPinned opens the map pinned at path (on a bpffs mount). The Map
// remembers the path: its Unpin removes that pin. A missing pin gives an
// error matching os.ErrNotExist. Errors say "load pinned map PATH: " and
// wrap the bpf(2) error (they are not an *Error, which is for operations
// on an open Map).
func LoadPinned(path string) (*Map, error) {
	fd, err := sys.ObjGet(path, 0)
	if err != nil {
		return nil, fmt.Errorf("load pinned map %s: %w", path, err)
	}
	m, err := fromFD(fd, "load pinned map "+path)
	if err != nil {
		return nil, err
	}
	m.pinned = path
	return m, nil
}

// FromID opens the map with the given system-wide id (needs
// CAP_SYS_ADMIN; the error says so). A missing id (the map was freed)
// gives an error matching os.ErrNotExist. Errors say "open map id N: "
// and wrap the bpf(2) error (they are not an *Error, which is for
// operations on an open Map).
func FromID(id ID) (*Map, error) {
	fd, err := sys.GetFDByID(sys.MapGetFDByIDCmd, uint32(id))
	if err != nil {
		return nil, fmt.Errorf("open map id %d: %w", id, sysAdminHint(err))
	}
	return fromFD(fd, fmt.Sprintf("open map id %d", id))
}

// IDs lists the ids of all maps on the system, in increasing order (needs
// CAP_SYS_ADMIN).
func IDs() ([]ID, error) {
	raw, err := sys.IDs(sys.MapGetNextIDCmd)
	ids := make([]ID, len(raw))
	for i, id := range raw {
		ids[i] = ID(id)
	}
	if err != nil {
		return ids, fmt.Errorf("list map ids: %w", sysAdminHint(err))
	}
	return ids, nil
}

func newPinned(spec *Spec) (*Map, error) {
	if spec.PinPath == "" || spec.Name == "" {
		return nil, fmt.Errorf("create map %s: PinByName needs PinPath and Name", spec.Name)
	}
	path := filepath.Join(spec.PinPath, spec.Name)
	m, err := LoadPinned(path)
	if err == nil {
		if err := compatible(m, spec); err != nil {
			m.Close()
			return nil, fmt.Errorf("create map %s: pinned map at %s: %w", spec.Name, path, err)
		}
		m.name = spec.Name
		m.pinMu.Lock()
		m.pinned = path
		m.pinMu.Unlock()
		return m, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("create map %s: %w", spec.Name, err)
	}
	m, err = create(spec)
	if err != nil {
		return nil, err
	}
	if err := m.Pin(path); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// compatible checks that an existing map matches spec.
func compatible(m *Map, s *Spec) error {
	maxEntries := s.MaxEntries
	if s.Type == PerfEventArray && maxEntries == 0 {
		n, err := PossibleCPUs()
		if err != nil {
			return err
		}
		maxEntries = uint32(n)
	}
	var diffs []string
	if m.typ != s.Type {
		diffs = append(diffs, fmt.Sprintf("type %s, spec %s", m.typ, s.Type))
	}
	if m.keySize != s.KeySize {
		diffs = append(diffs, fmt.Sprintf("key size %d, spec %d", m.keySize, s.KeySize))
	}
	if m.valueSize != s.ValueSize {
		diffs = append(diffs, fmt.Sprintf("value size %d, spec %d", m.valueSize, s.ValueSize))
	}
	if m.maxEntries != maxEntries {
		diffs = append(diffs, fmt.Sprintf("max_entries %d, spec %d", m.maxEntries, maxEntries))
	}
	if m.flags&^kernelAddedFlags(m.typ) != s.Flags&^kernelAddedFlags(m.typ) {
		diffs = append(diffs, fmt.Sprintf("flags %#x, spec %#x", uint32(m.flags), uint32(s.Flags)))
	}
	if diffs != nil {
		return errors.New("incompatible: " + strings.Join(diffs, "; "))
	}
	return nil
}

// kernelAddedFlags are the flags the kernel sets itself on maps of type t
// (devmaps are always read-only for programs).
func kernelAddedFlags(t Type) Flags {
	if t == DevMap || t == DevMapHash {
		return FlagReadOnlyProg
	}
	return 0
}

// Name is the map's name (from the Spec, or the kernel's for maps opened
// by id or path).
func (m *Map) Name() string { return m.name }

// Type is the map's type.
func (m *Map) Type() Type { return m.typ }

// KeySize is the key size in bytes.
func (m *Map) KeySize() uint32 { return m.keySize }

// ValueSize is the value size in bytes (of one CPU's value for per-CPU maps).
func (m *Map) ValueSize() uint32 { return m.valueSize }

// MaxEntries is the map's capacity.
func (m *Map) MaxEntries() uint32 { return m.maxEntries }

// Flags are the map's creation flags.
func (m *Map) Flags() Flags { return m.flags }

// FD returns the descriptor number, or -1 after Close. It stays owned by m.
func (m *Map) FD() int { return m.fd.Int() }

// String describes the map: "hash map counts (fd 7)".
func (m *Map) String() string {
	return fmt.Sprintf("%s map %s (fd %d)", m.typ, m.name, m.fd.Int())
}

// Close releases the descriptor. Closing twice is safe. It does not
// unpin: a pinned map stays in the kernel. Every other method that needs
// the descriptor then fails with an error matching ErrClosed (Unpin and
// PinnedPath still work: the pin is a file).
func (m *Map) Close() error {
	if m == nil {
		return nil
	}
	return m.fd.Close()
}

// Clone returns a new Map with its own descriptor for the same kernel map.
// The clone has no pin of its own: its Unpin returns ErrNotPinned.
func (m *Map) Clone() (*Map, error) {
	fd, err := m.fd.Dup()
	if err != nil {
		return nil, fmt.Errorf("map %s: clone: %w", m.name, m.fd.Closed(err))
	}
	c, err := newMap(fd, m.id, m.name, m.typ, m.keySize, m.valueSize, m.maxEntries, m.flags)
	if err != nil {
		fd.Close()
		return nil, err
	}
	return c, nil
}

// Pin pins the map at path, a file on a bpffs mount that must not exist,
// so that it outlives the process. The Map remembers the path for Unpin
// and PinnedPath (a second Pin replaces the remembered path; the first pin
// stays).
func (m *Map) Pin(path string) error {
	if err := sys.ObjPin(m.fd, path); err != nil {
		return fmt.Errorf("map %s: pin at %s: %w", m.name, path, m.fd.Closed(err))
	}
	m.pinMu.Lock()
	m.pinned = path
	m.pinMu.Unlock()
	return nil
}

// Unpin removes the pin this Map made (Pin, or New with PinByName) or was
// opened from (LoadPinned, or New reusing a pinned map). The kernel frees
// the map once nothing else holds it; the Map stays usable until Close.
// Without such a pin it returns an error matching ErrNotPinned (and
// os.ErrNotExist); when the pin file was already removed by someone else
// the error matches os.ErrNotExist and the Map forgets the path.
func (m *Map) Unpin() error {
	m.pinMu.Lock()
	defer m.pinMu.Unlock()
	if m.pinned == "" {
		return fmt.Errorf("map %s: unpin: %w", m.name, ErrNotPinned)
	}
	path := m.pinned
	err := os.Remove(path)
	if err == nil || errors.Is(err, os.ErrNotExist) {
		m.pinned = ""
	}
	if err != nil {
		return fmt.Errorf("map %s: unpin: %w", m.name, err)
	}
	return nil
}

// PinnedPath is the path of the pin Unpin would remove, or "".
func (m *Map) PinnedPath() string {
	m.pinMu.Lock()
	defer m.pinMu.Unlock()
	return m.pinned
}

// Freeze makes the map read-only for user space (5.2+); programs can still
// write it unless it was created with FlagReadOnlyProg.
func (m *Map) Freeze() error {
	if err := sys.MapFreeze(m.fd); err != nil {
		if errors.Is(err, unix.EINVAL) {
			if ferr := features.HaveMapFreeze(); errors.Is(ferr, features.ErrNotSupported) {
				return fmt.Errorf("map %s: freeze: %w: %w", m.name, ferr, err)
			}
		}
		return fmt.Errorf("map %s: freeze: %w", m.name, m.fd.Closed(err))
	}
	return nil
}

// Info describes a map as the kernel reports it (BPF_OBJ_GET_INFO_BY_FD).
type Info struct {
	// ID is the map's system-wide id (Map.ID).
	ID ID
	// Name is the name the kernel kept (at most 15 bytes).
	Name string
	// Type is the map type.
	Type Type
	// KeySize, ValueSize, MaxEntries, Flags and MapExtra are as in Spec.
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32
	Flags      Flags
	MapExtra   uint64
	// BTF is the id of the map's BTF object (btf.LoadByID reads it), 0
	// without BTF.
	BTF btf.ID
	// KeyType and ValueType are the ids of the key and value types in
	// that BTF, as in Spec (KeyType is 0 for maps whose key has no type).
	KeyType, ValueType btf.TypeID
	// Ifindex is the device of an offloaded map, 0 otherwise.
	Ifindex uint32
}

// Info returns the kernel's description of the map.
func (m *Map) Info() (*Info, error) {
	var mi sys.MapInfo
	if err := sys.MapInfoByFD(m.fd, &mi); err != nil {
		return nil, fmt.Errorf("map %s: info: %w", m.name, m.fd.Closed(err))
	}
	return &Info{
		ID: ID(mi.ID), Name: sys.CString(mi.Name[:]), Type: Type(mi.Type),
		KeySize: mi.KeySize, ValueSize: mi.ValueSize, MaxEntries: mi.MaxEntries,
		Flags: Flags(mi.MapFlags), MapExtra: mi.MapExtra, BTF: btf.ID(mi.BTFID),
		KeyType: btf.TypeID(mi.BTFKeyTypeID), ValueType: btf.TypeID(mi.BTFValueTypeID), Ifindex: mi.Ifindex,
	}, nil
}

// ID returns the map's system-wide id, read once when the Map was
// created or opened (ids are unique while the map exists and may be
// reused after it is freed).
func (m *Map) ID() ID { return m.id }

// MemoryLocked returns the memory the kernel accounts to the map, in bytes
// (bpftool's memlock), from /proc/self/fdinfo.
func (m *Map) MemoryLocked() (uint64, error) {
	var v [1]uint64
	if err := sys.FDInfo(m.fd, []string{"memlock"}, v[:]); err != nil {
		return 0, fmt.Errorf("map %s: memlock: %w", m.name, m.fd.Closed(err))
	}
	return v[0], nil
}

// Frozen reports whether the map was frozen (Freeze, BPF_MAP_FREEZE, 5.2+):
// user space can no longer write it.
func (m *Map) Frozen() (bool, error) {
	var v [1]uint64
	if err := sys.FDInfo(m.fd, []string{"frozen"}, v[:]); err != nil {
		return false, fmt.Errorf("map %s: frozen: %w", m.name, m.fd.Closed(err))
	}
	return v[0] != 0, nil
}

// shapeNotSupported is a map creation refused for the map's attributes on
// a kernel that has its type: it matches features.ErrNotSupported and the errno
// without saying the kernel lacks the map type.
type shapeNotSupported struct {
	msg string
	err error
}

func (e *shapeNotSupported) Error() string   { return e.msg }
func (e *shapeNotSupported) Unwrap() []error { return []error{features.ErrNotSupported, e.err} }
