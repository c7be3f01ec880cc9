package check_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/check"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
	"golang.org/x/sys/unix"
)

// progsFigures counts the verdicts on the realistic programs.
type progsFigures struct {
	programs, verdicts, agreeAccept, agreeReject, falseAccepts, falseRejects, unsupported int
}

func (f progsFigures) String() string {
	return fmt.Sprintf("%d programs, %d with a verdict (%.1f%%): %d agree-accept, %d agree-reject, %d false accepts, %d false rejects, %d unsupported",
		f.programs, f.verdicts, 100*float64(f.verdicts)/float64(max(f.programs, 1)), f.agreeAccept, f.agreeReject, f.falseAccepts, f.falseRejects, f.unsupported)
}

// TestRealisticProgramsAgreeWithKernel checks every program of the
// committed objects testdata/progs/*.o (built from the C sources there by
// its Makefile) offline and loads it into the kernel, one program at a
// time: the offline verdict must be the kernel's (no false accept, no
// false ErrRejected), programs named *_bad must be ones the kernel
// rejects, and at least 95% of the programs must get a verdict rather
// than ErrUnsupported. A program type the kernel lacks is skipped, naming
// it.
func TestRealisticProgramsAgreeWithKernel(t *testing.T) {
	testenv.RequirePrivileged(t)
	objs, err := filepath.Glob("testdata/progs/*.o")
	if err != nil || len(objs) == 0 {
		t.Fatalf("objects: %v %v", objs, err)
	}
	// The programs were written for (and their expected verdicts checked
	// on) 6.18; another kernel may judge one differently, which is logged.
	expectf := t.Errorf
	if v, err := check.ParseKernelVersion(unameRelease(t)); err != nil || v.Major != 6 || v.Minor != 18 {
		expectf = t.Logf
	}
	var all progsFigures
	for _, obj := range objs {
		cs, err := elf.Open(obj)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range cs.Maps {
			m.Pinning = maps.PinNone
		}
		names := make([]string, 0, len(cs.Programs))
		for name := range cs.Programs {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			p := cs.Programs[name]
			if err := features.HaveProgramType(p.Type); err != nil {
				if errors.Is(err, features.ErrNotSupported) {
					t.Logf("%s: skipped: program type %s: %v", name, p.Type, err)
					continue
				}
				t.Fatal(err)
			}
			all.programs++
			offline := check.Program(p, cs.Maps, check.Options{})
			one := cs.Copy()
			one.Programs = map[string]*bpf.ProgramSpec{name: one.Programs[name]}
			coll, kerr := bpf.NewCollection(one)
			if kerr == nil {
				coll.Close()
			}
			bad := strings.HasSuffix(name, "_bad")
			if bad && kerr == nil {
				expectf("%s: the kernel accepts a program meant to be rejected", name)
			}
			if !bad && kerr != nil {
				expectf("%s: the kernel rejects a program meant to be accepted: %v", name, kerr)
			}
			switch {
			case errors.Is(offline, check.ErrUnsupported):
				all.unsupported++
				t.Logf("%s: no verdict: %v", name, offline)
			case offline == nil && kerr == nil:
				all.verdicts++
				all.agreeAccept++
			case offline != nil && kerr != nil:
				all.verdicts++
				all.agreeReject++
			case offline == nil:
				all.verdicts++
				all.falseAccepts++
				t.Errorf("%s: FALSE ACCEPT: the kernel rejects it: %v", name, kerr)
			default:
				all.verdicts++
				all.falseRejects++
				t.Errorf("%s: false rejection (the kernel accepts it): %v", name, offline)
			}
		}
	}
	t.Logf("realistic programs: %v", all)
	if all.programs > 0 && all.verdicts*100 < all.programs*95 {
		t.Errorf("only %d of %d programs get a verdict (goal 95%%)", all.verdicts, all.programs)
	}
}

// TestProgsObjectsMatchSources rebuilds testdata/progs with its Makefile
// and compares the objects with the committed ones (byte for byte with
// clang 14, the compiler they were built with).
func TestProgsObjectsMatchSources(t *testing.T) {
	testenv.RequireTool(t, "clang", "make")
	out, err := exec.Command("clang", "--version").Output()
	if err != nil {
		t.Fatalf("clang --version: %v", err)
	}
	if !bytes.Contains(out, []byte("clang version 14.")) {
		t.Skipf("%s: the committed objects are clang 14's", bytes.SplitN(out, []byte("\n"), 2)[0])
	}
	tmp := t.TempDir()
	if out, err := exec.Command("make", "-s", "-C", "testdata/progs", "OUT="+tmp).CombinedOutput(); err != nil {
		t.Fatalf("make: %v\n%s", err, out)
	}
	built, err := filepath.Glob(filepath.Join(tmp, "*.o"))
	if err != nil || len(built) == 0 {
		t.Fatalf("make built nothing: %v", err)
	}
	for _, b := range built {
		committed := filepath.Join("testdata/progs", filepath.Base(b))
		want, err := os.ReadFile(committed)
		if err != nil {
			t.Errorf("%s is built but not committed: %v", committed, err)
			continue
		}
		got, err := os.ReadFile(b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s does not match its source: rebuild with make -C check/testdata/progs", committed)
		}
	}
}

// unameRelease returns the running kernel's release (uname -r).
func unameRelease(t *testing.T) string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	return unix.ByteSliceToString(u.Release[:])
}
