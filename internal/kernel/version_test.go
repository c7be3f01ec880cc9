package kernel

import (
	"runtime"
	"testing"
)

func TestParseUname(t *testing.T) {
	tests := []struct {
		release, version, signature string
		want                        Version
	}{
		{"6.18.44-fc-v1252", "#1 SMP PREEMPT_DYNAMIC", "", V(6, 18, 44)},
		{"6.12.118+deb12-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.12.118-1~deb12u1 (2026-01-20)", "", V(6, 12, 118)},
		// Debian's release names the ABI; the upstream patch level is
		// in the version string.
		{"6.1.0-57-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-02-14)", "", V(6, 1, 192)},
		{"6.1.0-57-amd64", "#1 SMP PREEMPT_DYNAMIC", "", V(6, 1, 0)},
		// Ubuntu keeps it in /proc/version_signature.
		{"5.15.0-91-generic", "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023", "Ubuntu 5.15.0-91.101-generic 5.15.131\n", V(5, 15, 131)},
		// A version string of another series is not taken.
		{"6.1.0-57-amd64", "Debian 6.12.118-1", "", V(6, 1, 0)},
		{"5.14.0-427.13.1.el9_4.x86_64", "#1 SMP PREEMPT_DYNAMIC Wed Apr 10 10:29:16 EDT 2024", "", V(5, 14, 0)},
		{"6.8", "", "", V(6, 8, 0)},
		{"7.0.0-rc3", "", "", V(7, 0, 0)},
		{" 6.6.57\n", "", "", V(6, 6, 57)},
	}
	for _, tt := range tests {
		got, err := ParseUname(tt.release, tt.version, tt.signature)
		if err != nil || got != tt.want {
			t.Errorf("ParseUname(%q, %q, %q) = %v, %v; want %v", tt.release, tt.version, tt.signature, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "linux", "6", "0.1.2", "v6.1"} {
		if v, err := ParseRelease(bad); err == nil {
			t.Errorf("ParseRelease(%q) = %v, want an error", bad, v)
		}
	}
}

func TestVersionCompare(t *testing.T) {
	tests := []struct {
		a, b Version
		want int
	}{
		{V(6, 1, 192), V(6, 12, 0), -1},
		{V(6, 12, 0), V(6, 1, 192), 1},
		{V(6, 9, 0), V(6, 9, 0), 0},
		{V(6, 18, 44), V(6, 18, 45), -1},
		{V(7, 0, 0), V(6, 18, 99), 1},
	}
	for _, tt := range tests {
		if got := tt.a.Compare(tt.b); got != tt.want {
			t.Errorf("%v.Compare(%v) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := tt.a.Less(tt.b); got != (tt.want < 0) {
			t.Errorf("%v.Less(%v) = %v", tt.a, tt.b, got)
		}
		if got := tt.a.AtLeast(tt.b); got != (tt.want >= 0) {
			t.Errorf("%v.AtLeast(%v) = %v", tt.a, tt.b, got)
		}
	}
	if !V(6, 1, 0).SameSeries(V(6, 1, 192)) || V(6, 1, 0).SameSeries(V(6, 12, 0)) {
		t.Error("SameSeries")
	}
	if s := V(6, 12, 118).String(); s != "6.12.118" {
		t.Errorf("String() = %q", s)
	}
}

func TestRunningVersion(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uname names a Linux kernel only on Linux")
	}
	v, err := RunningVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.Major < 3 {
		t.Errorf("running kernel %v", v)
	}
}
