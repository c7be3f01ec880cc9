package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/netns"
	"github.com/purebpf/bpf/verifier"
	"golang.org/x/sys/unix"
)

// parseProgType parses a program type by its kernel name ("xdp",
// "sched_cls"), with the aliases tc and ip users know.
func parseProgType(s string) (bpf.ProgramType, error) {
	switch s {
	case "tc", "classifier", "cls":
		return bpf.SchedCLS, nil
	case "action", "act":
		return bpf.SchedACT, nil
	case "socket", "socket_filter":
		return bpf.SocketFilter, nil
	}
	for t := bpf.SocketFilter; t <= bpf.Netfilter; t++ {
		if t.String() == s {
			return t, nil
		}
	}
	return 0, usagef("--type %q: unknown program type (xdp, sched_cls, sched_act, socket_filter, ...)", s)
}

// object is a parsed ELF file with the programs chosen by --section.
type object struct {
	path   string
	spec   *bpf.CollectionSpec
	chosen []string // program names, sorted by section then name
}

// openObject parses path; section (a section name or a program name)
// restricts the programs, and defType types the chosen programs whose
// section implies no type, or, with force, every chosen program (--type).
// The types are given to the parser (elf.Options.Programs), so that a
// forced type also clears the section's attach type, flags and attach
// target when they belong to another type.
func openObject(path, section string, defType bpf.ProgramType, force bool) (*object, error) {
	spec, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	var chosen []string
	for name, p := range spec.Programs {
		if section == "" || p.Section == section || name == section {
			chosen = append(chosen, name)
		}
	}
	if len(chosen) == 0 {
		o := &object{path: path, spec: spec}
		return nil, fmt.Errorf("%s: no program in section %q (sections: %s)", path, section, strings.Join(o.sections(), ", "))
	}
	if defType != bpf.UnspecifiedProgram {
		types := map[string]elf.Convention{}
		for _, name := range chosen {
			if force || spec.Programs[name].Type == bpf.UnspecifiedProgram {
				types[name] = elf.Convention{Type: defType}
			}
		}
		if len(types) > 0 {
			if spec, err = elf.OpenWithOptions(path, elf.Options{Programs: types}); err != nil {
				return nil, err
			}
		}
	}
	o := &object{path: path, spec: spec, chosen: chosen}
	slices.SortFunc(o.chosen, func(a, b string) int {
		if c := strings.Compare(spec.Programs[a].Section, spec.Programs[b].Section); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return o, nil
}

func (o *object) sections() []string {
	var s []string
	for _, p := range o.spec.Programs {
		if !slices.Contains(s, p.Section) {
			s = append(s, p.Section)
		}
	}
	slices.Sort(s)
	return s
}

// only keeps the chosen programs in the spec, so that the others (whose
// type may be unknown) are not loaded.
func (o *object) only() {
	for name := range o.spec.Programs {
		if !slices.Contains(o.chosen, name) {
			delete(o.spec.Programs, name)
		}
	}
}

// one returns the single chosen program of type typ.
func (o *object) one(typ bpf.ProgramType, section string) (string, error) {
	var names []string
	for _, n := range o.chosen {
		if o.spec.Programs[n].Type == typ {
			names = append(names, n)
		}
	}
	switch {
	case len(names) == 1:
		o.chosen = names
		return names[0], nil
	case len(names) == 0 && section == "":
		return "", usagef("%s has no %s program; choose one with --section (sections: %s)", o.path, typ, strings.Join(o.sections(), ", "))
	case len(names) == 0:
		return "", fmt.Errorf("%s: section %s has no %s program", o.path, section, typ)
	}
	return "", usagef("%s has %d %s programs (%s); choose one with --section", o.path, len(names), typ, strings.Join(names, ", "))
}

// loadObject loads the chosen programs and the maps. With --log or
// --log-level the whole verifier log of a refused program goes to stderr
// before the one-line error; with --log-level the logs of the accepted
// programs too (as bpftool -d).
func (c *ctx) loadObject(o *object) (*bpf.Collection, error) {
	o.only()
	level, err := c.logLevel()
	if err != nil {
		return nil, err
	}
	opts := bpf.CollectionOptions{PinRoot: c.cl.str("pin-maps")}
	opts.Programs.LogLevel = level
	coll, err := bpf.NewCollectionWithOptions(o.spec, opts)
	if err != nil {
		var verr *verifier.Error
		if (c.cl.has("log") || level != 0) && errors.As(err, &verr) {
			c.printLog(verr.Program, verr.Log, verr.Truncated)
		}
		return nil, fmt.Errorf("load %s: %w", o.path, err)
	}
	if level != 0 {
		for _, name := range o.chosen {
			if p := coll.Programs[name]; p != nil {
				c.printLog(name, p.VerifierLog(), false)
			}
		}
	}
	return coll, nil
}

// logLevel is --log-level as the kernel's log_level bits (1 branches, 2
// every instruction's state, 4 statistics); 0 when not given.
func (c *ctx) logLevel() (bpf.LogLevel, error) {
	if !c.cl.has("log-level") {
		return 0, nil
	}
	n, err := c.cl.uint("log-level", 0, 32)
	if err != nil {
		return 0, err
	}
	if n == 0 || n > 7 {
		return 0, usagef("--log-level %d: want 1 (the log of a refusal), 2 (every instruction's state) or their sum with 4 (statistics)", n)
	}
	return bpf.LogLevel(n), nil
}

// printLog writes a program's verifier log to stderr.
func (c *ctx) printLog(prog, log string, truncated bool) {
	if log == "" {
		fmt.Fprintf(c.errOut, "bpfctl: program %s: no verifier log (refused before the kernel's verifier ran)\n", prog)
		return
	}
	fmt.Fprintf(c.errOut, "bpfctl: verifier log of program %s:\n%s", prog, log)
	if !strings.HasSuffix(log, "\n") {
		fmt.Fprintln(c.errOut)
	}
	if truncated {
		fmt.Fprintln(c.errOut, "bpfctl: (the log was truncated)")
	}
}

// loadedJSON describes a loaded program.
type loadedJSON struct {
	Name    string            `json:"name"`
	Section string            `json:"section"`
	Type    string            `json:"type"`
	ID      uint32            `json:"id"`
	Tag     string            `json:"tag"`
	Pinned  string            `json:"pinned,omitempty"`
	MapIDs  map[string]uint32 `json:"maps,omitempty"`
}

func describeLoaded(coll *bpf.Collection, spec *bpf.ProgramSpec, name string) (loadedJSON, error) {
	p := coll.Programs[name]
	info, err := p.Info()
	if err != nil {
		return loadedJSON{}, fmt.Errorf("program %s: %w", name, err)
	}
	lj := loadedJSON{Name: name, Section: spec.Section, Type: info.Type.String(), ID: uint32(info.ID), Tag: info.Tag}
	for mname, m := range coll.Maps {
		if id := m.ID(); slices.Contains(info.MapIDs, id) {
			if lj.MapIDs == nil {
				lj.MapIDs = map[string]uint32{}
			}
			lj.MapIDs[mname] = uint32(id)
		}
	}
	return lj, nil
}

func appendLoadedPlain(b []byte, l loadedJSON) []byte {
	b = fmt.Appendf(b, "%d: %s  name %s  section %s  tag %s", l.ID, l.Type, l.Name, l.Section, l.Tag)
	if len(l.MapIDs) > 0 {
		names := make([]string, 0, len(l.MapIDs))
		for n := range l.MapIDs {
			names = append(names, n)
		}
		slices.Sort(names)
		b = append(b, "  maps"...)
		for _, n := range names {
			b = fmt.Appendf(b, " %s:%d", n, l.MapIDs[n])
		}
	}
	if l.Pinned != "" {
		b = append(b, "  pinned "...)
		b = append(b, l.Pinned...)
	}
	return append(b, '\n')
}

func load(c *ctx, args []string) error {
	if len(args) != 1 {
		return usagef("want one object file")
	}
	var defType bpf.ProgramType
	if t := c.cl.str("type"); t != "" {
		var err error
		if defType, err = parseProgType(t); err != nil {
			return err
		}
	}
	o, err := openObject(args[0], c.cl.str("section"), defType, true)
	if err != nil {
		return err
	}
	for _, n := range o.chosen {
		p := o.spec.Programs[n]
		if p.Type == bpf.UnspecifiedProgram {
			return usagef("%s: program %s (section %s) has no conventional type: give it with --type (xdp, sched_cls, ...) or choose other programs with --section", o.path, n, p.Section)
		}
	}
	// The pin directory is checked (and bpffs mounted) before loading,
	// so that a bad directory costs no verification.
	pinDir := c.cl.str("pin")
	if pinDir != "" {
		if err := preparePinDir(pinDir, c.cl.has("no-mount")); err != nil {
			return err
		}
	}
	coll, err := c.loadObject(o)
	if err != nil {
		return err
	}
	defer coll.Close()
	var out []loadedJSON
	var pinned []*bpf.Program
	for _, name := range o.chosen {
		l, err := describeLoaded(coll, o.spec.Programs[name], name)
		if err == nil && pinDir != "" {
			l.Pinned = filepath.Join(pinDir, name)
			if err = coll.Programs[name].Pin(l.Pinned); err != nil {
				err = pinError(l.Pinned, err)
			} else {
				pinned = append(pinned, coll.Programs[name])
			}
		}
		if err != nil {
			// All or nothing: the pins made so far would keep their
			// programs loaded after bpfctl exits.
			for _, p := range pinned {
				p.Unpin()
			}
			return err
		}
		out = append(out, l)
	}
	if c.json {
		return c.writeJSON(out)
	}
	for _, l := range out {
		c.out.Write(appendLoadedPlain(nil, l))
	}
	return nil
}

// attachedJSON describes an attachment bpfctl made.
type attachedJSON struct {
	loadedJSON
	Devname string `json:"devname"`
	Ifindex int    `json:"ifindex"`
	Hook    string `json:"hook"` // "xdp", "ingress", "egress"
	Mode    string `json:"mode,omitempty"`
	Method  string `json:"method"`
	Link    string `json:"link_pinned,omitempty"`
	Prio    uint16 `json:"prio,omitempty"`
	Handle  uint32 `json:"handle,omitempty"`
}

func (c *ctx) printAttached(a attachedJSON) error {
	if c.json {
		return c.writeJSON(a)
	}
	b := fmt.Appendf(nil, "%s(%d) %s", a.Devname, a.Ifindex, a.Hook)
	if a.Mode != "" {
		b = fmt.Appendf(b, " %s", a.Mode)
	}
	if a.Prio != 0 {
		b = fmt.Appendf(b, " pref %d handle 0x%x", a.Prio, a.Handle)
	}
	b = fmt.Appendf(b, " (%s): ", a.Method)
	c.out.Write(appendLoadedPlain(b, a.loadedJSON))
	return nil
}

// loadForAttach loads the one program of type typ (chosen with --section)
// of the object at path, and opens the namespace of -n (nil: ours) for
// attaching it. The caller closes the collection.
func (c *ctx) loadForAttach(path string, typ bpf.ProgramType) (*object, string, *bpf.Collection, *netns.NetNS, error) {
	section := c.cl.str("section")
	o, err := openObject(path, section, typ, false)
	if err != nil {
		return nil, "", nil, nil, err
	}
	name, err := o.one(typ, section)
	if err != nil {
		return nil, "", nil, nil, err
	}
	coll, err := c.loadObject(o)
	if err != nil {
		return nil, "", nil, nil, err
	}
	ns, err := c.netns()
	if err != nil {
		coll.Close()
		return nil, "", nil, nil, err
	}
	return o, name, coll, ns, nil
}

func xdpAttach(c *ctx, args []string) error {
	if len(args) != 2 {
		return usagef("want an interface and an object file")
	}
	mode, err := parseXDPMode(c.cl.str("mode"))
	if err != nil {
		return err
	}
	if pin := c.cl.str("pin"); pin != "" {
		if err := preparePinDir(filepath.Dir(pin), false); err != nil {
			return err
		}
	}
	o, name, coll, ns, err := c.loadForAttach(args[1], bpf.XDP)
	if err != nil {
		return err
	}
	defer coll.Close()
	opts := attach.XDPOptions{Mode: mode, Method: attach.MethodNetlink, Replace: c.cl.has("force")}
	pin := c.cl.str("pin")
	if pin != "" || c.cl.has("link") {
		if opts.Replace {
			return usagef("--force replaces netlink attachments only; it does not go with --link or --pin")
		}
		if pin == "" {
			return usagef("--link without --pin: the XDP link would be detached when bpfctl exits; give --pin PATH to keep it, or leave out --link for a netlink attachment")
		}
		opts.Method = attach.MethodLink
	}
	att, err := attach.XDP(iface(args[0]).In(ns), coll.Programs[name], opts)
	if err != nil {
		return xdpBusy(iface(args[0]).In(ns), args[0], c.nsName, err)
	}
	// A netlink attachment outlives the process (as with ip link): Release
	// leaves it attached; a link lives only as long as its pin.
	if opts.Method != attach.MethodLink {
		defer att.Release()
	} else {
		defer att.Close()
		if err := att.Pin(pin); err != nil {
			return pinError(pin, err)
		}
	}
	l, err := describeLoaded(coll, o.spec.Programs[name], name)
	if err != nil {
		return err
	}
	ifc := att.Interface()
	return c.printAttached(attachedJSON{loadedJSON: l, Devname: ifc.Name, Ifindex: ifc.Index, Hook: "xdp",
		Mode: xdpModeName(att.Mode()), Method: att.Method().String(), Link: pin})
}

func tcAttach(c *ctx, args []string) error {
	if len(args) != 3 {
		return usagef("want an interface, ingress or egress, and an object file")
	}
	hook, err := parseHook(args[1])
	if err != nil {
		return err
	}
	prio, err := c.cl.uint("prio", 0, 16)
	if err != nil {
		return err
	}
	handle, err := c.cl.uint("handle", 0, 32)
	if err != nil {
		return err
	}
	if pin := c.cl.str("pin"); pin != "" {
		if err := preparePinDir(filepath.Dir(pin), false); err != nil {
			return err
		}
	}
	o, name, coll, ns, err := c.loadForAttach(args[2], bpf.SchedCLS)
	if err != nil {
		return err
	}
	defer coll.Close()
	sec := o.spec.Programs[name].Section
	opts := attach.TCOptions{Method: attach.MethodNetlink, Priority: uint16(prio), Handle: uint32(handle),
		Name: filepath.Base(o.path) + ":[" + sec + "]", Replace: c.cl.has("force")}
	pin := c.cl.str("pin")
	if pin != "" || c.cl.has("link") {
		if prio != 0 || handle != 0 || opts.Replace {
			return usagef("--prio, --handle and --force are for filters; they do not go with --link or --pin")
		}
		if pin == "" {
			return usagef("--link without --pin: the tcx link would be detached when bpfctl exits; give --pin PATH to keep it, or leave out --link for a filter")
		}
		opts = attach.TCOptions{Method: attach.MethodLink}
	}
	att, err := attach.TC(iface(args[0]).In(ns), coll.Programs[name], hook, opts)
	if err != nil {
		return err
	}
	// A filter outlives the process (as with tc filter add): Release
	// leaves it attached; a tcx link lives only as long as its pin.
	if opts.Method != attach.MethodLink {
		defer att.Release()
	} else {
		defer att.Close()
		if err := att.Pin(pin); err != nil {
			return pinError(pin, err)
		}
	}
	l, err := describeLoaded(coll, o.spec.Programs[name], name)
	if err != nil {
		return err
	}
	ifc := att.Interface()
	f := att.Filter()
	return c.printAttached(attachedJSON{loadedJSON: l, Devname: ifc.Name, Ifindex: ifc.Index, Hook: hook.String(),
		Method: att.Method().String(), Link: pin, Prio: f.Priority, Handle: f.Handle})
}

// disasmJSON is one program of disasm --json.
type disasmJSON struct {
	Name    string     `json:"name"`
	Section string     `json:"section"`
	Type    string     `json:"type"`
	License string     `json:"license,omitempty"`
	Insns   []insnJSON `json:"insns"`
}

func disasm(c *ctx, args []string) error {
	if len(args) != 1 {
		return usagef("want one object file")
	}
	o, err := openObject(args[0], c.cl.str("section"), bpf.UnspecifiedProgram, false)
	if err != nil {
		return err
	}
	var list []disasmJSON
	for i, name := range o.chosen {
		p := o.spec.Programs[name]
		typ := "unknown"
		if p.Type != bpf.UnspecifiedProgram {
			typ = p.Type.String()
		}
		if c.json {
			list = append(list, disasmJSON{Name: name, Section: p.Section, Type: typ, License: p.License,
				Insns: disasmLines(p.Instructions, nil, false)})
			continue
		}
		if i > 0 {
			c.out.WriteByte('\n')
		}
		fmt.Fprintf(c.out, "%s: section %s, type %s, %d instructions\n", name, p.Section, typ, len(p.Instructions))
		if err := asm.Instructions(p.Instructions).Disassemble(c.out); err != nil {
			return err
		}
	}
	if c.json {
		return c.writeJSON(list)
	}
	return nil
}

// xdpBusy turns the error of an XDP attach refused because a program is
// attached (EBUSY, or EEXIST) into one that names the attached program and
// --force; other errors are returned as they are.
func xdpBusy(ifc attach.Interface, dev, nsName string, err error) error {
	if !errors.Is(err, unix.EBUSY) && !errors.Is(err, unix.EEXIST) {
		return err
	}
	state, qerr := attach.XDPPrograms(ifc)
	if qerr != nil || !state.Attached() {
		return err
	}
	var progs []string
	for _, p := range state.Programs {
		progs = append(progs, fmt.Sprintf("program id %d (%s)", p.ProgramID, xdpModeName(p.Mode)))
	}
	detach := "bpfctl xdp detach " + dev
	if nsName != "" {
		detach = "bpfctl -n " + nsName + " xdp detach " + dev
	}
	return fmt.Errorf("xdp attach: %s already has an XDP program: %s; replace it with --force (a netlink attachment), or remove it with \"%s\" (also one attached through a bpf_link): %w",
		dev, strings.Join(progs, ", "), detach, err)
}
