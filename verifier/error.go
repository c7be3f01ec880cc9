// Package verifier explains why the kernel rejects a BPF program.
//
// A rejected load yields an *Error: the failing instruction (raw index, as
// the kernel counts), the kernel's message, the C source line (and its file
// and line number) when the program carries BTF line info, the full
// verifier log and a short hint for well-known causes. ParseLog builds one
// from a verifier log of any kernel since 6.1. GPLOnly and IsGPLCompatible
// are the license rules the loader checks before the kernel sees a
// program.
//
// The offline checker, which reports its rejections with the same *Error,
// is package check.
package verifier

import (
	"fmt"
	"strconv"
	"strings"
)

// Error is a program rejected by the kernel's verifier.
type Error struct {
	// Program is the name of the rejected program.
	Program string
	// Index is the raw index of the failing instruction (LD_IMM64 counts
	// as two), or -1 when the log names none.
	Index int
	// Instruction is the failing instruction as the log prints it, such
	// as "call bpf_trace_printk#6", or "".
	Instruction string
	// Message is the kernel's explanation, such as "invalid access to
	// packet, off=0 size=4, R2(id=0,off=0,r=0)".
	Message string
	// Source is the C source line of the failing instruction when the
	// program has BTF line info, such as "return *(int *)data; @ x.c:12".
	// Kernels before 6.9 print the line's text only ("return *(int
	// *)data;"); SetSourceLines adds the file and line number from the
	// program's line info.
	Source string
	// File and Line locate Source ("x.c" and 12), when known.
	File string
	Line int
	// Hint is a short suggestion for well-known causes, or "".
	Hint string
	// Register names the register the rejection is about ("r1"), or "".
	// Set by the offline checker (package check); the kernel's log does
	// not always say.
	Register string
	// Path lists the branch decisions, in order, on the path that leads to
	// the failing instruction. Set by the offline checker.
	Path []Branch
	// Log is the whole verifier log.
	Log string
	// Truncated reports that the log did not fit in the buffer.
	Truncated bool
	// Cause is the error of the load system call (errno reachable with
	// errors.Is).
	Cause error
}

// Error summarises the rejection in one line.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Program != "" {
		b.WriteString("program " + e.Program + ": ")
	}
	b.WriteString("rejected by the verifier")
	if e.Index >= 0 {
		fmt.Fprintf(&b, " at instruction %d", e.Index)
		if e.Instruction != "" {
			b.WriteString(" (" + e.Instruction + ")")
		}
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if len(e.Path) > 0 {
		b.WriteString(" (path: jumps " + pathString(e.Path) + ")")
	}
	if e.Source != "" {
		b.WriteString(" [source: " + e.Source + "]")
	}
	if e.Hint != "" {
		b.WriteString("; hint: " + e.Hint)
	}
	return b.String()
}

// Unwrap returns the load error, so errors.Is(err, unix.EACCES) works.
func (e *Error) Unwrap() error { return e.Cause }

// Format prints the one-line message for %v and %s, and with %+v also the
// full verifier log.
func (e *Error) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('+'):
		fmt.Fprintf(f, "%s\nverifier log:\n%s", e.Error(), e.Log)
	case verb == 'q':
		fmt.Fprintf(f, "%q", e.Error())
	default:
		fmt.Fprint(f, e.Error())
	}
}

var (
	insnLine   = lazy(`^(\d+): \([0-9a-f]{2}\) (.*?)(?:\s+;.*)?$`)
	stateLine  = lazy(`^(\d+): (R\d|frame|\()`)
	sourceLine = lazy(`^; (.*)$`) // "; text @ file.c:12" since 6.9, "; text" before
	statsLine  = lazy(`^(processed \d+ insns|verification time|stack depth|BPF program is too large|mark_precise|Validating |Func#|from \d+ to \d+:|last_idx|regs=|parent (didn't|already)|\s*$)`)
	idxInMsg   = lazy(`(?:insn|insn #|from insn) (\d+)`)
	callText   = lazy(`call (\w+)#(\d+)`)
)

