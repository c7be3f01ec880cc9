package features

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/sys"
)

// mapTypeSince is the mainline release that introduced each map type, with
// the introducing commit (checked as programTypeSince is).
// An array indexed by the type, not a map: a static table, nothing to
// build when a program linking the package starts.
var mapTypeSince = [...]string{
	kernel.MapHash:                "3.19", // 0f8e4bd8a1fc
	kernel.MapArray:               "3.19", // 28fbcfa08d8e
	kernel.MapProgArray:           "4.2",  // 04fd61ab36ec
	kernel.MapPerfEventArray:      "4.3",  // ea317b267e9d
	kernel.MapPerCPUHash:          "4.6",  // 824bd0ce6c7c
	kernel.MapPerCPUArray:         "4.6",  // a10423b87a7e
	kernel.MapStackTrace:          "4.6",  // d5a3b1f69186
	kernel.MapCGroupArray:         "4.8",  // 4ed8ec521ed5
	kernel.MapLRUHash:             "4.10", // 29ba732acbee
	kernel.MapLRUPerCPUHash:       "4.10", // 8f8449384ec3
	kernel.MapLPMTrie:             "4.11", // b95a5c4db09b
	kernel.MapArrayOfMaps:         "4.12", // 56f668dfe00d
	kernel.MapHashOfMaps:          "4.12", // bcc6b1b7ebf8
	kernel.MapDevMap:              "4.14", // 546ac1ffb70d
	kernel.MapSockMap:             "4.14", // 174a79ff9515
	kernel.MapCPUMap:              "4.15", // 6710e1126934
	kernel.MapXSKMap:              "4.18", // fbfc504a24f5
	kernel.MapSockHash:            "4.18", // 81110384441a
	kernel.MapCGroupStorage:       "4.19", // de9cbbaadba5
	kernel.MapReuseportSockarray:  "4.19", // 5dc4c4b7d4e8
	kernel.MapPerCPUCGroupStorage: "4.20", // b741f1630346
	kernel.MapQueue:               "4.20", // f1a2e44a3aec
	kernel.MapStack:               "4.20", // f1a2e44a3aec
	kernel.MapSkStorage:           "5.2",  // 6ac99e8f23d4
	kernel.MapDevMapHash:          "5.4",  // 6f9d451ab1a3
	kernel.MapStructOps:           "5.6",  // 85d33df357b6
	kernel.MapRingBuf:             "5.8",  // 457f44363a88
	kernel.MapInodeStorage:        "5.10", // 8ea636848aca
	kernel.MapTaskStorage:         "5.11", // 4cf1bc1f1045
	kernel.MapBloomFilter:         "5.16", // 9330986c0300
	kernel.MapUserRingBuf:         "6.1",  // 583c1f420173
	kernel.MapCGrpStorage:         "6.2",  // c4bcfb38a95e
	kernel.MapArena:               "6.9",  // 317460317a02 (bpf-next pull of 2024-03-11)
}

// MapTypeSince returns the mainline release that introduced map type mt,
// such as "4.6" for maps.PerCPUArray, or "" for types purebpf does not
// know.
func MapTypeSince(mt kernel.MapType) string { return since(mapTypeSince[:], int(mt)) }

// Map creation flags the probes use (linux/bpf.h).
const (
	flagNoPrealloc = 1 << 0  // BPF_F_NO_PREALLOC
	flagMmapable   = 1 << 10 // BPF_F_MMAPABLE
)

