package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// bpffsRoot is where bpftool (and bpfctl) mount a bpffs for pins when
// none is mounted.
const bpffsRoot = "/sys/fs/bpf"

// bpffsMagic is BPF_FS_MAGIC, statfs's f_type of a bpffs.
const bpffsMagic = 0xcafe4a11

// fsName names the file systems a pin directory is most often on by
// mistake, by their statfs magic ("" for others). A switch, not a map, so
// that nothing is built before main.
func fsName(magic int64) string {
	switch magic {
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	case unix.EXT4_SUPER_MAGIC:
		return "ext4"
	case unix.SYSFS_MAGIC:
		return "sysfs"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.PROC_SUPER_MAGIC:
		return "proc"
	case unix.OVERLAYFS_SUPER_MAGIC:
		return "overlayfs"
	}
	return ""
}

// preparePinDir makes dir ready for pins: on a bpffs, created. A dir under
// /sys/fs/bpf with no bpffs mounted there gets one mounted (as bpftool
// does) unless noMount; other failures say why: nothing mounted, not a
// bpffs, no permission.
func preparePinDir(dir string, noMount bool) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("pin directory %s: %w", dir, err)
	}
	// The nearest existing ancestor tells the file system of dir.
	probe := nearestExisting(abs)
	// Mount only when that ancestor is /sys/fs/bpf itself and is not a
	// bpffs: a bpffs mounted deeper (on /sys/fs/bpf/x) already holds dir,
	// and a mount on /sys/fs/bpf would hide it and its pins.
	if probe == bpffsRoot {
		magic, err := statfsMagic(bpffsRoot)
		if err != nil {
			return fmt.Errorf("pin directory %s: %s: %w", dir, bpffsRoot, err)
		}
		if magic != bpffsMagic {
			if noMount {
				return fmt.Errorf("pin directory %s: no bpffs is mounted at %s (--no-mount: mount one with \"mount -t bpf bpf %s\")", dir, bpffsRoot, bpffsRoot)
			}
			if err := unix.Mount("bpf", bpffsRoot, "bpf", 0, "mode=0700"); err != nil {
				if errors.Is(err, unix.EPERM) {
					return fmt.Errorf("pin directory %s: no bpffs is mounted at %s, and mounting one was refused: %w (needs root or CAP_SYS_ADMIN)", dir, bpffsRoot, err)
				}
				return fmt.Errorf("pin directory %s: no bpffs is mounted at %s, and mounting one failed: %w", dir, bpffsRoot, err)
			}
		}
	}
	magic, err := statfsMagic(probe)
	if err != nil {
		return fmt.Errorf("pin directory %s: %s: %w", dir, probe, err)
	}
	if magic != bpffsMagic {
		fs := fsName(magic)
		if fs == "" {
			fs = fmt.Sprintf("file system magic %#x", magic)
		}
		return fmt.Errorf("pin directory %s: %s is on %s, not a bpffs: pins live on a bpf file system (use a directory under %s, or mount one with \"mount -t bpf bpf DIR\")", dir, probe, fs, bpffsRoot)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		if errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("pin directory %s: %w (pinning needs write access to the bpffs directory: root, or the owner of %s)", dir, err, probe)
		}
		return fmt.Errorf("pin directory %s: %w", dir, err)
	}
	return nil
}

func statfsMagic(path string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, err
	}
	return int64(st.Type), nil
}

// pinError adds why to a failed pin's error (which names the object and
// the path): permission, or an old pin in the way.
func pinError(path string, err error) error {
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		return fmt.Errorf("%w (pinning needs write access to %s)", err, filepath.Dir(path))
	}
	if errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("%w (remove the old pin first)", err)
	}
	return err
}

// nearestExisting returns path or its nearest ancestor that exists.
func nearestExisting(path string) string {
	for {
		if _, err := os.Stat(path); err == nil || path == "/" {
			return path
		}
		path = filepath.Dir(path)
	}
}
