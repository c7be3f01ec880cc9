package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/purebpf/bpf/asm"
)

const snippet = `
struct x { int a; };

enum bpf_func_id {
	BPF_FUNC_unspec = 0,
	BPF_FUNC_map_lookup_elem = 1,
	BPF_FUNC_skb_load_bytes_relative = 2,
	__BPF_FUNC_MAX_ID = 3,
};
`

func TestParseAndGenerate(t *testing.T) {
	helpers, max, err := parse(strings.NewReader(snippet))
	if err != nil {
		t.Fatal(err)
	}
	if max != 3 || len(helpers) != 3 || helpers[2].name != "skb_load_bytes_relative" {
		t.Fatalf("parse = %v, %d", helpers, max)
	}
	src, err := generate(helpers, max)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"FnMapLookupElem BuiltinFunc = 1",
		"FnSkbLoadBytesRelative BuiltinFunc = 2",
		`2: "bpf_skb_load_bytes_relative",`,
		"const maxBuiltinFunc = 3",
	} {
		if !bytes.Contains(src, []byte(want)) {
			t.Errorf("generated code lacks %q:\n%s", want, src)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for name, in := range map[string]string{
		"no enum":      "enum other { A = 1, };",
		"no value":     "enum bpf_func_id {\n\tBPF_FUNC_unspec,\n};",
		"gap":          "enum bpf_func_id {\n\tBPF_FUNC_unspec = 0,\n\tBPF_FUNC_x = 2,\n};",
		"foreign name": "enum bpf_func_id {\n\tFOO = 0,\n};",
		"bad max":      "enum bpf_func_id {\n\tBPF_FUNC_unspec = 0,\n\t__BPF_FUNC_MAX_ID = 5,\n};",
	} {
		if _, _, err := parse(strings.NewReader(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestGeneratedMatchesKernel checks ../../func_gen.go against the running
// kernel's own enum bpf_func_id, read from its BTF: every helper the
// kernel has must carry the same id and name in package asm (older
// kernels have fewer helpers, which is fine), and on a kernel with as
// many helpers as the generated table the file must be byte for byte
// what the generator writes. A kernel with more helpers means the table
// is stale.
func TestGeneratedMatchesKernel(t *testing.T) {
	const vmlinux = "/sys/kernel/btf/vmlinux"
	if _, err := os.Stat(vmlinux); err != nil {
		t.Skipf("kernel without BTF (CONFIG_DEBUG_INFO_BTF): %v", err)
	}
	helpers, max, err := fromBTF(vmlinux)
	if err != nil {
		t.Fatal(err)
	}
	ours := 0
	for asm.BuiltinFunc(ours).String() != "helper#"+strconv.Itoa(ours) {
		ours++
	}
	if max > ours {
		t.Fatalf("the kernel has %d helpers, package asm %d: func_gen.go is stale: refresh internal/genhelpers/testdata/bpf_func_id.h from this kernel's BTF and run go generate ./asm", max, ours)
	}
	for _, h := range helpers {
		if got := asm.BuiltinFunc(h.id).String(); got != "bpf_"+h.name {
			t.Errorf("helper %d: asm says %s, the kernel bpf_%s", h.id, got, h.name)
		}
	}
	if max < ours {
		t.Logf("kernel has %d of the %d helpers package asm knows; ids and names agree", max, ours)
		return
	}
	want, err := generate(helpers, max)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../func_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("func_gen.go is not what the generator writes from this kernel: refresh internal/genhelpers/testdata/bpf_func_id.h from its BTF and run go generate ./asm")
	}
}

// TestCommittedHeaderGenerates checks that ../../func_gen.go is what the
// generator writes from the committed header go generate reads, so that a
// hand edit of either fails go test as well as CI's go generate diff.
func TestCommittedHeaderGenerates(t *testing.T) {
	f, err := os.Open("testdata/bpf_func_id.h")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	helpers, max, err := parse(f)
	if err != nil {
		t.Fatal(err)
	}
	want, err := generate(helpers, max)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../func_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("func_gen.go is not what genhelpers writes from testdata/bpf_func_id.h: run go generate ./asm")
	}
}