// ParseLog builds an *Error from the verifier log of a failed load.
// program names the program; cause is the load's error.
func ParseLog(program, log string, cause error) *Error {
	e := &Error{Program: program, Index: -1, Log: log, Cause: cause}
	lines := strings.Split(strings.TrimRight(log, "\x00\n"), "\n")
	lastInsn, lastSource := -1, ""
	var msgs []string
	for i, line := range lines {
		if m := insnLine.FindStringSubmatch(line); m != nil {
			idx, _ := strconv.Atoi(m[1])
			lastInsn = i
			e.Index, e.Instruction = idx, m[2]
			msgs = msgs[:0]
			continue
		}
		if m := sourceLine.FindStringSubmatch(line); m != nil {
			lastSource = m[1]
			continue
		}
		if stateLine.MatchString(line) || statsLine.MatchString(line) {
			continue
		}
		msgs = append(msgs, strings.TrimSpace(line))
	}
	if len(msgs) > 0 {
		e.Message = msgs[len(msgs)-1]
	}
	// Errors found before any instruction is walked name it in the text.
	if lastInsn < 0 && e.Message != "" {
		if m := idxInMsg.FindStringSubmatch(e.Message); m != nil {
			e.Index, _ = strconv.Atoi(m[1])
		}
	}
	if lastInsn >= 0 {
		e.setSource(lastSource)
	}
	e.Hint = Hint(e.Message, e.Instruction)
	return e
}

// fileLine matches the " @ file:line" that kernels since 6.9 ("bpf: emit
// source code file name and line number in verifier log") append to
// source lines.
var fileLine = lazy(`^(.*) @ ([^ ]+):(\d+)$`)

// setSource sets Source, File and Line from a source line as the kernel
// prints it, with or without " @ file:line".
func (e *Error) setSource(line string) {
	e.Source, e.File, e.Line = line, "", 0
	if m := fileLine.FindStringSubmatch(line); m != nil {
		e.File = m[2]
		e.Line, _ = strconv.Atoi(m[3])
	}
}

// SetSourceLines gives the error the file and line of its instruction
// when the log did not name them (kernels before 6.9 print a source line's
// text only). lines holds the source line of each raw instruction as
// bpf.ProgramSpec.SourceLines gives them ("text @ file.c:12", or ""
// where the line info has none; an instruction takes the nearest line at
// or before it).
func (e *Error) SetSourceLines(lines []string) {
	if e.File != "" || e.Index < 0 || len(lines) == 0 {
		return
	}
	for i := min(e.Index, len(lines)-1); i >= 0; i-- {
		if lines[i] != "" {
			e.setSource(lines[i])
			return
		}
	}
}

