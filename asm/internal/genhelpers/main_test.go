package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
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

// TestGeneratedIsCurrent checks that ../../func_gen.go is what the
// generator produces from the kernel header, when the header is present.
func TestGeneratedIsCurrent(t *testing.T) {
	f, err := os.Open("/tmp/vmlinux.h")
	if err != nil {
		t.Skipf("no kernel header: %v", err)
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
		t.Error("func_gen.go is stale: run go generate in asm")
	}
}
