package verifier

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// FuzzParseLog parses arbitrary text as a verifier log (the kernel writes
// it, but a log buffer that was truncated or filled by another kernel
// version is text the parser has never seen). Nothing may panic; the
// error keeps the whole log and its cause, names an instruction index of
// -1 or more, and formats, takes source lines and gives a hint without
// panicking.
func FuzzParseLog(f *testing.F) {
	for _, seed := range []string{
		"0: R1=ctx() R10=fp0\n0: (b7) r1 = 0                        ; R1=0\n1: (85) call bpf_trace_printk#6\ncannot call GPL-restricted function from non-GPL compatible program\nprocessed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n",
		"func#0 @0\n0: R1=ctx() R10=fp0\n; void *data = (void *)(long)ctx->data; @ tcpfilter.c:12\n0: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx() R2_w=pkt(r=0)\n; if (eth->h_proto != 8) @ tcpfilter.c:15\n1: (71) r0 = *(u8 *)(r2 +12)\ninvalid access to packet, off=12 size=1, R2(id=0,off=12,r=0)\nR2 offset is outside of the packet\n",
		"; return x @ y; @ weird.c:7\n3: (95) exit\nR0 !read_ok\n",
		"5: (85) call bpf_map_lookup_elem#1  ; R0_w=map_value_or_null(id=1,map=counters,ks=4,vs=8)\n6: (79) r1 = *(u64 *)(r0 +0)\nR0 invalid mem access 'map_value_or_null'\n",
		"Validating store_verdict() func#1...\n12: (7b) *(u64 *)(r2 +0) = r1\nR2 invalid mem access 'mem_or_null'\n",
		"jump out of range from insn 0 to 6\nprocessed 0 insns (limit 1000000)\n",
		"unreachable insn 2\n",
		"from 4 to 7: R0=1\nlast_idx 7 first_idx 0\nregs=1 stack=0 before 6: (b7) r0 = 1\n\x00\x00",
		"",
	} {
		f.Add(seed, 3)
	}
	f.Fuzz(func(t *testing.T, log string, nlines int) {
		e := ParseLog("prog", log, unix.EACCES)
		if e.Log != log || e.Program != "prog" {
			t.Fatalf("log or program not kept: %q, %q", e.Log, e.Program)
		}
		if !errors.Is(e, unix.EACCES) {
			t.Fatalf("cause not reachable from %v", e)
		}
		if e.Index < -1 {
			t.Fatalf("index %d", e.Index)
		}
		if e.Error() == "" {
			t.Fatal("empty error text")
		}
		_ = fmt.Sprintf("%v %+v %s", e, e, e)
		// Source lines as ProgramSpec.SourceLines gives them, some empty.
		lines := make([]string, min(max(nlines, 0), 64))
		for i := range lines {
			if i%2 == 0 {
				lines[i] = strings.Repeat("x", i) + " @ f.c:" + fmt.Sprint(i)
			}
		}
		e.SetSourceLines(lines)
		_ = Hint(e.Message, e.Instruction)
	})
}
