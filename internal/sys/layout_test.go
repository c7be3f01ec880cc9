package sys

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/internal/btf"
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
	{reflect.TypeFor[BTFInfo](), "struct bpf_btf_info"},
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
// tagged field not marked since= (those the oldest supported headers
// have) and compares them with the Go layout.
func compareWithC(t *testing.T, prelude string) {
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
		if f.since != "" {
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
	compareWithC(t, "#include <linux/bpf.h>")
}

// kernelRelease returns the major and minor version of the running
// kernel (uname -r).
func kernelRelease(t *testing.T) (major, minor int) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	rel := unix.ByteSliceToString(u.Release[:])
	if _, err := fmt.Sscanf(rel, "%d.%d", &major, &minor); err != nil {
		t.Fatalf("kernel release %q: %v", rel, err)
	}
	return major, minor
}

// parseSince parses the version of a since= tag ("6.14").
func parseSince(t *testing.T, f cField) (major, minor int) {
	if _, err := fmt.Sscanf(f.since, "%d.%d", &major, &minor); err != nil {
		t.Fatalf("%s: since=%q: %v", f.goName, f.since, err)
	}
	return major, minor
}

// TestLayoutMatchesRunningKernel checks the fields against the running
// kernel's own UAPI as its BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF)
// describes it, read with internal/btf: no C compiler, no bpftool. It
// compares every field the kernel has, including those newer than the
// installed headers; a field the kernel does not have is not a mismatch
// (the kernel ignores the zeroed tail of an attribute it does not know),
// unless the field's since= tag says this kernel must have it.
func TestLayoutMatchesRunningKernel(t *testing.T) {
	raw, err := os.ReadFile("/sys/kernel/btf/vmlinux")
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("kernel lacks a feature: no /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF, 5.4+)")
	}
	if err != nil {
		t.Fatal(err)
	}
	spec, err := btf.Parse(raw, binary.NativeEndian)
	if err != nil {
		t.Fatalf("kernel BTF: %v", err)
	}
	kmaj, kmin := kernelRelease(t)
	types := map[string]btf.Type{}
	var checked, absent []string
	for _, f := range taggedFields() {
		ct, ok := types[f.cType]
		if !ok {
			kind, name, _ := strings.Cut(f.cType, " ")
			k := map[string]btf.Kind{"struct": btf.KindStruct, "union": btf.KindUnion}[kind]
			if ct, ok = spec.Named(k, name); !ok {
				t.Fatalf("kernel BTF has no %s", f.cType)
			}
			types[f.cType] = ct
		}
		kf, err := spec.Field(ct, f.path)
		if errors.Is(err, btf.ErrNoField) {
			if f.since == "" {
				t.Errorf("%s: %s.%s is not in the kernel's BTF, though its tag says the 6.1 UAPI has it", f.goName, f.cType, f.path)
			} else if maj, min := parseSince(t, f); kmaj > maj || kmaj == maj && kmin >= min {
				t.Errorf("%s: %s.%s is not in the BTF of kernel %d.%d, though its tag says since=%s", f.goName, f.cType, f.path, kmaj, kmin, f.since)
			}
			absent = append(absent, f.cType+"."+f.path)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", f.goName, err)
		}
		size, err := spec.Sizeof(kf.Type)
		if err != nil {
			t.Fatalf("%s: size of %s.%s: %v", f.goName, f.cType, f.path, err)
		}
		if kf.BitfieldSize != 0 || kf.BitOffset%8 != 0 {
			t.Errorf("%s: %s.%s is a bitfield in the kernel", f.goName, f.cType, f.path)
			continue
		}
		if off := uintptr(kf.BitOffset / 8); off != f.offset || uintptr(size) != f.size {
			t.Errorf("%s (%s.%s): Go offset %d size %d, kernel offset %d size %d", f.goName, f.cType, f.path, f.offset, f.size, off, size)
		}
		checked = append(checked, f.goName)
	}
	t.Logf("kernel %d.%d: checked %d fields; not in this kernel: %v", kmaj, kmin, len(checked), absent)
	if len(checked) == 0 {
		t.Fatal("no field checked")
	}
}
