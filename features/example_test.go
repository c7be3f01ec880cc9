package features_test

import (
	"errors"
	"fmt"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/features"
)

// Choose how to attach a tc program: a tcx link where the kernel has tcx,
// a cls_bpf filter otherwise. (It needs CAP_BPF and CAP_NET_ADMIN, so it
// has no Output comment.)
func ExampleHaveTCX() {
	switch err := features.HaveTCX(); {
	case err == nil:
		fmt.Println("attach as a tcx link")
	case errors.Is(err, features.ErrNotSupported):
		fmt.Println("attach as a cls_bpf filter:", err)
	default:
		fmt.Println("cannot tell:", err) // for example without CAP_BPF
	}
}

// Before loading a program that calls bpf_fib_lookup from XDP, ask whether
// the kernel offers that helper to XDP programs.
func ExampleHaveProgramHelper() {
	err := features.HaveProgramHelper(bpf.XDP, asm.FnFibLookup)
	var missing *features.Error
	if errors.As(err, &missing) {
		fmt.Printf("%s is missing (since Linux %s)\n", missing.Feature, missing.MinKernel)
	}
}
