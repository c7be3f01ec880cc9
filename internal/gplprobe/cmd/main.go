// Command cmd asks the running kernel which BPF helpers are GPL-only and
// writes the record verifier/gplonly_gen.go is generated from (root):
//
//	go run ./internal/gplprobe/cmd -out verifier/testdata/gplonly.txt
//	go generate ./verifier
//
// Helpers the running kernel cannot answer for (no program type may call
// them here, such as the seg6 helpers on a kernel built without seg6)
// keep the entry of the previous record (the file at -out), marked kept.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"

	"github.com/purebpf/bpf/internal/gplprobe"
	"github.com/purebpf/bpf/internal/kernel"
)

// maxID bounds the probed helper ids.
const maxID = 260

func main() {
	out := flag.String("out", "verifier/testdata/gplonly.txt", "the record to update")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(out string) error {
	prev := &gplprobe.GPLTable{}
	switch data, err := os.ReadFile(out); {
	case err == nil:
		if prev, err = gplprobe.ParseGPLTable(data); err != nil {
			return fmt.Errorf("%s: %w", out, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	v, err := kernel.RunningVersion()
	if err != nil {
		return err
	}
	t := &gplprobe.GPLTable{Kernel: fmt.Sprintf("%d.%d", v.Major, v.Minor)}
	for id := int32(1); id < maxID; id++ {
		verdict, err := gplprobe.Probe(id)
		if err != nil {
			return err
		}
		switch verdict {
		case gplprobe.GPLOnly, gplprobe.NotGPLOnly:
			t.Entries = append(t.Entries, gplprobe.GPLEntry{ID: id, GPLOnly: verdict == gplprobe.GPLOnly})
		default:
			if e, ok := prev.Lookup(id); ok {
				e.Kept = true
				t.Entries = append(t.Entries, e)
			}
		}
	}
	return os.WriteFile(out, t.Format(), 0o644)
}
