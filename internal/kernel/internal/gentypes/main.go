// Command gentypes generates the Go mirrors of the kernel UAPI that
// several packages share, from a committed C header (a bpftool BTF dump
// excerpt, internal/kernel/testdata/uapi.h): no kernel, clang, network or
// privileges needed.
//
// It writes three gofmt'ed files:
//
//   - -kernel: internal/kernel's ProgramType, AttachType, MapType and
//     LinkType with their constants and kernel names (enum bpf_prog_type,
//     bpf_attach_type, bpf_map_type, bpf_link_type);
//   - -alias: the root package's aliases of ProgramType and AttachType and
//     their constants;
//   - -context: the root package's XDPContext and SKBContext (struct
//     xdp_md, struct __sk_buff), real structs so that go doc shows their
//     fields.
//
// Run from internal/kernel by go generate:
//
//	go run ./internal/gentypes -in testdata/uapi.h -kernel types_gen.go -alias ../../types_gen.go -context ../../context_gen.go
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	in := flag.String("in", "testdata/uapi.h", "C header holding the enums and structs")
	kernelOut := flag.String("kernel", "", "internal/kernel's Go file to write")
	aliasOut := flag.String("alias", "", "the root package's alias file to write")
	contextOut := flag.String("context", "", "the root package's context structs file to write")
	flag.Parse()
	if err := run(*in, *kernelOut, *aliasOut, *contextOut); err != nil {
		fmt.Fprintln(os.Stderr, "gentypes:", err)
		os.Exit(1)
	}
}

func run(in, kernelOut, aliasOut, contextOut string) error {
	src, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	h, err := parseHeader(string(src))
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	outs := []struct {
		path string
		gen  func(*header, string) ([]byte, error)
	}{
		{kernelOut, genKernel},
		{aliasOut, genAlias},
		{contextOut, genContext},
	}
	for _, o := range outs {
		if o.path == "" {
			continue
		}
		code, err := o.gen(h, in)
		if err != nil {
			return fmt.Errorf("generate %s: %w", o.path, err)
		}
		if err := os.WriteFile(o.path, code, 0o644); err != nil {
			return err
		}
	}
	return nil
}
