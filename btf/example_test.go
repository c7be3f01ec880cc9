package btf_test

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"

	"github.com/purebpf/bpf/btf"
)

// Format a map key with the types clang recorded in an object's .BTF
// section. For a live map, use btf.LoadByID(info.BTFID) and the map's
// BTFKeyTypeID and BTFValueTypeID instead.
func ExampleSpec_Format() {
	f, err := elf.Open("../examples/layercoop/bpf/layercoop.o")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	raw, err := f.Section(".BTF").Data()
	if err != nil {
		fmt.Println(err)
		return
	}
	spec, err := btf.Parse(raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	id, err := spec.TypeID("struct flow_key")
	if err != nil {
		fmt.Println(err)
		return
	}
	key := binary.LittleEndian.AppendUint32(nil, 0x0100000a)
	key = binary.LittleEndian.AppendUint32(key, 0x0200000a)
	if err := spec.Format(os.Stdout, id, key); err != nil {
		fmt.Println(err)
	}
	fmt.Println()
	// Output: {"saddr":16777226,"daddr":33554442}
}
