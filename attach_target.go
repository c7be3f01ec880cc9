package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	pbtf "github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/internal/sys"
)

// kernelBTFSource is one BTF of the running kernel that externs and
// attach targets are looked up in: vmlinux, then kernel modules.
type kernelBTFSource struct {
	// module is "" for vmlinux, else the module's name.
	module string
	spec   *btf.Spec
	// open returns a descriptor of the module's BTF object, for
	// fd_array and attach_btf_obj_fd; nil for vmlinux.
	open func() (*sys.FD, error)
}

func (s *kernelBTFSource) name() string {
	if s.module == "" {
		return "vmlinux"
	}
	return s.module
}

// parseModuleBTF parses the split BTF of a kernel module on top of
// vmlinux's (a variable so that tests can stand in a module).
var parseModuleBTF = func(raw []byte, vmlinux *btf.Spec) (*btf.Spec, error) {
	return btf.ParseSplit(raw, binary.NativeEndian, vmlinux)
}

// kernelModuleBTFs lists the BTF of loaded kernel modules
// (/sys/kernel/btf/<module>), searched after vmlinux in name order.
var kernelModuleBTFs = func() ([]*kernelBTFSource, error) {
	if parseModuleBTF == nil {
		return nil, nil
	}
	vmlinux, err := btf.Kernel()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir("/sys/kernel/btf")
	if err != nil {
		return nil, err
	}
	var srcs []*kernelBTFSource
	for _, e := range entries {
		name := e.Name()
		if name == "vmlinux" {
			continue
		}
		if v, ok := moduleBTFCache.Load(name); ok {
			srcs = append(srcs, v.(*kernelBTFSource))
			continue
		}
		raw, err := os.ReadFile("/sys/kernel/btf/" + name)
		if errors.Is(err, os.ErrNotExist) {
			continue // unloaded meanwhile
		}
		if err != nil {
			return nil, err
		}
		spec, err := parseModuleBTF(raw, vmlinux)
		if err != nil {
			// One module's unreadable BTF must not fail every load
			// that searches the kernel's types: it is left out, and
			// messages that list what was searched say why.
			unreadableModules.Store(name, err)
			continue
		}
		unreadableModules.Delete(name)
		src := &kernelBTFSource{module: name, spec: spec, open: func() (*sys.FD, error) { return openModuleBTF(name) }}
		moduleBTFCache.Store(name, src)
		srcs = append(srcs, src)
	}
	return srcs, nil
}

// moduleBTFCache keeps parsed module BTF by module name.
var moduleBTFCache sync.Map

// unreadableModules holds, by module name, why a module's BTF could not
// be parsed (it is then not searched).
var unreadableModules sync.Map

// openModuleBTF opens the kernel's BTF object of module name (the
// kernel BTF objects whose info names it), for fd_array and
// attach_btf_obj_fd.
func openModuleBTF(name string) (*sys.FD, error) {
	ids, err := sys.IDs(sys.BTFGetNextIDCmd)
	if err != nil {
		return nil, fmt.Errorf("list BTF objects: %w", err)
	}
	for _, id := range ids {
		fd, err := sys.GetFDByID(sys.BTFGetFDByIDCmd, id)
		if err != nil {
			continue // freed meanwhile
		}
		var buf [64]byte
		info := sys.BTFInfo{Name: sys.SlicePointer(buf[:]), NameLen: uint32(len(buf))}
		if err := sys.BTFInfoByFD(fd, &info); err == nil && info.KernelBTF != 0 && sys.CString(buf[:]) == name {
			return fd, nil
		}
		fd.Close()
	}
	return nil, fmt.Errorf("no kernel BTF object named %s", name)
}

// kernelBTFSources returns vmlinux and module BTF, in search order.
func kernelBTFSources() ([]*kernelBTFSource, error) {
	vmlinux, err := btf.Kernel()
	if err != nil {
		return nil, err
	}
	srcs := []*kernelBTFSource{{spec: vmlinux}}
	mods, err := kernelModuleBTFs()
	if err != nil {
		return nil, fmt.Errorf("module BTF: %w", err)
	}
	return append(srcs, mods...), nil
}

// kernelBTFNames names the kernel BTF searched, for error messages.
func kernelBTFNames() string {
	srcs, err := kernelBTFSources()
	if err != nil {
		return "vmlinux"
	}
	names := make([]string, len(srcs))
	for i, s := range srcs {
		names[i] = s.name()
	}
	var skipped []string
	unreadableModules.Range(func(k, v any) bool {
		skipped = append(skipped, fmt.Sprintf("%s (%v)", k, v))
		return true
	})
	sort.Strings(skipped)
	msg := names[0]
	if len(names) > 1 {
		msg = "vmlinux and modules " + strings.Join(names[1:], ", ")
	}
	if len(skipped) > 0 {
		msg += "; not searched, BTF unreadable: " + strings.Join(skipped, ", ")
	}
	return msg
}

