package features

import (
	"errors"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/internal/sys"
)

var contextStoreImm = feature{
	name:      "stores of an immediate into the context (BPF_ST with a ctx pointer)",
	minKernel: "6.4", // 0d80a619c113 (bpf: allow ctx writes using BPF_ST_MEM instruction), "Networking for 6.4" pull
	probe: func() error {
		fd, log, _, err := probeProgram{typ: kernel.SchedCLS, withLog: true, insns: asm.Instructions{
			asm.StoreImm(asm.R1, 8, 0, asm.Word), // skb->mark = 0
			asm.Mov.Imm(asm.R0, 0),
			asm.Return(),
		}}.load()
		switch {
		case err == nil:
			fd.Close()
			return nil
		case errors.Is(err, unix.EACCES) && logHas(log, "BPF_ST stores into"):
			return errAbsent
		}
		return verifierError(err, log)
	},
}

// HaveContextStoreImm reports whether the verifier accepts a store of an
// immediate through the context pointer ("*(u32 *)(r1 +8) = 0", BPF_ST;
// Linux 6.4). Older kernels refuse it with "BPF_ST stores into R1 ctx is
// not allowed"; a register store (BPF_STX) of the same value works on
// every kernel. Clang emits BPF_ST only for -mcpu=v4.
func HaveContextStoreImm() error { return contextStoreImm.check() }

var nonNullArrayLookup = feature{
	name:      "non-NULL results of array map lookups with a constant in-range key",
	minKernel: "6.14", // d2102f2f5d75 (bpf: verifier: Support eliding map lookup nullness), in mainline during the 6.14 merge window
	probe: func() error {
		m, err := sys.MapCreate(&sys.MapCreateAttr{MapType: uint32(kernel.MapArray), KeySize: 4, ValueSize: 8, MaxEntries: 1})
		if err != nil {
			return err
		}
		defer m.Close()
		ld := asm.LoadMapPtr(asm.R1, "probe")
		ld.SetMapFD(m.Int())
		fd, log, _, err := probeProgram{typ: kernel.SocketFilter, withLog: true, insns: asm.Instructions{
			asm.StoreImm(asm.RFP, -4, 0, asm.Word),
			asm.Mov.Reg(asm.R2, asm.RFP),
			asm.Add.Imm(asm.R2, -4),
			ld,
			asm.Call(asm.FnMapLookupElem),
			asm.LoadMem(asm.R0, asm.R0, 0, asm.DWord), // no NULL check
			asm.Mov.Imm(asm.R0, 0),
			asm.Return(),
		}}.load()
		switch {
		case err == nil:
			fd.Close()
			return nil
		case errors.Is(err, unix.EACCES) && logHas(log, "invalid mem access", "_or_null"):
			return errAbsent
		}
		return verifierError(err, log)
	},
}

// HaveNonNullArrayLookup reports whether the verifier knows that
// bpf_map_lookup_elem on an array map with a constant key below
// max_entries cannot return NULL, so that the value may be used without a
// NULL check (Linux 6.14). Older kernels reject such a program with
// "invalid mem access 'map_value_or_null'".
func HaveNonNullArrayLookup() error { return nonNullArrayLookup.check() }

var logTrueSize = feature{
	name:      "log_true_size of BPF_PROG_LOAD",
	minKernel: "6.4", // 47a71c1f9af0 (bpf: Add log_true_size output field ...), "Networking for 6.4" pull
	probe: func() error {
		fd, _, trueSize, err := probeProgram{typ: kernel.SocketFilter, withLog: true}.load()
		if err != nil {
			return err
		}
		fd.Close()
		// A level 1 log always ends with "processed N insns ...", so a
		// kernel that reports the size reports more than zero.
		if trueSize == 0 {
			return errAbsent
		}
		return nil
	},
}

// HaveLogTrueSize reports whether BPF_PROG_LOAD returns the size the
// verifier log needs in log_true_size (Linux 6.4); older kernels leave it
// zero and a loader has to grow its buffer by guessing.
func HaveLogTrueSize() error { return logTrueSize.check() }
