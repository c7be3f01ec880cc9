// Command bpfctl does the tutorial's ip, tc, bpftool and trace_pipe steps in
// one static binary, built on purebpf's public API:
//
//	bpfctl prog list|show [ID]        loaded programs (like bpftool prog show)
//	bpfctl prog dump [xlated] ID      xlated disassembly with the source lines of
//	                                  programs with BTF (--opcodes, --linum)
//	bpfctl map list|show [ID]         maps
//	bpfctl map dump ID                all elements, BTF-formatted when the map has BTF
//	bpfctl map lookup|update|delete   one element
//	bpfctl net list                   XDP and tc attachments per interface
//	bpfctl xdp attach|detach|list     XDP (like ip link set dev X xdp ...)
//	bpfctl tc attach|detach|list      tc (like tc filter add dev X egress bpf da ...)
//	bpfctl load OBJ                   load (and pin) an object's programs
//	bpfctl disasm OBJ                 disassemble an object (no privileges)
//	bpfctl verify OBJ                 check an object offline (no privileges)
//	bpfctl trace                      print trace_pipe until interrupted
//
// Every command takes --json, in bpftool -j's layout where bpftool has the
// command (prog show, prog dump xlated, map show, map dump, map lookup,
// net); -n NETNS runs interface commands in the named network namespace
// (/run/netns/NETNS). "bpfctl help CMD" and "bpfctl CMD -h" list the
// options of a command; load, xdp attach and tc attach take --log (the
// whole verifier log of a refused program on stderr) and --log-level N
// (also the logs of accepted programs, as bpftool -d).
//
// Exit status: 0 on success; 1 when the command failed, with one line on
// stderr; 2 for a mistake in the command line; 3 when map lookup finds no
// such key, after printing what bpftool prints on stdout ("key:", the key,
// "Not found", or null with --json; bpftool exits 254 there).
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

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

// The options of the commands. The help text of an option may be
// replaced for one command with flagSpec.with.
var (
	flagSection = flagSpec{name: "section", value: true, aliases: []string{"sec", "s"}, arg: "S",
		help: "the program(s) of section S (or the program named S)"}
	flagType = flagSpec{name: "type", value: true, arg: "TYPE",
		help: "load the programs as TYPE (xdp, sched_cls, sched_act, socket_filter, ...) whatever their sections say"}
	flagPin = flagSpec{name: "pin", value: true, arg: "PATH",
		help: "pin the attachment's bpf_link at PATH (on a bpffs), so that it outlives bpfctl; implies --link"}
	flagPinMaps = flagSpec{name: "pin-maps", value: true, arg: "DIR",
		help: "the pin root of the maps the object pins (LIBBPF_PIN_BY_NAME): reuse DIR/NAME or pin there"}
	flagMode = flagSpec{name: "mode", value: true, arg: "MODE",
		help: "XDP mode: generic (skb), native (driver) or offload; default: the driver's"}
	flagForce = flagSpec{name: "force", aliases: []string{"f"},
		help: "replace the program attached now (netlink attachments only)"}
	flagPrio = flagSpec{name: "prio", value: true, aliases: []string{"pref"}, arg: "N",
		help: "the filter's priority (tc pref)"}
	flagHandle = flagSpec{name: "handle", value: true, arg: "N",
		help: "the filter's handle"}
	flagLink = flagSpec{name: "link",
		help: "attach with a bpf_link instead of netlink; needs --pin (a link not pinned would end when bpfctl exits)"}
	flagCount = flagSpec{name: "count", value: true, aliases: []string{"c"}, arg: "N",
		help: "stop after N lines"}
	flagTimeout = flagSpec{name: "timeout", value: true, aliases: []string{"t"}, arg: "DURATION",
		help: "stop after DURATION (500ms, 2s; a bare number is seconds)"}
	flagOpcodes = flagSpec{name: "opcodes",
		help: "print each instruction's bytes too (bpftool's opcodes)"}
	flagLinum = flagSpec{name: "linum",
		help: "print the file, line and column of each source line (bpftool's linum)"}
	flagNoMount = flagSpec{name: "no-mount",
		help: "do not mount tracefs when it is not mounted"}
	flagTraceDir = flagSpec{name: "tracefs", value: true, arg: "DIR",
		help: "read DIR/trace_pipe (default: /sys/kernel/tracing, then /sys/kernel/debug/tracing)"}
	flagExist = flagSpec{name: "exist",
		help: "only replace a present key (bpftool's exist)"}
	flagNoExist = flagSpec{name: "noexist",
		help: "only add an absent key (bpftool's noexist)"}
	flagLog = flagSpec{name: "log",
		help: "print the verifier's whole log when the kernel refuses a program (default: its last line)"}
	flagLogLevel = flagSpec{name: "log-level", value: true, arg: "N",
		help: "verifier log level: 1 the log of a refusal, 2 every instruction's state, printed on stderr also on success (as bpftool -d)"}
)