// kernelBTFType is a type found in the kernel's BTF.
type kernelBTFType struct {
	src *kernelBTFSource
	id  btf.TypeID
}

// findKernelBTF returns the first type of kind named name in vmlinux,
// then in the modules, or nil when none has it.
func findKernelBTF(name string, kind btf.Kind) (*kernelBTFType, error) {
	return findKernelBTFIn("", name, kind)
}

// findKernelBTFIn is findKernelBTF limited to one module ("vmlinux" for
// vmlinux) unless module is "".
func findKernelBTFIn(module, name string, kind btf.Kind) (*kernelBTFType, error) {
	srcs, err := kernelBTFSources()
	if err != nil {
		return nil, err
	}
	for _, src := range srcs {
		if module != "" && src.name() != module {
			continue
		}
		if id, ok := findBTF(src.spec, name, kind); ok {
			return &kernelBTFType{src: src, id: id}, nil
		}
	}
	return nil, nil
}

// findBTF returns the id of the type of kind named name among spec's own
// types: a module's split BTF also answers with vmlinux's, which belong
// to the vmlinux source (and sent with a module's descriptor would name
// the wrong object).
func findBTF(spec *btf.Spec, name string, kind btf.Kind) (btf.TypeID, bool) {
	for _, id := range spec.ByName(name) {
		if id < spec.FirstID() {
			continue
		}
		t, err := spec.Type(id)
		if err == nil && t.Kind == kind {
			return id, true
		}
	}
	return 0, false
}

// attachTarget is the resolved attach target of a program load.
type attachTarget struct {
	btfID uint32
	// fd is attach_prog_fd (freplace, fentry on a program) or
	// attach_btf_obj_fd (a module's BTF); -1 leaves it 0.
	fd     int
	closer *sys.FD
}

// ErrAttachTarget is wrapped by errors about an attach target
// (ProgramSpec.AttachTo) that cannot be resolved.
var ErrAttachTarget = errors.New("attach target not found")

// attachTargetName returns the BTF kind and name the kernel expects for
// the attach target of spec, or ok false for programs that have none.
func attachTargetName(spec *ProgramSpec) (kind btf.Kind, name string, ok bool, err error) {
	to := spec.AttachTo
	switch spec.Type {
	case Tracing:
		switch spec.AttachType {
		case AttachTraceFentry, AttachTraceFexit, AttachModifyReturn:
			return btf.KindFunc, to, true, nil
		case AttachTraceRawTP:
			return btf.KindTypedef, "btf_trace_" + to, true, nil
		case AttachTraceIter:
			return btf.KindFunc, "bpf_iter_" + to, true, nil
		}
		return 0, "", false, nil
	case LSM:
		switch spec.AttachType {
		case AttachLSMMac, AttachLSMCgroup:
			return btf.KindFunc, "bpf_lsm_" + to, true, nil
		}
		return 0, "", false, nil
	case Extension:
		return btf.KindFunc, to, true, nil
	case StructOps:
		// The kernel takes a struct_ops program's attach_btf_id from the
		// struct_ops map (the ops struct) it fills.
		return 0, "", false, fmt.Errorf("%w: struct_ops programs (member %q): purebpf does not create struct_ops maps yet", ErrNotSupported, to)
	}
	return 0, "", false, nil
}

