package main

import (
	"bytes"
	"strconv"
	"testing"
)

// cpioEntry is one entry read back from a newc archive.
type cpioEntry struct {
	name         string
	mode         uint32
	rmaj, rmin   uint32
	data         string
	headerOffset int
}

// readCPIO is an independent newc reader for the tests: it checks the
// magic, the four-byte alignment of names and data, and stops at the
// trailer.
func readCPIO(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var out []cpioEntry
	off := 0
	field := func(i int) uint32 {
		v, err := strconv.ParseUint(string(b[off+6+8*i:off+6+8*i+8]), 16, 32)
		if err != nil {
			t.Fatalf("header at %d field %d: %v", off, i, err)
		}
		return uint32(v)
	}
	align := func(n int) int { return (n + 3) &^ 3 }
	for {
		if off%4 != 0 {
			t.Fatalf("header at %d is not 4-byte aligned", off)
		}
		if off+110 > len(b) {
			t.Fatalf("truncated archive at %d", off)
		}
		if string(b[off:off+6]) != "070701" {
			t.Fatalf("bad magic %q at %d", b[off:off+6], off)
		}
		e := cpioEntry{mode: field(1), rmaj: field(9), rmin: field(10), headerOffset: off}
		size := int(field(6))
		namesize := int(field(11))
		nameStart := off + 110
		if b[nameStart+namesize-1] != 0 {
			t.Fatalf("name at %d not NUL-terminated", nameStart)
		}
		e.name = string(b[nameStart : nameStart+namesize-1])
		dataStart := align(nameStart + namesize)
		e.data = string(b[dataStart : dataStart+size])
		off = align(dataStart + size)
		if e.name == "TRAILER!!!" {
			if off != len(b) {
				t.Fatalf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
		out = append(out, e)
	}
}

func TestCPIORoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := newCPIOWriter(&buf)
	w.Dir("/bin", 0o755)
	w.CharDev("dev/console", 0o600, 5, 1)
	w.File("bin/busybox", 0o755, []byte("ELF!x")) // odd size: data needs padding
	w.Symlink("bin/sh", "busybox")
	w.File("init", 0o755, nil)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := readCPIO(t, buf.Bytes())
	want := []cpioEntry{
		{name: "bin", mode: cpioDir | 0o755},
		{name: "dev/console", mode: cpioCharDev | 0o600, rmaj: 5, rmin: 1},
		{name: "bin/busybox", mode: cpioRegular | 0o755, data: "ELF!x"},
		{name: "bin/sh", mode: cpioSymlink | 0o777, data: "busybox"},
		{name: "init", mode: cpioRegular | 0o755},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		g.headerOffset = 0
		if g != w {
			t.Errorf("entry %d: got %+v, want %+v", i, g, w)
		}
	}
}

func TestCPIOBadNames(t *testing.T) {
	for _, name := range []string{"", "/", "a\x00b"} {
		var buf bytes.Buffer
		w := newCPIOWriter(&buf)
		w.File(name, 0o644, []byte("x"))
		if err := w.Close(); err == nil {
			t.Errorf("name %q: no error", name)
		}
	}
}
