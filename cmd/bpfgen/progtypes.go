package main

import (
	"fmt"
	"strings"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/elf"
)

// programTypes are the bpf.ProgramType constants by Go name, for -program,
// -section and -default-type (the kernel's names, bpf.XDP.String() and
// so on, are accepted too).
var programTypes = map[string]bpf.ProgramType{
	"SocketFilter": bpf.SocketFilter, "Kprobe": bpf.Kprobe, "SchedCLS": bpf.SchedCLS,
	"SchedACT": bpf.SchedACT, "TracePoint": bpf.TracePoint, "XDP": bpf.XDP,
	"PerfEvent": bpf.PerfEvent, "CGroupSKB": bpf.CGroupSKB, "CGroupSock": bpf.CGroupSock,
	"LWTIn": bpf.LWTIn, "LWTOut": bpf.LWTOut, "LWTXmit": bpf.LWTXmit, "SockOps": bpf.SockOps,
	"SkSKB": bpf.SkSKB, "CGroupDevice": bpf.CGroupDevice, "SkMsg": bpf.SkMsg,
	"RawTracepoint": bpf.RawTracepoint, "CGroupSockAddr": bpf.CGroupSockAddr,
	"LWTSeg6Local": bpf.LWTSeg6Local, "LircMode2": bpf.LircMode2, "SkReuseport": bpf.SkReuseport,
	"FlowDissector": bpf.FlowDissector, "CGroupSysctl": bpf.CGroupSysctl,
	"RawTracepointWritable": bpf.RawTracepointWritable, "CGroupSockopt": bpf.CGroupSockopt,
	"Tracing": bpf.Tracing, "StructOps": bpf.StructOps, "Extension": bpf.Extension,
	"LSM": bpf.LSM, "SkLookup": bpf.SkLookup, "Syscall": bpf.Syscall, "Netfilter": bpf.Netfilter,
}

// lookupProgramType finds a program type by Go constant name or kernel
// name.
func lookupProgramType(s string) (bpf.ProgramType, bool) {
	if t, ok := programTypes[s]; ok {
		return t, true
	}
	for _, t := range programTypes {
		if t.String() == s {
			return t, true
		}
	}
	return 0, false
}

// goName is the Go constant of a program type.
func goName(t bpf.ProgramType) string {
	for n, v := range programTypes {
		if v == t {
			return "bpf." + n
		}
	}
	return fmt.Sprintf("bpf.ProgramType(%d)", uint32(t))
}

type typeOverride struct {
	key string
	typ bpf.ProgramType
}

// parseOptions are the program types the command line gives.
type parseOptions struct {
	programs, sections []typeOverride
	defaultType        *bpf.ProgramType
}

func splitType(s string) (string, bpf.ProgramType, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", 0, fmt.Errorf("%q: want NAME=TYPE", s)
	}
	t, ok := lookupProgramType(v)
	if !ok {
		return "", 0, fmt.Errorf("%q: unknown program type %q", s, v)
	}
	return k, t, nil
}

func (p parseOptions) elfOptions() elf.Options {
	var o elf.Options
	for _, pr := range p.programs {
		if o.Programs == nil {
			o.Programs = map[string]elf.Convention{}
		}
		o.Programs[pr.key] = elf.Convention{Type: pr.typ}
	}
	for _, s := range p.sections {
		o.Sections = append(o.Sections, elf.SectionOverride{Pattern: s.key, Convention: elf.Convention{Type: s.typ}})
	}
	if p.defaultType != nil {
		o.DefaultType = *p.defaultType
	}
	return o
}

// goSource is the elf.Options literal of p, or "" when p is empty.
func (p parseOptions) goSource() string {
	if len(p.programs) == 0 && len(p.sections) == 0 && p.defaultType == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("elf.Options{\n")
	if len(p.programs) > 0 {
		b.WriteString("Programs: map[string]elf.Convention{\n")
		for _, pr := range p.programs {
			fmt.Fprintf(&b, "%q: {Type: %s},\n", pr.key, goName(pr.typ))
		}
		b.WriteString("},\n")
	}
	if len(p.sections) > 0 {
		b.WriteString("Sections: []elf.SectionOverride{\n")
		for _, s := range p.sections {
			fmt.Fprintf(&b, "{Pattern: %q, Convention: elf.Convention{Type: %s}},\n", s.key, goName(s.typ))
		}
		b.WriteString("},\n")
	}
	if p.defaultType != nil {
		fmt.Fprintf(&b, "DefaultType: %s,\n", goName(*p.defaultType))
	}
	b.WriteString("}")
	return b.String()
}
