package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/template"
)

// initramfsModules are the modules the initramfs inserts before it can
// mount anything: the PCI transport of virtio, 9p over virtio, and
// overlayfs. Their dependencies (netfs, fscache, 9pnet, ...) come from
// modules.dep; those built into a kernel are skipped.
var initramfsModules = []string{"virtio_pci", "9pnet_virtio", "9p", "overlay"}

// guestWork is where the run's work directory (test binaries, plan,
// results) appears in the guest.
const guestWork = "/run/kernelmatrix"

// 9p mount tags of the shares qemu exports.
const (
	tagRoot    = "hostroot" // the host's /, read-only
	tagModules = "kmods"    // the kernel package's lib/modules/<release>, read-only
	tagWork    = "work"     // the run's work directory, writable
)

type initParams struct {
	Modules    []string // file names under /modules, in load order
	RootTag    string
	ModulesTag string
	WorkTag    string
	ModulesAt  string // where the module tree goes in the new root
	WorkAt     string
	Init       string // the program switch_root runs as PID 1
	InitArgs   string
	Msize      int
}

// initScript is /init of the initramfs (run by busybox sh). It inserts the
// modules, builds the new root (the host's / over 9p, read-only, under a
// tmpfs through overlayfs), mounts the module tree and the work
// directory, and hands over to the guest side of kernelmatrix. Any
// failure powers the machine off; the host sees no result and reports it
// with the console log.
var initScript = template.Must(template.New("init").Parse(`#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
fail() { echo "kernelmatrix: init failed: $*"; poweroff -f; sleep 5; }
mount -t proc proc /proc || fail proc
mount -t sysfs sysfs /sys || fail sysfs
mount -t devtmpfs devtmpfs /dev || fail devtmpfs
echo "kernelmatrix: initramfs on $(uname -r)"
{{range .Modules}}insmod /modules/{{.}} || fail insmod {{.}}
{{end}}mkdir -p /lower /upper /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize={{.Msize}} {{.RootTag}} /lower || fail mount {{.RootTag}}
mount -t tmpfs -o mode=0755 upper /upper || fail tmpfs
mkdir -p /upper/upper /upper/work
mount -t overlay -o lowerdir=/lower,upperdir=/upper/upper,workdir=/upper/work overlay /newroot || fail overlay
mount -t tmpfs -o mode=0755,nosuid,nodev run /newroot/run || fail run
mkdir -p /newroot{{.WorkAt}} /newroot{{.ModulesAt}}
mount -t 9p -o trans=virtio,version=9p2000.L,msize={{.Msize}} {{.WorkTag}} /newroot{{.WorkAt}} || fail mount {{.WorkTag}}
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize={{.Msize}} {{.ModulesTag}} /newroot{{.ModulesAt}} || fail mount {{.ModulesTag}}
mount --move /proc /newroot/proc || fail move proc
mount --move /sys /newroot/sys || fail move sys
mount --move /dev /newroot/dev || fail move dev
exec switch_root /newroot {{.Init}} {{.InitArgs}}
fail switch_root
`))

// buildInitramfs writes the initramfs for k to file.
func buildInitramfs(ctx context.Context, k *kernel, busybox, file string, p initParams) error {
	f, err := os.Open(filepath.Join(k.ModDir, "modules.dep"))
	if err != nil {
		return err
	}
	defer f.Close()
	var builtin *os.File
	if b, err := os.Open(filepath.Join(k.ModDir, "modules.builtin")); err == nil {
		builtin = b
		defer b.Close()
	}
	var idx *moduleIndex
	if builtin != nil {
		idx, err = parseModulesDep(f, builtin)
	} else {
		idx, err = parseModulesDep(f, nil)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", k.Package, err)
	}
	order, err := idx.loadOrder(initramfsModules)
	if err != nil {
		return fmt.Errorf("%s: %w", k.Package, err)
	}
	bb, err := os.ReadFile(busybox)
	if err != nil {
		return err
	}

	var buf bytes.Buffer
	w := newCPIOWriter(&buf)
	for _, d := range []string{"bin", "dev", "proc", "sys", "modules", "lower", "upper", "newroot"} {
		w.Dir(d, 0o755)
	}
	// The kernel opens /dev/console for init before devtmpfs is mounted.
	w.CharDev("dev/console", 0o600, 5, 1)
	w.File("bin/busybox", 0o755, bb)
	for i, rel := range order {
		data, err := readModule(ctx, filepath.Join(k.ModDir, rel))
		if err != nil {
			return err
		}
		name := fmt.Sprintf("%02d-%s.ko", i, moduleName(rel))
		w.File(path.Join("modules", name), 0o644, data)
		p.Modules = append(p.Modules, name)
	}
	var script strings.Builder
	if err := initScript.Execute(&script, p); err != nil {
		return err
	}
	w.File("init", 0o755, []byte(script.String()))
	if err := w.Close(); err != nil {
		return err
	}
	return os.WriteFile(file, buf.Bytes(), 0o644)
}
