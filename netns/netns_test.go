package netns_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/netns"
	"golang.org/x/sys/unix"
)

func uniqueName(t testing.TB) string {
	return fmt.Sprintf("pbt-nstest-%d-%08x", os.Getpid(), rand.Uint32())
}

func countFDs(t testing.TB) map[string]string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	fds := map[string]string{}
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err == nil { // the directory's own descriptor is gone by now
			fds[e.Name()] = target
		}
	}
	return fds
}

// checkFDs reports descriptors opened since before (by number and
// target) and not closed, and descriptors of before that were closed (a
// double close of a number the package did not own). The Go runtime's
// own lazily created descriptors (its network poller's epoll and eventfd)
// are not the package's.
func checkFDs(t testing.TB, before map[string]string) {
	t.Helper()
	after := countFDs(t)
	for fd, target := range after {
		if before[fd] == target {
			continue
		}
		if target == "anon_inode:[eventpoll]" || target == "anon_inode:[eventfd]" {
			continue
		}
		t.Errorf("descriptor %s (%s) left open", fd, target)
	}
	for fd, target := range before {
		if _, ok := after[fd]; !ok {
			t.Errorf("descriptor %s (%s) closed, but it was not ours", fd, target)
		}
	}
}

// inode returns the namespace inode of a path (a namespace's identity).
func inode(t testing.TB, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func fdInode(t testing.TB, fd int) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func TestNewNamedLifecycle(t *testing.T) {
	testenv.RequirePrivileged(t)
	fds := countFDs(t)
	name := uniqueName(t)
	ns, err := netns.New(name)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(netns.RunDir, name)
	if ns.Name() != name || ns.Path() != path {
		t.Errorf("Name, Path = %q, %q; want %q, %q", ns.Name(), ns.Path(), name, path)
	}
	// The bind mount is the namespace the handle refers to, and it differs
	// from ours.
	if got, want := inode(t, path), fdInode(t, ns.FD()); got != want {
		t.Errorf("inode of %s = %d, handle's = %d", path, got, want)
	}
	if inode(t, path) == inode(t, "/proc/self/ns/net") {
		t.Errorf("new namespace is the process's namespace")
	}
	// Duplicate names are refused with os.ErrExist.
	if _, err := netns.New(name); !errors.Is(err, os.ErrExist) {
		t.Errorf("New(%q) again: err = %v, want os.ErrExist", name, err)
	} else if !strings.Contains(err.Error(), name) {
		t.Errorf("error %q does not name the namespace", err)
	}
	// OpenName finds the same namespace.
	ns2, err := netns.OpenName(name)
	if err != nil {
		t.Fatal(err)
	}
	if fdInode(t, ns2.FD()) != fdInode(t, ns.FD()) || ns2.Name() != name {
		t.Errorf("OpenName returned a different namespace or name %q", ns2.Name())
	}
	ns2.Close()

	if err := ns.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists after Delete: %v", path, err)
	}
	if err := ns.Delete(); err != nil {
		t.Errorf("second Delete: %v", err)
	}
	if ns.FD() != -1 {
		t.Errorf("FD after Delete = %d, want -1", ns.FD())
	}
	if err := ns.Do(func() error { return nil }); !errors.Is(err, netns.ErrClosed) {
		t.Errorf("Do after Delete: %v, want ErrClosed", err)
	}
	checkFDs(t, fds)
}

