package bpf_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/bpftest/packet"
	pbtf "github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/verifier"
)

// TestHiddenFunction loads elf/testdata/hidden.o, whose XDP program calls
// a __hidden global function that stores through its pointer argument
// without a NULL check: the kernel accepts it only because the BTF it
// gets marks the function static (checked per call), as libbpf does. The
// same program with the function's BTF left global is refused, which
// shows the test depends on the rewrite.
func TestHiddenFunction(t *testing.T) {
	testenv.RequirePrivileged(t)
	c := loadObject(t, "elf/testdata/hidden.o")
	if got := collRun(t, c.Programs["hidden_caller"], packet.UDPv4(collCli, collHTTP, nil)); got != uint32(bpf.XDPPass) {
		t.Errorf("hidden_caller returned %d, want XDP_PASS", got)
	}

	// Undo the rewrite: the function's FUNC type global again.
	spec, err := elf.Open("elf/testdata/hidden.o")
	if err != nil {
		t.Fatal(err)
	}
	global := spec.Copy()
	raw, err := spec.BTF.Marshal(binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	if global.BTF, err = pbtf.Parse(globalFunc(t, raw, "store_verdict")); err != nil {
		t.Fatal(err)
	}
	for _, p := range global.Programs {
		p.BTF = global.BTF
	}
	_, err = bpf.NewCollection(global)
	var verr *verifier.Error
	if !errors.As(err, &verr) {
		t.Fatalf("with global linkage: %v, want a verifier rejection", err)
	}
}

// globalFunc returns a copy of raw (kernel-ready .BTF) in which the FUNC
// named name has global linkage.
func globalFunc(t *testing.T, raw []byte, name string) []byte {
	t.Helper()
	out := append([]byte(nil), raw...)
	le := func(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24 }
	hdr := le(out[4:])
	types := out[hdr+le(out[8:]) : hdr+le(out[8:])+le(out[12:])]
	strs := out[hdr+le(out[16:]) : hdr+le(out[16:])+le(out[20:])]
	for off := 0; off < len(types); {
		info := le(types[off+4:])
		kind, vlen := info>>24&0x1f, int(info&0xffff)
		extra := map[uint32]int{1: 4, 3: 12, 4: 12 * vlen, 5: 12 * vlen, 6: 8 * vlen, 13: 8 * vlen, 14: 4, 15: 12 * vlen, 17: 4, 19: 12 * vlen}[kind]
		if n := le(types[off:]); kind == 12 && string(strs[n:n+uint32(len(name))]) == name && strs[n+uint32(len(name))] == 0 {
			if vlen != 0 {
				t.Fatalf("FUNC %s has linkage %d in the BTF for the kernel, want static (0)", name, vlen)
			}
			types[off+4] |= 1 // BTF_FUNC_GLOBAL
			return out
		}
		off += 12 + extra
	}
	t.Fatalf("no FUNC %s in the BTF", name)
	return nil
}
