package elf_test

import (
	"fmt"
	"sort"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/elf"
)

// Open reads a tutorial-era object: xdp1 with a legacy "maps" section and
// a program in SEC("xdp1"), which older loaders typed by prefix.
func ExampleOpen() {
	spec, err := elf.Open("../examples/xdp1/bpf/xdp1_legacy.o")
	if err != nil {
		panic(err)
	}
	p := spec.Programs["xdp_prog1"]
	fmt.Println(p.Section, p.Type, p.License)
	fmt.Println(spec.Maps["rxcnt"])
	// Output:
	// xdp1 xdp GPL
	// rxcnt (percpu_array, key 4, value 8, max_entries 256, flags 0x0)
}

// Programs in sections whose names imply no type (layercoop's "rx" and
// "tx") get one from the options, as "ip ... sec rx" and "tc ... sec tx"
// would give them.
func ExampleParseWithOptions() {
	spec, err := elf.OpenWithOptions("../examples/layercoop/bpf/layercoop_legacy.o", elf.Options{
		Sections: []elf.SectionOverride{
			{Pattern: "rx", Convention: elf.Convention{Type: bpf.XDP}},
			{Pattern: "tx", Convention: elf.Convention{Type: bpf.SchedCLS}},
		},
	})
	if err != nil {
		panic(err)
	}
	var names []string
	for name := range spec.Programs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := spec.Programs[name]
		fmt.Println(name, p.Section, p.Type)
	}
	m := spec.Maps["flows"]
	fmt.Printf("%s pinned under <pin root>/%s\n", m.Name, m.PinPath)
	// Output:
	// layercoop_rx rx xdp
	// layercoop_tx tx sched_cls
	// flows pinned under <pin root>/tc/globals
}
