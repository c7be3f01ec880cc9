package sys

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/purebpf/bpf/internal/testenv"
)

// layouts lists every struct that mirrors a kernel UAPI type, with the C
// type it mirrors.
var layouts = []struct {
	goType reflect.Type
	cType  string
}{
	{reflect.TypeFor[MapCreateAttr](), "union bpf_attr"},
	{reflect.TypeFor[MapElemAttr](), "union bpf_attr"},
	{reflect.TypeFor[MapBatchAttr](), "union bpf_attr"},
	{reflect.TypeFor[ProgLoadAttr](), "union bpf_attr"},
	{reflect.TypeFor[ObjPinAttr](), "union bpf_attr"},
	{reflect.TypeFor[ProgAttachAttr](), "union bpf_attr"},
	{reflect.TypeFor[ProgTestRunAttr](), "union bpf_attr"},
	{reflect.TypeFor[GetIDAttr](), "union bpf_attr"},
	{reflect.TypeFor[InfoAttr](), "union bpf_attr"},
	{reflect.TypeFor[ProgQueryAttr](), "union bpf_attr"},
	{reflect.TypeFor[BTFLoadAttr](), "union bpf_attr"},
	{reflect.TypeFor[LinkCreateAttr](), "union bpf_attr"},
	{reflect.TypeFor[LinkUpdateAttr](), "union bpf_attr"},
	{reflect.TypeFor[LinkDetachAttr](), "union bpf_attr"},
	{reflect.TypeFor[ProgInfo](), "struct bpf_prog_info"},
	{reflect.TypeFor[MapInfo](), "struct bpf_map_info"},
	{reflect.TypeFor[LinkInfo](), "struct bpf_link_info"},
	{reflect.TypeFor[XDPMD](), "struct xdp_md"},
	{reflect.TypeFor[SKBuff](), "struct __sk_buff"},
}

type cField struct {
	goName      string
	cType, path string
	since       string
	offset      uintptr
	size        uintptr
}

func taggedFields() []cField {
	var out []cField
	for _, l := range layouts {
		for i := 0; i < l.goType.NumField(); i++ {
			f := l.goType.Field(i)
			tag, ok := f.Tag.Lookup("c")
			if !ok {
				continue
			}
			path, since, _ := strings.Cut(tag, ",since=")
			out = append(out, cField{l.goType.Name() + "." + f.Name, l.cType, path, since, f.Offset, f.Type.Size()})
		}
	}
	return out
}

// compareWithC compiles a C program that prints offset and size of every
// tagged field and compares them with the Go layout.
func compareWithC(t *testing.T, prelude string, includeNew bool) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		if cc, err = exec.LookPath("gcc"); err != nil {
			testenv.Skip(t, "no C compiler to compile the UAPI headers with")
		}
	}
	fields := taggedFields()
	var src strings.Builder
	src.WriteString(prelude + "\nint printf(const char *, ...);\nint main(void) {\n")
	var checked []cField
	for _, f := range fields {
		if f.since != "" && !includeNew {
			continue
		}
		checked = append(checked, f)
		fmt.Fprintf(&src, "\tprintf(\"%%zu %%zu\\n\", __builtin_offsetof(%s, %s), sizeof(((%s *)0)->%s));\n", f.cType, f.path, f.cType, f.path)
	}
	src.WriteString("\treturn 0;\n}\n")
	dir := t.TempDir()
	cfile, bin := filepath.Join(dir, "layout.c"), filepath.Join(dir, "layout")
	if err := os.WriteFile(cfile, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-I/usr/include/x86_64-linux-gnu", "-o", bin, cfile).CombinedOutput(); err != nil {
		t.Fatalf("compile layout probe: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for _, f := range checked {
		if !sc.Scan() {
			t.Fatal("layout probe printed too few lines")
		}
		var off, size uintptr
		fmt.Sscan(sc.Text(), &off, &size)
		if off != f.offset || size != f.size {
			t.Errorf("%s (%s.%s): Go offset %d size %d, C offset %d size %d", f.goName, f.cType, f.path, f.offset, f.size, off, size)
		}
	}
	t.Logf("checked %d fields", len(checked))
}

func TestLayoutMatchesInstalledHeaders(t *testing.T) {
	compareWithC(t, "#include <linux/bpf.h>", false)
}

// TestLayoutMatchesRunningKernel checks every field, also those newer than
// the installed headers, against the running kernel's own UAPI as its BTF
// describes it (dumped to C by bpftool when it is installed).
func TestLayoutMatchesRunningKernel(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("kernel has no BTF")
	}
	bpftool, err := exec.LookPath("bpftool")
	if err != nil {
		t.Skip("bpftool is not installed; the running kernel's UAPI cannot be dumped as C")
	}
	out, err := exec.Command(bpftool, "btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c").Output()
	if err != nil {
		t.Skipf("bpftool btf dump: %v", err)
	}
	h := filepath.Join(t.TempDir(), "vmlinux.h")
	if err := os.WriteFile(h, out, 0o644); err != nil {
		t.Fatal(err)
	}
	compareWithC(t, "#include \""+h+"\"", true)
}
