package elf_test

import (
	"fmt"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/elf"
)

// A program whose section implies no type ("filter") is typed by its
// function's name, as "ip link set dev D xdp obj F sec filter" would
// type it; numbered sections of older loaders ("cgroup/sock1") need no
// option.
func ExampleOptions() {
	spec, err := elf.OpenWithOptions("../examples/portfilter/bpf/portfilter_socket.o", elf.Options{
		Programs: map[string]elf.Convention{"portfilter": {Type: bpf.SocketFilter}},
	})
	if err != nil {
		panic(err)
	}
	p := spec.Programs["portfilter"]
	fmt.Println(p.Name, p.Section, p.Type)

	spec, err = elf.Open("testdata/cgroup_sock.o")
	if err != nil {
		panic(err)
	}
	p = spec.Programs["refuse_raw6"]
	fmt.Println(p.Name, p.Section, p.Type, p.AttachType == bpf.AttachCGroupInetSockCreate)
	// Output:
	// portfilter filter socket_filter
	// refuse_raw6 cgroup/sock1 cgroup_sock true
}
