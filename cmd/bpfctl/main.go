// Command bpfctl does the tutorial's ip, tc, bpftool and trace_pipe steps in
// one static binary, built on purebpf's public API:
//
//	bpfctl prog list|show [ID]        loaded programs (like bpftool prog show)
//	bpfctl prog dump ID               xlated disassembly
//	bpfctl map list|show [ID]         maps
//	bpfctl map dump ID                all elements, BTF-formatted when the map has BTF
//	bpfctl map lookup|update|delete   one element
//	bpfctl net list                   XDP and tc attachments per interface
//	bpfctl xdp attach|detach|list     XDP (like ip link set dev X xdp ...)
//	bpfctl tc attach|detach|list      tc (like tc filter add dev X egress bpf da ...)
//	bpfctl load OBJ                   load (and pin) an object's programs
//	bpfctl disasm OBJ                 disassemble an object (no privileges)
//	bpfctl trace                      print trace_pipe until interrupted
//
// Every command takes --json; -n NETNS runs interface commands in the named
// network namespace (/run/netns/NETNS). Errors are one line on stderr with
// exit status 1; command line mistakes exit with status 2. Run "bpfctl help"
// for the full syntax.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/purebpf/bpf/netns"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// command is one bpfctl command, such as "prog show".
type command struct {
	words []string // "prog", "show"; an empty second word means none
	alias []string // other spellings of the last word
	args  string   // usage of the positional arguments
	help  string
	flags []flagSpec
	run   func(c *ctx, args []string) error
}

var (
	flagSection  = flagSpec{name: "section", value: true, aliases: []string{"sec", "s"}}
	flagType     = flagSpec{name: "type", value: true}
	flagPin      = flagSpec{name: "pin", value: true}
	flagPinMaps  = flagSpec{name: "pin-maps", value: true}
	flagMode     = flagSpec{name: "mode", value: true}
	flagForce    = flagSpec{name: "force", aliases: []string{"f"}}
	flagPrio     = flagSpec{name: "prio", value: true, aliases: []string{"pref"}}
	flagHandle   = flagSpec{name: "handle", value: true}
	flagLink     = flagSpec{name: "link"}
	flagCount    = flagSpec{name: "count", value: true, aliases: []string{"c"}}
	flagTimeout  = flagSpec{name: "timeout", value: true, aliases: []string{"t"}}
	flagOpcodes  = flagSpec{name: "opcodes"}
	flagLinum    = flagSpec{name: "linum"}
	flagNoMount  = flagSpec{name: "no-mount"}
	flagTraceDir = flagSpec{name: "tracefs", value: true}
)

var commands []*command

