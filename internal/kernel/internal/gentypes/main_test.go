package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommittedFilesAreGenerated runs the generator on the committed
// header and compares its output with the committed files, so that a
// hand edit of a generated file or of the header fails go test as well as
// CI's go generate diff.
func TestCommittedFilesAreGenerated(t *testing.T) {
	dir := t.TempDir()
	out := map[string]string{
		"../../types_gen.go":         filepath.Join(dir, "kernel.go"),
		"../../../../types_gen.go":   filepath.Join(dir, "alias.go"),
		"../../../../context_gen.go": filepath.Join(dir, "context.go"),
	}
	if err := run("../../testdata/uapi.h", out["../../types_gen.go"], out["../../../../types_gen.go"], out["../../../../context_gen.go"]); err != nil {
		t.Fatal(err)
	}
	for committed, generated := range out {
		want, err := os.ReadFile(generated)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(committed)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what gentypes writes from testdata/uapi.h: run go generate ./internal/kernel", committed)
		}
	}
}

const snippet = `/* a comment */
enum bpf_prog_type {
	BPF_PROG_TYPE_UNSPEC = 0,
	BPF_PROG_TYPE_SCHED_CLS = 1,
	__MAX_BPF_PROG_TYPE = 2,
};

enum bpf_attach_type {
	BPF_LIRC_MODE2 = 0,
	BPF_TCX_INGRESS = 1,
};

enum bpf_map_type {
	BPF_MAP_TYPE_UNSPEC = 0,
	BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED = 1,
	BPF_MAP_TYPE_CGROUP_STORAGE = 1,
	BPF_MAP_TYPE_PERCPU_HASH = 2,
};

enum bpf_link_type {
	BPF_LINK_TYPE_UNSPEC = 0,
};

struct xdp_md {
	__u32 data;
	__u32 rx_queue_index;
};

struct __sk_buff {
	__u32 cb[5];
	union {
		struct bpf_sock *sk;
	};
	__u8 tstamp_type;
	__u64 hwtstamp;
	__u8 tail;
};
`

func TestGenerateSnippet(t *testing.T) {
	h, err := parseHeader(snippet)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		gen  func(*header, string) ([]byte, error)
		want []string
	}{
		{"kernel", genKernel, []string{
			"UnspecifiedProgram ProgramType = 0",
			"SchedCLS           ProgramType = 1",
			`1: "sched_cls",`,
			"AttachLIRCMode2  AttachType = 0",
			"AttachTCXIngress AttachType = 1",
			`1: "tcx_ingress",`,
			"MapCGroupStorage MapType    = 1",
			`1: "cgroup_storage",`,
			"MapPerCPUHash    MapType    = 2",
			"LinkUnspec LinkType = 0",
		}},
		{"alias", genAlias, []string{
			"type ProgramType = kernel.ProgramType",
			"SchedCLS           = kernel.SchedCLS",
			"AttachTCXIngress = kernel.AttachTCXIngress",
		}},
		{"context", genContext, []string{
			"type XDPContext struct {",
			"RxQueueIndex uint32 // xdp_md.rx_queue_index",
			"CB [5]uint32 // __sk_buff.cb\n_ [4]byte\nSk uint64 // __sk_buff.sk (a kernel pointer)\n",
			"TstampType uint8 // __sk_buff.tstamp_type\n_ [7]byte\nHWTstamp uint64",
			"Tail uint8 // __sk_buff.tail\n_ [7]byte\n}",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := tc.gen(h, "")
			if err != nil {
				t.Fatal(err)
			}
			got := squeeze(string(src))
			for _, want := range tc.want {
				if !strings.Contains(got, squeeze(want)) {
					t.Errorf("output lacks %q:\n%s", want, src)
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	const enumTail = "enum bpf_attach_type {\n\tBPF_X = 0,\n};\nenum bpf_map_type {\n\tBPF_MAP_TYPE_UNSPEC = 0,\n};\nenum bpf_link_type {\n\tBPF_LINK_TYPE_UNSPEC = 0,\n};\n"
	for _, tc := range []struct {
		name, src, want string
	}{
		{"unclosed", "enum bpf_prog_type {\n\tBPF_PROG_TYPE_UNSPEC = 0,\n", "not closed"},
		{"stray line", "int x;\n", "want \"enum NAME {\""},
		{"no value", "enum bpf_prog_type {\n\tBPF_PROG_TYPE_UNSPEC,\n};\n", "without explicit value"},
		{"bad value", "enum bpf_prog_type {\n\tBPF_PROG_TYPE_UNSPEC = x,\n};\n", "BPF_PROG_TYPE_UNSPEC"},
		{"struct member type", "struct xdp_md {\n\tint data;\n};\n", "not one of"},
		{"array length", "struct xdp_md {\n\t__u32 cb[x];\n};\n", "bad array length"},
		{"union not pointer", "struct xdp_md {\n\tunion {\n\t\t__u32 a;\n\t};\n};\n", "not a pointer"},
		{"missing enum", enumTail, "no enum bpf_prog_type"},
		{"gap", "enum bpf_prog_type {\n\tBPF_PROG_TYPE_UNSPEC = 0,\n\tBPF_PROG_TYPE_XDP = 2,\n};\n" + enumTail, "dense"},
		{"prefix", "enum bpf_prog_type {\n\tFOO = 0,\n};\n" + enumTail, "lacks the prefix"},
		{"repeat", "enum bpf_prog_type {\n\tBPF_PROG_TYPE_UNSPEC = 0,\n\tBPF_PROG_TYPE_XDP = 0,\n};\n" + enumTail, "not deprecated"},
		{"same Go name", "enum bpf_prog_type {\n\tBPF_PROG_TYPE_UNSPEC = 0,\n\tBPF_PROG_TYPE_LSM = 1,\n\tBPF_PROG_TYPE_L_S_M = 2,\n};\n" + enumTail, "two members"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := parseHeader(tc.src)
			if err == nil {
				_, err = genKernel(h, "")
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// squeeze drops indentation and collapses runs of blanks, so that
// expectations do not depend on gofmt's alignment.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}
