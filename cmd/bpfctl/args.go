package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// flagSpec describes one option: its canonical name, whether it takes a
// value, and its aliases (without dashes).
type flagSpec struct {
	name    string
	value   bool
	aliases []string
	arg     string // the value's name in the help ("N", "PATH")
	help    string
}

// with returns the option with another help text.
func (f flagSpec) with(help string) flagSpec {
	f.help = help
	return f
}

// withArg returns the option with another value name in the help.
func (f flagSpec) withArg(arg string) flagSpec {
	f.arg = arg
	return f
}

func (f flagSpec) argName() string {
	if f.arg == "" {
		return "VALUE"
	}
	return f.arg
}

// globalFlags are accepted by every command.
var globalFlags = []flagSpec{
	{name: "json", aliases: []string{"j"}, help: "JSON output (bpftool -j's layout where bpftool has the command)"},
	{name: "pretty", aliases: []string{"p"}, help: "indented JSON (implies --json)"},
	{name: "netns", value: true, aliases: []string{"n"}, arg: "NETNS", help: "run interface commands in the network namespace /run/netns/NETNS"},
	{name: "help", aliases: []string{"h"}, help: "print the help (of the command)"},
}

// cmdline is a parsed command line: positional words in order, and options
// by canonical name (the last occurrence wins).
type cmdline struct {
	pos   []string
	flags map[string]string
}

// parseArgs separates options from positional words. Options may appear
// anywhere: "--name value", "--name=value", "-n value"; "--" ends them.
// Only the options in specs (plus the global ones) are known.
func parseArgs(args []string, specs []flagSpec) (*cmdline, error) {
	cl := &cmdline{flags: map[string]string{}}
	lookup := func(name string) (flagSpec, bool) {
		for _, set := range [][]flagSpec{globalFlags, specs} {
			for _, s := range set {
				if s.name == name {
					return s, true
				}
				for _, a := range s.aliases {
					if a == name {
						return s, true
					}
				}
			}
		}
		return flagSpec{}, false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			cl.pos = append(cl.pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' || isNumber(a) {
			cl.pos = append(cl.pos, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		val, hasVal := "", false
		if j := strings.IndexByte(name, '='); j >= 0 {
			name, val, hasVal = name[:j], name[j+1:], true
		}
		s, ok := lookup(name)
		if !ok {
			return nil, usagef("unknown option %s", a)
		}
		switch {
		case s.value && !hasVal:
			if i+1 >= len(args) {
				return nil, usagef("option %s needs a value", a)
			}
			i++
			val = args[i]
		case !s.value && hasVal:
			return nil, usagef("option --%s takes no value", s.name)
		case !s.value:
			val = "true"
		}
		cl.flags[s.name] = val
	}
	return cl, nil
}

func isNumber(s string) bool {
	_, err := strconv.ParseInt(s, 0, 64)
	return err == nil
}

func (cl *cmdline) has(name string) bool {
	_, ok := cl.flags[name]
	return ok
}

func (cl *cmdline) str(name string) string { return cl.flags[name] }

// uint parses a numeric option; absent options give def.
func (cl *cmdline) uint(name string, def uint64, bits int) (uint64, error) {
	v, ok := cl.flags[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 0, bits)
	if err != nil {
		return 0, usagef("--%s %q: not a %d-bit unsigned number", name, v, bits)
	}
	return n, nil
}

// duration parses a duration option ("500ms", "2s"; a bare number is
// seconds); absent options give 0.
func (cl *cmdline) duration(name string) (time.Duration, error) {
	v, ok := cl.flags[name]
	if !ok {
		return 0, nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 {
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, usagef("--%s %q: not a duration", name, v)
	}
	return d, nil
}

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}
