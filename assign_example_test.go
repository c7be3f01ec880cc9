package bpf_test

import (
	"fmt"
	"log"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/maps"
)

// Objects names what a caller uses of vars.o: LoadAndAssign loads
// xdp_vars and the maps it needs, nothing else (xdp_broken, which never
// verifies, is left out).
type Objects struct {
	Prog    *bpf.Program  `bpf:"xdp_vars"`
	Counter *bpf.Variable `bpf:"counter"`
	Other   *maps.Map     `bpf:"other_map"`
}

// Set a .rodata constant before loading, load what a struct names, run
// the program and read the .bss counter it increments.
func ExampleCollectionSpec_LoadAndAssign() {
	spec, err := elf.Open("elf/testdata/vars.o")
	if err != nil {
		log.Fatal(err)
	}
	// A constant for the verifier and the program: frozen at load.
	if err := spec.Variables["limit"].Set(uint32(1)); err != nil {
		log.Fatal(err)
	}
	var objs Objects
	if err := spec.LoadAndAssign(&objs, bpf.CollectionOptions{}); err != nil {
		log.Fatal(err)
	}
	defer bpf.CloseAssigned(&objs)

	frame := make([]byte, 64)
	for range 2 {
		res, err := objs.Prog.Run(bpf.RunOptions{Data: frame})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("verdict", res.ReturnValue)
	}
	var counter uint64
	if err := objs.Counter.Get(&counter); err != nil {
		log.Fatal(err)
	}
	fmt.Println("counter", counter)
	// Output:
	// verdict 2
	// verdict 1
	// counter 2
}
