package asm_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"unsafe"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/testenv"
	"golang.org/x/sys/unix"
)

// This file checks encodings against the running kernel: programs are
// loaded with a raw bpf(2) (the loader lives in other packages), read back
// with BPF_OBJ_GET_INFO_BY_FD and decoded, and bpftool's "prog dump
// xlated" text is compared with ours (bpftool is required: without it the
// test fails under PUREBPF_REQUIRE_PRIVILEGED=1). Programs using an
// instruction-set extension run only where features says the kernel has
// it, and skip naming it elsewhere.

const (
	cmdMapCreate     = 0
	cmdProgLoad      = 5
	cmdObjGetInfoFD  = 15
	progTypeSockFilt = 1
	progTypeXDP      = 6
	mapTypeArray     = 2
)

var callName = regexp.MustCompile(`call [^#\s]+#(-?[0-9]+)`)

// bpftool names the callee of a jited bpf-to-bpf call after the offset.
var jitedCall = regexp.MustCompile(`call pc([+-][0-9]+)#\S*\n`)

func bpfCall(cmd int, attr unsafe.Pointer, size uintptr) (int, error) {
	r, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

func createArray(t *testing.T, valueSize uint32) int {
	t.Helper()
	attr := struct {
		mapType, keySize, valueSize, maxEntries, flags uint32
	}{mapTypeArray, 4, valueSize, 1, 0}
	fd, err := bpfCall(cmdMapCreate, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if err != nil {
		t.Fatalf("create array map: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// load loads insns and returns the program fd, or the errno and the
// verifier log.
func load(t *testing.T, progType uint32, insns asm.Instructions) (int, string, error) {
	t.Helper()
	code, err := insns.Encode(binary.NativeEndian)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	license := []byte("GPL\x00")
	logBuf := make([]byte, 1<<16)
	attr := struct {
		progType, insnCnt uint32
		insns, license    uint64
		logLevel, logSize uint32
		logBuf            uint64
	}{
		progType: progType,
		insnCnt:  uint32(len(code) / asm.InstructionSize),
		insns:    uint64(uintptr(unsafe.Pointer(&code[0]))),
		license:  uint64(uintptr(unsafe.Pointer(&license[0]))),
		logLevel: 1,
		logSize:  uint32(len(logBuf)),
		logBuf:   uint64(uintptr(unsafe.Pointer(&logBuf[0]))),
	}
	// The verifier returns EAGAIN when a signal (the Go runtime's
	// preemption) arrives while it works: slow kernels (qemu without
	// KVM) see it often. Retry, as the library does.
	var fd int
	for range 64 {
		if fd, err = bpfCall(cmdProgLoad, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); !errors.Is(err, unix.EAGAIN) {
			break
		}
	}
	runtime.KeepAlive(code)
	runtime.KeepAlive(license)
	log := string(bytes.TrimRight(logBuf, "\x00"))
	if err == nil {
		t.Cleanup(func() { unix.Close(fd) })
	}
	return fd, log, err
}

// xlated returns the program id and its translated instructions.
func xlated(t *testing.T, fd int) (uint32, []byte) {
	t.Helper()
	var info [256]byte // struct bpf_prog_info prefix: id at 4, xlated_prog_len at 20, xlated_prog_insns at 32
	get := func() {
		attr := struct {
			fd, infoLen uint32
			info        uint64
		}{uint32(fd), uint32(len(info)), uint64(uintptr(unsafe.Pointer(&info[0])))}
		if _, err := bpfCall(cmdObjGetInfoFD, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil {
			t.Fatalf("get prog info: %v", err)
		}
	}
	get()
	n := binary.NativeEndian.Uint32(info[20:])
	buf := make([]byte, n)
	info = [256]byte{}
	binary.NativeEndian.PutUint32(info[20:], n)
	binary.NativeEndian.PutUint64(info[32:], uint64(uintptr(unsafe.Pointer(&buf[0]))))
	get()
	runtime.KeepAlive(buf)
	return binary.NativeEndian.Uint32(info[4:]), buf
}

func TestKernelAcceptsEncodings(t *testing.T) {
	testenv.RequirePrivileged(t)
	arr := createArray(t, 16)

	withMap := func(insns asm.Instructions) asm.Instructions {
		for i := range insns {
			if insns[i].IsLoadFromMap() {
				insns[i].SetMapFD(arr)
			}
		}
		return insns
	}

	for _, tt := range []struct {
		name  string
		typ   uint32
		insns asm.Instructions
		// compare with bpftool's text. Its disassembler may predate newer
		// instructions (bpftool 7.1 prints BUG_ for cpu v4 forms and
		// load-acquire), so only programs of long-standing forms compare.
		bpftool bool
		// needs is the features probe of the instruction-set extension
		// the program uses, or nil.
		needs func() error
	}{
		{"xdp pass tcp", progTypeXDP, asm.Instructions{
			asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
			asm.LoadMem(asm.R3, asm.R1, 4, asm.Word),
			asm.Mov.Imm(asm.R0, 1),
			asm.Mov.Reg(asm.R4, asm.R2),
			asm.Add.Imm(asm.R4, 34),
			asm.JGT.Reg(asm.R4, asm.R3, "out"),
			asm.LoadMem(asm.R4, asm.R2, 12, asm.Half),
			asm.HostTo(asm.BE, asm.R4, asm.Half),
			asm.JNE.Imm(asm.R4, 0x0800, "out"),
			asm.LoadMem(asm.R4, asm.R2, 23, asm.Byte),
			asm.JNE.Imm32(asm.R4, 6, "out"),
			asm.Mov.Imm32(asm.R0, 2),
			asm.Return().WithSymbol("out"),
		}, true, nil},
		{"alu and stack", progTypeSockFilt, asm.Instructions{
			asm.Mov.Imm(asm.R1, -7),
			asm.StoreMem(asm.RFP, -8, asm.R1, asm.DWord),
			asm.StoreImm(asm.RFP, -16, 3, asm.DWord),
			asm.LoadMem(asm.R2, asm.RFP, -8, asm.DWord),
			asm.Mul.Imm(asm.R2, 3),
			asm.Div.Imm32(asm.R2, 5),
			asm.Mod.Imm(asm.R2, 7),
			asm.Or.Imm(asm.R2, 0x10),
			asm.And.Imm32(asm.R2, 0xff),
			asm.LSh.Imm(asm.R2, 4),
			asm.RSh.Imm(asm.R2, 1),
			asm.ArSh.Imm(asm.R2, 1),
			asm.Xor.Reg(asm.R2, asm.R1),
			asm.Neg.Imm(asm.R2, 0),
			asm.Sub.Reg32(asm.R2, asm.R1),
			asm.HostTo(asm.LE, asm.R2, asm.DWord),
			asm.AtomicAdd(asm.RFP, -8, asm.R2, asm.DWord),
			asm.Mov.Imm(asm.R0, 0),
			asm.JSet.Imm(asm.R2, 1, "out"),
			asm.Ja("out"),
			asm.Return().WithSymbol("out"),
		}, true, nil},
		{"map lookup", progTypeXDP, withMap(asm.Instructions{
			asm.StoreImm(asm.RFP, -4, 0, asm.Word),
			asm.Mov.Reg(asm.R2, asm.RFP),
			asm.Add.Imm(asm.R2, -4),
			asm.LoadMapPtr(asm.R1, "arr"),
			asm.Call(asm.FnMapLookupElem),
			asm.Mov.Imm(asm.R1, 1),
			asm.JEq.Imm(asm.R0, 0, "out"),
			asm.AtomicAdd(asm.R0, 0, asm.R1, asm.DWord),
			asm.LoadMapValue(asm.R2, "arr", 8),
			asm.LoadMem(asm.R1, asm.R2, 0, asm.DWord),
			asm.Mov.Imm(asm.R0, 2).WithSymbol("out"),
			asm.Return(),
		}), false, nil},
		{"cpu v4", progTypeSockFilt, asm.Instructions{
			asm.Mov.Imm(asm.R1, -7),
			asm.Mov.Imm(asm.R2, 2),
			asm.SDiv.Reg(asm.R1, asm.R2),
			asm.SMod.Imm32(asm.R1, 3),
			asm.SDiv.Imm32(asm.R1, -2),
			asm.SMod.Reg(asm.R1, asm.R2),
			asm.MovSX8.Reg(asm.R3, asm.R1),
			asm.MovSX16.Reg32(asm.R3, asm.R1),
			asm.MovSX32.Reg(asm.R3, asm.R1),
			asm.Swap(asm.R3, asm.Half),
			asm.Swap(asm.R3, asm.Word),
			asm.Swap(asm.R3, asm.DWord),
			asm.StoreMem(asm.RFP, -8, asm.R3, asm.DWord),
			asm.LoadMemSX(asm.R4, asm.RFP, -8, asm.Byte),
			asm.LoadMemSX(asm.R4, asm.RFP, -8, asm.Half),
			asm.LoadMemSX(asm.R4, asm.RFP, -8, asm.Word),
			asm.Mov.Imm(asm.R0, 0),
			asm.JEq.Imm(asm.R4, 5, "two"),
			asm.Mov.Imm(asm.R0, 1),
			asm.JaLong("out"),
			asm.Mov.Imm(asm.R0, 2).WithSymbol("two"),
			asm.Return().WithSymbol("out"),
		}, false, features.HaveV4ISA},
		{"atomics", progTypeSockFilt, asm.Instructions{
			asm.StoreImm(asm.RFP, -8, 5, asm.DWord),
			asm.Mov.Imm(asm.R1, 1),
			asm.AtomicFetchAdd(asm.RFP, -8, asm.R1, asm.DWord),
			asm.AtomicAnd(asm.RFP, -8, asm.R1, asm.DWord),
			asm.AtomicFetchOr(asm.RFP, -8, asm.R1, asm.Word),
			asm.AtomicFetchXor(asm.RFP, -8, asm.R1, asm.DWord),
			asm.AtomicXchg(asm.RFP, -8, asm.R1, asm.DWord),
			asm.Mov.Imm(asm.R0, 0),
			asm.AtomicCmpXchg(asm.RFP, -8, asm.R1, asm.DWord),
			asm.Mov.Imm(asm.R0, 0),
			asm.Return(),
		}, true, features.HaveAtomics},
		{"load-acquire and store-release", progTypeSockFilt, asm.Instructions{
			asm.StoreImm(asm.RFP, -8, 5, asm.DWord),
			asm.LoadAcquire(asm.R2, asm.RFP, -8, asm.Byte),
			asm.StoreRelease(asm.RFP, -8, asm.R2, asm.Half),
			asm.LoadAcquire(asm.R2, asm.RFP, -8, asm.DWord),
			asm.Mov.Imm(asm.R0, 0),
			asm.Return(),
		}, false, features.HaveLoadAcquireStoreRelease},
		{"bpf-to-bpf call", progTypeSockFilt, asm.Instructions{
			asm.Mov.Imm(asm.R1, 1),
			asm.CallFunc("sub"),
			asm.Return(),
			asm.Mov.Reg(asm.R0, asm.R1).WithSymbol("sub"),
			asm.Add.Imm(asm.R0, 1),
			asm.Return(),
		}, true, nil},
		{"bpf-to-bpf call and may_goto", progTypeSockFilt, asm.Instructions{
			asm.Mov.Imm(asm.R1, 1),
			asm.CallFunc("sub"),
			asm.Return(),
			asm.Mov.Reg(asm.R0, asm.R1).WithSymbol("sub"),
			asm.MayGoto("done"),
			asm.Add.Imm(asm.R0, 1),
			asm.Return().WithSymbol("done"),
		}, true, features.HaveMayGoto},
		{"legacy packet loads", progTypeSockFilt, asm.Instructions{
			asm.Mov.Reg(asm.R6, asm.R1),
			asm.LoadAbs(12, asm.Half),
			asm.Mov.Imm(asm.R7, 14),
			asm.LoadInd(asm.R7, 9, asm.Byte),
			asm.Return(),
		}, true, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needs != nil {
				testenv.SkipUnsupported(t, tt.needs())
			}
			if tt.bpftool {
				testenv.RequireTool(t, "bpftool")
			}
			fd, log, err := load(t, tt.typ, tt.insns)
			if err != nil {
				t.Fatalf("kernel rejected the program: %v\n%s\n%s", err, log, tt.insns)
			}
			id, raw := xlated(t, fd)
			dec, err := asm.Decode(raw, binary.NativeEndian)
			if err != nil {
				t.Fatalf("decode xlated program: %v", err)
			}
			again, err := dec.Encode(binary.NativeEndian)
			if err != nil || !bytes.Equal(again, raw) {
				t.Fatalf("xlated program does not round trip: %v", err)
			}
			if testing.Verbose() {
				t.Logf("xlated:\n%s", dec)
			}
			if !tt.bpftool {
				return
			}
			out, err := exec.Command("bpftool", "prog", "dump", "xlated", "id", strconv.Itoa(int(id))).CombinedOutput()
			if err != nil {
				t.Fatalf("bpftool: %v\n%s", err, out)
			}
			// Calls in xlated programs hold kernel addresses, which bpftool
			// names with kallsyms; compare them by address only.
			want := callName.ReplaceAllString(string(out), "call $1#")
			want = jitedCall.ReplaceAllString(want, "call pc$1\n")
			got := callName.ReplaceAllString(dec.String(), "call $1#")
			if got != want {
				t.Errorf("disassembly differs from bpftool\n got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
