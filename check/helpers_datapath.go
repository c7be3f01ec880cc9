package check

import (
	"strings"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/verifier"
)

// The helpers of tc and XDP datapaths (tunnels, VLANs, resizing, routing,
// cgroup membership): argument kinds of the kernel's prototypes
// (net/core/filter.c), unchanged from 6.1 to 6.18. Helpers that may move
// or resize the packet invalidate packet pointers (the kernel's
// bpf_helper_changes_pkt_data). Which program types may call them comes
// from the probed table (helpers_gen.go).
func initDatapathHelpers() { // run by ensureTables
	for fn, p := range map[asm.BuiltinFunc]helperProto{
		asm.FnCloneRedirect:   {args: [5]argKind{cx, a, a}, pktChange: true},
		asm.FnSkbVlanPush:     {args: [5]argKind{cx, a, a}, pktChange: true},
		asm.FnSkbVlanPop:      {args: [5]argKind{cx}, pktChange: true},
		asm.FnSkbChangeProto:  {args: [5]argKind{cx, a, a}, pktChange: true},
		asm.FnSkbChangeTail:   {args: [5]argKind{cx, a, a}, pktChange: true},
		asm.FnSkbChangeHead:   {args: [5]argKind{cx, a, a}, pktChange: true},
		asm.FnSkbGetTunnelKey: {args: [5]argKind{cx, argUninitMem, argSize, a}},
		asm.FnSkbSetTunnelKey: {args: [5]argKind{cx, argMem, argSize, a}},
		asm.FnSkbUnderCgroup:  {args: [5]argKind{cx, argMapPtr, a}, maps: []kernel.MapType{kernel.MapCGroupArray}},
		// bpf_fib_lookup reads and writes its parameters.
		asm.FnFibLookup: {args: [5]argKind{cx, argMem, argSize, a}},
	} {
		if _, dup := helperProtos[fn]; !dup {
			helperProtos[fn] = p
		}
	}
}

// helperWritesMem are the helpers whose read memory argument the helper
// also writes (ARG_PTR_TO_MEM without MEM_RDONLY: since 6.12 declared
// MEM_WRITE, which refuses read-only map values and forgets what the
// stack held).
var helperWritesMem = map[asm.BuiltinFunc]bool{
	asm.FnFibLookup: true,
}

// helperRewrite forgets what the memory at r held after a helper of
// helperWritesMem read and wrote it: stack bytes become unknown. Other
// memory (map values of possibly read-only maps, packets) is not
// modelled.
func (c *checker) helperRewrite(st *state, regno asm.Register, r *reg, size int64) *verifier.Error {
	switch r.typ {
	case ptrStack:
		return c.helperMem(st, regno, r, size, true)
	case ptrMapValue:
		m := c.maps[r.aux]
		if m.Flags == 0 && !strings.HasPrefix(m.Name, ".rodata") {
			return nil
		}
	}
	return c.unsupported(st, "a helper writing its memory argument in %s is not modelled", r.typ)
}
