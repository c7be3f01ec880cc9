package attach_test

import (
	"fmt"
	"log"
	"os"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/netns"
)

// exampleTarget returns the namespace and interface the examples work on,
// from PUREBPF_EXAMPLE_NETNS and PUREBPF_EXAMPLE_IFACE; the examples do
// nothing without them (they need root and an interface to spare).
func exampleTarget() (*netns.NetNS, string, bool) {
	name, iface := os.Getenv("PUREBPF_EXAMPLE_NETNS"), os.Getenv("PUREBPF_EXAMPLE_IFACE")
	if name == "" || iface == "" {
		return nil, "", false
	}
	ns, err := netns.OpenName(name)
	if err != nil {
		log.Fatal(err)
	}
	return ns, iface, true
}

// The tutorial's "ip link set dev veth1 xdpgeneric obj dropworld.o":
// attach a program that drops everything, see it as ip link show would,
// and detach it.
func ExampleXDP() {
	ns, iface, ok := exampleTarget()
	if !ok {
		return
	}
	defer ns.Close()
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name: "dropworld", Type: bpf.XDP, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, int32(bpf.XDPDrop)), asm.Return()},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer prog.Close()

	att, err := attach.XDP(attach.ByName(iface).In(ns), prog, attach.XDPOptions{Mode: attach.XDPGeneric})
	if err != nil {
		log.Fatal(err)
	}
	defer att.Close() // detaches, if our program is still the one attached
	fmt.Println("attached through", att.Method(), "in", att.Mode(), "mode")

	st, err := attach.XDPPrograms(attach.ByName(iface).In(ns))
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range st.Programs {
		fmt.Printf("%s: prog/%s id %d\n", st.Interface, p.Mode.IPName(), p.ProgramID)
	}
}

// The tutorial's "tc qdisc add dev veth1 clsact" and "tc filter add dev
// veth1 egress bpf da obj prog.o", then "tc filter show dev veth1 egress".
func ExampleTC() {
	ns, iface, ok := exampleTarget()
	if !ok {
		return
	}
	defer ns.Close()
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name: "tc_pass", Type: bpf.SchedCLS, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0 /* TC_ACT_OK */), asm.Return()},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer prog.Close()

	// Method Netlink makes a cls_bpf filter that tc sees; the default
	// (Auto) uses a tcx link on 6.6+.
	att, err := attach.TC(attach.ByName(iface).In(ns), prog, attach.Egress, attach.TCOptions{Method: attach.MethodNetlink})
	if err != nil {
		log.Fatal(err)
	}
	defer att.Close()

	filters, err := attach.TCFilters(attach.ByName(iface).In(ns), attach.Egress)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range filters {
		fmt.Println(f)
	}
}

// Interfaces lists the interfaces of a namespace with their XDP programs.
func ExampleInterfaces() {
	ns, _, ok := exampleTarget()
	if !ok {
		return
	}
	defer ns.Close()
	links, err := attach.Interfaces(ns)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range links {
		fmt.Println(l.Interface, l.Programs)
	}
}
