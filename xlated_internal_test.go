package bpf

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/purebpf/bpf/asm"
)

// rawInsn encodes one raw slot: opcode, dst and src registers (placed in
// the byte order's nibbles), offset and immediate.
func rawInsn(bo binary.ByteOrder, op byte, dst, src uint8, off int16, imm int32) []byte {
	b := make([]byte, 8)
	b[0] = op
	if bo == binary.ByteOrder(binary.BigEndian) {
		b[1] = dst<<4 | src
	} else {
		b[1] = src<<4 | dst
	}
	bo.PutUint16(b[2:], uint16(off))
	bo.PutUint32(b[4:], uint32(imm))
	return b
}

func TestNormalizeXlated(t *testing.T) {
	const (
		call  = 0x85
		ldDW  = 0x18
		mov   = 0xb7
		pcall = 1 // BPF_PSEUDO_CALL
		kfunc = 2 // BPF_PSEUDO_KFUNC_CALL
		value = 2 // BPF_PSEUDO_MAP_VALUE
		fn    = 4 // BPF_PSEUDO_FUNC
	)
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, tc := range []struct {
			name    string
			in, out [][]byte
		}{
			{"subprogram call: target from the offset, index dropped",
				[][]byte{rawInsn(bo, call, 0, pcall, 5, 2)},
				[][]byte{rawInsn(bo, call, 0, pcall, 0, 5)}},
			{"backward subprogram call",
				[][]byte{rawInsn(bo, call, 0, pcall, -3, 1)},
				[][]byte{rawInsn(bo, call, 0, pcall, 0, -3)}},
			{"function load: subprogram index dropped",
				[][]byte{rawInsn(bo, ldDW, 2, fn, 0, 7), rawInsn(bo, 0, 0, 0, 0, 3)},
				[][]byte{rawInsn(bo, ldDW, 2, fn, 0, 7), rawInsn(bo, 0, 0, 0, 0, 0)}},
			{"helper and kfunc calls untouched",
				[][]byte{rawInsn(bo, call, 0, 0, 0, 1234), rawInsn(bo, call, 0, kfunc, 1, 99)},
				[][]byte{rawInsn(bo, call, 0, 0, 0, 1234), rawInsn(bo, call, 0, kfunc, 1, 99)}},
			{"map value load keeps its offset",
				[][]byte{rawInsn(bo, ldDW, 1, value, 0, 12), rawInsn(bo, 0, 0, 0, 0, 16)},
				[][]byte{rawInsn(bo, ldDW, 1, value, 0, 12), rawInsn(bo, 0, 0, 0, 0, 16)}},
			{"second half of an LD_IMM64 that looks like a call is data",
				[][]byte{rawInsn(bo, ldDW, 1, 0, 0, 1), rawInsn(bo, call, 0, pcall, 5, 2)},
				[][]byte{rawInsn(bo, ldDW, 1, 0, 0, 1), rawInsn(bo, call, 0, pcall, 5, 2)}},
			{"truncated function load",
				[][]byte{rawInsn(bo, mov, 0, 0, 0, 0), rawInsn(bo, ldDW, 2, fn, 0, 7)},
				[][]byte{rawInsn(bo, mov, 0, 0, 0, 0), rawInsn(bo, ldDW, 2, fn, 0, 7)}},
		} {
			t.Run(bo.String()+"/"+tc.name, func(t *testing.T) {
				b := bytes.Join(tc.in, nil)
				normalizeXlated(b, bo)
				if want := bytes.Join(tc.out, nil); !bytes.Equal(b, want) {
					t.Errorf("got % x\nwant % x", b, want)
				}
			})
		}
	}
}

func TestLabelSubprograms(t *testing.T) {
	bo := binary.LittleEndian
	raw := bytes.Join([][]byte{
		rawInsn(bo, 0x18, 2, 4, 0, 4), rawInsn(bo, 0, 0, 0, 0, 0), // 0: r2 = subprog[+4] (raw 5)
		rawInsn(bo, 0x85, 0, 1, 0, 1), // 2: call pc+1 (raw 4)
		rawInsn(bo, 0x95, 0, 0, 0, 0), // 3: exit
		rawInsn(bo, 0xb7, 0, 0, 0, 1), // 4: subprogram
		rawInsn(bo, 0x95, 0, 0, 0, 0), // 5: callback (exit)
	}, nil)
	insns, err := asm.Decode(raw, bo)
	if err != nil {
		t.Fatal(err)
	}
	labelSubprograms(insns)
	for i, want := range []struct{ sym, ref string }{{"", "subprog_5"}, {"", "subprog_4"}, {"", ""}, {"subprog_4", ""}, {"subprog_5", ""}} {
		if insns[i].Symbol() != want.sym || insns[i].Reference() != want.ref {
			t.Errorf("instruction %d (%v): symbol %q, reference %q; want %q, %q", i, insns[i], insns[i].Symbol(), insns[i].Reference(), want.sym, want.ref)
		}
	}
	again, err := insns.Encode(bo)
	if err != nil || !bytes.Equal(again, raw) {
		t.Errorf("labelled program encodes to % x (%v), want % x", again, err, raw)
	}
}
