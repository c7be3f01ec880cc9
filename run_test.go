package bpf_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
)

// frame64 is a 64-byte Ethernet/IPv4/TCP SYN frame.
var frame64 = func() []byte {
	f := make([]byte, 64)
	copy(f[0:], []byte{0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00}) // Ethernet, IPv4
	copy(f[14:], []byte{0x45, 0, 0, 50, 0, 1, 0, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2})
	copy(f[34:], []byte{0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff})
	return f
}()

func TestRunVerdicts(t *testing.T) {
	for _, action := range []bpf.XDPAction{bpf.XDPAborted, bpf.XDPDrop, bpf.XDPPass, bpf.XDPTx} {
		t.Run(action.String(), func(t *testing.T) {
			prog := mustLoad(t, xdpReturn(action))
			out := make([]byte, 256)
			res, err := prog.Run(bpf.RunOptions{Data: frame64, DataOut: out})
			if err != nil {
				t.Fatal(err)
			}
			if bpf.XDPAction(res.ReturnValue) != action {
				t.Fatalf("returned %v, want %v", bpf.XDPAction(res.ReturnValue), action)
			}
			if res.DataSize != len(frame64) || !bytes.Equal(out[:res.DataSize], frame64) {
				t.Fatalf("output packet %x (%d bytes), want the input", out[:res.DataSize], res.DataSize)
			}
		})
	}
}

// TestRunRewritesPacket checks that DataOut holds what the program wrote.
func TestRunRewritesPacket(t *testing.T) {
	prog := mustLoad(t, &bpf.ProgramSpec{Name: "rewrite", Type: bpf.XDP, License: "GPL", Instructions: asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word), // data
		asm.LoadMem(asm.R3, asm.R1, 4, asm.Word), // data_end
		asm.Mov.Reg(asm.R4, asm.R2),
		asm.Add.Imm(asm.R4, 15),
		asm.Mov.Imm(asm.R0, int32(bpf.XDPAborted)),
		asm.JGT.Reg(asm.R4, asm.R3, "out"),
		asm.StoreImm(asm.R2, 0, 0xee, asm.Byte), // first byte of the destination MAC
		asm.Mov.Imm(asm.R0, int32(bpf.XDPTx)),
		asm.Return().WithSymbol("out"),
	}})
	out := make([]byte, 128)
	res, err := prog.Run(bpf.RunOptions{Data: frame64, DataOut: out})
	if err != nil {
		t.Fatal(err)
	}
	if bpf.XDPAction(res.ReturnValue) != bpf.XDPTx || out[0] != 0xee || !bytes.Equal(out[1:64], frame64[1:]) {
		t.Fatalf("verdict %v, output %x", bpf.XDPAction(res.ReturnValue), out[:res.DataSize])
	}
	if frame64[0] != 0x02 {
		t.Fatal("the input frame was modified")
	}
	// A frame shorter than the 15 bytes checked is aborted.
	res, err = prog.Run(bpf.RunOptions{Data: frame64[:14]})
	if err != nil || bpf.XDPAction(res.ReturnValue) != bpf.XDPAborted {
		t.Fatalf("14-byte frame: %v, %v", res, err)
	}
}

func TestRunErrors(t *testing.T) {
	prog := mustLoad(t, xdpReturn(bpf.XDPPass))
	res, err := prog.Run(bpf.RunOptions{Data: frame64, DataOut: make([]byte, 10)})
	if !errors.Is(err, unix.ENOSPC) || res.DataSize != 64 || !strings.Contains(err.Error(), "does not fit DataOut") {
		t.Fatalf("small DataOut: %v, %+v", err, res)
	}
	_, err = prog.Run(bpf.RunOptions{Data: frame64[:4]})
	if !errors.Is(err, unix.EINVAL) || !strings.Contains(err.Error(), "program xdp_ret") {
		t.Fatalf("4-byte frame: %v", err)
	}
	prog.Close()
	if _, err = prog.Run(bpf.RunOptions{Data: frame64}); !errors.Is(err, unix.EBADF) || !errors.Is(err, bpf.ErrClosed) {
		t.Fatalf("closed program: %v", err)
	}
}

func TestRunRepeatReportsDuration(t *testing.T) {
	prog := mustLoad(t, xdpReturn(bpf.XDPDrop))
	res, err := prog.Run(bpf.RunOptions{Data: frame64, Repeat: 100000})
	if err != nil {
		t.Fatal(err)
	}
	if res.ReturnValue != uint32(bpf.XDPDrop) || res.Duration <= 0 {
		t.Fatalf("%+v", res)
	}
}

func TestRunDoesNotAllocate(t *testing.T) {
	prog := mustLoad(t, xdpReturn(bpf.XDPDrop))
	out := make([]byte, 128)
	opts := bpf.RunOptions{Data: frame64, DataOut: out}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := prog.Run(opts); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per Run", allocs)
	}
}

// Example loads a program that drops every packet and runs it on a frame.
func Example() {
	prog, err := bpf.NewProgram(&bpf.ProgramSpec{
		Name:    "drop_all",
		Type:    bpf.XDP,
		License: "GPL",
		Instructions: asm.Instructions{
			asm.Mov.Imm(asm.R0, int32(bpf.XDPDrop)),
			asm.Return(),
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	res, err := prog.Run(bpf.RunOptions{Data: frame64})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bpf.XDPAction(res.ReturnValue))
	// Output: XDP_DROP
}
