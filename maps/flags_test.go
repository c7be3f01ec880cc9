package maps

import "testing"

func TestFlagsString(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{Flags(0).String(), "0"},
		{FlagNoPrealloc.String(), "FlagNoPrealloc"},
		{(FlagReadOnlyProg | FlagMmapable).String(), "FlagReadOnlyProg|FlagMmapable"},
		{(FlagInnerMap | 1<<20).String(), "FlagInnerMap|0x100000"},
		{UpdateAny.String(), "UpdateAny"},
		{UpdateExist.String(), "UpdateExist"},
		{(UpdateNoExist | UpdateLock).String(), "UpdateNoExist|UpdateLock"},
		{UpdateFlags(1 << 40).String(), "0x10000000000"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("String() = %q, want %q", tt.got, tt.want)
		}
	}
}
