package bpf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/purebpf/bpf/asm"
	pbtf "github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/internal/testenv"
	"github.com/purebpf/bpf/maps"
)

func TestParseKernelRelease(t *testing.T) {
	tests := []struct {
		rel  string
		want uint32
		err  bool
	}{
		{"6.18.44-fc-v1252", 6<<16 | 18<<8 | 44, false},
		{"5.15.0-91-generic", 5<<16 | 15<<8, false},
		{"6.1", 6<<16 | 1<<8, false},
		{"4.19.300", 4<<16 | 19<<8 | 255, false},
		{"6.8.0+", 6<<16 | 8<<8, false},
		{"linux", 0, true},
		{"6", 0, true},
	}
	for _, tt := range tests {
		got, err := parseKernelRelease(tt.rel)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseKernelRelease(%q) = %#x, %v; want %#x, error %v", tt.rel, got, err, tt.want, tt.err)
		}
	}
}

func TestScanKallsyms(t *testing.T) {
	list := "ffffffff81000000 T _stext\nffffffff81000010 t helper [mod]\n0000000000000000 T hidden\n"
	tests := []struct {
		name string
		want uint64
		err  string
	}{
		{"_stext", 0xffffffff81000000, ""},
		{"helper", 0xffffffff81000010, ""},
		{"absent", 0, ""},
		{"hidden", 0, "kptr_restrict"},
	}
	for _, tt := range tests {
		got, err := scanKallsyms(strings.NewReader(list), tt.name)
		if got != tt.want || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: %#x, %v; want %#x, error %q", tt.name, got, err, tt.want, tt.err)
		}
	}
	// Existence (LINUX_HAS_SYSCALL_WRAPPER) does not need the address:
	// a name listed with address 0 (kptr_restrict) is there.
	for name, want := range map[string]bool{"_stext": true, "hidden": true, "absent": false, "mod": false} {
		if got, err := scanKallsymsName(strings.NewReader(list), name); got != want || err != nil {
			t.Errorf("scanKallsymsName(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
}

func TestEncodeKconfig(t *testing.T) {
	u32 := func(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
	tests := []struct {
		name string
		ext  Extern
		v    string
		want []byte
		err  string
	}{
		{"bool y", Extern{Kconfig: KconfigBool, Size: 1}, "y", []byte{1}, ""},
		{"bool n", Extern{Kconfig: KconfigBool, Size: 1}, "n", []byte{0}, ""},
		{"bool m", Extern{Kconfig: KconfigBool, Size: 1}, "m", nil, "tristate"},
		{"tristate m", Extern{Kconfig: KconfigTristate, Size: 4}, "m", u32(2), ""},
		{"char m", Extern{Kconfig: KconfigChar, Size: 1}, "m", []byte{'m'}, ""},
		{"char number", Extern{Kconfig: KconfigChar, Size: 1, Signed: true}, "-3", []byte{0xfd}, ""},
		{"int hex", Extern{Kconfig: KconfigInt, Size: 4}, "0x10", u32(16), ""},
		{"int negative", Extern{Kconfig: KconfigInt, Size: 4, Signed: true}, "-1", u32(0xffffffff), ""},
		{"int too big", Extern{Kconfig: KconfigInt, Size: 1}, "300", nil, "does not fit"},
		{"int y", Extern{Kconfig: KconfigInt, Size: 4}, "y", nil, "not a number"},
		{"string", Extern{Kconfig: KconfigString, Size: 6}, `"host"`, []byte("host\x00\x00"), ""},
		{"string truncated", Extern{Kconfig: KconfigString, Size: 4}, `"hostname"`, []byte("hos\x00"), ""},
		{"string unquoted", Extern{Kconfig: KconfigString, Size: 4}, `host`, nil, "quoted"},
		{"unknown encoding", Extern{Size: 4}, "1", nil, "encoding"},
	}
	for _, tt := range tests {
		buf := make([]byte, tt.ext.Size)
		err := encodeKconfig(&tt.ext, tt.v, buf)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want one mentioning %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || !bytes.Equal(buf, tt.want) {
			t.Errorf("%s: % x, %v; want % x", tt.name, buf, err, tt.want)
		}
	}
}

// TestResolveExternsOffline checks the resolution of kfunc and ksym
// references that need no kernel: weak externs nobody has (the call is
// poisoned, the address 0) and instructions that are not references.
func TestResolveExternsOffline(t *testing.T) {
	if _, err := kernelBTFSources(); err != nil {
		t.Skipf("kernel lacks a feature: BTF (%v)", err)
	}
	spec := &ProgramSpec{Name: "p", Externs: []*Extern{
		{Name: "purebpf_weak_kfunc", Kind: ExternKfunc, Weak: true},
		{Name: "purebpf_weak_var", Kind: ExternKsym, Weak: true, Typed: true},
	}}
	insns := asm.Instructions{
		asm.Instruction{OpCode: asm.CallOpCode, Src: asm.PseudoKfuncCall}.WithReference("purebpf_weak_kfunc"),
		asm.Instruction{OpCode: asm.LdImmDW, Src: asm.PseudoBTFID}.WithReference("purebpf_weak_var"),
		asm.Instruction{OpCode: asm.LdImmDW, Src: asm.PseudoBTFID}.WithReference("purebpf_weak_kfunc"),
		asm.Return(),
	}
	res, err := resolveExterns(spec, insns)
	if err != nil {
		t.Fatal(err)
	}
	defer res.close()
	if got := res.insns[0]; got.Src != 0 || got.Constant != poisonKfuncBase {
		t.Errorf("weak absent kfunc call = %v, want a call of helper %d", got, poisonKfuncBase)
	}
	for _, i := range []int{1, 2} {
		if got := res.insns[i]; got.Src != 0 || got.Constant != 0 {
			t.Errorf("weak absent address %d = %v, want LD_IMM64 0", i, got)
		}
	}
	if insns[0].Src != asm.PseudoKfuncCall {
		t.Error("resolveExterns modified the spec's instructions")
	}
	spec.Externs[0].Weak = false
	if _, err := resolveExterns(spec, insns); err == nil || !strings.Contains(err.Error(), "purebpf_weak_kfunc") || !strings.Contains(err.Error(), "instruction 0") {
		t.Errorf("non-weak absent kfunc: %v, want an error naming it and instruction 0", err)
	}
}

func TestParseKconfig(t *testing.T) {
	in := "#\n# Automatically generated\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=\"x y\"\n\nCONFIG_D=0x10\nNOT_CONFIG=1\n"
	got, err := parseKconfig(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"CONFIG_A": "y", "CONFIG_C": `"x y"`, "CONFIG_D": "0x10"}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// TestPrepareKconfig fills the .kconfig value of a spec from overrides
// only (no kernel configuration needed) and records, per extern, what
// could not be resolved.
func TestPrepareKconfig(t *testing.T) {
	exts := []*Extern{
		{Name: "CONFIG_SET", Kind: ExternKconfig, Kconfig: KconfigInt, Offset: 0, Size: 4},
		{Name: "LINUX_PUREBPF_UNKNOWN", Kind: ExternKconfig, Kconfig: KconfigBool, Offset: 4, Size: 1},
		{Name: "LINUX_PUREBPF_WEAK", Kind: ExternKconfig, Kconfig: KconfigBool, Offset: 5, Size: 1, Weak: true},
		{Name: "OTHER_NAME", Kind: ExternKconfig, Kconfig: KconfigBool, Offset: 6, Size: 1},
		{Name: "CONFIG_BAD", Kind: ExternKconfig, Kconfig: KconfigBool, Offset: 7, Size: 1},
	}
	spec := &CollectionSpec{
		Programs: map[string]*ProgramSpec{"p": {Name: "p", Externs: exts}, "q": {Name: "q", Externs: exts[:1]}},
		Maps:     map[string]*maps.Spec{KconfigMap: {Type: maps.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1}},
	}
	out, st, err := prepareKconfig(spec, map[string]string{"CONFIG_SET": "7", "OTHER_NAME": "y", "CONFIG_BAD": "m"})
	if err != nil {
		t.Fatal(err)
	}
	if spec.Maps[KconfigMap].Contents != nil {
		t.Error("prepareKconfig modified the caller's spec")
	}
	value := out.Maps[KconfigMap].Contents[0].Value.([]byte)
	if got := binary.NativeEndian.Uint32(value); got != 7 {
		t.Errorf("CONFIG_SET = %d, want 7", got)
	}
	if value[6] != 1 {
		t.Errorf("OTHER_NAME (overridden) = %d, want 1", value[6])
	}
	for name, want := range map[string]string{
		"LINUX_PUREBPF_UNKNOWN": "unknown LINUX_",
		"CONFIG_BAD":            "value m (module) for a bool",
	} {
		if err := st.errors[name]; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, want)
		}
	}
	if err := st.errors["LINUX_PUREBPF_WEAK"]; err != nil {
		t.Errorf("weak extern: %v, want none (zero)", err)
	}
	if err := st.check(out.Programs["p"]); err == nil {
		t.Error("program p uses unresolved kconfig externs and was not refused")
	}
	if err := st.check(out.Programs["q"]); err != nil {
		t.Errorf("program q uses only resolved ones: %v", err)
	}
	// An extern outside the map's value is a malformed spec.
	spec.Programs["p"].Externs = []*Extern{{Name: "CONFIG_X", Kind: ExternKconfig, Kconfig: KconfigInt, Offset: 6, Size: 4}}
	if _, _, err := prepareKconfig(spec, nil); err == nil {
		t.Error("extern outside the value accepted")
	}
}

// TestModuleKfunc resolves a kfunc and a typed ksym that only a "module"
// has: the references get the module's BTF id, the call the fd_array
// index of the module's BTF descriptor (index 0 stays for vmlinux), the
// address load the descriptor itself; the descriptors are closed after
// the load. The module is a stand-in whose BTF object is vmlinux's.
func TestModuleKfunc(t *testing.T) {
	testenv.RequirePrivileged(t)
	if _, err := kernelBTFSources(); err != nil {
		t.Skipf("kernel lacks a feature: BTF (%v)", err)
	}
	b := btf.NewBuilder()
	proto := b.Raw(btf.KindFuncProt, "", 0, false, 0)
	fn := b.Raw(btf.KindFunc, "purebpf_mod_kfunc", 1, false, uint32(proto))
	i32 := b.Int("int", 4, btf.IntSigned, 32)
	v := b.Raw(btf.KindVar, "purebpf_mod_var", 0, false, uint32(i32), 1)
	mod, err := btf.Parse(b.Bytes(), binary.NativeEndian)
	if err != nil {
		t.Fatal(err)
	}
	var opened []*sys.FD
	saved := kernelModuleBTFs
	defer func() { kernelModuleBTFs = saved }()
	kernelModuleBTFs = func() ([]*kernelBTFSource, error) {
		return []*kernelBTFSource{{module: "purebpf_mod", spec: mod, open: func() (*sys.FD, error) {
			fd, err := openModuleBTF("vmlinux")
			if err == nil {
				opened = append(opened, fd)
			}
			return fd, err
		}}}, nil
	}
	spec := &ProgramSpec{Name: "p", Externs: []*Extern{
		{Name: "purebpf_mod_kfunc", Kind: ExternKfunc},
		{Name: "purebpf_mod_var", Kind: ExternKsym, Typed: true},
	}}
	insns := asm.Instructions{
		asm.Instruction{OpCode: asm.CallOpCode, Src: asm.PseudoKfuncCall}.WithReference("purebpf_mod_kfunc"),
		asm.Instruction{OpCode: asm.LdImmDW, Src: asm.PseudoBTFID}.WithReference("purebpf_mod_var"),
		asm.Instruction{OpCode: asm.CallOpCode, Src: asm.PseudoKfuncCall}.WithReference("purebpf_mod_kfunc"),
		asm.Return(),
	}
	res, err := resolveExterns(spec, insns)
	if err != nil {
		t.Fatal(err)
	}
	// One descriptor and fd_array slot per module, however many
	// references (the kernel allows 256 module BTFs per program).
	if len(opened) != 1 || len(res.fdArray) != 2 || res.fdArray[0] != 0 {
		t.Fatalf("opened %d descriptors, fd_array %v; want 1 and [0 fd]", len(opened), res.fdArray)
	}
	call, load, call2 := res.insns[0], res.insns[1], res.insns[2]
	if call.Constant != int64(fn) || call.Offset != 1 || int(res.fdArray[1]) != opened[0].Int() {
		t.Errorf("call %v (imm %d, off %d), want imm %d, off 1 -> fd %d", call, call.Constant, call.Offset, fn, opened[0].Int())
	}
	if call2.Constant != call.Constant || call2.Offset != 1 {
		t.Errorf("second call %v (imm %d, off %d), want the first's", call2, call2.Constant, call2.Offset)
	}
	if uint32(load.Constant) != uint32(v) || int(load.Constant>>32) != opened[0].Int() || load.Src != asm.PseudoBTFID {
		t.Errorf("load %v (%#x), want id %d and the module's fd %d", load, load.Constant, v, opened[0].Int())
	}
	var attr sys.ProgLoadAttr
	res.setAttr(&attr)
	if attr.FDArray == (sys.Pointer{}) {
		t.Error("fd_array not passed")
	}
	res.close()
	for _, fd := range opened {
		if fd.Int() != -1 {
			t.Errorf("module BTF %v still open after the load", fd)
		}
	}

	// An attach target in the module: attach_btf_id and
	// attach_btf_obj_fd, closed after the load.
	opened = nil
	at, err := resolveAttachTarget(&ProgramSpec{Name: "p", Type: Tracing, AttachType: AttachTraceFentry, AttachTo: "purebpf_mod:purebpf_mod_kfunc"})
	if err != nil {
		t.Fatal(err)
	}
	if at.btfID != uint32(fn) || len(opened) != 1 || at.fd != opened[0].Int() {
		t.Errorf("attach target %+v, want id %d and the module's descriptor", at, fn)
	}
	at.setAttr(&attr)
	if attr.AttachBTFID != uint32(fn) || attr.AttachProgFD != uint32(at.fd) {
		t.Errorf("attributes: attach_btf_id %d, attach_btf_obj_fd %d", attr.AttachBTFID, attr.AttachProgFD)
	}
	at.close()
	if opened[0].Int() != -1 {
		t.Error("module BTF still open after the load")
	}
}

// TestExternDeclarationCheck: a kfunc whose prototype in the object is
// not compatible with the kernel's (libbpf's bpf_core_types_are_compat)
// is missing: an error naming it when strong, a poisoned call when weak;
// a compatible one binds. bpf_prog_put(struct bpf_prog *) is in every
// kernel's BTF.
func TestExternDeclarationCheck(t *testing.T) {
	kernel, err := btf.Kernel()
	if err != nil {
		t.Skipf("kernel lacks a feature: BTF (CONFIG_DEBUG_INFO_BTF, 5.4): %v", err)
	}
	kfunc := kernel.ByName("bpf_prog_put")
	if len(kfunc) == 0 {
		t.Fatal("no bpf_prog_put in the kernel's BTF")
	}
	b := btf.NewBuilder()
	prog := b.Struct(false, "bpf_prog", 0)
	ptr := b.Ref(btf.KindPointer, "", prog)
	i32 := b.Int("int", 4, btf.IntSigned, 32)
	good := b.Func("bpf_prog_put", b.FuncProto(0, btf.BuilderParam{Name: "prog", Type: ptr}), 2)
	bad := b.Func("bpf_prog_put", b.FuncProto(0, btf.BuilderParam{Name: "prog", Type: ptr}, btf.BuilderParam{Name: "x", Type: i32}), 2)
	local, err := pbtf.Parse(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	call := asm.Instructions{
		asm.Instruction{OpCode: asm.CallOpCode, Src: asm.PseudoKfuncCall}.WithReference("bpf_prog_put"),
		asm.Return(),
	}
	for _, tt := range []struct {
		name    string
		typeID  btf.TypeID
		weak    bool
		want    int64 // the call's imm; -1: an error
		errText string
	}{
		{"compatible", good, false, int64(kfunc[0]), ""},
		{"incompatible", bad, false, -1, "prototype in the object is not compatible"},
		{"incompatible weak", bad, true, poisonKfuncBase, ""},
		{"unchecked without a declaration", 0, false, int64(kfunc[0]), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec := &ProgramSpec{Name: "p", BTF: local, Externs: []*Extern{
				{Name: "bpf_prog_put", Kind: ExternKfunc, Weak: tt.weak, TypeID: pbtf.TypeID(tt.typeID)},
			}}
			res, err := resolveExterns(spec, call)
			if tt.want == -1 {
				if err == nil || !errors.Is(err, ErrExternNotFound) || !strings.Contains(err.Error(), tt.errText) || !strings.Contains(err.Error(), "bpf_prog_put") {
					t.Fatalf("error %v, want ErrExternNotFound naming bpf_prog_put and %q", err, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer res.close()
			if got := res.insns[0].Constant; got != tt.want {
				t.Errorf("call imm %d, want %d", got, tt.want)
			}
		})
	}
}
