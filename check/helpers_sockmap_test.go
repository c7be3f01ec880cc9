package check

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"unsafe"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
)

// TestSockMapUpdateAgreesWithKernel calls bpf_map_update_elem and
// bpf_map_delete_elem on a sockmap and a sockhash from each modelled
// program type with a socket, a NULL-able socket, a descriptor on the
// stack and NULL as the value, and compares the verdicts with the
// kernel's (the value of a socket map update is a socket; only some types
// may update or delete). It also checks the version rule of deletes.
func TestSockMapUpdateAgreesWithKernel(t *testing.T) {
	testenv.RequirePrivileged(t)
	specs := map[string]*maps.Spec{
		"sockmap":  {Type: kernel.MapSockMap, KeySize: 4, ValueSize: 8, MaxEntries: 4},
		"sockhash": {Type: kernel.MapSockHash, KeySize: 4, ValueSize: 8, MaxEntries: 4},
	}
	fds := map[int]*maps.Spec{}
	byName := map[string]int{}
	for name, s := range specs {
		m, err := maps.New(s)
		if err != nil {
			t.Fatalf("map %s: %v", name, err)
		}
		defer m.Close()
		fds[m.FD()], byName[name] = s, m.FD()
	}
	// prog is a call of fn on map with the value of kind (update) and a
	// zeroed key at fp-8.
	prog := func(typ kernel.ProgramType, fn asm.BuiltinFunc, mapName, value string) asm.Instructions {
		insns := asm.Instructions{asm.Mov.Reg(asm.R6, asm.R1), asm.StoreImm(asm.RFP, -8, 0, asm.DWord), asm.StoreImm(asm.RFP, -16, 3, asm.DWord)}
		if fn == asm.FnMapUpdateElem {
			switch value {
			case "sk", "sk_or_null":
				if typ != kernel.SchedCLS && typ != kernel.SkSKB && typ != kernel.SocketFilter {
					return nil // __sk_buff.sk
				}
				insns = append(insns, asm.LoadMem(asm.R7, asm.R6, skbSK, asm.DWord))
				if value == "sk" {
					insns = append(insns, asm.JEq.Imm(asm.R7, 0, "out"))
				}
				insns = append(insns, asm.Mov.Reg(asm.R3, asm.R7))
			case "fd":
				insns = append(insns, asm.Mov.Reg(asm.R3, asm.RFP), asm.Add.Imm(asm.R3, -16))
			case "null":
				insns = append(insns, asm.Mov.Imm(asm.R3, 0))
			}
			insns = append(insns, asm.Mov.Imm(asm.R4, 0))
		}
		ld := asm.LoadMapPtr(asm.R1, mapName)
		ld.SetMapFD(byName[mapName])
		insns = append(insns, ld, asm.Mov.Reg(asm.R2, asm.RFP), asm.Add.Imm(asm.R2, -8), asm.Call(fn),
			asm.Mov.Imm(asm.R0, 1).WithSymbol("out"), asm.Return())
		return insns
	}
	load := func(typ kernel.ProgramType, at kernel.AttachType, insns asm.Instructions) error {
		code, err := insns.Encode(binary.NativeEndian)
		if err != nil {
			return err
		}
		license := []byte("GPL\x00")
		attr := sys.ProgLoadAttr{ProgType: uint32(typ), ExpectedAttachType: uint32(at), InsnCnt: uint32(len(code) / 8),
			Insns: sys.NewPointer(unsafe.Pointer(&code[0])), License: sys.NewPointer(unsafe.Pointer(&license[0]))}
		fd, err := sys.ProgLoad(&attr)
		if err == nil {
			fd.Close()
		}
		return err
	}
	types := []struct {
		typ kernel.ProgramType
		at  kernel.AttachType
	}{
		{kernel.SocketFilter, 0}, {kernel.SchedCLS, 0}, {kernel.XDP, 0}, {kernel.FlowDissector, 0},
		{kernel.SockOps, kernel.AttachCGroupSockOps}, {kernel.SkSKB, kernel.AttachSkSKBStreamVerdict},
		{kernel.CGroupSKB, kernel.AttachCGroupInetIngress}, {kernel.Kprobe, 0},
	}
	var verdicts, total int
	for _, tt := range types {
		requireProgramType(t, tt.typ)
		for _, mapName := range []string{"sockmap", "sockhash"} {
			for _, c := range []struct {
				fn    asm.BuiltinFunc
				value string
			}{{asm.FnMapDeleteElem, ""}, {asm.FnMapUpdateElem, "sk"}, {asm.FnMapUpdateElem, "sk_or_null"}, {asm.FnMapUpdateElem, "fd"}, {asm.FnMapUpdateElem, "null"}} {
				insns := prog(tt.typ, c.fn, mapName, c.value)
				if insns == nil {
					continue
				}
				name := fmt.Sprintf("%s/%s/%s/%s", tt.typ, mapName, c.fn, c.value)
				env := progEnv{Program: name, ProgramType: tt.typ, AttachType: tt.at, License: "GPL", MapsByFD: fds}
				ours := checkInsns(insns, env)
				theirs := load(tt.typ, tt.at, insns)
				total++
				switch {
				case ours == nil && theirs != nil:
					t.Errorf("%s: FALSE ACCEPT (kernel: %v)", name, theirs)
				case errors.Is(ours, ErrUnsupported):
					// Before 6.18 deletes from other types are not
					// modelled.
					if kernelAtLeast(t, 6, 18) || c.fn != asm.FnMapDeleteElem {
						t.Errorf("%s: no verdict: %v", name, ours)
					}
				case ours != nil && theirs == nil:
					t.Errorf("%s: false rejection: %v", name, ours)
				default:
					verdicts++
				}
				// Deletes from types that may not update: refused by
				// 6.18, not modelled before.
				if c.fn == asm.FnMapDeleteElem {
					env.KernelVersion = k61
					old := checkInsns(insns, env)
					switch tt.typ {
					case kernel.CGroupSKB, kernel.Kprobe, kernel.SkSKB:
						if !errors.Is(old, ErrUnsupported) {
							t.Errorf("%s on 6.1: %v, want ErrUnsupported", name, old)
						}
					default:
						if old != nil {
							t.Errorf("%s on 6.1: %v, want accepted", name, old)
						}
					}
				}
			}
		}
	}
	t.Logf("%d socket map calls, %d with the kernel's verdict", total, verdicts)
}
