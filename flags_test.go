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

func TestLogLevelString(t *testing.T) {
	tests := []struct {
		l    LogLevel
		want string
	}{
		{0, "0"},
		{LogLevelBranch, "LogLevelBranch"},
		{LogLevelBranch | LogLevelStats, "LogLevelBranch|LogLevelStats"},
		{LogLevelInstruction | 1<<5, "LogLevelInstruction|0x20"},
	}
	for _, tt := range tests {
		if got := tt.l.String(); got != tt.want {
			t.Errorf("%#x: %q, want %q", uint32(tt.l), got, tt.want)
		}
	}
}

func TestRunFlagsString(t *testing.T) {
	tests := []struct {
		f    RunFlags
		want string
	}{
		{0, "0"},
		{RunOnCPU, "RunOnCPU"},
		{RunXDPLiveFrames | RunSKBChecksumComplete, "RunXDPLiveFrames|RunSKBChecksumComplete"},
		{RunOnCPU | 1<<8, "RunOnCPU|0x100"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("%#x: %q, want %q", uint32(tt.f), got, tt.want)
		}
	}
}
