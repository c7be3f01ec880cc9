// Command bpfgen generates typed Go bindings for a BPF object: the object
// embedded with //go:embed, LoadIdentSpec and LoadIdentObjects functions,
// structs of the object's programs, maps and global variables, and Go
// types for map keys and values, variables and the types named with
// -type, laid out byte for byte as in C (checked at compile time).
//
// It works from a compiled object alone, without clang:
//
//	//go:generate go run github.com/purebpf/bpf/cmd/bpfgen -package main Xdp1 bpf/xdp1.o
//
// writes xdp1_bpfel.go (bpfeb for a big-endian object) next to the
// package. Given a C file, bpfgen first compiles it with clang (-cc), once
// per -target byte order, and writes ident_bpfel.o and .go, ident_bpfeb.o
// and .go, each restricted by a //go:build line to the architectures of its
// byte order; clang flags follow "--":
//
//	//go:generate go run github.com/purebpf/bpf/cmd/bpfgen Prog prog.c -- -I./include
//
// Usage:
//
//	bpfgen [flags] IDENT INPUT.o|INPUT.c [-- CFLAGS...]
//
// The output depends only on the inputs and flags: running it again
// gives the same bytes.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "bpfgen:", err)
		os.Exit(1)
	}
}

// stringList is a flag that may be repeated or comma-separated.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// options are bpfgen's command line.
type options struct {
	pkg, outDir, stem, prefix, tags, cc string
	targets, types                      stringList
	noGlobalTypes, archTags             bool
	ident, input                        string
	cflags                              []string
	parse                               parseOptions
}

func parseArgs(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("bpfgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.StringVar(&o.pkg, "package", os.Getenv("GOPACKAGE"), "Go package of the output (default: $GOPACKAGE, set by go generate)")
	fs.StringVar(&o.outDir, "output-dir", ".", "directory of the output files")
	fs.StringVar(&o.stem, "output-stem", "", "output file names start with this (default: the identifier in lower case)")
	fs.StringVar(&o.prefix, "prefix", "", "prefix of the generated Go type names (default: the identifier, first letter upper case)")
	fs.StringVar(&o.tags, "tags", "", "build constraint expression added to the output's //go:build line, such as \"linux\"")
	fs.Var(&o.types, "type", "also generate the Go type of this BTF type name (repeatable, or comma-separated)")
	fs.BoolVar(&o.noGlobalTypes, "no-global-types", false, "generate only the -type types; maps and variables stay untyped")
	fs.Var(&o.targets, "target", "with a C input: the byte orders to compile for, bpfel and/or bpfeb (default bpfel,bpfeb)")
	fs.BoolVar(&o.archTags, "arch-tags", false, "with an object input: restrict the output to the architectures of the object's byte order (always done for a C input)")
	fs.Func("program", "`NAME=TYPE`: load program NAME as TYPE (a bpf.ProgramType constant such as XDP or SchedCLS, or the kernel's name such as xdp), for programs in sections without a conventional type (repeatable)", func(s string) error {
		name, typ, err := splitType(s)
		if err != nil {
			return err
		}
		for _, p := range o.parse.programs {
			if p.key == name {
				return fmt.Errorf("-program %s given twice", name)
			}
		}
		o.parse.programs = append(o.parse.programs, typeOverride{name, typ})
		return nil
	})
	fs.Func("section", "`PATTERN=TYPE`: load programs of the sections matching PATTERN (elf.SectionOverride) as TYPE (repeatable, first match wins)", func(s string) error {
		pat, typ, err := splitType(s)
		if err != nil {
			return err
		}
		o.parse.sections = append(o.parse.sections, typeOverride{pat, typ})
		return nil
	})
	fs.Func("default-type", "`TYPE` of programs that nothing else types", func(s string) error {
		t, ok := lookupProgramType(s)
		if !ok {
			return fmt.Errorf("unknown program type %q", s)
		}
		o.parse.defaultType = &t
		return nil
	})
	cc := os.Getenv("BPF_CLANG")
	if cc == "" {
		cc = "clang"
	}
	fs.StringVar(&o.cc, "cc", cc, "the C compiler for a C input (default: $BPF_CLANG or clang)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: bpfgen [flags] IDENT INPUT.o|INPUT.c [-- CFLAGS...]\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	rest := fs.Args()
	for i, a := range rest {
		if a == "--" {
			o.cflags = rest[i+1:]
			rest = rest[:i]
			break
		}
	}
	if len(rest) != 2 {
		fs.Usage()
		return nil, fmt.Errorf("want IDENT and INPUT, got %d arguments", len(rest))
	}
	o.ident, o.input = rest[0], rest[1]
	if !isIdent(o.ident) {
		return nil, fmt.Errorf("identifier %q is not a Go identifier", o.ident)
	}
	if o.pkg == "" {
		return nil, errors.New("no package name: pass -package or run from go generate")
	}
	if !isIdent(o.pkg) {
		return nil, fmt.Errorf("package %q is not a Go identifier", o.pkg)
	}
	if o.stem == "" {
		o.stem = strings.ToLower(o.ident)
	}
	if len(o.targets) == 0 {
		o.targets = stringList{"bpfel", "bpfeb"}
	}
	for _, t := range o.targets {
		if t != "bpfel" && t != "bpfeb" {
			return nil, fmt.Errorf("-target %q: want bpfel or bpfeb", t)
		}
	}
	return o, nil
}

// outFile is a file bpfgen writes.
type outFile struct {
	path string
	data []byte
}

func run(args []string, stderr io.Writer) error {
	files, err := render(args, stderr)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := writeIfChanged(f.path, f.data); err != nil {
			return err
		}
	}
	return nil
}

// render returns the files the command line asks for (compiling a C
// input first, which writes the objects).
func render(args []string, stderr io.Writer) ([]outFile, error) {
	o, err := parseArgs(args, stderr)
	if err != nil {
		return nil, err
	}
	command := "bpfgen " + strings.Join(args, " ")
	cfg := genConfig{
		Ident: o.ident, Prefix: o.prefix, Package: o.pkg, Command: command,
		Types: o.types, NoGlobalTypes: o.noGlobalTypes, Tags: o.tags,
		Parse: o.parse,
	}
	if err := os.MkdirAll(o.outDir, 0o755); err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(o.input)) {
	case ".c":
		return runC(o, cfg)
	case ".o":
		if len(o.cflags) > 0 {
			return nil, fmt.Errorf("%s is an object: clang flags after -- are for a C input", o.input)
		}
	default:
		return nil, fmt.Errorf("%s: want an object (.o) or a C file (.c)", o.input)
	}
	obj, err := os.ReadFile(o.input)
	if err != nil {
		return nil, err
	}
	order, err := byteOrderName(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.input, err)
	}
	var files []outFile
	embed, err := filepath.Rel(o.outDir, o.input)
	if err != nil || strings.HasPrefix(embed, "..") || filepath.IsAbs(embed) {
		// go:embed reads only below the package: copy the object there.
		embed = o.stem + "_" + order + ".o"
		files = append(files, outFile{filepath.Join(o.outDir, embed), obj})
	}
	cfg.EmbedPath = filepath.ToSlash(embed)
	cfg.Object = obj
	cfg.ArchTags = o.archTags
	f, err := renderGo(o, cfg, order)
	if err != nil {
		return nil, err
	}
	return append(files, f), nil
}

