package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/netns"
)

// iface turns a DEV argument into an interface (by name, or by index when
// numeric).
func iface(dev string) attach.Interface {
	if n, err := strconv.Atoi(dev); err == nil && n > 0 {
		return attach.Interface{Index: n}
	}
	return attach.Interface{Name: dev}
}

// xdpModeName is the mode as bpftool net prints it.
func xdpModeName(m attach.XDPMode) string {
	switch m {
	case attach.XDPNative:
		return "driver"
	case attach.XDPGeneric:
		return "generic"
	case attach.XDPOffload:
		return "offload"
	}
	return "unknown"
}

// netXDPJSON and netTCJSON are the entries of bpftool -j net show.
type netXDPJSON struct {
	Devname string `json:"devname"`
	Ifindex int    `json:"ifindex"`
	Mode    string `json:"mode"`
	ID      uint32 `json:"id"`
}

type netTCJSON struct {
	Devname  string `json:"devname"`
	Ifindex  int    `json:"ifindex"`
	Kind     string `json:"kind"`
	Name     string `json:"name,omitempty"`
	ID       uint32 `json:"id"`
	Prio     uint16 `json:"prio,omitempty"`
	Handle   uint32 `json:"handle,omitempty"`
	LinkID   uint32 `json:"link_id,omitempty"`
	Method   string `json:"method"`
	DirectAc bool   `json:"direct_action,omitempty"`
}

type netJSON struct {
	XDP           []netXDPJSON `json:"xdp"`
	TC            []netTCJSON  `json:"tc"`
	FlowDissector []struct{}   `json:"flow_dissector"`
}

// tcEntries lists the tc filters and tcx programs of one interface hook.
func tcEntries(ns *netns.NetNS, ifc attach.Interface, hook attach.Hook) ([]netTCJSON, error) {
	var out []netTCJSON
	filters, err := attach.TCFilters(ifc.In(ns), hook)
	if err != nil {
		return nil, err
	}
	for _, f := range filters {
		out = append(out, netTCJSON{
			Devname: ifc.Name, Ifindex: ifc.Index, Kind: "clsact/" + hook.String(),
			Name: f.Name, ID: uint32(f.ProgramID), Prio: f.Priority, Handle: f.Handle, Method: "netlink",
			DirectAc: f.DirectAction,
		})
	}
	tcx, err := attach.TCXPrograms(ifc.In(ns), hook)
	if errors.Is(err, bpf.ErrNotSupported) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, p := range tcx {
		e := netTCJSON{Devname: ifc.Name, Ifindex: ifc.Index, Kind: "tcx/" + hook.String(), ID: uint32(p.ProgramID), LinkID: uint32(p.LinkID), Method: "link"}
		if prog, err := bpf.ProgramFromID(p.ProgramID); err == nil {
			e.Name = prog.Name()
			prog.Close()
		}
		out = append(out, e)
	}
	return out, nil
}

