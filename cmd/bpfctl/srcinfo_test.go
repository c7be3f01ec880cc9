package main

import (
	"testing"
	"unsafe"

	"github.com/purebpf/bpf/internal/sys"
)

// TestProgInfoOffsets checks the bpf_prog_info offsets srcinfo.go uses
// against the library's layout of the struct.
func TestProgInfoOffsets(t *testing.T) {
	var pi sys.ProgInfo
	tests := []struct {
		name      string
		got, want uintptr
	}{
		{"xlated_prog_len", progInfoXlatedLen, unsafe.Offsetof(pi.XlatedProgLen)},
		{"xlated_prog_insns", progInfoXlatedInsns, unsafe.Offsetof(pi.XlatedProgInsns)},
		{"nr_jited_ksyms", progInfoNrJitedKsyms, unsafe.Offsetof(pi.NrJitedKsyms)},
		{"jited_ksyms", progInfoJitedKsyms, unsafe.Offsetof(pi.JitedKsyms)},
		{"btf_id", progInfoBTFID, unsafe.Offsetof(pi.BTFID)},
		{"func_info_rec_size", progInfoFuncInfoRecSize, unsafe.Offsetof(pi.FuncInfoRecSize)},
		{"func_info", progInfoFuncInfo, unsafe.Offsetof(pi.FuncInfo)},
		{"nr_func_info", progInfoNrFuncInfo, unsafe.Offsetof(pi.NrFuncInfo)},
		{"nr_line_info", progInfoNrLineInfo, unsafe.Offsetof(pi.NrLineInfo)},
		{"line_info", progInfoLineInfo, unsafe.Offsetof(pi.LineInfo)},
		{"line_info_rec_size", progInfoLineInfoRecSize, unsafe.Offsetof(pi.LineInfoRecSize)},
		{"end of jited_line_info_rec_size", progInfoSize, unsafe.Offsetof(pi.JitedLineInfoRecSize) + 4},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: offset %d, struct bpf_prog_info has it at %d", tt.name, tt.got, tt.want)
		}
	}
}

// TestBTFStrings checks the header checks of btfStrings.
func TestBTFStrings(t *testing.T) {
	hdr := func(strOff, strLen uint32, extra int) []byte {
		b := make([]byte, 24+extra)
		b[0], b[1] = 0x9f, 0xeb
		b[4] = 24
		b[16], b[20] = byte(strOff), byte(strLen)
		return b
	}
	tests := []struct {
		name string
		raw  []byte
		ok   bool
	}{
		{"empty", nil, false},
		{"bad magic", make([]byte, 24), false},
		{"strings past the end", hdr(0, 8, 4), false},
		{"fits", hdr(0, 4, 4), true},
	}
	for _, tt := range tests {
		s, err := btfStrings(tt.raw)
		if (err == nil) != tt.ok {
			t.Errorf("%s: %q, %v", tt.name, s, err)
		}
	}
}
