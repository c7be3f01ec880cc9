package main

import (
	"reflect"
	"strings"
	"testing"
)

// A modules.dep in the shape of Debian's 6.1 (plain .ko, virtio as
// modules) and 6.12 (.ko.xz, virtio built in).
const (
	dep61 = `kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
kernel/fs/netfs/netfs.ko:
kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko
kernel/net/9p/9pnet.ko:
kernel/net/9p/9pnet_virtio.ko: kernel/drivers/virtio/virtio.ko kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio_ring.ko
kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko
kernel/fs/overlayfs/overlay.ko:
kernel/drivers/net/veth.ko:
`
	dep612 = `kernel/fs/netfs/netfs.ko.xz:
kernel/net/9p/9pnet.ko.xz:
kernel/net/9p/9pnet_virtio.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/netfs.ko.xz
kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/netfs.ko.xz
kernel/fs/overlayfs/overlay.ko.xz:
`
	builtin612 = "kernel/drivers/virtio/virtio.ko\nkernel/drivers/virtio/virtio_pci.ko\nkernel/fs/fscache/fscache.ko\n"
)

func TestLoadOrder(t *testing.T) {
	tests := []struct {
		name, dep, builtin string
		wanted             []string
		want               []string
		err                string
	}{
		{
			name:   "6.1 initramfs",
			dep:    dep61,
			wanted: initramfsModules,
			want: []string{
				"kernel/drivers/virtio/virtio_pci_modern_dev.ko", "kernel/drivers/virtio/virtio_pci_legacy_dev.ko",
				"kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio.ko", "kernel/drivers/virtio/virtio_pci.ko",
				"kernel/net/9p/9pnet.ko", "kernel/net/9p/9pnet_virtio.ko",
				"kernel/fs/netfs/netfs.ko", "kernel/fs/fscache/fscache.ko", "kernel/fs/9p/9p.ko",
				"kernel/fs/overlayfs/overlay.ko",
			},
		},
		{
			name:    "6.12 initramfs, virtio built in",
			dep:     dep612,
			builtin: builtin612,
			wanted:  initramfsModules,
			want: []string{
				"kernel/net/9p/9pnet.ko.xz", "kernel/fs/netfs/netfs.ko.xz", "kernel/net/9p/9pnet_virtio.ko.xz",
				"kernel/fs/9p/9p.ko.xz", "kernel/fs/overlayfs/overlay.ko.xz",
			},
		},
		{name: "dash spelling", dep: dep61, wanted: []string{"virtio-ring"}, want: []string{"kernel/drivers/virtio/virtio_ring.ko"}},
		{name: "asked twice", dep: dep61, wanted: []string{"9pnet", "9pnet"}, want: []string{"kernel/net/9p/9pnet.ko"}},
		{name: "unknown", dep: dep61, wanted: []string{"nosuch"}, err: "module nosuch is neither in modules.dep nor built in"},
		{name: "unknown dependency", dep: "a.ko: b.ko\n", wanted: []string{"a"}, err: "module b (needed by a)"},
		{name: "cycle", dep: "a.ko: b.ko\nb.ko: a.ko\n", wanted: []string{"a"}, err: "cycle: a -> b -> a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var builtin *strings.Reader
			if tt.builtin != "" {
				builtin = strings.NewReader(tt.builtin)
			}
			var idx *moduleIndex
			var err error
			if builtin != nil {
				idx, err = parseModulesDep(strings.NewReader(tt.dep), builtin)
			} else {
				idx, err = parseModulesDep(strings.NewReader(tt.dep), nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := idx.loadOrder(tt.wanted)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, %v; want error containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestParseModulesDepErrors(t *testing.T) {
	for _, in := range []string{"no colon here\n", ": dep.ko\n"} {
		if _, err := parseModulesDep(strings.NewReader(in), nil); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: got %v, want a line 1 error", in, err)
		}
	}
}

func TestModuleName(t *testing.T) {
	for in, want := range map[string]string{
		"kernel/net/9p/9pnet_virtio.ko.xz":   "9pnet_virtio",
		"kernel/drivers/net/veth.ko":         "veth",
		"kernel/fs/x/some-thing.ko.zst":      "some_thing",
		"updates/dkms/nvidia-drm.ko.gz":      "nvidia_drm",
		"kernel/drivers/virtio/virtio_pci.k": "virtio_pci.k",
	} {
		if got := moduleName(in); got != want {
			t.Errorf("moduleName(%q) = %q, want %q", in, got, want)
		}
	}
}