func TestDoSwitchesAndRestores(t *testing.T) {
	testenv.RequirePrivileged(t)
	ns, err := netns.NewAnonymous()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	host := inode(t, "/proc/self/ns/net")
	want := fdInode(t, ns.FD())

	var inside uint64
	var ifaces []net.Interface
	err = ns.Do(func() error {
		inside = inode(t, "/proc/thread-self/ns/net")
		var err error
		ifaces, err = net.Interfaces()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if inside != want {
		t.Errorf("Do ran in namespace %d, want %d", inside, want)
	}
	// A fresh namespace has only lo.
	if len(ifaces) != 1 || ifaces[0].Name != "lo" {
		t.Errorf("interfaces inside = %v, want only lo", ifaces)
	}

	// fn's error is returned unchanged.
	sentinel := errors.New("sentinel")
	if err := ns.Do(func() error { return sentinel }); err != sentinel {
		t.Errorf("Do returned %v, want the fn's error", err)
	}

	// After many concurrent Do calls no thread of the process is left in
	// the namespace.
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = ns.Do(func() error { runtime.Gosched(); return nil })
		}()
	}
	wg.Wait()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		p := "/proc/self/task/" + task.Name() + "/ns/net"
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil {
			continue // thread exited
		}
		if st.Ino != host {
			t.Errorf("thread %s is in namespace %d, not the host's %d", task.Name(), st.Ino, host)
		}
	}
}

func TestDoPanicAndGoexit(t *testing.T) {
	testenv.RequirePrivileged(t)
	ns, err := netns.NewAnonymous()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()

	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Errorf("recovered %v, want boom", v)
			}
		}()
		ns.Do(func() error { panic("boom") })
	}()

	done := make(chan bool)
	go func() {
		defer close(done)
		ns.Do(func() error { runtime.Goexit(); return nil })
		done <- true // not reached: Goexit propagates
	}()
	if reached := <-done; reached {
		t.Errorf("Goexit inside Do did not end the calling goroutine")
	}
}

func TestOpenErrors(t *testing.T) {
	testenv.RequirePrivileged(t)
	fds := countFDs(t)
	tests := []struct {
		name string
		open func() (*netns.NetNS, error)
		want error
	}{
		{"missing", func() (*netns.NetNS, error) { return netns.Open("/nonexistent/ns") }, os.ErrNotExist},
		{"regular file", func() (*netns.NetNS, error) { return netns.Open("/proc/self/status") }, nil},
		{"mount namespace", func() (*netns.NetNS, error) { return netns.Open("/proc/self/ns/mnt") }, nil},
		{"bad name", func() (*netns.NetNS, error) { return netns.OpenName("../etc") }, nil},
		{"empty name", func() (*netns.NetNS, error) { return netns.New("") }, nil},
		{"slash name", func() (*netns.NetNS, error) { return netns.New("a/b") }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, err := tt.open()
			if err == nil {
				ns.Close()
				t.Fatal("no error")
			}
			var nerr *netns.Error
			if !errors.As(err, &nerr) {
				t.Errorf("error %v is not a *netns.Error", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v does not wrap %v", err, tt.want)
			}
		})
	}
	checkFDs(t, fds)
}

func TestCurrentAndOpenPath(t *testing.T) {
	testenv.RequirePrivileged(t)
	cur, err := netns.Current()
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	if fdInode(t, cur.FD()) != inode(t, "/proc/self/ns/net") {
		t.Errorf("Current is not the process's namespace")
	}
	byPath, err := netns.Open("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	defer byPath.Close()
	if byPath.Name() != "" || byPath.Path() != "/proc/self/ns/net" {
		t.Errorf("Name, Path = %q, %q", byPath.Name(), byPath.Path())
	}
	// Current inside Do is the namespace Do entered.
	ns, err := netns.NewAnonymous()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	ns.Do(func() error {
		in, err := netns.Current()
		if err != nil {
			return err
		}
		defer in.Close()
		if fdInode(t, in.FD()) != fdInode(t, ns.FD()) {
			t.Errorf("Current inside Do is not the entered namespace")
		}
		return nil
	})
	if err := cur.Close(); err != nil {
		t.Error(err)
	}
	if err := cur.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func BenchmarkNewDelete(b *testing.B) {
	testenv.RequirePrivileged(b)
	for b.Loop() {
		ns, err := netns.New(uniqueName(b))
		if err != nil {
			b.Fatal(err)
		}
		if err := ns.Delete(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDo(b *testing.B) {
	testenv.RequirePrivileged(b)
	ns, err := netns.NewAnonymous()
	if err != nil {
		b.Fatal(err)
	}
	defer ns.Close()
	for b.Loop() {
		if err := ns.Do(func() error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
