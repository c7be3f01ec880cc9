package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/check"
	"github.com/purebpf/bpf/verifier"
)

// verifyJSON is one program of verify --json.
type verifyJSON struct {
	Name        string   `json:"name"`
	Section     string   `json:"section"`
	Type        string   `json:"type"`
	Verdict     string   `json:"verdict"` // "accepted", "rejected" or "unsupported"
	Index       *int     `json:"insn,omitempty"`
	Instruction string   `json:"instruction,omitempty"`
	Message     string   `json:"message,omitempty"`
	Register    string   `json:"register,omitempty"`
	Source      string   `json:"source,omitempty"`
	Path        []string `json:"path,omitempty"`
	Hint        string   `json:"hint,omitempty"`
}

// verify checks OBJ's programs offline (package check), without
// privileges, and prints a verdict per program. The exit status is 1 when
// a program is rejected.
func verify(c *ctx, args []string) error {
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
	o.only()
	for _, n := range o.chosen {
		p := o.spec.Programs[n]
		if p.Type == bpf.UnspecifiedProgram {
			return usagef("%s: program %s (section %s) has no conventional type: give it with --type (xdp, sched_cls, ...) or choose other programs with --section", o.path, n, p.Section)
		}
	}
	// Verify one program at a time, so that each gets its own verdict.
	var results []verifyJSON
	rejected := 0
	for _, name := range o.chosen {
		p := o.spec.Programs[name]
		one := *o.spec
		one.Programs = map[string]*bpf.ProgramSpec{name: p}
		r := verifyJSON{Name: name, Section: p.Section, Type: p.Type.String(), Verdict: "accepted"}
		var verr *verifier.Error
		if err := check.Collection(&one, check.Options{}); errors.As(err, &verr) {
			r.Verdict = "rejected"
			if errors.Is(err, check.ErrUnsupported) {
				r.Verdict = "unsupported"
			}
			if verr.Index >= 0 {
				r.Index = &verr.Index
			}
			r.Instruction, r.Message, r.Register, r.Source, r.Hint = verr.Instruction, verr.Message, verr.Register, verr.Source, verr.Hint
			for _, b := range verr.Path {
				r.Path = append(r.Path, b.String())
			}
			rejected++
		} else if err != nil {
			return err
		}
		results = append(results, r)
	}
	if c.json {
		if err := c.writeJSON(results); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			fmt.Fprintf(c.out, "%s (section %s, %s): %s\n", r.Name, r.Section, r.Type, r.Verdict)
			if r.Verdict == "accepted" {
				continue
			}
			if r.Index != nil {
				fmt.Fprintf(c.out, "  at instruction %d: %s\n", *r.Index, r.Instruction)
			}
			fmt.Fprintf(c.out, "  %s\n", r.Message)
			if r.Source != "" {
				fmt.Fprintf(c.out, "  source: %s\n", r.Source)
			}
			if len(r.Path) > 0 {
				fmt.Fprintf(c.out, "  path: %s\n", strings.Join(r.Path, ", "))
			}
			if r.Hint != "" {
				fmt.Fprintf(c.out, "  hint: %s\n", r.Hint)
			}
		}
	}
	if rejected > 0 {
		return fmt.Errorf("%s: %d of %d programs rejected", o.path, rejected, len(results))
	}
	return nil
}
