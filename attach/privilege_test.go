package attach_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/attach"
)

// withoutSysAdmin runs f on a thread whose effective capabilities lack
// CAP_SYS_ADMIN (CAP_BPF and CAP_NET_ADMIN stay), as a container agent
// runs. The thread is never unlocked, so it exits with its goroutine.
func withoutSysAdmin(t *testing.T, f func()) {
	t.Helper()
	done := make(chan error)
	go func() {
		runtime.LockOSThread()
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			done <- fmt.Errorf("capget: %w", err)
			return
		}
		data[0].Effective &^= 1 << unix.CAP_SYS_ADMIN
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			done <- fmt.Errorf("capset: %w", err)
			return
		}
		f()
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestCloseNeedsProgram: a netlink XDP attachment whose program the
// caller already closed must open it again by id to detach atomically,
// which needs CAP_SYS_ADMIN. Without it Close fails, saying so, instead
// of reporting success with the program still attached, and the
// attachment stays usable: Close with the privilege detaches.
func TestCloseNeedsProgram(t *testing.T) {
	p := newPair(t)
	prog := xdpPass(t)
	id := progID(t, prog)
	iface := p.B.Interface()
	att, err := attach.XDP(iface, prog, attach.XDPOptions{Method: attach.MethodNetlink, Mode: attach.XDPGeneric})
	if err != nil {
		t.Fatal(err)
	}
	prog.Close()
	withoutSysAdmin(t, func() {
		err = att.Close()
	})
	if err == nil || errors.Is(err, attach.ErrVanished) || !strings.Contains(err.Error(), "CAP_SYS_ADMIN") {
		t.Fatalf("Close without CAP_SYS_ADMIN: %v, want an error naming CAP_SYS_ADMIN", err)
	}
	if st, err := attach.XDPPrograms(iface); err != nil || st.ProgramID(attach.XDPGeneric) != id {
		t.Fatalf("after the failed Close: %+v %v, want program %d still attached", st, err, id)
	}
	if err := att.Close(); err != nil {
		t.Fatalf("Close again with CAP_SYS_ADMIN: %v", err)
	}
	if st, err := attach.XDPPrograms(iface); err != nil || st.Attached() {
		t.Fatalf("after Close: %+v %v, want nothing attached", st, err)
	}
}
