package bpf

import (
	"fmt"

	"github.com/purebpf/bpf/maps"
)

// UnknownPinningFunc decides how a collection pins a map whose object
// asked for a pinning value the elf package does not know (maps.PinUnknown
// with the raw value in maps.Spec.PinValue): cilium's 16 ("replace"
// pinning), an iproute2 custom value from /etc/iproute2/bpf_pinning, and
// the like. It returns maps.PinNone (the map is not pinned) or
// maps.PinByName with the pin directory (relative to
// CollectionOptions.PinRoot unless absolute); an error refuses the
// collection, naming the map.
type UnknownPinningFunc func(mapName string, value uint32) (pin maps.PinType, pinPath string, err error)

// IgnoreUnknownPinning is an UnknownPinningFunc that creates every map
// with an unknown pinning value unpinned, as if the object had asked for
// none.
func IgnoreUnknownPinning(string, uint32) (maps.PinType, string, error) {
	return maps.PinNone, "", nil
}

// resolvePinning applies opts.UnknownPinning to a map spec (a copy owned
// by the caller) whose Pinning is maps.PinUnknown; other specs are left
// as they are.
func resolvePinning(name string, s *maps.Spec, opts CollectionOptions) error {
	if s.Pinning != maps.PinUnknown {
		return nil
	}
	if opts.UnknownPinning == nil {
		return fmt.Errorf("map %s: pinning value %d is not one this loader knows (BTF maps: 0 or LIBBPF_PIN_BY_NAME 1; iproute2 bpf_elf_map: 0, PIN_OBJECT_NS 1 or PIN_GLOBAL_NS 2): set CollectionOptions.UnknownPinning (e.g. IgnoreUnknownPinning) to decide", name, s.PinValue)
	}
	pin, path, err := opts.UnknownPinning(name, s.PinValue)
	if err != nil {
		return fmt.Errorf("map %s: pinning value %d: %w", name, s.PinValue, err)
	}
	switch pin {
	case maps.PinNone:
		s.Pinning, s.PinPath = maps.PinNone, ""
	case maps.PinByName:
		s.Pinning, s.PinPath = maps.PinByName, path
	default:
		return fmt.Errorf("map %s: pinning value %d: UnknownPinning returned pin type %v, want none or by-name", name, s.PinValue, pin)
	}
	return nil
}
