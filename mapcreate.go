package bpf

import (
	"errors"
	"fmt"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/internal/btfobj"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/maps"
)

// enotsupp is the kernel-internal ENOTSUPP (524), which map types without
// BTF support return for key and value types.
const enotsupp = unix.Errno(524)

// mmapRefused remembers that the kernel refused FlagMmapable on global
// data maps (before 5.5), so later collections do not ask again.
var mmapRefused atomic.Bool

// holdsVariables reports whether map name of spec holds variables.
func (cs *CollectionSpec) holdsVariables(name string) bool {
	for _, v := range cs.Variables {
		if v != nil && v.MapName == name {
			return true
		}
	}
	return false
}

// createMap creates map name of spec from s (a copy NewCollection
// prepared: contents resolved, pin path absolute). The map gets its key
// and value BTF (s.BTF, loaded once per collection by objs; maps.New
// sends none for map types that refuse them), and maps holding
// variables get maps.FlagMmapable (5.5+). Either is dropped when the
// kernel refuses it: BTF on EINVAL or ENOTSUPP (libbpf retries the same
// way; the map works without its types), the flag on EINVAL.
func createMap(spec *CollectionSpec, name string, s *maps.Spec, objs *btfObjects) (*maps.Map, error) {
	addedBTF, addedMmap := false, false
	var btfFD *sys.FD
	if s.BTF != nil {
		// maps.New leaves the types out for map types that refuse them.
		var err error
		if btfFD, err = objs.fd(s.BTF); err != nil {
			return nil, fmt.Errorf("map %s: key/value types: %w", name, err)
		}
		if btfFD == nil {
			s.BTF, s.KeyType, s.ValueType = nil, 0, 0
		}
		addedBTF = btfFD != nil
	}
	if s.Type == maps.Array && s.Flags&maps.FlagMmapable == 0 && s.Pinning == maps.PinNone &&
		!mmapRefused.Load() && spec.holdsVariables(name) {
		s.Flags |= maps.FlagMmapable
		addedMmap = true
	}
	newMap := func(s *maps.Spec) (*maps.Map, error) {
		if s.BTF == nil {
			return maps.New(s)
		}
		m, err := btfobj.CreateMap(s, btfFD.Int())
		mm, _ := m.(*maps.Map)
		return mm, err
	}
	m, err := newMap(s)
	// Undo one addition at a time, the flag first (kernels before 5.5
	// know no BPF_F_MMAPABLE and say EINVAL whatever the BTF), so that
	// a map keeps its types when only the flag was refused.
	if err != nil && addedMmap && errors.Is(err, unix.EINVAL) {
		s.Flags &^= maps.FlagMmapable
		if m, err = newMap(s); err == nil {
			mmapRefused.Store(true)
		} else {
			s.Flags |= maps.FlagMmapable
		}
	}
	if err != nil && addedBTF && (errors.Is(err, unix.EINVAL) || errors.Is(err, enotsupp)) {
		s.BTF = nil
		m, err = newMap(s)
		if err != nil && addedMmap && errors.Is(err, unix.EINVAL) {
			s.Flags &^= maps.FlagMmapable
			if m, err = newMap(s); err == nil {
				mmapRefused.Store(true)
			}
		}
	}
	return m, err
}

// newVariables makes the collection's Variables from spec's.
func (c *Collection) newVariables(spec *CollectionSpec) error {
	if len(spec.Variables) == 0 {
		return nil
	}
	c.Variables = make(map[string]*Variable, len(spec.Variables))
	for _, name := range sortedKeys(spec.Variables) {
		vs := spec.Variables[name]
		if vs == nil {
			return fmt.Errorf("variable %s: nil VariableSpec", name)
		}
		m := c.Maps[vs.MapName]
		if m == nil {
			return fmt.Errorf("%s: map %s was not created", vs, vs.MapName)
		}
		v, err := newVariable(spec, vs, m)
		if err != nil {
			return err
		}
		c.Variables[name] = v
	}
	return nil
}