// mapProbe returns the attributes of a probe map of type mt: attributes
// every kernel that has the type accepts, so that EINVAL can only mean an
// unknown type. known is an errno that also proves the type known (the
// kernel gets past the type's own checks and fails on a deliberately
// invalid descriptor or BTF id).
func mapProbe(mt kernel.MapType) (attr sys.MapCreateAttr, known unix.Errno) {
	attr = sys.MapCreateAttr{MapType: uint32(mt), KeySize: 4, ValueSize: 4, MaxEntries: 1}
	switch mt {
	case kernel.MapStackTrace:
		attr.ValueSize = 8 // a multiple of 8
	case kernel.MapLPMTrie:
		attr.KeySize, attr.ValueSize, attr.MapFlags = 8, 8, flagNoPrealloc
	case kernel.MapArrayOfMaps, kernel.MapHashOfMaps:
		attr.InnerMapFD = ^uint32(0)
		known = unix.EBADF
	case kernel.MapCGroupStorage, kernel.MapPerCPUCGroupStorage:
		attr.KeySize, attr.MaxEntries = 16, 0 // struct bpf_cgroup_storage_key
	case kernel.MapQueue, kernel.MapStack, kernel.MapBloomFilter:
		attr.KeySize = 0
	case kernel.MapSkStorage, kernel.MapInodeStorage, kernel.MapTaskStorage, kernel.MapCGrpStorage:
		// Local storage needs BTF for its value: give type ids and a
		// descriptor that is no BTF object.
		attr.MaxEntries, attr.MapFlags = 0, flagNoPrealloc
		attr.BTFFD, attr.BTFKeyTypeID, attr.BTFValueTypeID = ^uint32(0), 1, 1
		known = unix.EBADF
	case kernel.MapStructOps:
		// Type id 1 of vmlinux BTF is no struct_ops value type.
		attr.BTFVmlinuxValueTypeID = 1
		known = errnoENOTSUPP
	case kernel.MapRingBuf, kernel.MapUserRingBuf:
		attr.KeySize, attr.ValueSize, attr.MaxEntries = 0, 0, uint32(os.Getpagesize())
	case kernel.MapArena:
		attr.KeySize, attr.ValueSize, attr.MapFlags = 0, 0, flagMmapable
	}
	return attr, known
}

var mapTypes cache[kernel.MapType]

// HaveMapType reports whether the running kernel can create maps of type
// mt (see MapTypeSince for the releases). It creates a minimal map of that
// type and closes it again; EINVAL (or E2BIG, EOPNOTSUPP) means the kernel
// lacks the type. Types newer than purebpf's table are probed with
// one-element 4-byte-key, 4-byte-value attributes and reported without a
// version.
func HaveMapType(mt kernel.MapType) error {
	if mt == kernel.UnspecifiedMap {
		return fmt.Errorf("features: %v is not a map type", mt)
	}
	return mapTypes.get(mt, probeMapType)
}

func probeMapType(mt kernel.MapType) error {
	name := mt.String() + " maps"
	attr, known := mapProbe(mt)
	fd, err := sys.MapCreate(&attr)
	switch {
	case err == nil:
		fd.Close()
		return nil
	case known != 0 && errors.Is(err, known):
		return nil
	case isEINVAL(err) || errors.Is(err, unix.EOPNOTSUPP):
		return &Error{Feature: name, MinKernel: since(mapTypeSince[:], int(mt))}
	}
	return undecided(name, err)
}

var mapFreeze = feature{
	name:      "BPF_MAP_FREEZE",
	minKernel: "5.2",                                                                      // 87df15de441b (bpf: add syscall side map freeze support)
	probe:     commandProbe("BPF_MAP_FREEZE", func() error { return sys.MapFreeze(nil) }), // descriptor -1
}

// HaveMapFreeze reports whether the kernel has the BPF_MAP_FREEZE command
// (Linux 5.2), which makes a map read-only for user space.
func HaveMapFreeze() error { return mapFreeze.check() }

var mapBatch = feature{
	name:      "batch map operations (BPF_MAP_*_BATCH)",
	minKernel: "5.6", // cb4d03ab499d (bpf: Add generic support for lookup batch op)
	probe: commandProbe("BPF_MAP_LOOKUP_BATCH", func() error {
		return sys.MapBatch(sys.MapLookupBatchCmd, &sys.MapBatchAttr{MapFD: noFD})
	}),
}

// HaveMapBatch reports whether the kernel has the batch map commands
// (BPF_MAP_LOOKUP_BATCH and friends, Linux 5.6). Map types without batch
// support refuse them even then.
func HaveMapBatch() error { return mapBatch.check() }
