package verifier

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseLog(t *testing.T) {
	tests := []struct {
		name        string
		log         string
		index       int
		instruction string
		message     string
		source      string
		file        string
		line        int
		hint        string
	}{
		{
			name: "GPL-only helper",
			log: `0: R1=ctx() R10=fp0
0: (b7) r1 = 0                        ; R1=0
1: (85) call bpf_trace_printk#6
cannot call GPL-restricted function from non-GPL compatible program
processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`,
			index: 1, instruction: "call bpf_trace_printk#6",
			message: "cannot call GPL-restricted function from non-GPL compatible program",
			hint:    "helper bpf_trace_printk may only be called from a program whose license is GPL-compatible",
		},
		{
			name: "packet access with line info",
			log: `func#0 @0
0: R1=ctx() R10=fp0
; void *data = (void *)(long)ctx->data; @ tcpfilter.c:12
0: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx() R2_w=pkt(r=0)
; if (eth->h_proto != 8) @ tcpfilter.c:15
1: (71) r0 = *(u8 *)(r2 +12)
invalid access to packet, off=12 size=1, R2(id=0,off=12,r=0)
R2 offset is outside of the packet
processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`,
			index: 1, instruction: "r0 = *(u8 *)(r2 +12)",
			message: "R2 offset is outside of the packet",
			source:  "if (eth->h_proto != 8) @ tcpfilter.c:15",
			file:    "tcpfilter.c", line: 15,
			hint: "data_end",
		},
		{
			// Before 6.9 the log names the source line's text only, and
			// prints register states with off and imm.
			name: "packet access with line info, 6.1 log",
			log: `func#0 @0
0: R1=ctx(off=0,imm=0) R10=fp0
; void *data = (void *)(long)ctx->data;
0: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx(off=0,imm=0) R2_w=pkt(off=0,r=0,imm=0)
; if (eth->h_proto != 8)
1: (71) r0 = *(u8 *)(r2 +12)
invalid access to packet, off=12 size=1, R2(id=0,off=12,r=0)
R2 offset is outside of the packet
processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`,
			index: 1, instruction: "r0 = *(u8 *)(r2 +12)",
			message: "R2 offset is outside of the packet",
			source:  "if (eth->h_proto != 8)",
			hint:    "data_end",
		},
		{
			name: "source line text with an @ of its own",
			log: `; return x @ y; @ weird.c:7
3: (95) exit
R0 !read_ok
`,
			index: 3, instruction: "exit",
			message: "R0 !read_ok",
			source:  "return x @ y; @ weird.c:7",
			file:    "weird.c", line: 7,
			hint: "set r0",
		},
		{
			name: "null map value",
			log: `5: (85) call bpf_map_lookup_elem#1  ; R0_w=map_value_or_null(id=1,map=counters,ks=4,vs=8)
6: (79) r1 = *(u64 *)(r0 +0)
R0 invalid mem access 'map_value_or_null'
processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`,
			index: 6, instruction: "r1 = *(u64 *)(r0 +0)",
			message: "R0 invalid mem access 'map_value_or_null'",
			hint:    "NULL",
		},
		{
			name: "global function pointer argument",
			log: `Validating store_verdict() func#1...
12: (7b) *(u64 *)(r2 +0) = r1
R2 invalid mem access 'mem_or_null'
processed 13 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 1
`,
			index: 12, instruction: "*(u64 *)(r2 +0) = r1",
			message: "R2 invalid mem access 'mem_or_null'",
			hint:    "__hidden",
		},
		{
			name:    "error before the walk names the instruction in the text",
			log:     "jump out of range from insn 0 to 6\nprocessed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n",
			index:   0,
			message: "jump out of range from insn 0 to 6",
			hint:    "outside the program",
		},
		{
			name:    "unreachable",
			log:     "unreachable insn 2\n",
			index:   2,
			message: "unreachable insn 2",
			hint:    "reachable",
		},
		{
			name:    "empty log",
			log:     "",
			index:   -1,
			message: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ParseLog("prog", tt.log, unix.EACCES)
			if e.Index != tt.index || e.Instruction != tt.instruction || e.Message != tt.message || e.Source != tt.source {
				t.Errorf("got index %d instruction %q message %q source %q", e.Index, e.Instruction, e.Message, e.Source)
			}
			if e.File != tt.file || e.Line != tt.line {
				t.Errorf("got file %q line %d, want %q %d", e.File, e.Line, tt.file, tt.line)
			}
			if !strings.Contains(e.Hint, tt.hint) || (tt.hint == "" && e.Hint != "") {
				t.Errorf("hint %q, want it to contain %q", e.Hint, tt.hint)
			}
			if !errors.Is(e, unix.EACCES) {
				t.Error("errno not reachable")
			}
			if e.Log != tt.log {
				t.Error("log not kept")
			}
		})
	}
}

