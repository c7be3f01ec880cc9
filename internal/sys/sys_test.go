package sys

import (
	"errors"
	"os"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/internal/testenv"
)

func newHash(t *testing.T) *FD {
	t.Helper()
	testenv.RequirePrivileged(t)
	fd, err := MapCreate(&MapCreateAttr{MapType: 1, KeySize: 4, ValueSize: 8, MaxEntries: 4, MapName: NameBytes("sys_test")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fd.Close() })
	return fd
}

func TestFDCloseIsIdempotent(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	raw, err := unix.Dup(int(r.Fd()))
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	fd, err := NewFD(raw)
	if err != nil {
		t.Fatal(err)
	}
	if fd.Int() != raw {
		t.Fatalf("Int() = %d, want %d", fd.Int(), raw)
	}
	if err := fd.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fd.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if fd.Int() != -1 {
		t.Fatalf("Int() after Close = %d, want -1", fd.Int())
	}
	if _, err := unix.FcntlInt(uintptr(raw), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Fatalf("descriptor %d still open after Close: %v", raw, err)
	}
	var nilFD *FD
	if nilFD.Close() != nil || nilFD.Int() != -1 {
		t.Fatal("nil FD must close to nil and report -1")
	}
}

func TestErrorsKeepErrno(t *testing.T) {
	fd := newHash(t)
	key, val := uint32(7), uint64(0)
	attr := MapElemAttr{MapFD: fd.Uint(), Key: NewPointer(unsafe.Pointer(&key)), Value: NewPointer(unsafe.Pointer(&val))}
	err := MapLookupElem(&attr)
	if !errors.Is(err, unix.ENOENT) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lookup of missing key: %v, want ENOENT", err)
	}
	var se *Error
	if !errors.As(err, &se) || se.Cmd != MapLookupElemCmd {
		t.Fatalf("error %v does not name BPF_MAP_LOOKUP_ELEM", err)
	}
	if got := err.Error(); got != "BPF_MAP_LOOKUP_ELEM: no such file or directory" {
		t.Fatalf("message %q", got)
	}
	// A map with a zero key size is invalid.
	_, err = MapCreate(&MapCreateAttr{MapType: 1, KeySize: 0, ValueSize: 8, MaxEntries: 1})
	if !errors.Is(err, unix.EINVAL) {
		t.Fatalf("create with key size 0: %v, want EINVAL", err)
	}
}

func TestMapElemMissDoesNotAllocate(t *testing.T) {
	fd := newHash(t)
	key, val := uint32(7), uint64(1)
	attr := MapElemAttr{MapFD: fd.Uint(), Key: NewPointer(unsafe.Pointer(&key)), Value: NewPointer(unsafe.Pointer(&val))}
	if err := MapUpdateElem(&attr); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		key = 7
		if err := MapLookupElem(&attr); err != nil {
			t.Fatal(err)
		}
		key = 8
		if err := MapLookupElem(&attr); !errors.Is(err, unix.ENOENT) {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per hit+miss", allocs)
	}
}

func TestInfoAndIDs(t *testing.T) {
	fd := newHash(t)
	var info MapInfo
	if err := MapInfoByFD(fd, &info); err != nil {
		t.Fatal(err)
	}
	if info.Type != 1 || info.KeySize != 4 || info.ValueSize != 8 || info.MaxEntries != 4 || CString(info.Name[:]) != "sys_test" {
		t.Fatalf("unexpected info %+v", info)
	}
	// The id is found by walking the id space, and reopens the same map.
	found := false
	for id := uint32(0); ; {
		next, err := GetNextID(MapGetNextIDCmd, id)
		if errors.Is(err, unix.ENOENT) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if next == info.ID {
			found = true
			break
		}
		id = next
	}
	if !found {
		t.Fatalf("map id %d not listed", info.ID)
	}
	again, err := GetFDByID(MapGetFDByIDCmd, info.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	var info2 MapInfo
	if err := MapInfoByFD(again, &info2); err != nil || info2.ID != info.ID {
		t.Fatalf("reopened map: %+v, %v", info2, err)
	}
}

func TestCmdString(t *testing.T) {
	for cmd, want := range map[Cmd]string{ProgLoadCmd: "BPF_PROG_LOAD", LinkDetachCmd: "BPF_LINK_DETACH", 99: "bpf_cmd(99)"} {
		if got := cmd.String(); got != want {
			t.Errorf("%d: %q, want %q", uint32(cmd), got, want)
		}
	}
}

func TestFDClosedByGarbageCollection(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	raw, err := unix.Dup(int(r.Fd()))
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	func() {
		fd, err := NewFD(raw)
		if err != nil {
			t.Fatal(err)
		}
		_ = fd.Int()
	}()
	for i := 0; i < 100; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
		if _, err := unix.FcntlInt(uintptr(raw), unix.F_GETFD, 0); errors.Is(err, unix.EBADF) {
			return
		}
	}
	t.Fatalf("descriptor %d of an unreachable FD is still open", raw)
}

func TestNewFDMovesZero(t *testing.T) {
	// Make descriptor 0 a pipe end for the duration of the test, and put
	// standard input back afterwards (or leave 0 closed if it was).
	saved, err := unix.FcntlInt(0, unix.F_DUPFD_CLOEXEC, 3)
	switch {
	case errors.Is(err, unix.EBADF):
		saved = -1 // standard input is closed
	case err != nil:
		t.Fatal(err)
	}
	defer func() {
		if saved >= 0 {
			unix.Dup3(saved, 0, 0)
			unix.Close(saved)
		}
	}()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[1])
	if err := unix.Dup3(p[0], 0, unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	unix.Close(p[0])
	fd, err := NewFD(0)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	if fd.Int() == 0 {
		t.Fatal("descriptor 0 was kept")
	}
	if _, err := unix.FcntlInt(0, unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Fatalf("descriptor 0 still open: %v", err)
	}
}

func TestObjName(t *testing.T) {
	for in, want := range map[string]string{
		"xdp_prog1":           "xdp_prog1",
		".rodata.str1.1":      ".rodata.str1.1",
		"tc/ingress":          "tc_ingress",
		"a-very-long-name-xx": "a_very_long_nam",
		"":                    "",
	} {
		b := ObjName(in)
		if got := CString(b[:]); got != want {
			t.Errorf("ObjName(%q) = %q, want %q", in, got, want)
		}
	}
}
