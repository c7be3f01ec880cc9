// Package gplprobe asks the running kernel which BPF helpers are GPL-only,
// by loading a one-call program under a non-GPL license for each helper.
package gplprobe

import (
	"bytes"
	"encoding/binary"
	"unsafe"

	"github.com/purebpf/bpf/internal/sys"
)

// programTypes are tried in order until one of them may call the helper.
var programTypes = []uint32{
	1,  // socket_filter
	2,  // kprobe
	3,  // sched_cls
	6,  // xdp
	5,  // tracepoint
	7,  // perf_event
	8,  // cgroup_skb
	13, // sock_ops
	14, // sk_skb
	16, // sk_msg
	17, // raw_tracepoint
	18, // cgroup_sock_addr
	9,  // cgroup_sock
	23, // cgroup_sysctl
	25, // cgroup_sockopt
	10, // lwt_in
	12, // lwt_xmit
	19, // lwt_seg6local
	21, // sk_reuseport
	22, // flow_dissector
	30, // sk_lookup
}

// Verdict is what the kernel said about a helper.
type Verdict int

// Verdicts.
const (
	Unknown Verdict = iota // no probed program type may call it
	GPLOnly
	NotGPLOnly
)

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
	put(0x85, 0, 0, id) // call id
	put(0xb7, 0, 0, 0)  // r0 = 0
	put(0x95, 0, 0, 0)  // exit
	return b.Bytes()
}

// Probe returns the kernel's verdict for helper id.
func Probe(id int32) (Verdict, error) {
	insns := program(id)
	license := []byte("Proprietary\x00")
	log := make([]byte, 4096)
	for _, typ := range programTypes {
		clear(log)
		attr := sys.ProgLoadAttr{
			ProgType: typ,
			InsnCnt:  uint32(len(insns) / 8),
			Insns:    sys.NewPointer(unsafe.Pointer(&insns[0])),
			License:  sys.NewPointer(unsafe.Pointer(&license[0])),
			LogLevel: 1,
			LogSize:  uint32(len(log)),
			LogBuf:   sys.NewPointer(unsafe.Pointer(&log[0])),
		}
		fd, err := sys.ProgLoad(&attr)
		if err == nil {
			fd.Close()
			return NotGPLOnly, nil
		}
		switch text := sys.CString(log); {
		case bytes.Contains(log, []byte("GPL-restricted")) || bytes.Contains(log, []byte("GPL compatible")):
			return GPLOnly, nil
		case bytes.Contains(log, []byte("unknown func")), bytes.Contains(log, []byte("cannot use helper")),
			bytes.Contains(log, []byte("invalid func")), text == "":
			continue
		default:
			return NotGPLOnly, nil
		}
	}
	return Unknown, nil
}

// Allowed reports whether programs of type progType may call helper id on
// the running kernel (GPL license, so only the program type matters).
func Allowed(progType uint32, id int32) (bool, error) {
	insns := program(id)
	license := []byte("GPL\x00")
	log := make([]byte, 4096)
	attr := sys.ProgLoadAttr{
		ProgType: progType,
		InsnCnt:  uint32(len(insns) / 8),
		Insns:    sys.NewPointer(unsafe.Pointer(&insns[0])),
		License:  sys.NewPointer(unsafe.Pointer(&license[0])),
		LogLevel: 1,
		LogSize:  uint32(len(log)),
		LogBuf:   sys.NewPointer(unsafe.Pointer(&log[0])),
	}
	fd, err := sys.ProgLoad(&attr)
	if err == nil {
		fd.Close()
		return true, nil
	}
	text := sys.CString(log)
	switch {
	case text == "":
		return false, err
	case bytes.Contains(log, []byte("unknown func")), bytes.Contains(log, []byte("cannot use helper")), bytes.Contains(log, []byte("invalid func")):
		return false, nil
	}
	return true, nil
}
