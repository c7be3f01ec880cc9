package bpf

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/internal/testenv"
)

// TestResolveAttachTarget resolves ProgramSpec.AttachTo in the running
// kernel's BTF for every attach-by-BTF kind, and checks that the id found
// is a type of the expected kind and name; targets that do not exist are
// errors naming them.
func TestResolveAttachTarget(t *testing.T) {
	kernel, err := btf.Kernel()
	if err != nil {
		t.Skipf("kernel lacks a feature: BTF (CONFIG_DEBUG_INFO_BTF, 5.4): %v", err)
	}
	tests := []struct {
		typ      ProgramType
		attach   AttachType
		to       string
		wantKind btf.Kind
		wantName string
		err      error
		errText  string
	}{
		{Tracing, AttachTraceFentry, "tcp_connect", btf.KindFunc, "tcp_connect", nil, ""},
		{Tracing, AttachTraceFexit, "tcp_connect", btf.KindFunc, "tcp_connect", nil, ""},
		{Tracing, AttachModifyReturn, "security_file_open", btf.KindFunc, "security_file_open", nil, ""},
		{Tracing, AttachTraceRawTP, "sched_switch", btf.KindTypedef, "btf_trace_sched_switch", nil, ""},
		{Tracing, AttachTraceIter, "bpf_map", btf.KindFunc, "bpf_iter_bpf_map", nil, ""},
		{Tracing, AttachTraceIter, "task", btf.KindFunc, "bpf_iter_task", nil, ""},
		{LSM, AttachLSMMac, "file_open", btf.KindFunc, "bpf_lsm_file_open", nil, ""},
		{LSM, AttachLSMCgroup, "socket_bind", btf.KindFunc, "bpf_lsm_socket_bind", nil, ""},
		{Tracing, AttachTraceFentry, "vmlinux:tcp_connect", btf.KindFunc, "tcp_connect", nil, ""},
		{Tracing, AttachTraceFentry, "purebpf_no_such_module:tcp_connect", 0, "", ErrAttachTarget, "module purebpf_no_such_module"},
		{XDP, AttachXDP, "", 0, "", nil, ""},
		{Tracing, AttachTraceFentry, "purebpf_no_such_function", 0, "", ErrAttachTarget, "func purebpf_no_such_function"},
		{Tracing, AttachTraceRawTP, "purebpf_no_such_tp", 0, "", ErrAttachTarget, "typedef btf_trace_purebpf_no_such_tp"},
		{LSM, AttachLSMMac, "purebpf_no_such_hook", 0, "", ErrAttachTarget, "bpf_lsm_purebpf_no_such_hook"},
		{Tracing, AttachTraceFentry, "", 0, "", nil, "needs ProgramSpec.AttachTo"},
		{Extension, 0, "verdict", 0, "", nil, "needs ProgramSpec.AttachTarget"},
		{StructOps, 0, "tcp_congestion_ops", 0, "", ErrNotSupported, "struct_ops"},
		{StructOps, 0, "", 0, "", ErrNotSupported, "struct_ops"},
	}
	for _, tt := range tests {
		name := tt.typ.String() + "/" + tt.to
		t.Run(name, func(t *testing.T) {
			spec := &ProgramSpec{Name: "p", Type: tt.typ, AttachType: tt.attach, AttachTo: tt.to}
			at, err := resolveAttachTarget(spec)
			if tt.err != nil || tt.errText != "" {
				if err == nil || (tt.err != nil && !errors.Is(err, tt.err)) || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("error %v, want %v mentioning %q", err, tt.err, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer at.close()
			if tt.wantName == "" {
				if at != nil {
					t.Fatalf("attach target %+v for a program that has none", at)
				}
				return
			}
			typ, err := kernel.Type(btf.TypeID(at.btfID))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := kernel.Name(typ)
			if typ.Kind != tt.wantKind || got != tt.wantName {
				t.Errorf("id %d is %s %s, want %s %s", at.btfID, typ.Kind, got, tt.wantKind, tt.wantName)
			}
			if at.fd != -1 {
				t.Errorf("fd %d for a vmlinux target, want none", at.fd)
			}
		})
	}
	// AttachTarget on a program type that attaches to no program.
	if _, err := resolveAttachTarget(&ProgramSpec{Name: "p", Type: XDP, AttachTarget: &Program{name: "t"}}); err == nil {
		t.Error("AttachTarget on an XDP program accepted")
	}
}

// TestOpenModuleBTF opens the kernel's BTF object by name (vmlinux is
// one of them, 5.11+) and refuses a name no object has.
func TestOpenModuleBTF(t *testing.T) {
	if _, err := btf.Kernel(); err != nil {
		t.Skipf("kernel lacks a feature: BTF (CONFIG_DEBUG_INFO_BTF, 5.4): %v", err)
	}
	testenv.RequirePrivileged(t)
	fd, err := openModuleBTF("vmlinux")
	if err != nil {
		t.Fatal(err)
	}
	fd.Close()
	if _, err := openModuleBTF("purebpf_no_such_module"); err == nil || !strings.Contains(err.Error(), "purebpf_no_such_module") {
		t.Errorf("error %v, want one naming the module", err)
	}
}

// TestFindBTFOwnTypes: a module's split BTF answers name lookups with
// vmlinux's types too; findBTF takes only the module's own, so that
// "module:function" never pairs a vmlinux id with the module's BTF.
func TestFindBTFOwnTypes(t *testing.T) {
	b := btf.NewBuilder()
	proto := b.FuncProto(0)
	inBase := b.Func("in_base", proto, 1)
	base, err := btf.Parse(b.Bytes(), binary.NativeEndian)
	if err != nil {
		t.Fatal(err)
	}
	sb := btf.NewSplitBuilder(base)
	sproto := sb.FuncProto(0)
	inMod := sb.Func("in_module", sproto, 1)
	sb.Func("in_base", sproto, 1)
	mod, err := btf.ParseSplit(sb.Bytes(), binary.NativeEndian, base)
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := findBTF(base, "in_base", btf.KindFunc); !ok || id != inBase {
		t.Errorf("vmlinux in_base = %d, %v; want %d", id, ok, inBase)
	}
	if id, ok := findBTF(mod, "in_module", btf.KindFunc); !ok || id != inMod {
		t.Errorf("module in_module = %d, %v; want %d", id, ok, inMod)
	}
	// The module's own in_base, not the base's.
	if id, ok := findBTF(mod, "in_base", btf.KindFunc); !ok || id < mod.FirstID() {
		t.Errorf("module in_base = %d, %v; want an id of the module (>= %d)", id, ok, mod.FirstID())
	}
	if _, ok := findBTF(mod, "nowhere", btf.KindFunc); ok {
		t.Error("found a type nobody has")
	}
	sb2 := btf.NewSplitBuilder(base)
	sb2.Func("other", sb2.FuncProto(0), 1)
	mod2, err := btf.ParseSplit(sb2.Bytes(), binary.NativeEndian, base)
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := findBTF(mod2, "in_base", btf.KindFunc); ok {
		t.Errorf("a module without in_base answered with id %d (vmlinux's)", id)
	}
}
