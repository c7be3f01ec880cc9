// Command gentable turns a committed probe record into a Go table; it
// needs no privileges, no kernel and no network. go generate runs it:
//
//	go run ../internal/gplprobe/gentable -table gplonly -in testdata/gplonly.txt -out gplonly_gen.go   (verifier)
//	go run ../internal/gplprobe/gentable -table helpers -in testdata/helpers.txt -out helpers_gen.go   (check)
//
// The records are written by the probes (root, on a kernel):
// go run ./internal/gplprobe/cmd and go run ./internal/gplprobe/helpers.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/purebpf/bpf/internal/gplprobe"
)

func main() {
	table := flag.String("table", "", "gplonly or helpers")
	in := flag.String("in", "", "the record to read")
	out := flag.String("out", "", "the Go file to write")
	pkg := flag.String("pkg", os.Getenv("GOPACKAGE"), "the Go package of the table (default $GOPACKAGE, set by go generate)")
	flag.Parse()
	if err := run(*table, *in, *out, *pkg); err != nil {
		fmt.Fprintln(os.Stderr, "gentable:", err)
		os.Exit(1)
	}
}

func run(table, in, out, pkg string) error {
	if in == "" || out == "" || pkg == "" {
		return fmt.Errorf("need -in, -out and -pkg (or $GOPACKAGE)")
	}
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	src, err := gplprobe.Generate(table, data, pkg, in)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return os.WriteFile(out, src, 0o644)
}