// resolveAttachTarget finds the BTF id the kernel needs to load spec:
// the function (fentry, fexit, fmod_ret), tracepoint typedef
// btf_trace_<name> (tp_btf), iterator function bpf_iter_<name> or LSM
// hook bpf_lsm_<name> in the kernel's BTF (vmlinux, then modules), or,
// for AttachTarget (freplace, fentry on a BPF program), the function in
// that program's BTF.
func resolveAttachTarget(spec *ProgramSpec) (*attachTarget, error) {
	kind, name, ok, err := attachTargetName(spec)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", spec.describe(), err)
	}
	if !ok {
		if spec.AttachTarget != nil {
			return nil, fmt.Errorf("load %s: AttachTarget is set but a %s program (attach type %d) attaches to no program", spec.describe(), spec.Type, spec.AttachType)
		}
		return nil, nil // nothing to attach to (nil methods do nothing)
	}
	if spec.AttachTo == "" {
		return nil, fmt.Errorf("load %s: a %s program (attach type %d) needs ProgramSpec.AttachTo (the section name's suffix, as in \"fentry/tcp_connect\")", spec.describe(), spec.Type, spec.AttachType)
	}
	if spec.AttachTarget != nil {
		id, err := programBTFFunc(spec.AttachTarget, spec.AttachTo)
		if err != nil {
			return nil, fmt.Errorf("load %s: attach target %s: %w", spec.describe(), spec.AttachTo, err)
		}
		return &attachTarget{btfID: uint32(id), fd: spec.AttachTarget.FD()}, nil
	}
	if spec.Type == Extension {
		return nil, fmt.Errorf("load %s: an Extension (freplace) program needs ProgramSpec.AttachTarget, the program whose function %s it replaces", spec.describe(), spec.AttachTo)
	}
	// "module:function" (libbpf's fentry/[module:]function) searches
	// only that module.
	module := ""
	if m, fn, ok := strings.Cut(spec.AttachTo, ":"); ok && m != "" && fn != "" {
		module = m
		name = strings.Replace(name, spec.AttachTo, fn, 1)
	}
	found, err := findKernelBTFIn(module, name, kind)
	if err != nil {
		return nil, fmt.Errorf("load %s: attach target %s: %w", spec.describe(), spec.AttachTo, err)
	}
	if found == nil {
		where := kernelBTFNames()
		if module != "" {
			where = "module " + module + "; loaded: " + where
		}
		return nil, fmt.Errorf("load %s: %w: %s %s is not in the kernel's BTF (%s)", spec.describe(), ErrAttachTarget, kind, name, where)
	}
	at := &attachTarget{btfID: uint32(found.id), fd: -1}
	if found.src.open != nil {
		fd, err := found.src.open()
		if err != nil {
			return nil, fmt.Errorf("load %s: attach target %s: BTF of module %s: %w", spec.describe(), name, found.src.module, err)
		}
		at.fd, at.closer = fd.Int(), fd
	}
	return at, nil
}

// programBTFFunc returns the id of the function named name in the BTF of
// the loaded program p.
func programBTFFunc(p *Program, name string) (btf.TypeID, error) {
	var info sys.ProgInfo
	if err := sys.ProgInfoByFD(p.fd, &info); err != nil {
		return 0, fmt.Errorf("info of program %s: %w", p.name, err)
	}
	if info.BTFID == 0 {
		return 0, fmt.Errorf("%w: program %s was loaded without BTF (load it from an object with .BTF, through NewCollection)", ErrAttachTarget, p.name)
	}
	pub, err := pbtf.LoadByID(pbtf.ID(info.BTFID))
	if err != nil {
		return 0, fmt.Errorf("BTF of program %s: %w", p.name, err)
	}
	spec, ok := btf.FromPublic(pub)
	if !ok {
		return 0, fmt.Errorf("BTF of program %s: no internal view", p.name)
	}
	id, ok := findBTF(spec, name, btf.KindFunc)
	if !ok {
		return 0, fmt.Errorf("%w: program %s has no function %s in its BTF (id %d)", ErrAttachTarget, p.name, name, info.BTFID)
	}
	return id, nil
}

// setAttr puts the attach target in a load's attributes.
func (at *attachTarget) setAttr(attr *sys.ProgLoadAttr) {
	if at == nil {
		return
	}
	attr.AttachBTFID = at.btfID
	if at.fd >= 0 {
		attr.AttachProgFD = uint32(at.fd)
	}
}

// close releases the module BTF descriptor, after the load.
func (at *attachTarget) close() {
	if at != nil && at.closer != nil {
		at.closer.Close()
		at.closer = nil
	}
}

// explainLoad adds to a load error the kernel gave without a verifier
// log what the externs and attach target make likely: ENOENT for a typed
// ksym whose address the kernel's kallsyms lacks (variables are listed
// only with CONFIG_KALLSYMS_ALL), the resolved attach target of a
// refused trampoline program.
func explainLoad(spec *ProgramSpec, err error, ext *externResolution, at *attachTarget) error {
	if errors.Is(err, unix.ENOENT) {
		var typed []string
		for _, e := range spec.Externs {
			if e != nil && e.Kind == ExternKsym && e.Typed {
				typed = append(typed, e.Name)
			}
		}
		if len(typed) > 0 {
			return fmt.Errorf("%w (the kernel found no address for the typed ksym %s: kallsyms lists variables only with CONFIG_KALLSYMS_ALL)", err, strings.Join(typed, ", "))
		}
	}
	if at != nil && at.btfID != 0 {
		return fmt.Errorf("%w (attach target %s, BTF id %d)", err, spec.AttachTo, at.btfID)
	}
	return err
}
