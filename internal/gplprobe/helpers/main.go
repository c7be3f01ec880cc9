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
//
// A type listed with attach types gets the helpers allowed for every one
// of them (the checker models these attach types with one helper set).
var types = []struct {
	typ    kernel.ProgramType
	name   string
	attach []kernel.AttachType
}{
	{kernel.SocketFilter, "SocketFilter", nil},
	{kernel.SchedCLS, "SchedCLS", nil},
	{kernel.SchedACT, "SchedACT", nil},
	{kernel.XDP, "XDP", nil},
	{kernel.Kprobe, "Kprobe", nil},
	{kernel.TracePoint, "TracePoint", nil},
	{kernel.RawTracepoint, "RawTracepoint", nil},
	{kernel.PerfEvent, "PerfEvent", nil},
	{kernel.CGroupSKB, "CGroupSKB", nil},
	{kernel.SockOps, "SockOps", nil},
	{kernel.SkSKB, "SkSKB", nil},
	{kernel.LWTIn, "LWTIn", nil},
	{kernel.LWTOut, "LWTOut", nil},
	{kernel.LWTXmit, "LWTXmit", nil},
	{kernel.SkMsg, "SkMsg", nil},
	{kernel.FlowDissector, "FlowDissector", nil},
	{kernel.CGroupSockAddr, "CGroupSockAddr", []kernel.AttachType{
		kernel.AttachCGroupInet4Bind, kernel.AttachCGroupInet6Bind, kernel.AttachCGroupInet4Connect, kernel.AttachCGroupInet6Connect,
		kernel.AttachCGroupUDP4Sendmsg, kernel.AttachCGroupUDP6Sendmsg, kernel.AttachCGroupUDP4Recvmsg, kernel.AttachCGroupUDP6Recvmsg,
		kernel.AttachCGroupInet4Getpeername, kernel.AttachCGroupInet6Getpeername, kernel.AttachCGroupInet4Getsockname, kernel.AttachCGroupInet6Getsockname,
	}},
	{kernel.CGroupSock, "CGroupSock", []kernel.AttachType{
		kernel.AttachCGroupInetSockCreate, kernel.AttachCGroupInetSockRelease, kernel.AttachCGroupInet4PostBind, kernel.AttachCGroupInet6PostBind,
	}},
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
			ok, err := allowed(pt.typ, pt.attach, id)
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

// allowed reports whether programs of type typ may call helper id, for
// every attach type of attach when there are any.
func allowed(typ kernel.ProgramType, attach []kernel.AttachType, id int32) (bool, error) {
	if len(attach) == 0 {
		return gplprobe.Allowed(uint32(typ), id)
	}
	for _, at := range attach {
		ok, err := gplprobe.AllowedAttach(uint32(typ), uint32(at), id)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}