var (
	commandsOnce sync.Once
	commandList  []*command
)

// commands returns the command table, built on first use (not at
// start-up, and not in a var initializer: the commands refer to usage,
// which refers to the table).
func commands() []*command {
	commandsOnce.Do(buildCommands)
	return commandList
}

func buildCommands() {
	commandList = []*command{
		{words: []string{"prog", "list"}, alias: []string{"show", "ls"}, args: "[ID | id ID | pinned PATH]",
			help: "list loaded programs, or show one", run: progShow},
		{words: []string{"prog", "dump"}, args: "[xlated] PROG [opcodes] [linum]", flags: []flagSpec{flagOpcodes, flagLinum},
			help: "disassemble a loaded program (PROG: ID, id ID or pinned PATH) as the kernel runs it (xlated), with the source lines of a program with BTF", run: progDump},
		{words: []string{"map", "list"}, alias: []string{"show", "ls"}, args: "[ID | id ID | pinned PATH | name NAME]",
			help: "list maps, or show one", run: mapShow},
		{words: []string{"map", "dump"}, args: "MAP",
			help: "print every element, formatted with BTF when the map has it, hex otherwise (per-CPU maps: one value per CPU)", run: mapDump},
		{words: []string{"map", "lookup"}, args: "MAP [key] BYTES",
			help: "print the value of a key (formatted with BTF when the map has it)", run: mapLookup},
		{words: []string{"map", "update"}, args: "MAP [key] BYTES value BYTES", flags: []flagSpec{flagNoExist, flagExist},
			help: "set the value of a key (per-CPU maps: the same value on every CPU)", run: mapUpdate},
		{words: []string{"map", "delete"}, args: "MAP [key] BYTES",
			help: "delete a key", run: mapDelete},
		{words: []string{"net", "list"}, alias: []string{"show", "ls"}, args: "[[dev] DEV]",
			help: "XDP and tc attachments per interface (-n NETNS for another namespace)", run: netList},
		{words: []string{"xdp", "attach"}, args: "DEV OBJ --section S", flags: []flagSpec{flagSection, flagMode, flagForce.with("replace the XDP program attached now (netlink attachments only); without it an attached program is an error naming it"), flagPin, flagPinMaps, flagLink, flagLog, flagLogLevel},
			help: "load OBJ's program and attach it to DEV's XDP hook (--mode generic|native|offload)", run: xdpAttach},
		{words: []string{"xdp", "detach"}, args: "DEV", flags: []flagSpec{flagMode.with("detach the program of this mode only (generic, native, offload)")},
			help: "remove the XDP program of DEV (also one a bpf_link attached: the link is detached)", run: xdpDetach},
		{words: []string{"xdp", "list"}, alias: []string{"show", "ls"}, args: "[DEV]",
			help: "XDP programs per interface", run: xdpList},
		{words: []string{"tc", "attach"}, args: "DEV ingress|egress OBJ --section S", flags: []flagSpec{flagSection, flagPrio, flagHandle, flagForce.with("replace the filter of the same --prio and --handle (netlink filters only)"), flagPin, flagPinMaps, flagLink.with("attach with a tcx bpf_link (kernel 6.6+) instead of a netlink filter; needs --pin, since the link ends when bpfctl exits"), flagLog, flagLogLevel},
			help: "load OBJ's program and attach it as a direct-action filter (--link: tcx)", run: tcAttach},
		{words: []string{"tc", "detach"}, args: "DEV [ingress|egress]", flags: []flagSpec{flagPrio.with("delete the filter of this priority only"), flagHandle.with("delete the filter of this handle only")},
			help: "delete the filters (or the one given by --prio/--handle) of DEV and detach its tcx links", run: tcDetach},
		{words: []string{"tc", "list"}, alias: []string{"show", "ls"}, args: "DEV [ingress|egress]",
			help: "tc filters and tcx programs of DEV", run: tcList},
		{words: []string{"load"}, args: "OBJ", flags: []flagSpec{flagSection, flagType, flagPin.with("pin the programs as DIR/NAME (mounting bpffs at /sys/fs/bpf when DIR is under it and nothing is mounted there)").withArg("DIR"), flagPinMaps, flagNoMount.with("do not mount bpffs at /sys/fs/bpf for --pin"), flagLog, flagLogLevel},
			help: "load OBJ's programs (--pin DIR pins them as DIR/NAME, so that they stay loaded)", run: load},
		{words: []string{"disasm"}, args: "OBJ", flags: []flagSpec{flagSection},
			help: "disassemble OBJ's programs (needs no privileges)", run: disasm},
		{words: []string{"verify"}, args: "OBJ", flags: []flagSpec{flagSection, flagType.with("check the programs as TYPE whatever their sections say")},
			help: "check OBJ's programs offline, as the kernel's verifier would (needs no privileges)", run: verify},
		{words: []string{"trace"}, flags: []flagSpec{flagCount, flagTimeout, flagNoMount, flagTraceDir},
			help: "print trace_pipe (bpf_trace_printk output) until interrupted, --count lines or --timeout", run: trace},
		{words: []string{"help"}, args: "[COMMAND]", help: "print this help, or the help of one command", run: helpCmd},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: bpfctl COMMAND [ARGS] [OPTIONS]")
	fmt.Fprintln(w, "\ncommands:")
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-52s %s\n", cmd.synopsis(), cmd.help)
	}
	fmt.Fprint(w, refHelp)
	fmt.Fprintln(w, "\nglobal options:")
	printFlags(w, globalFlags)
	fmt.Fprint(w, exitHelp)
	fmt.Fprintln(w, "\nRun \"bpfctl help COMMAND\" or \"bpfctl COMMAND -h\" for the options of a command.")
}

