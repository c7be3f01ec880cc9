package bpf

import (
	"fmt"
	"testing"
)

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

func TestExternStrings(t *testing.T) {
	tests := []struct {
		v    fmt.Stringer
		want string
	}{
		{KconfigType(0), "none"},
		{KconfigInt, "int"},
		{KconfigBool, "bool"},
		{KconfigTristate, "tristate"},
		{KconfigChar, "char"},
		{KconfigString, "string"},
		{KconfigType(9), "KconfigType(9)"},
		{ExternKconfig, "kconfig"},
		{ExternLink, "link-time"},
		{ExternKind(9), "ExternKind(9)"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%T(%d): %q, want %q", tt.v, tt.v, got, tt.want)
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