// TestSetSourceLines gives a 6.1-style error (source text, no file) the
// file and line of its instruction from line info, and leaves a 6.9-style
// one as the log has it.
func TestSetSourceLines(t *testing.T) {
	lines := []string{"void *data = ctx->data; @ tcpfilter.c:12", "", "if (eth->h_proto != 8) @ tcpfilter.c:15", ""}
	tests := []struct {
		name string
		log  string
		want string
		file string
		line int
	}{
		{"6.1 log", "; if (eth->h_proto != 8)\n3: (71) r0 = *(u8 *)(r2 +12)\nR2 offset is outside of the packet\n",
			"if (eth->h_proto != 8) @ tcpfilter.c:15", "tcpfilter.c", 15},
		{"6.1 log, instruction without a record", "1: (71) r0 = *(u8 *)(r2 +12)\nR2 offset is outside of the packet\n",
			"void *data = ctx->data; @ tcpfilter.c:12", "tcpfilter.c", 12},
		{"6.18 log", "; if (x) @ other.c:99\n3: (71) r0 = *(u8 *)(r2 +12)\nR2 offset is outside of the packet\n",
			"if (x) @ other.c:99", "other.c", 99},
		{"index beyond the lines", "9: (95) exit\nR0 !read_ok\n",
			"if (eth->h_proto != 8) @ tcpfilter.c:15", "tcpfilter.c", 15},
		{"no instruction", "unreachable insn 9\n", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ParseLog("p", tt.log, unix.EACCES)
			if tt.name == "no instruction" {
				e.Index = -1
			}
			e.SetSourceLines(lines)
			if e.Source != tt.want || e.File != tt.file || e.Line != tt.line {
				t.Errorf("source %q file %q line %d, want %q %q %d", e.Source, e.File, e.Line, tt.want, tt.file, tt.line)
			}
		})
	}
	e := ParseLog("p", "1: (95) exit\nR0 !read_ok\n", unix.EACCES)
	e.SetSourceLines(nil)
	if e.Source != "" || e.File != "" {
		t.Errorf("no lines: source %q file %q", e.Source, e.File)
	}
}

func TestErrorFormatting(t *testing.T) {
	e := ParseLog("xdp_prog", "1: (85) call bpf_trace_printk#6\ncannot call GPL-restricted function from non-GPL compatible program\n", unix.EINVAL)
	want := `program xdp_prog: rejected by the verifier at instruction 1 (call bpf_trace_printk#6): cannot call GPL-restricted function from non-GPL compatible program; hint: helper bpf_trace_printk may only be called from a program whose license is GPL-compatible (for example "GPL" or "Dual BSD/GPL")`
	if got := e.Error(); got != want {
		t.Errorf("Error():\n%s\nwant\n%s", got, want)
	}
	if got := fmt.Sprintf("%+v", e); !strings.HasSuffix(got, "verifier log:\n"+e.Log) || !strings.HasPrefix(got, want) {
		t.Errorf("%%+v does not append the log: %q", got)
	}
}

func TestGPLOnlyTable(t *testing.T) {
	for _, tc := range []struct {
		id         int32
		gpl, known bool
	}{
		{1, false, true},  // bpf_map_lookup_elem
		{6, true, true},   // bpf_trace_printk
		{25, true, true},  // bpf_perf_event_output
		{68, false, true}, // bpf_skb_load_bytes_relative
		{9999, false, false},
	} {
		gpl, known := GPLOnly(tc.id)
		if gpl != tc.gpl || known != tc.known {
			t.Errorf("helper %d: gpl %v known %v, want %v %v", tc.id, gpl, known, tc.gpl, tc.known)
		}
	}
	if !IsGPLCompatible("Dual BSD/GPL") || IsGPLCompatible("Proprietary") || IsGPLCompatible("") {
		t.Error("license classification is wrong")
	}
}

// TestPatternsCompile compiles every lazily compiled pattern, so that a
// broken one fails here rather than when a rejection is explained.
func TestPatternsCompile(t *testing.T) {
	for _, l := range []*lazyRegexp{insnLine, stateLine, sourceLine, statsLine, idxInMsg, callText, fileLine} {
		l.get()
	}
	for _, h := range hints {
		h.match.get()
	}
}

// TestHint checks the suggestions for well-known messages, as the offline
// checker gets them (message and instruction only).
func TestHint(t *testing.T) {
	for _, tt := range []struct {
		message, instruction, want string
	}{
		{"R0 !read_ok", "exit", "set r0, the program's return value, on every path before exit"},
		{"R3 !read_ok", "r0 = r3", "r3 is read before anything was written to it on this path"},
		{"cannot call GPL-restricted function from non-GPL compatible program", "call bpf_trace_printk#6", "helper bpf_trace_printk may only be called"},
		{"cannot call GPL-restricted function from non-GPL compatible program", "", "a GPL-only helper may only be called"},
		{"invalid mem access 'map_value_or_null'", "r1 = *(u64 *)(r0 +0)", "check the pointer returned by the helper"},
		{"something nobody has seen", "exit", ""},
	} {
		t.Run(tt.message, func(t *testing.T) {
			got := Hint(tt.message, tt.instruction)
			if tt.want == "" && got != "" || !strings.HasPrefix(got, tt.want) {
				t.Errorf("Hint(%q, %q) = %q, want %q...", tt.message, tt.instruction, got, tt.want)
			}
		})
	}
}