func netList(c *ctx, args []string) error {
	// "dev DEV" (bpftool's spelling) or DEV: one interface.
	if len(args) > 0 && args[0] == "dev" {
		args = args[1:]
		if len(args) == 0 {
			return usagef("dev needs an interface")
		}
	}
	if len(args) > 1 {
		return usagef("unexpected %q", args[1])
	}
	ns, err := c.netns()
	if err != nil {
		return err
	}
	var links []attach.XDPState
	if len(args) == 1 {
		s, err := attach.XDPPrograms(iface(args[0]).In(ns))
		if err != nil {
			return err
		}
		links = []attach.XDPState{s}
	} else if links, err = attach.Interfaces(ns); err != nil {
		return err
	}
	res := netJSON{XDP: []netXDPJSON{}, TC: []netTCJSON{}, FlowDissector: []struct{}{}}
	for _, l := range links {
		for _, p := range l.Programs {
			res.XDP = append(res.XDP, netXDPJSON{Devname: l.Interface.Name, Ifindex: l.Interface.Index, Mode: xdpModeName(p.Mode), ID: uint32(p.ProgramID)})
		}
	}
	for _, l := range links {
		for _, hook := range []attach.Hook{attach.Ingress, attach.Egress} {
			e, err := tcEntries(ns, l.Interface, hook)
			if errors.Is(err, attach.ErrNoInterface) {
				continue // went away meanwhile
			}
			if err != nil {
				return err
			}
			res.TC = append(res.TC, e...)
		}
	}
	if c.json {
		return c.writeJSON([]netJSON{res})
	}
	c.out.WriteString("xdp:\n")
	for _, x := range res.XDP {
		fmt.Fprintf(c.out, "%s(%d) %s id %d\n", x.Devname, x.Ifindex, x.Mode, x.ID)
	}
	c.out.WriteString("\ntc:\n")
	for _, t := range res.TC {
		printTCEntry(c, t)
	}
	c.out.WriteString("\nflow_dissector:\n\n")
	return nil
}

func printTCEntry(c *ctx, t netTCJSON) {
	fmt.Fprintf(c.out, "%s(%d) %s", t.Devname, t.Ifindex, t.Kind)
	if t.Name != "" {
		fmt.Fprintf(c.out, " %s", t.Name)
	}
	if t.LinkID != 0 {
		fmt.Fprintf(c.out, " prog_id %d link_id %d\n", t.ID, t.LinkID)
		return
	}
	fmt.Fprintf(c.out, " id %d\n", t.ID)
}

// parseXDPMode parses --mode.
func parseXDPMode(s string) (attach.XDPMode, error) {
	switch s {
	case "", "default", "auto":
		return attach.XDPDefault, nil
	case "generic", "skb", "xdpgeneric":
		return attach.XDPGeneric, nil
	case "native", "driver", "drv", "xdpdrv":
		return attach.XDPNative, nil
	case "offload", "hw", "xdpoffload":
		return attach.XDPOffload, nil
	}
	return 0, usagef("--mode %q: want generic, native or offload", s)
}

func xdpDetach(c *ctx, args []string) error {
	if len(args) != 1 {
		return usagef("want one interface")
	}
	mode, err := parseXDPMode(c.cl.str("mode"))
	if err != nil {
		return err
	}
	ns, err := c.netns()
	if err != nil {
		return err
	}
	// Links too: a program attached through a bpf_link is detached with
	// BPF_LINK_DETACH (the link's pins stay, attaching nothing).
	return attach.DetachXDP(iface(args[0]).In(ns), attach.DetachXDPOptions{Mode: mode, Links: true})
}

func xdpList(c *ctx, args []string) error {
	if len(args) > 1 {
		return usagef("unexpected %q", args[1])
	}
	ns, err := c.netns()
	if err != nil {
		return err
	}
	var states []attach.XDPState
	if len(args) == 1 {
		s, err := attach.XDPPrograms(iface(args[0]).In(ns))
		if err != nil {
			return err
		}
		states = []attach.XDPState{s}
	} else if states, err = attach.Interfaces(ns); err != nil {
		return err
	}
	list := []netXDPJSON{}
	for _, s := range states {
		for _, p := range s.Programs {
			list = append(list, netXDPJSON{Devname: s.Interface.Name, Ifindex: s.Interface.Index, Mode: xdpModeName(p.Mode), ID: uint32(p.ProgramID)})
		}
	}
	if c.json {
		return c.writeJSON(list)
	}
	for _, x := range list {
		fmt.Fprintf(c.out, "%s(%d) %s id %d\n", x.Devname, x.Ifindex, x.Mode, x.ID)
	}
	return nil
}

