package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// header is what gentypes reads from the C header: enums and structs by
// name.
type header struct {
	enums   map[string][]member
	structs map[string][]field
}

// member is an enum member with its explicit value.
type member struct {
	name  string
	value uint64
}

// field is a struct member: a fixed-size integer or an array of them, or
// a pointer (kept as a raw 64-bit word).
type field struct {
	name    string
	ctype   string // __u8, __u16, __u32 or __u64; __u64 for a pointer
	count   int    // array length, 0 for a scalar
	pointer bool
}

// size is the field's size in bytes.
func (f field) size() int {
	n := max(f.count, 1)
	return n * scalarSize[f.ctype]
}

// align is the field's alignment in bytes.
func (f field) align() int { return scalarSize[f.ctype] }

var scalarSize = map[string]int{"__u8": 1, "__u16": 2, "__u32": 4, "__u64": 8}

// parseHeader reads every top-level "enum NAME {...};" and "struct NAME
// {...};" block of src, the shape bpftool's C dump prints: one member per
// line, enum members with explicit values, anonymous unions holding one
// pointer, the closing "};" of a block at the start of its line.
// Comments (/* */) are ignored.
func parseHeader(src string) (*header, error) {
	src = stripComments(src)
	h := &header{enums: map[string][]member{}, structs: map[string][]field{}}
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" {
			continue
		}
		kind, rest, ok := strings.Cut(line, " ")
		name, open := strings.CutSuffix(rest, " {")
		if !ok || !open || (kind != "enum" && kind != "struct") {
			return nil, fmt.Errorf("line %d: want \"enum NAME {\" or \"struct NAME {\", have %q", i+1, line)
		}
		end := i + 1
		for end < len(lines) && strings.TrimRight(lines[end], " \t\r") != "};" { // a top-level block closes at column 0
			end++
		}
		if end == len(lines) {
			return nil, fmt.Errorf("line %d: %s %s is not closed by \"};\"", i+1, kind, name)
		}
		body := lines[i+1 : end]
		var err error
		if kind == "enum" {
			h.enums[name], err = parseEnum(body)
		} else {
			h.structs[name], err = parseStruct(body)
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s (line %d): %w", kind, name, i+1, err)
		}
		i = end
	}
	return h, nil
}

func stripComments(s string) string {
	var b strings.Builder
	for {
		start := strings.Index(s, "/*")
		if start < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:start])
		end := strings.Index(s[start:], "*/")
		if end < 0 {
			return b.String()
		}
		// Keep the line count, so that errors name the right line.
		b.WriteString(strings.Repeat("\n", strings.Count(s[start:start+end], "\n")))
		s = s[start+end+2:]
	}
}

func parseEnum(body []string) ([]member, error) {
	var out []member
	for _, line := range body {
		line = strings.TrimSuffix(strings.TrimSpace(line), ",")
		if line == "" {
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("member without explicit value: %q", line)
		}
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		v, err := strconv.ParseUint(val, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("member %s: %w", name, err)
		}
		out = append(out, member{name, v})
	}
	if len(out) == 0 {
		return nil, errors.New("no members")
	}
	return out, nil
}

func parseStruct(body []string) ([]field, error) {
	var out []field
	for i := 0; i < len(body); i++ {
		line := strings.TrimSpace(body[i])
		if line == "" {
			continue
		}
		if line == "union {" {
			// bpftool prints __bpf_md_ptr members as an anonymous union
			// holding one pointer: "union { struct T *name; };".
			if i+2 >= len(body) || strings.TrimSpace(body[i+2]) != "};" {
				return nil, fmt.Errorf("union at %q: want one pointer member", line)
			}
			inner := strings.TrimSuffix(strings.TrimSpace(body[i+1]), ";")
			star := strings.LastIndex(inner, "*")
			if star < 0 {
				return nil, fmt.Errorf("union member %q is not a pointer", inner)
			}
			out = append(out, field{name: strings.TrimSpace(inner[star+1:]), ctype: "__u64", pointer: true})
			i += 2
			continue
		}
		decl, ok := strings.CutSuffix(line, ";")
		typ, name, ok2 := strings.Cut(decl, " ")
		if !ok || !ok2 {
			return nil, fmt.Errorf("member %q: want \"TYPE NAME;\"", line)
		}
		if _, known := scalarSize[typ]; !known {
			return nil, fmt.Errorf("member %q: type %s is not one of __u8, __u16, __u32, __u64", line, typ)
		}
		f := field{name: name, ctype: typ}
		if base, dim, ok := strings.Cut(name, "["); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(dim, "]"))
			if err != nil || n <= 0 || !strings.HasSuffix(dim, "]") {
				return nil, fmt.Errorf("member %q: bad array length", line)
			}
			f.name, f.count = base, n
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, errors.New("no members")
	}
	return out, nil
}
