package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// kernel is one column of the matrix: either the running kernel or a
// Debian kernel package booted under qemu.
type kernel struct {
	Spec    string // as asked for: "6.1", "running", a package name or glob
	Package string // exact Debian package, "" for the running kernel
	Version string // Debian version of Package
	Release string // uname -r of the kernel
	Root    string // the extracted package (host path)
	Vmlinuz string
	ModDir  string // Root/lib/modules/<Release>
}

func (k *kernel) native() bool { return k.Package == "" }

// Label is the column title: the release, marked when it is the host's.
func (k *kernel) Label() string {
	if k.native() {
		return k.Release + " (running)"
	}
	return k.Release
}

// key names the kernel in file names.
func (k *kernel) key() string {
	if k.native() {
		return "running"
	}
	return k.Release
}

// imagePackage matches the names of Debian's generic amd64 kernel images:
// linux-image-6.1.0-57-amd64 (6.1 in bookworm: ABI number after -0-) and
// linux-image-6.12.118+deb12-amd64 (6.12 in bookworm-security). Cloud, rt,
// dbg and unsigned flavours do not match.
var imagePackage = regexp.MustCompile(`^linux-image-(\d+)\.(\d+)\.(\d+)(?:-(\d+))?(?:\+deb\d+)?-amd64$`)

var seriesSpec = regexp.MustCompile(`^(\d+)\.(\d+)$`)

// pickPackage chooses, among package names, the one that spec means: the
// newest generic amd64 image of a series ("6.1"), an exact name, or the
// newest name matching a glob ("linux-image-6.12.*+deb12-amd64").
func pickPackage(spec string, names []string) (string, error) {
	type cand struct {
		name string
		num  [4]int
	}
	var cands []cand
	series := seriesSpec.FindStringSubmatch(spec)
	isGlob := strings.ContainsAny(spec, "*?[")
	if series == nil && !isGlob && !strings.HasPrefix(spec, "linux-image-") {
		return "", fmt.Errorf("kernel %q: want running, a series like 6.1, or a linux-image-* package name", spec)
	}
	for _, n := range names {
		m := imagePackage.FindStringSubmatch(n)
		switch {
		case series != nil:
			if m == nil || m[1] != series[1] || m[2] != series[2] {
				continue
			}
		case isGlob:
			if ok, err := path.Match(spec, n); err != nil {
				return "", fmt.Errorf("kernel %q: %w", spec, err)
			} else if !ok {
				continue
			}
		default:
			if n != spec {
				continue
			}
		}
		var c cand
		c.name = n
		if m != nil {
			for i := range 4 {
				c.num[i], _ = strconv.Atoi(m[i+1]) // empty ABI group is 0
			}
		}
		cands = append(cands, c)
	}
	if len(cands) == 0 {
		return "", fmt.Errorf("kernel %q: no matching linux-image package in the apt lists", spec)
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i].num, cands[j].num
		if a != b {
			for x := range a {
				if a[x] != b[x] {
					return a[x] > b[x]
				}
			}
		}
		return cands[i].name > cands[j].name
	})
	return cands[0].name, nil
}

// candidateVersion extracts the "Candidate:" line of apt-cache policy.
func candidateVersion(policy string) string {
	for _, l := range strings.Split(policy, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "Candidate:"); ok {
			v = strings.TrimSpace(v)
			if v != "(none)" {
				return v
			}
		}
	}
	return ""
}

func output(ctx context.Context, dir string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// resolveKernel turns a spec into an exact package and version using the
// local apt lists; when nothing matches it refreshes the lists once
// (apt-get update) and looks again.
func resolveKernel(ctx context.Context, spec string, updated *bool) (*kernel, error) {
	if spec == "running" {
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			return nil, fmt.Errorf("uname: %w", err)
		}
		return &kernel{Spec: spec, Release: unix.ByteSliceToString(u.Release[:])}, nil
	}
	for {
		out, err := output(ctx, "", "apt-cache", "pkgnames", "linux-image-")
		if err != nil {
			return nil, err
		}
		name, perr := pickPackage(spec, strings.Fields(out))
		if perr == nil {
			pol, err := output(ctx, "", "apt-cache", "policy", name)
			if err != nil {
				return nil, err
			}
			v := candidateVersion(pol)
			if v == "" {
				return nil, fmt.Errorf("kernel %q: package %s has no installable candidate version", spec, name)
			}
			return &kernel{Spec: spec, Package: name, Version: v}, nil
		}
		if *updated {
			return nil, perr
		}
		fmt.Fprintf(os.Stderr, "kernelmatrix: %v; running apt-get update\n", perr)
		if _, err := output(ctx, "", "apt-get", "update", "-qq"); err != nil {
			return nil, err
		}
		*updated = true
	}
}

