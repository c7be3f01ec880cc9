package elf

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
	"github.com/purebpf/bpf/features"
)

// sectionRange returns the file range of the section name of obj.
func sectionRange(t testing.TB, obj []byte, name string) (off, size uint64) {
	t.Helper()
	f, err := elf.NewFile(strings.NewReader(string(obj)))
	if err != nil {
		t.Fatal(err)
	}
	s := f.Section(name)
	if s == nil {
		t.Fatalf("no section %s", name)
	}
	return s.Offset, s.Size
}

// TestMalformedWrapsErrFormat corrupts the .BTF, .BTF.ext and symbol
// table of committed objects: every error wraps ErrFormat and names the
// section.
func TestMalformedWrapsErrFormat(t *testing.T) {
	le := binary.LittleEndian
	for _, tc := range []struct {
		name    string
		object  string
		section string
		mutate  func(b []byte) // the section's bytes
		want    string
	}{
		{"BTF bad magic", "core.o", ".BTF", func(b []byte) { b[0] = 0 }, ".BTF"},
		{"BTF truncated types", "core.o", ".BTF", func(b []byte) { le.PutUint32(b[12:], uint32(len(b))) }, ".BTF"},
		{"BTF truncated strings", "features.o", ".BTF", func(b []byte) { le.PutUint32(b[20:], uint32(len(b))) }, ".BTF"},
		{"BTF type kind", "core.o", ".BTF", func(b []byte) {
			hdr := le.Uint32(b[4:])
			b[hdr+le.Uint32(b[8:])+7] = 0x7f // kind of the first type
		}, ".BTF"},
		{"BTF.ext bad magic", "core.o", ".BTF.ext", func(b []byte) { b[1] = 0 }, ".BTF.ext"},
		{"BTF.ext func info beyond", "core.o", ".BTF.ext", func(b []byte) { le.PutUint32(b[12:], 1<<20) }, ".BTF.ext"},
		{"BTF.ext record size", "features.o", ".BTF.ext", func(b []byte) {
			le.PutUint32(b[le.Uint32(b[4:])+le.Uint32(b[8:]):], 3)
		}, ".BTF.ext"},
		{"symbol name", "features.o", ".symtab", func(b []byte) { le.PutUint32(b[24*2:], 0xfffffff0) }, ""},
		{"symbol section", "features.o", ".symtab", func(b []byte) {
			for i := 24; i+24 <= len(b); i += 24 {
				le.PutUint16(b[i+6:], 0xfe00) // no such section, not a special index
			}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj, err := os.ReadFile(filepath.Join("testdata", tc.object))
			if err != nil {
				t.Fatal(err)
			}
			off, size := sectionRange(t, obj, tc.section)
			tc.mutate(obj[off : off+size])
			_, err = Parse(obj)
			if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse = %v, want ErrFormat naming %q", err, tc.want)
			}
			t.Log(err)
		})
	}
}

// TestCorruptBTFSweep overwrites each byte of .BTF and .BTF.ext in turn
// (with 0x00, 0xff and its value plus one): Parse either succeeds or
// returns an error wrapping ErrFormat or bpf.ErrNotSupported, never neither.
func TestCorruptBTFSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("sweep of every byte")
	}
	for _, object := range []string{"core.o", "features.o", "externs.o"} {
		orig, err := os.ReadFile(filepath.Join("testdata", object))
		if err != nil {
			t.Fatal(err)
		}
		failed, format := 0, 0
		for _, sec := range []string{".BTF", ".BTF.ext"} {
			off, size := sectionRange(t, orig, sec)
			obj := make([]byte, len(orig))
			copy(obj, orig)
			for i := off; i < off+size; i++ {
				for _, v := range []byte{0, 0xff, orig[i] + 1} {
					obj[i] = v
					_, err := Parse(obj)
					if err != nil {
						failed++
						if errors.Is(err, ErrFormat) {
							format++
						} else if !errors.Is(err, bpf.ErrNotSupported) {
							t.Fatalf("%s: %s byte %d = %#x: error wraps neither ErrFormat nor ErrNotSupported: %v", object, sec, i-off, v, err)
						}
					}
				}
				obj[i] = orig[i]
			}
		}
		if format == 0 {
			t.Errorf("%s: no corruption gave ErrFormat (%d errors)", object, failed)
		}
		t.Logf("%s: %d corruptions refused, %d of them as ErrFormat", object, failed, format)
	}
}

// TestOneErrNotSupported: the "not supported" sentinels of features and
// the root are one, elf's errors match it (maps' do in maps' tests),
// and the texts say the reason.
func TestOneErrNotSupported(t *testing.T) {
	if features.ErrNotSupported != bpf.ErrNotSupported {
		t.Fatal("features.ErrNotSupported is not bpf.ErrNotSupported")
	}
	f := noneObject(t)
	f.Relocs[0].Offset = 24
	_, shapeErr := Parse(f.Bytes())
	kernelErr := error(&features.Error{Feature: "tcx links", MinKernel: "6.6"})
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"elf", shapeErr, "not supported for this object's shape"},
		{"features", kernelErr, "tcx links: not supported by the running kernel (since Linux 6.6)"},
		{"attach", attach.ErrModeNotSupported, "XDP mode not supported by the device"},
	} {
		if !errors.Is(tc.err, bpf.ErrNotSupported) || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: %v: want bpf.ErrNotSupported saying %q", tc.name, tc.err, tc.want)
		}
	}
}
