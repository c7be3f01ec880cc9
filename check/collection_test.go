package check_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/check"
	"github.com/purebpf/bpf/elf"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
	"github.com/purebpf/bpf/verifier"
)

// TestCollectionTutorialObjects checks the committed objects offline; this
// needs no privileges.
func TestCollectionTutorialObjects(t *testing.T) {
	for _, name := range []string{"dropworld", "tcpfilter", "xdp1", "xdp1_legacy", "layercoop", "xdp2skb_meta"} {
		spec, err := elf.OpenWithOptions(collObject(name), elf.Options{DefaultType: bpf.XDP})
		if err != nil {
			t.Fatal(err)
		}
		if name == "layercoop" {
			spec.Programs["layercoop_tx"].Type = bpf.SchedCLS
		}
		if err := check.Collection(spec, check.Options{}); err != nil {
			t.Errorf("%s: %+v", name, err)
		}
	}
	// The non-GPL variant is refused, naming the helper.
	spec, err := elf.Open(collObject("xdp2skb_meta_nongpl"))
	if err != nil {
		t.Fatal(err)
	}
	err = check.Collection(spec, check.Options{})
	var verr *verifier.Error
	if !errors.As(err, &verr) || verr.Program != "_tc_mark" || !strings.Contains(err.Error(), "bpf_trace_printk") {
		t.Fatalf("non-GPL tc_mark: %v", err)
	}
}

// TestCollectionShowsSourceLine breaks a program of a committed object and
// checks that the offline verdict names its C source line.
func TestCollectionShowsSourceLine(t *testing.T) {
	spec, err := elf.OpenWithOptions(collObject("tcpfilter"), elf.Options{DefaultType: bpf.XDP})
	if err != nil {
		t.Fatal(err)
	}
	p := spec.Programs["tcpfilter"]
	// Drop the first bounds check (r3 = r1; r3 += 14; if r3 > r2 goto): the
	// load of h_proto then reads past what is known to be in the packet.
	for i, ins := range p.Instructions {
		if ins.OpCode.Class() == asm.JumpClass && ins.OpCode.JumpOp() == asm.JGT && ins.Src == asm.R2 {
			p.Instructions[i] = asm.Mov.Imm(asm.R3, 0)
			break
		}
	}
	err = check.Collection(spec, check.Options{})
	var verr *verifier.Error
	if !errors.As(err, &verr) || !strings.Contains(verr.Source, "tcpfilter.c:") || !strings.Contains(verr.Source, "h_proto") {
		t.Fatalf("verdict %+v does not name the source line", err)
	}
}

// TestCollectionAgreesWithKernel compares the offline verdict with the
// kernel's on every committed tutorial object (privileged: the kernel
// loads them).
func TestCollectionAgreesWithKernel(t *testing.T) {
	testenv.RequirePrivileged(t)
	objs, err := filepath.Glob("../examples/*/bpf/*.o")
	if err != nil || len(objs) < 10 {
		t.Fatalf("objects: %v %v", objs, err)
	}
	for _, obj := range objs {
		if strings.HasSuffix(obj, "_bpfeb.o") {
			continue // not loadable on this host
		}
		spec, err := elf.OpenWithOptions(obj, elf.Options{DefaultType: bpf.XDP, Programs: map[string]elf.Convention{"layercoop_tx": {Type: bpf.SchedCLS}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range spec.Maps {
			m.Pinning = maps.PinNone
		}
		offline := check.Collection(spec, check.Options{})
		coll, kernel := bpf.NewCollection(spec)
		if kernel == nil {
			coll.Close()
		}
		if (offline == nil) != (kernel == nil) {
			t.Errorf("%s: offline verdict %v, kernel verdict %v", obj, offline, kernel)
		}
	}
}

// collObject returns the path of a committed tutorial object.
func collObject(name string) string {
	dir := name
	for _, suffix := range []string{"_legacy", "_nongpl", "_sec", "_bpfeb", "_socket"} {
		dir = strings.TrimSuffix(dir, suffix)
	}
	return filepath.Join("..", "examples", dir, "bpf", name+".o")
}