func init() {
	// The table is built here (not in a var initializer) because the
	// commands refer to usage, which refers to the table.
	commands = []*command{
		{words: []string{"prog", "list"}, alias: []string{"show", "ls"}, args: "[ID | id ID | pinned PATH]",
			help: "list loaded programs, or show one", run: progShow},
		{words: []string{"prog", "dump"}, alias: []string{"dump xlated"}, args: "ID | id ID | pinned PATH", flags: []flagSpec{flagOpcodes, flagLinum},
			help: "disassemble a loaded program as the kernel runs it (xlated)", run: progDump},
		{words: []string{"map", "list"}, alias: []string{"show", "ls"}, args: "[ID | id ID | pinned PATH | name NAME]",
			help: "list maps, or show one", run: mapShow},
		{words: []string{"map", "dump"}, args: "MAP",
			help: "print every element, formatted with BTF when the map has it, hex otherwise (per-CPU maps: one value per CPU)", run: mapDump},
		{words: []string{"map", "lookup"}, args: "MAP [key] BYTES",
			help: "print the value of a key (formatted with BTF when the map has it)", run: mapLookup},
		{words: []string{"map", "update"}, args: "MAP [key] BYTES value BYTES", flags: []flagSpec{{name: "noexist"}, {name: "exist"}},
			help: "set the value of a key (per-CPU maps: the same value on every CPU)", run: mapUpdate},
		{words: []string{"map", "delete"}, args: "MAP [key] BYTES",
			help: "delete a key", run: mapDelete},
		{words: []string{"net", "list"}, alias: []string{"show", "ls"},
			help: "XDP and tc attachments per interface (-n NETNS for another namespace)", run: netList},
		{words: []string{"xdp", "attach"}, args: "DEV OBJ --section S", flags: []flagSpec{flagSection, flagMode, flagForce, flagPin, flagPinMaps, flagLink},
			help: "load OBJ's program and attach it to DEV's XDP hook (--mode generic|native|offload)", run: xdpAttach},
		{words: []string{"xdp", "detach"}, args: "DEV", flags: []flagSpec{flagMode},
			help: "remove the XDP program of DEV (also one a bpf_link attached: the link is detached)", run: xdpDetach},
		{words: []string{"xdp", "list"}, alias: []string{"show", "ls"}, args: "[DEV]",
			help: "XDP programs per interface", run: xdpList},
		{words: []string{"tc", "attach"}, args: "DEV ingress|egress OBJ --section S", flags: []flagSpec{flagSection, flagPrio, flagHandle, flagForce, flagPin, flagPinMaps, flagLink},
			help: "load OBJ's program and attach it as a direct-action filter (--link: tcx)", run: tcAttach},
		{words: []string{"tc", "detach"}, args: "DEV [ingress|egress]", flags: []flagSpec{flagPrio, flagHandle},
			help: "delete the filters (or the one given by --prio/--handle) of DEV and detach its tcx links", run: tcDetach},
		{words: []string{"tc", "list"}, alias: []string{"show", "ls"}, args: "DEV [ingress|egress]",
			help: "tc filters and tcx programs of DEV", run: tcList},
		{words: []string{"load"}, args: "OBJ", flags: []flagSpec{flagSection, flagType, flagPin, flagPinMaps},
			help: "load OBJ's programs (--pin DIR pins them as DIR/NAME, so that they stay loaded)", run: load},
		{words: []string{"disasm"}, args: "OBJ", flags: []flagSpec{flagSection},
			help: "disassemble OBJ's programs (needs no privileges)", run: disasm},
		{words: []string{"verify"}, args: "OBJ", flags: []flagSpec{flagSection, flagType},
			help: "check OBJ's programs offline, as the kernel's verifier would (needs no privileges)", run: verify},
		{words: []string{"trace"}, flags: []flagSpec{flagCount, flagTimeout, flagNoMount, flagTraceDir},
			help: "print trace_pipe (bpf_trace_printk output) until interrupted, --count lines or --timeout", run: trace},
		{words: []string{"help"}, help: "print this help", run: func(c *ctx, _ []string) error { usage(c.out); return nil }},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: bpfctl COMMAND [ARGS] [--json] [-n NETNS]")
	fmt.Fprintln(w, "\ncommands:")
	for _, cmd := range commands {
		line := strings.Join(cmd.words, " ")
		if cmd.args != "" {
			line += " " + cmd.args
		}
		fmt.Fprintf(w, "  %-52s %s\n", line, cmd.help)
	}
	fmt.Fprintln(w, `
MAP is ID, "id ID", "pinned PATH" or "name NAME". BYTES are bytes as bpftool
takes them ("0x01 0x00 0 0", "hex 01 00 00 00"), one "hex:01000000" word, or
typed little-endian numbers ("u32:17", "u64:1", also u8, u16, i32, i64).

options: --json (-j) JSON output, --pretty (-p) indented JSON,
         -n NETNS interface commands in /run/netns/NETNS`)
}

// ctx carries the output and the global options of one invocation.
type ctx struct {
	out    *bufio.Writer
	json   bool
	pretty bool
	nsName string
	ns     *netns.NetNS
	cl     *cmdline
}

// netns opens the namespace of -n, or returns nil for the caller's own.
func (c *ctx) netns() (*netns.NetNS, error) {
	if c.nsName == "" || c.ns != nil {
		return c.ns, nil
	}
	ns, err := netns.OpenName(c.nsName)
	if err != nil {
		return nil, err
	}
	c.ns = ns
	return ns, nil
}

// run executes one bpfctl invocation and returns its exit status.
func run(args []string, stdout, stderr io.Writer) int {
	var all []flagSpec
	for _, cmd := range commands {
		all = append(all, cmd.flags...)
	}
	cl, err := parseArgs(args, all)
	if err != nil {
		return fail(stderr, err)
	}
	c := &ctx{out: bufio.NewWriterSize(stdout, 16<<10), json: cl.has("json") || cl.has("pretty"), pretty: cl.has("pretty"), nsName: cl.str("netns")}
	defer func() {
		if c.ns != nil {
			c.ns.Close()
		}
	}()
	if len(cl.pos) == 0 {
		if cl.has("help") {
			usage(c.out)
			c.out.Flush()
			return 0
		}
		usage(stderr)
		return 2
	}
	cmd, rest, err := findCommand(cl.pos)
	if err != nil {
		return fail(stderr, err)
	}
	if cl.has("help") {
		usage(c.out)
		c.out.Flush()
		return 0
	}
	for name := range cl.flags {
		if !allowed(cmd, name) {
			return fail(stderr, usagef("%s: unknown option --%s", strings.Join(cmd.words, " "), name))
		}
	}
	c.cl = cl
	err = cmd.run(c, rest)
	if ferr := c.out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write output: %w", ferr)
	}
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			ue.msg = strings.Join(cmd.words, " ") + ": " + ue.msg + " (usage: bpfctl " + strings.Join(cmd.words, " ") + " " + cmd.args + ")"
		}
		return fail(stderr, err)
	}
	return 0
}

// findCommand matches the leading positional words against the table.
func findCommand(pos []string) (*command, []string, error) {
	var objects []string
	for _, cmd := range commands {
		if pos[0] != cmd.words[0] {
			if !contains(objects, cmd.words[0]) {
				objects = append(objects, cmd.words[0])
			}
			continue
		}
		if len(cmd.words) == 1 {
			return cmd, pos[1:], nil
		}
		if len(pos) == 1 {
			// "bpfctl prog" is "bpfctl prog list", as in bpftool.
			if cmd.words[1] == "list" {
				return cmd, nil, nil
			}
			continue
		}
		if pos[1] == cmd.words[1] || contains(cmd.alias, pos[1]) {
			return cmd, pos[2:], nil
		}
	}
	for _, cmd := range commands {
		if pos[0] == cmd.words[0] {
			var verbs []string
			for _, c2 := range commands {
				if c2.words[0] == pos[0] && len(c2.words) > 1 {
					verbs = append(verbs, c2.words[1])
				}
			}
			if len(pos) == 1 {
				return nil, nil, usagef("%s: missing command (one of %s)", pos[0], strings.Join(verbs, ", "))
			}
			return nil, nil, usagef("%s: unknown command %q (one of %s)", pos[0], pos[1], strings.Join(verbs, ", "))
		}
	}
	return nil, nil, usagef("unknown command %q (one of %s; see bpfctl help)", pos[0], strings.Join(objects, ", "))
}

func allowed(cmd *command, name string) bool {
	for _, s := range globalFlags {
		if s.name == name {
			return true
		}
	}
	for _, s := range cmd.flags {
		if s.name == name {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fail prints err as one line and returns the exit status for it.
func fail(stderr io.Writer, err error) int {
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
	fmt.Fprintf(stderr, "bpfctl: %s\n", msg)
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}