// runC compiles the C input once per target and generates each object's
// bindings.
func runC(o *options, cfg genConfig) ([]outFile, error) {
	if _, err := exec.LookPath(o.cc); err != nil {
		return nil, fmt.Errorf("%s is a C file and the compiler %q is not installed (%w): generate from the compiled object instead", o.input, o.cc, err)
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	var files []outFile
	for _, t := range o.targets {
		objName := o.stem + "_" + t + ".o"
		objPath := filepath.Join(o.outDir, objName)
		args := []string{"-O2", "-g", "-Wall", "-fno-ident", "-fdebug-prefix-map=" + cwd + "=.", "-target", t, "-c", o.input, "-o", objPath}
		args = append(args, o.cflags...)
		cmd := exec.Command(o.cc, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("%s %s: %w\n%s", o.cc, strings.Join(args, " "), err, out.String())
		}
		obj, err := os.ReadFile(objPath)
		if err != nil {
			return nil, err
		}
		c := cfg
		c.Source = filepath.ToSlash(o.input)
		c.EmbedPath = objName
		c.Object = obj
		c.ArchTags = true
		f, err := renderGo(o, c, t)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

func renderGo(o *options, cfg genConfig, order string) (outFile, error) {
	src, err := generate(cfg)
	if err != nil {
		return outFile{}, err
	}
	return outFile{filepath.Join(o.outDir, o.stem+"_"+order+".go"), src}, nil
}

// writeIfChanged writes b to path unless path holds b already (keeping
// its modification time for build caches).
func writeIfChanged(path string, b []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return nil
	}
	return os.WriteFile(path, b, 0o644)
}

// byteOrderName reads an ELF header's data encoding: "bpfel" or "bpfeb".
func byteOrderName(obj []byte) (string, error) {
	if len(obj) < 6 || string(obj[:4]) != "\x7fELF" {
		return "", errors.New("not an ELF object")
	}
	switch obj[5] {
	case 1:
		return "bpfel", nil
	case 2:
		return "bpfeb", nil
	}
	return "", fmt.Errorf("unknown ELF data encoding %d", obj[5])
}