// parseHooks reads an optional ingress|egress word.
func parseHooks(args []string) ([]attach.Hook, error) {
	if len(args) == 0 {
		return []attach.Hook{attach.Ingress, attach.Egress}, nil
	}
	if len(args) > 1 {
		return nil, usagef("unexpected %q", args[1])
	}
	h, err := parseHook(args[0])
	if err != nil {
		return nil, err
	}
	return []attach.Hook{h}, nil
}

func parseHook(s string) (attach.Hook, error) {
	switch s {
	case "ingress":
		return attach.Ingress, nil
	case "egress":
		return attach.Egress, nil
	}
	return 0, usagef("%q: want ingress or egress", s)
}

func tcList(c *ctx, args []string) error {
	if len(args) == 0 {
		return usagef("missing interface")
	}
	hooks, err := parseHooks(args[1:])
	if err != nil {
		return err
	}
	ns, err := c.netns()
	if err != nil {
		return err
	}
	ifc, err := resolveIface(ns, iface(args[0]))
	if err != nil {
		return err
	}
	list := []netTCJSON{}
	for _, hook := range hooks {
		e, err := tcEntries(ns, ifc, hook)
		if err != nil {
			return err
		}
		list = append(list, e...)
	}
	if c.json {
		return c.writeJSON(list)
	}
	for _, t := range list {
		if t.Method == "link" {
			fmt.Fprintf(c.out, "%s tcx %s prog_id %d link_id %d\n", t.Kind[len("tcx/"):], t.Name, t.ID, t.LinkID)
			continue
		}
		f := attach.TCFilter{Priority: t.Prio, Handle: t.Handle, Kind: "bpf", Name: t.Name, ProgramID: bpf.ProgramID(t.ID), DirectAction: t.DirectAc, Protocol: 3}
		fmt.Fprintf(c.out, "%s %s\n", t.Kind[len("clsact/"):], f)
	}
	return nil
}

// resolveIface fills in the name and index of an interface.
func resolveIface(ns *netns.NetNS, ifc attach.Interface) (attach.Interface, error) {
	s, err := attach.XDPPrograms(ifc.In(ns))
	if err != nil {
		return ifc, err
	}
	return s.Interface, nil
}

func tcDetach(c *ctx, args []string) error {
	if len(args) == 0 {
		return usagef("missing interface")
	}
	hooks, err := parseHooks(args[1:])
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
	ns, err := c.netns()
	if err != nil {
		return err
	}
	ifc := iface(args[0])
	for _, hook := range hooks {
		if prio == 0 && handle == 0 {
			if err := attach.DeleteTCFilters(ifc.In(ns), hook); err != nil {
				return err
			}
			if err := detachTCX(ns, ifc, hook); err != nil {
				return err
			}
			continue
		}
		filters, err := attach.TCFilters(ifc.In(ns), hook)
		if err != nil {
			return err
		}
		n := 0
		for _, f := range filters {
			if (prio == 0 || uint64(f.Priority) == prio) && (handle == 0 || uint64(f.Handle) == handle) {
				if err := attach.DeleteTCFilter(ifc.In(ns), f); err != nil {
					return err
				}
				n++
			}
		}
		if n == 0 && len(hooks) == 1 {
			return fmt.Errorf("%s %s: no filter with pref %d handle 0x%x", args[0], hook, prio, handle)
		}
	}
	return nil
}

// detachTCX detaches the tcx links of hook (programs attached without a
// link cannot be, and are left alone).
func detachTCX(ns *netns.NetNS, ifc attach.Interface, hook attach.Hook) error {
	progs, err := attach.TCXPrograms(ifc.In(ns), hook)
	if err != nil {
		if errors.Is(err, bpf.ErrNotSupported) {
			return nil // no tcx on this kernel: nothing to detach
		}
		return err
	}
	for _, p := range progs {
		if p.LinkID == 0 {
			continue
		}
		l, err := attach.LinkFromID(p.LinkID)
		if err != nil {
			if errors.Is(err, errNotExist) {
				continue // went away meanwhile
			}
			return err
		}
		err = l.Detach()
		l.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