const refHelp = `
MAP is ID, "id ID", "pinned PATH" or "name NAME". BYTES are bytes as bpftool
takes them ("0x01 0x00 0 0", "hex 01 00 00 00"), one "hex:01000000" word, or
typed little-endian numbers ("u32:17", "u64:1", also u8, u16, i32, i64).
`

const exitHelp = `
exit status: 0 success; 1 the command failed (one line on stderr); 2 a
mistake in the command line; 3 map lookup found no such key (stdout has
what bpftool prints: "Not found", or null with --json; bpftool exits 254).
`

// synopsis is the command's words and arguments.
func (cmd *command) synopsis() string {
	line := strings.Join(cmd.words, " ")
	if cmd.args != "" {
		line += " " + cmd.args
	}
	return line
}

// commandHelp prints the help of one command: its synopsis, what it does,
// its options and the global ones.
func commandHelp(w io.Writer, cmd *command) {
	fmt.Fprintf(w, "usage: bpfctl %s [OPTIONS]\n\n%s\n", cmd.synopsis(), cmd.help)
	if len(cmd.alias) > 0 {
		fmt.Fprintf(w, "(also spelled: %s)\n", strings.Join(cmd.alias, ", "))
	}
	if len(cmd.flags) > 0 {
		fmt.Fprintln(w, "\noptions:")
		printFlags(w, cmd.flags)
	}
	if strings.Contains(cmd.args, "MAP") || strings.Contains(cmd.args, "BYTES") {
		fmt.Fprint(w, refHelp)
	}
	fmt.Fprintln(w, "\nglobal options:")
	printFlags(w, globalFlags)
	fmt.Fprint(w, exitHelp)
}