// hints maps well-known verifier messages to advice.
var hints = []struct {
	match *lazyRegexp
	hint  func(e *Error, m []string) string
}{
	{lazy(`GPL-restricted|GPL compatible`), func(e *Error, _ []string) string {
		name := "a GPL-only helper"
		if m := callText.FindStringSubmatch(e.Instruction); m != nil {
			name = "helper " + m[1]
		}
		return name + " may only be called from a program whose license is GPL-compatible (for example \"GPL\" or \"Dual BSD/GPL\")"
	}},
	{lazy(`invalid access to packet|outside of the packet`), func(*Error, []string) string {
		return "compare the packet pointer plus the access size with data_end before the access"
	}},
	{lazy(`invalid mem access 'mem_or_null'`), func(*Error, []string) string {
		return "the pointer may be NULL: check it before using it (a global function is verified on its own, so its pointer arguments may be NULL: check them, or make the function static or __hidden so that it is verified at each call)"
	}},
	{lazy(`invalid mem access '(map_value_or_null|\w+_or_null)'`), func(*Error, []string) string {
		return "check the pointer returned by the helper (for example bpf_map_lookup_elem) for NULL before using it"
	}},
	{lazy(`R0 !read_ok`), func(*Error, []string) string {
		return "set r0, the program's return value, on every path before exit"
	}},
	{lazy(`R(\d+) !read_ok`), func(_ *Error, m []string) string {
		return "r" + m[1] + " is read before anything was written to it on this path"
	}},
	{lazy(`invalid (indirect )?read from stack`), func(*Error, []string) string {
		return "initialise the stack slots before reading them or passing them to a helper"
	}},
	{lazy(`invalid (write to )?stack|invalid stack off`), func(*Error, []string) string {
		return "stack accesses must stay within r10-512 .. r10-1"
	}},
	{lazy(`invalid bpf_context access`), func(*Error, []string) string {
		return "this context field, offset or access size is not allowed for this program type"
	}},
	{lazy(`unknown func|program of this type cannot use helper|invalid func`), func(*Error, []string) string {
		return "the helper does not exist on this kernel or is not allowed for this program type"
	}},
	{lazy(`unreachable insn`), func(*Error, []string) string {
		return "every instruction must be reachable: remove dead code"
	}},
	{lazy(`jump out of range`), func(*Error, []string) string {
		return "a jump targets an instruction outside the program"
	}},
	{lazy(`back-edge|infinite loop`), func(*Error, []string) string {
		return "loops need a bound the verifier can prove (bounded loops since 5.3)"
	}},
	{lazy(`too large|processed \d+ insns.*limit|complexity`), func(*Error, []string) string {
		return "the program exceeds the verifier's 1M processed-instruction complexity limit: simplify branches or bound loops tighter"
	}},
	{lazy(`last insn is not an exit or jmp`), func(*Error, []string) string {
		return "the program falls off its end: finish every path with exit"
	}},
	{lazy(`combined stack size`), func(*Error, []string) string {
		return "the stacks of the call chain together exceed 512 bytes"
	}},
	{lazy(`At program exit the register R0`), func(*Error, []string) string {
		return "the return value is outside the range the hook accepts"
	}},
	{lazy(`unbounded min value|unbounded memory access|min value is negative`), func(*Error, []string) string {
		return "bound the offset with comparisons (both ends) before adding it to a pointer"
	}},
}

// Hint returns the short suggestion the package gives for a verifier
// message of the kernel (Error.Message) about an instruction as the log
// prints it (Error.Instruction, such as "call bpf_trace_printk#6"), or ""
// when the message is not a well-known one. ParseLog sets Error.Hint with
// it; other producers of an *Error (the offline checker) do the same.
func Hint(message, instruction string) string {
	e := &Error{Message: message, Instruction: instruction}
	for _, h := range hints {
		if m := h.match.FindStringSubmatch(e.Message); m != nil {
			return h.hint(e, m)
		}
	}
	return ""
}

// GPLOnly reports whether the helper with the given id may only be called
// from GPL-compatible programs, and whether that is known (helpers that
// only tracing, LSM or struct_ops programs may call are not in the table).
func GPLOnly(helperID int32) (restricted, known bool) {
	restricted, known = gplOnly()[helperID]
	return
}

// IsGPLCompatible reports whether the kernel treats license as GPL
// compatible (the list of license_is_gpl_compatible in the kernel).
func IsGPLCompatible(license string) bool {
	switch license {
	case "GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL":
		return true
	}
	return false
}

// Branch is one decision on the path that leads to a rejection
// (Error.Path, set by the offline checker, package check).
type Branch struct {
	// Index is the raw index of the conditional jump.
	Index int
	// Taken reports whether the jump was taken.
	Taken bool
}

// String returns "12 taken" or "12 not taken".
func (b Branch) String() string {
	if b.Taken {
		return fmt.Sprintf("%d taken", b.Index)
	}
	return fmt.Sprintf("%d not taken", b.Index)
}

// pathString returns the branch decisions as text: "3 taken, 9 not taken".
func pathString(p []Branch) string {
	s := make([]string, len(p))
	for i, b := range p {
		s[i] = b.String()
	}
	return strings.Join(s, ", ")
}
