package bpf

import "testing"

func TestProgramFlagsString(t *testing.T) {
	tests := []struct {
		f    ProgramFlags
		want string
	}{
		{0, "0"},
		{Sleepable, "Sleepable"},
		{Sleepable | XDPHasFrags, "Sleepable|XDPHasFrags"},
		{StrictAlignment | 1<<12, "StrictAlignment|0x1000"},
		{TestRegisterInvariants, "TestRegisterInvariants"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("%#x: %q, want %q", uint32(tt.f), got, tt.want)
		}
	}
}