// printFlags lists options with their aliases, value and help.
func printFlags(w io.Writer, flags []flagSpec) {
	for _, f := range flags {
		names := "--" + f.name
		for _, a := range f.aliases {
			if len(a) == 1 {
				names += ", -" + a
			} else {
				names += ", --" + a
			}
		}
		if f.value {
			names += " " + f.argName()
		}
		fmt.Fprintf(w, "  %-28s %s\n", names, f.help)
	}
}

// helpCmd is "bpfctl help [COMMAND...]".
func helpCmd(c *ctx, args []string) error {
	if len(args) == 0 {
		usage(c.out)
		return nil
	}
	if len(args) == 1 && objectHelp(c.out, args[0]) {
		return nil
	}
	cmd, _, err := findCommand(args)
	if err != nil {
		return err
	}
	if cmd.words[0] == "help" {
		usage(c.out)
		return nil
	}
	commandHelp(c.out, cmd)
	return nil
}

// ctx carries the output and the global options of one invocation.
type ctx struct {
	out    *bufio.Writer
	errOut io.Writer // stderr: notes and verifier logs
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
	for _, cmd := range commands() {
		all = append(all, cmd.flags...)
	}
	cl, err := parseArgs(args, all)
	if err != nil {
		return fail(stderr, err)
	}
	c := &ctx{out: bufio.NewWriterSize(stdout, 16<<10), errOut: stderr, json: cl.has("json") || cl.has("pretty"), pretty: cl.has("pretty"), nsName: cl.str("netns")}
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
	if cl.has("help") && len(cl.pos) == 1 && cl.pos[0] != "help" {
		// "bpfctl prog -h": the commands of prog.
		if objectHelp(c.out, cl.pos[0]) {
			c.out.Flush()
			return 0
		}
	}
	cmd, rest, err := findCommand(cl.pos)
	if err != nil {
		return fail(stderr, err)
	}
	if cl.has("help") {
		if cmd.words[0] == "help" {
			usage(c.out)
		} else {
			commandHelp(c.out, cmd)
		}
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

// objectHelp prints the commands of an object ("prog", "map"), and
// reports whether name is one with several commands.
func objectHelp(w io.Writer, name string) bool {
	var cmds []*command
	for _, cmd := range commands() {
		if cmd.words[0] == name && len(cmd.words) > 1 {
			cmds = append(cmds, cmd)
		}
	}
	if len(cmds) == 0 {
		return false
	}
	fmt.Fprintf(w, "usage: bpfctl %s COMMAND [ARGS] [OPTIONS]\n\ncommands:\n", name)
	for _, cmd := range cmds {
		fmt.Fprintf(w, "  %-52s %s\n", cmd.synopsis(), cmd.help)
	}
	fmt.Fprintf(w, "\nRun \"bpfctl help %s COMMAND\" for the options of a command.\n", name)
	return true
}

// findCommand matches the leading positional words against the table.
func findCommand(pos []string) (*command, []string, error) {
	var objects []string
	for _, cmd := range commands() {
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
	for _, cmd := range commands() {
		if pos[0] == cmd.words[0] {
			var verbs []string
			for _, c2 := range commands() {
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

// Exit statuses (documented in the package comment and the help).
const (
	exitFailure  = 1 // the command failed
	exitUsage    = 2 // a mistake in the command line
	exitNotFound = 3 // map lookup: no such key (bpftool exits 254)
)

// exitError is a failure whose output is already on stdout: fail prints
// nothing more and exits with code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// fail prints err as one line and returns the exit status for it.
func fail(stderr io.Writer, err error) int {
	var xe *exitError
	if errors.As(err, &xe) {
		return xe.code
	}
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
	fmt.Fprintf(stderr, "bpfctl: %s\n", msg)
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailure
}
