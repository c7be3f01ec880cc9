package kernel

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Version is a Linux kernel release: major, minor (together the series,
// such as 6.12) and patch level (the stable release of the series, such
// as 118 in 6.12.118). The zero Version means "unknown".
type Version struct {
	Major, Minor, Patch int
}

// V returns the version major.minor.patch.
func V(major, minor, patch int) Version { return Version{major, minor, patch} }

// IsZero reports whether v is the zero (unknown) version.
func (v Version) IsZero() bool { return v == Version{} }

// Compare returns -1, 0 or +1 as v is older than, the same as or newer
// than o.
func (v Version) Compare(o Version) int {
	for _, d := range [3]int{v.Major - o.Major, v.Minor - o.Minor, v.Patch - o.Patch} {
		switch {
		case d < 0:
			return -1
		case d > 0:
			return 1
		}
	}
	return 0
}

// Less reports whether v is older than o.
func (v Version) Less(o Version) bool { return v.Compare(o) < 0 }

// AtLeast reports whether v is o or newer.
func (v Version) AtLeast(o Version) bool { return v.Compare(o) >= 0 }

// SameSeries reports whether v and o are releases of the same series
// (major.minor).
func (v Version) SameSeries(o Version) bool { return v.Major == o.Major && v.Minor == o.Minor }

// String returns "major.minor.patch".
func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// The patterns are compiled on first use, not when a program that links
// the package starts.
var (
	releaseRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?`) })
	// Debian writes the upstream version into utsname.version:
	// "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-02-14)".
	debianRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\bDebian (\d+\.\d+(?:\.\d+)?)`) })
	// Ubuntu's /proc/version_signature ends with the upstream version:
	// "Ubuntu 5.15.0-91.101-generic 5.15.131".
	signatureRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(\d+\.\d+\.\d+)\s*$`) })
)

// ParseRelease parses a kernel release string (uname -r) such as
// "6.18.44-fc-v1252", "6.12.118+deb12-amd64", "6.1.0-57-amd64" or "6.8".
// Distribution suffixes are ignored; a missing patch level is 0. Debian and
// Ubuntu name their ABI, not the upstream patch level, in the release
// ("6.1.0-57-amd64" is 6.1.192): ParseUname also reads where those
// distributions keep the upstream version.
func ParseRelease(release string) (Version, error) {
	m := releaseRE().FindStringSubmatch(strings.TrimSpace(release))
	if m == nil {
		return Version{}, fmt.Errorf("kernel release %q: not major.minor[.patch]", release)
	}
	var v Version
	var err error
	if v.Major, err = strconv.Atoi(m[1]); err != nil {
		return Version{}, fmt.Errorf("kernel release %q: %w", release, err)
	}
	if v.Minor, err = strconv.Atoi(m[2]); err != nil {
		return Version{}, fmt.Errorf("kernel release %q: %w", release, err)
	}
	if m[3] != "" {
		if v.Patch, err = strconv.Atoi(m[3]); err != nil {
			return Version{}, fmt.Errorf("kernel release %q: %w", release, err)
		}
	}
	if v.Major == 0 {
		return Version{}, fmt.Errorf("kernel release %q: major version 0", release)
	}
	return v, nil
}

// ParseUname returns the kernel version from the release (uname -r), the
// version string (uname -v) and Ubuntu's /proc/version_signature (or ""):
// the release's, unless a distribution names a later patch level of the
// same series elsewhere (Debian in the version string, Ubuntu in the
// signature).
func ParseUname(release, version, signature string) (Version, error) {
	v, err := ParseRelease(release)
	if err != nil {
		return Version{}, err
	}
	for _, alt := range []string{
		submatch(debianRE(), version),
		submatch(signatureRE(), signature),
	} {
		if alt == "" {
			continue
		}
		if a, err := ParseRelease(alt); err == nil && a.SameSeries(v) && a.Patch > v.Patch {
			v = a
		}
	}
	return v, nil
}

func submatch(re *regexp.Regexp, s string) string {
	if m := re.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

var running struct {
	once sync.Once
	v    Version
	err  error
}

// RunningVersion returns the version of the running kernel (see
// ParseUname), computed once.
func RunningVersion() (Version, error) {
	running.once.Do(func() {
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			running.err = fmt.Errorf("uname: %w", err)
			return
		}
		// Only Ubuntu has the signature; elsewhere it is missing.
		sig, _ := os.ReadFile("/proc/version_signature")
		running.v, running.err = ParseUname(unix.ByteSliceToString(u.Release[:]), unix.ByteSliceToString(u.Version[:]), string(sig))
	})
	return running.v, running.err
}
