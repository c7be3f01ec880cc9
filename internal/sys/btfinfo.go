package sys

import "unsafe"

// BTFInfo is struct bpf_btf_info (kernel 5.0; name and kernel_btf since
// 5.11).
type BTFInfo struct {
	BTF       Pointer `c:"btf"`
	BTFSize   uint32  `c:"btf_size"`
	ID        uint32  `c:"id"`
	Name      Pointer `c:"name,since=5.11"`
	NameLen   uint32  `c:"name_len,since=5.11"`
	KernelBTF uint32  `c:"kernel_btf,since=5.11"`
}

// BTFInfoByFD fills info for a BTF object.
func BTFInfoByFD(fd *FD, info *BTFInfo) error {
	_, err := ObjGetInfoByFD(fd, unsafe.Pointer(info), uint32(unsafe.Sizeof(*info)))
	return err
}
