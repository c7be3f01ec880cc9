package maps

import (
	"fmt"
	"strings"
)

var flagNames = [...]string{
	"FlagNoPrealloc", "FlagNoCommonLRU", "FlagNUMANode", "FlagReadOnly", "FlagWriteOnly",
	"FlagStackBuildID", "FlagZeroSeed", "FlagReadOnlyProg", "FlagWriteOnlyProg", "FlagClone",
	"FlagMmapable", "FlagPreserveElems", "FlagInnerMap",
}

// String returns the flags' names joined by "|"
// ("FlagNoPrealloc|FlagMmapable"), unknown bits in hex, and "0" for none.
func (f Flags) String() string {
	return joinFlags(uint64(f), flagNames[:], "0")
}

var updateFlagNames = [...]string{"UpdateNoExist", "UpdateExist", "UpdateLock"}

// String returns the flags' names joined by "|" ("UpdateNoExist|UpdateLock"),
// unknown bits in hex, and "UpdateAny" for none.
func (f UpdateFlags) String() string {
	return joinFlags(uint64(f), updateFlagNames[:], "UpdateAny")
}

// joinFlags names the bits of f (bit i is names[i]); zero is none.
func joinFlags(f uint64, names []string, none string) string {
	if f == 0 {
		return none
	}
	var parts []string
	for i, name := range names {
		if f&(1<<i) != 0 {
			parts = append(parts, name)
			f &^= 1 << i
		}
	}
	if f != 0 {
		parts = append(parts, fmt.Sprintf("%#x", f))
	}
	return strings.Join(parts, "|")
}