// fetch makes the kernel package available under cache: downloaded with
// apt-get download, extracted with dpkg-deb, its module index built with
// busybox depmod (the package's postinst would do this on install). A
// finished extraction is marked by a ".ready" file and reused.
func (k *kernel) fetch(ctx context.Context, cache, busybox string) error {
	// Runs sharing the cache take turns at preparing packages.
	lock, err := os.OpenFile(filepath.Join(cache, ".lock"), os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	dir := filepath.Join(cache, "pkg", k.Package+"_"+strings.ReplaceAll(k.Version, ":", "%3a"))
	k.Root = filepath.Join(dir, "root")
	ready := filepath.Join(dir, ".ready")
	if b, err := os.ReadFile(ready); err == nil {
		k.Release = strings.TrimSpace(string(b))
		return k.locate()
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	dl := filepath.Join(dir, "dl")
	if err := os.MkdirAll(dl, 0o755); err != nil {
		return err
	}
	// apt-get download drops privileges to _apt, which must be able to
	// write the directory (otherwise it warns and downloads as root).
	if uid, ok := passwdUID("_apt"); ok {
		_ = os.Chown(dl, uid, -1)
	}
	fmt.Fprintf(os.Stderr, "kernelmatrix: apt-get download %s=%s\n", k.Package, k.Version)
	if _, err := output(ctx, dl, "apt-get", "download", "-q", k.Package+"="+k.Version); err != nil {
		return err
	}
	debs, _ := filepath.Glob(filepath.Join(dl, k.Package+"_*.deb"))
	if len(debs) != 1 {
		return fmt.Errorf("%s: expected one .deb in %s, found %d", k.Package, dl, len(debs))
	}
	if _, err := output(ctx, "", "dpkg-deb", "-x", debs[0], k.Root); err != nil {
		return err
	}
	mods, _ := filepath.Glob(filepath.Join(k.Root, "lib", "modules", "*"))
	if len(mods) == 0 {
		// A package that installs under /usr/lib only: give depmod
		// the /lib it looks in.
		if mods, _ = filepath.Glob(filepath.Join(k.Root, "usr", "lib", "modules", "*")); len(mods) == 1 {
			if err := os.Symlink("usr/lib", filepath.Join(k.Root, "lib")); err != nil {
				return err
			}
		}
	}
	if len(mods) != 1 {
		return fmt.Errorf("%s: expected one lib/modules/<release> directory, found %d", k.Package, len(mods))
	}
	k.Release = filepath.Base(mods[0])
	fmt.Fprintf(os.Stderr, "kernelmatrix: depmod %s\n", k.Release)
	if _, err := output(ctx, "", busybox, "depmod", "-b", k.Root, k.Release); err != nil {
		return err
	}
	if err := os.RemoveAll(dl); err != nil {
		return err
	}
	if err := k.locate(); err != nil {
		return err
	}
	return os.WriteFile(ready, []byte(k.Release+"\n"), 0o644)
}

func (k *kernel) locate() error {
	k.ModDir = filepath.Join(k.Root, "lib", "modules", k.Release)
	k.Vmlinuz = filepath.Join(k.Root, "boot", "vmlinuz-"+k.Release)
	for _, p := range []string{k.Vmlinuz, filepath.Join(k.ModDir, "modules.dep")} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%s: %w", k.Package, err)
		}
	}
	return nil
}

// readModule returns the bytes of a module file, decompressed: busybox
// insmod in the initramfs then needs no decompressor of its own.
func readModule(ctx context.Context, file string) ([]byte, error) {
	var tool string
	switch {
	case strings.HasSuffix(file, ".ko"):
		return os.ReadFile(file)
	case strings.HasSuffix(file, ".ko.xz"):
		tool = "xz"
	case strings.HasSuffix(file, ".ko.zst"):
		tool = "zstd"
	case strings.HasSuffix(file, ".ko.gz"):
		tool = "gzip"
	default:
		return nil, fmt.Errorf("module %s: unknown compression", file)
	}
	out, err := exec.CommandContext(ctx, tool, "-dc", file).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("%s -dc %s: %w: %s", tool, file, err, ee.Stderr)
		}
		return nil, fmt.Errorf("%s -dc %s: %w", tool, file, err)
	}
	return out, nil
}

// passwdUID looks a user up in /etc/passwd (os/user would need cgo).
func passwdUID(name string) (int, bool) {
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, ":")
		if len(f) > 2 && f[0] == name {
			uid, err := strconv.Atoi(f[2])
			return uid, err == nil
		}
	}
	return 0, false
}
