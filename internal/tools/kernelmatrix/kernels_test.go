package main

import (
	"strings"
	"testing"
)

// Names as apt-cache pkgnames linux-image- lists them on bookworm with
// bookworm-security.
var aptNames = strings.Fields(`
linux-image-6.1.0-9-amd64 linux-image-6.1.0-57-amd64 linux-image-6.1.0-56-amd64
linux-image-6.1.0-57-rt-amd64 linux-image-6.1.0-58-cloud-amd64 linux-image-6.1.0-58-amd64-dbg
linux-image-6.1.0-58-amd64-unsigned linux-image-amd64 linux-image-cloud-amd64
linux-image-6.12.9+deb12-amd64 linux-image-6.12.117+deb12-amd64 linux-image-6.12.118+deb12-amd64
linux-image-6.12.119+deb12-rt-amd64 linux-image-6.12.118+deb12-amd64-unsigned
linux-image-5.10.0-30-amd64 linux-image-6.10.1-amd64
`)

func TestPickPackage(t *testing.T) {
	tests := []struct {
		spec  string
		names []string
		want  string
		err   string
	}{
		{spec: "6.1", names: aptNames, want: "linux-image-6.1.0-57-amd64"},
		{spec: "6.12", names: aptNames, want: "linux-image-6.12.118+deb12-amd64"},
		{spec: "5.10", names: aptNames, want: "linux-image-5.10.0-30-amd64"},
		{spec: "6.10", names: aptNames, want: "linux-image-6.10.1-amd64"},
		{spec: "linux-image-6.1.0-56-amd64", names: aptNames, want: "linux-image-6.1.0-56-amd64"},
		{spec: "linux-image-6.12.*+deb12-amd64", names: aptNames, want: "linux-image-6.12.118+deb12-amd64"},
		{spec: "linux-image-6.1.0-5?-amd64", names: aptNames, want: "linux-image-6.1.0-57-amd64"},
		{spec: "linux-image-6.1.0-57-rt-amd64", names: aptNames, want: "linux-image-6.1.0-57-rt-amd64"},
		{spec: "6.6", names: aptNames, err: "no matching linux-image package"},
		{spec: "linux-image-9.9.9-amd64", names: aptNames, err: "no matching"},
		{spec: "6.1", names: nil, err: "no matching"},
		{spec: "bookworm", names: aptNames, err: "want running, a series"},
		{spec: "linux-image-[", names: aptNames, err: "syntax error"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := pickPackage(tt.spec, tt.names)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %q, %v; want error containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCandidateVersion(t *testing.T) {
	tests := []struct{ in, want string }{
		{`linux-image-6.12.118+deb12-amd64:
  Installed: (none)
  Candidate: 6.12.118-1~deb12u1
  Version table:
     6.12.118-1~deb12u1 500
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
`, "6.12.118-1~deb12u1"},
		{"x:\n  Installed: (none)\n  Candidate: (none)\n", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := candidateVersion(tt.in); got != tt.want {
			t.Errorf("candidateVersion(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
