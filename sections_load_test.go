package bpf_test

import (
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/testenv"
)

// TestNumberedCgroupSockSections loads the programs of the kernel
// samples' numbered "cgroup/sock1" and "cgroup/sock2" sections, which
// older loaders typed by prefix: each must be a cgroup_sock program with
// the socket-creation attach type, and load (mark_socket writes the
// socket's mark, which the verifier allows only to socket creation and
// release programs).
func TestNumberedCgroupSockSections(t *testing.T) {
	testenv.RequirePrivileged(t)
	spec, err := elf.Open("elf/testdata/cgroup_sock.o")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ prog, section string }{
		{"refuse_raw6", "cgroup/sock1"},
		{"mark_socket", "cgroup/sock2"},
	} {
		t.Run(tc.section, func(t *testing.T) {
			p := spec.Programs[tc.prog]
			if p == nil {
				t.Fatalf("no program %s", tc.prog)
			}
			if p.Section != tc.section || p.Type != bpf.CGroupSock || p.AttachType != bpf.AttachCGroupInetSockCreate {
				t.Fatalf("%s: section %q type %v attach type %v, want %q cgroup_sock %v",
					tc.prog, p.Section, p.Type, p.AttachType, tc.section, bpf.AttachCGroupInetSockCreate)
			}
			prog, err := bpf.NewProgram(p)
			if err != nil {
				t.Fatalf("load %s: %v", tc.prog, err)
			}
			defer prog.Close()
			info, err := prog.Info()
			if err != nil {
				t.Fatal(err)
			}
			if info.Type != bpf.CGroupSock {
				t.Fatalf("kernel says type %v, want cgroup_sock", info.Type)
			}
		})
	}
}
