// Package gplprobe asks the running kernel which BPF helpers are GPL-only,
// by loading a one-call program under a non-GPL license for each helper,
// and which helpers a program type may call.
//
// The probe programs never load: after the call they read a register
// nothing wrote, so every load fails in the verifier, after the helper
// call was judged. Nothing is JIT-compiled or freed, and the verdict comes
// from the verifier log. A probe costs one BPF_PROG_LOAD per program type
// tried.
package gplprobe

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"unsafe"

	"github.com/purebpf/bpf/internal/sys"
)

// programTypes are tried in order until one of them may call the helper:
// about the order that reaches a verdict with the fewest loads on 6.18
// (each type covers the most helpers the ones before it cannot call), with
// kprobe before perf_event: bpf_get_stackid (27) is GPL-only for tracing
// programs but not for perf_event ones, and the table records the
// stricter answer.
var programTypes = []uint32{
	3,  // sched_cls
	13, // sock_ops
	2,  // kprobe
	7,  // perf_event
	6,  // xdp
	16, // sk_msg
	23, // cgroup_sysctl
	8,  // cgroup_skb
	14, // sk_skb
	9,  // cgroup_sock
	10, // lwt_in
	21, // sk_reuseport
	1,  // socket_filter
	5,  // tracepoint
	17, // raw_tracepoint
	18, // cgroup_sock_addr
	25, // cgroup_sockopt
	12, // lwt_xmit
	19, // lwt_seg6local
	22, // flow_dissector
	30, // sk_lookup
}

// Verdict is what the kernel said about a helper.
type Verdict int

// Verdicts.
const (
	// Unknown: the running kernel cannot answer, because no probed
	// program type may call the helper here (it does not exist in this
	// kernel, or its subsystem is not built in, like seg6 without
	// CONFIG_IPV6_SEG6_LWTUNNEL).
	Unknown Verdict = iota
	// GPLOnly: only GPL-compatible programs may call the helper.
	GPLOnly
	// NotGPLOnly: any program that may call the helper may call it
	// whatever its license.
	NotGPLOnly
)

func (v Verdict) String() string {
	switch v {
	case Unknown:
		return "unknown here (no program type may call it on this kernel)"
	case GPLOnly:
		return "GPL-only"
	case NotGPLOnly:
		return "not GPL-only"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// program returns: r1..r5 = 0; call id; r0 = r9; exit. Reading r9, which
// nothing wrote, fails the verification after the call was checked.
func program(id int32) []byte {
	var b bytes.Buffer
	put := func(op uint8, regs uint8, off int16, imm int32) {
		binary.Write(&b, binary.LittleEndian, struct {
			Op   uint8
			Regs uint8
			Off  int16
			Imm  int32
		}{op, regs, off, imm})
	}
	for r := uint8(1); r <= 5; r++ {
		put(0xb7, r, 0, 0) // rN = 0
	}
	put(0x85, 0, 0, id)   // call id
	put(0xbf, 9<<4, 0, 0) // r0 = r9
	put(0x95, 0, 0, 0)    // exit
	return b.Bytes()
}

// judgement is how the verifier treated the call of a probe program.
type judgement int

const (
	noVerdict  judgement = iota // the log says nothing about the call (no verifier log)
	notCalled                   // unknown helper, or not for this program type
	gplRefused                  // GPL-only helper under a non-GPL license
	called                      // the call passed the helper checks
)

// load loads the probe program of helper id as progType under license and
// judges the call from the verifier log.
func load(progType uint32, id int32, license string) (judgement, error) {
	return loadAttach(progType, 0, id, license)
}

// loadAttach is load with an expected attach type (which some program
// types need, and which some helpers depend on).
func loadAttach(progType, attach uint32, id int32, license string) (judgement, error) {
	insns := program(id)
	lic := append([]byte(license), 0)
	log := make([]byte, 4096)
	attr := sys.ProgLoadAttr{
		ProgType:           progType,
		ExpectedAttachType: attach,
		InsnCnt:            uint32(len(insns) / 8),
		Insns:              sys.NewPointer(unsafe.Pointer(&insns[0])),
		License:            sys.NewPointer(unsafe.Pointer(&lic[0])),
		LogLevel:           1,
		LogSize:            uint32(len(log)),
		LogBuf:             sys.NewPointer(unsafe.Pointer(&log[0])),
	}
	fd, err := sys.ProgLoad(&attr)
	if err == nil {
		// Cannot happen (r9 is never written); do not leak it.
		fd.Close()
		return called, nil
	}
	text := sys.CString(log)
	switch {
	case text == "":
		// The program type does not exist here, or the load failed
		// before the verifier ran.
		return noVerdict, nil
	case bytes.Contains(log, []byte("GPL-restricted")) || bytes.Contains(log, []byte("GPL compatible")):
		return gplRefused, nil
	case bytes.Contains(log, []byte("unknown func")), bytes.Contains(log, []byte("cannot use helper")),
		bytes.Contains(log, []byte("invalid func")):
		return notCalled, nil
	}
	return called, nil
}

// Probe returns the kernel's verdict for helper id: GPLOnly or NotGPLOnly
// from the first program type that may call it, Unknown if none may.
func Probe(id int32) (Verdict, error) {
	for _, typ := range programTypes {
		j, err := load(typ, id, "Proprietary")
		if err != nil {
			return Unknown, err
		}
		switch j {
		case gplRefused:
			return GPLOnly, nil
		case called:
			return NotGPLOnly, nil
		}
	}
	return Unknown, nil
}

// Allowed reports whether programs of type progType may call helper id on
// the running kernel (GPL license, so only the program type matters).
func Allowed(progType uint32, id int32) (bool, error) {
	return AllowedAttach(progType, 0, id)
}

// AllowedAttach is Allowed for programs of expected attach type attach.
func AllowedAttach(progType, attach uint32, id int32) (bool, error) {
	j, err := loadAttach(progType, attach, id, "GPL")
	if err != nil {
		return false, err
	}
	switch j {
	case noVerdict:
		return false, fmt.Errorf("program type %d: no verifier log (type not supported by this kernel?)", progType)
	case called:
		return true, nil
	}
	return false, nil
}

// Mismatch is a helper whose table entry disagrees with the kernel.
type Mismatch struct {
	ID      int32
	Table   bool // the table's GPL-only
	Verdict Verdict
}

func (m Mismatch) String() string {
	return fmt.Sprintf("helper %d: table says GPL-only=%v, the kernel says %v", m.ID, m.Table, m.Verdict)
}

// Compare compares table (GPL-only by helper id) with probe's verdicts.
// Helpers the kernel cannot answer for (Unknown) are returned apart, not as
// mismatches: a table built on one kernel build may list helpers another
// build lacks.
func Compare(table map[int32]bool, probe func(int32) (Verdict, error)) (mismatches []Mismatch, unknown []int32, err error) {
	ids := make([]int32, 0, len(table))
	for id := range table {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		gpl := table[id]
		v, err := probe(id)
		if err != nil {
			return nil, nil, fmt.Errorf("probe helper %d: %w", id, err)
		}
		switch {
		case v == Unknown:
			unknown = append(unknown, id)
		case (v == GPLOnly) != gpl:
			mismatches = append(mismatches, Mismatch{ID: id, Table: gpl, Verdict: v})
		}
	}
	return mismatches, unknown, nil
}
