// Command helpers asks the running kernel which helpers each program type
// the offline checker models may call, and writes the record
// check/helpers_gen.go is generated from (root):
//
//	go run ./internal/gplprobe/helpers -out check/testdata/helpers.txt
//	go generate ./check
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/purebpf/bpf/internal/gplprobe"
	"github.com/purebpf/bpf/internal/kernel"
)

// types are the program types the checker models, with their constant
// names in package internal/kernel.
var types = []struct {
	typ  kernel.ProgramType
	name string
}{
	{kernel.SocketFilter, "SocketFilter"},
	{kernel.SchedCLS, "SchedCLS"},
	{kernel.SchedACT, "SchedACT"},
	{kernel.XDP, "XDP"},
	{kernel.Kprobe, "Kprobe"},
	{kernel.TracePoint, "TracePoint"},
	{kernel.RawTracepoint, "RawTracepoint"},
	{kernel.PerfEvent, "PerfEvent"},
	{kernel.CGroupSKB, "CGroupSKB"},
	{kernel.SockOps, "SockOps"},
	{kernel.SkSKB, "SkSKB"},
	{kernel.LWTIn, "LWTIn"},
	{kernel.LWTOut, "LWTOut"},
	{kernel.LWTXmit, "LWTXmit"},
}

func main() {
	out := flag.String("out", "check/testdata/helpers.txt", "the record to write")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(out string) error {
	v, err := kernel.RunningVersion()
	if err != nil {
		return err
	}
	t := &gplprobe.HelperTable{Kernel: fmt.Sprintf("%d.%d", v.Major, v.Minor)}
	for _, pt := range types {
		ht := gplprobe.HelperType{Name: pt.name}
		for id := int32(1); id < gplprobe.MaxHelper; id++ {
			ok, err := gplprobe.Allowed(uint32(pt.typ), id)
			if err != nil {
				return fmt.Errorf("helper %d, type %s: %w", id, pt.name, err)
			}
			if ok {
				ht.Helpers = append(ht.Helpers, id)
			}
		}
		t.Types = append(t.Types, ht)
	}
	return os.WriteFile(out, t.Format(), 0o644)
}
