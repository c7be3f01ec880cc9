package btf_test

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"

	"github.com/purebpf/bpf/btf"
)

// Format a map key with the types clang recorded in an object's .BTF
// section. For a live map, use btf.LoadByID(info.BTF) and the map's
// Info.KeyType and Info.ValueType instead.
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
	id, err := spec.TypeIDByCName("struct flow_key")
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

// Build BTF with a Builder, marshal it big-endian and read it back.
func ExampleBuilder() {
	b := btf.NewBuilder()
	u32 := b.Add(&btf.Int{Name: "u32", Size: 4, Bits: 32})
	task := b.Add(&btf.Struct{Name: "task", Size: 8, Members: []btf.Member{
		{Name: "pid", Type: u32},
		{Name: "flags", Type: u32, BitOffset: 32, BitfieldSize: 3},
	}})
	raw, err := b.Marshal(binary.BigEndian)
	if err != nil {
		fmt.Println(err)
		return
	}
	spec, err := btf.Parse(raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	ty, err := spec.TypeByID(task)
	if err != nil {
		fmt.Println(err)
		return
	}
	s := ty.(*btf.Struct)
	for _, m := range s.Members {
		fmt.Printf("%s %s at bit %d, %d bits\n", spec.TypeName(m.Type), m.Name, m.BitOffset, m.BitfieldSize)
	}
	// Output:
	// u32 pid at bit 0, 0 bits
	// u32 flags at bit 32, 3 bits
}

// Find a struct by name and walk the types its members refer to.
func ExampleNamedType() {
	b := btf.NewBuilder()
	i32 := b.Add(&btf.Int{Name: "int", Size: 4, Encoding: btf.IntSigned, Bits: 32})
	node := b.NextID() + 1 // after the pointer to it
	ptr := b.Add(&btf.Pointer{Target: node})
	b.Add(&btf.Struct{Name: "node", Size: 16, Members: []btf.Member{{Name: "value", Type: i32}, {Name: "next", Type: ptr, BitOffset: 64}}})
	b.Add(&btf.Typedef{Name: "node", Type: node})
	spec, err := b.Spec()
	if err != nil {
		fmt.Println(err)
		return
	}
	// TypeByName refuses: a struct and a typedef are both named node.
	if _, _, err := spec.TypeByName("node"); err != nil {
		fmt.Println(err)
	}
	id, s, err := btf.NamedType[*btf.Struct](spec, "node")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(id, s.Name, s.Size)
	for _, m := range s.Members {
		t, _ := spec.TypeByID(m.Type)
		fmt.Printf("%s: %s (%s)\n", m.Name, t.Kind(), spec.TypeName(m.Type))
	}
	// Output:
	// btf: several types have the name: "node" (ids 3, 4)
	// 3 node 16
	// value: int (int)
	// next: ptr (struct node *)
}

// Look a type up in the running kernel's BTF: only struct sk_buff is
// decoded, not the kernel's whole type graph.
func ExampleKernel() {
	spec, err := btf.Kernel()
	if err != nil {
		fmt.Println(err)
		return
	}
	_, skb, err := btf.NamedType[*btf.Struct](spec, "sk_buff")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("struct sk_buff: %d bytes, %d members\n", skb.Size, len(skb.Members))
}

// Read the types of a kernel module, split BTF whose ids continue
// vmlinux's.
func ExampleKernelModule() {
	mods, err := btf.KernelModules()
	if err != nil || len(mods) == 0 {
		fmt.Println("no module BTF", err)
		return
	}
	spec, err := btf.KernelModule(mods[0])
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: types %d..%d\n", mods[0], spec.FirstID(), spec.NumTypes())
}

// Iterate over every type of an object's BTF.
func ExampleSpec_All() {
	b := btf.NewBuilder()
	i32 := b.Add(&btf.Int{Name: "int", Size: 4, Encoding: btf.IntSigned, Bits: 32})
	proto := b.Add(&btf.FuncProto{Return: i32, Params: []btf.FuncParam{{Name: "ctx", Type: b.NextID() + 1}}})
	b.Add(&btf.Func{Name: "prog", Type: proto, Linkage: btf.FuncGlobal})
	b.Add(&btf.Pointer{})
	spec, err := b.Spec()
	if err != nil {
		fmt.Println(err)
		return
	}
	for id, t := range spec.All() {
		fmt.Printf("[%d] %s %q\n", id, t.Kind(), t.TypeName())
	}
	// Output:
	// [1] int "int"
	// [2] func_proto ""
	// [3] func "prog"
	// [4] ptr ""
}
