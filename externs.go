package bpf

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/asm"
	pbtf "github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/btf"
	"github.com/purebpf/bpf/internal/core"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/maps"
	"github.com/purebpf/bpf/verifier"
)

// ExternKind says what an extern symbol of an object stands for.
type ExternKind uint8

// Extern kinds.
const (
	// ExternKconfig is a __kconfig variable (BTF datasec ".kconfig"): a
	// value of the kernel's configuration (CONFIG_*) or one of libbpf's
	// LINUX_* facts, read by the program from the read-only ".kconfig"
	// map.
	ExternKconfig ExternKind = iota + 1
	// ExternKsym is a __ksym variable (datasec ".ksyms"): a kernel
	// variable's address, from /proc/kallsyms when typeless (declared
	// void), or its BTF id when typed (5.11+).
	ExternKsym
	// ExternKfunc is a __ksym function: a kernel function the program
	// calls (BPF_PSEUDO_KFUNC_CALL, 5.13+) or whose existence it tests
	// (bpf_ksym_exists).
	ExternKfunc
	// ExternLink is a function or variable declared extern without
	// __ksym or __kconfig: another object defines it, and static
	// linking (bpftool gen object) must resolve it before loading. Only
	// a weak one loads unresolved.
	ExternLink
)

// String returns "kconfig", "ksym", "kfunc", "link-time", or
// "ExternKind(N)" for other values.
func (k ExternKind) String() string {
	switch k {
	case ExternKconfig:
		return "kconfig"
	case ExternKsym:
		return "ksym"
	case ExternKfunc:
		return "kfunc"
	case ExternLink:
		return "link-time"
	}
	return fmt.Sprintf("ExternKind(%d)", uint8(k))
}

// KconfigType is how a kconfig extern's value is encoded (libbpf's
// encodings).
type KconfigType uint8

// Kconfig value encodings.
const (
	// KconfigInt is an integer of Size bytes ("123", "0x10").
	KconfigInt KconfigType = iota + 1
	// KconfigBool is a bool: y is 1, n (or absent) is 0, m is an error.
	KconfigBool
	// KconfigTristate is libbpf's enum libbpf_tristate: n 0, y 1, m 2.
	KconfigTristate
	// KconfigChar is a one-byte integer (char) holding 'y', 'n' or 'm',
	// or a number.
	KconfigChar
	// KconfigString is a char array holding a quoted string value,
	// truncated to Size-1 bytes and NUL-terminated.
	KconfigString
)

// String returns "int", "bool", "tristate", "char", "string", "none" for
// 0 (not a kconfig extern), or "KconfigType(N)" for other values.
func (t KconfigType) String() string {
	switch t {
	case 0:
		return "none"
	case KconfigInt:
		return "int"
	case KconfigBool:
		return "bool"
	case KconfigTristate:
		return "tristate"
	case KconfigChar:
		return "char"
	case KconfigString:
		return "string"
	}
	return fmt.Sprintf("KconfigType(%d)", uint8(t))
}

// Extern is an extern symbol of an object (an undefined ELF symbol that
// libbpf resolves at load), as package elf describes it.
//
// In ProgramSpec.Instructions, a reference to an Extern is an instruction
// whose Reference() is the extern's Name: a call with src
// PseudoKfuncCall (a kfunc call), or an LD_IMM64 with src PseudoBTFID
// (the address of a ksym or kfunc). Kconfig externs are instead read as
// map values (PseudoMapValue) of the ".kconfig" map at Offset.
// NewProgram resolves kfunc and ksym references against the running
// kernel (BTF of vmlinux, /proc/kallsyms); NewCollection also creates
// and fills the ".kconfig" map.
type Extern struct {
	// Name is the extern's symbol name.
	Name string
	// Kind says what resolves the extern (kconfig, ksym, kfunc, or
	// static linking).
	Kind ExternKind
	// Weak externs (__weak) may stay unresolved: a kconfig value is
	// then zero, a ksym's address 0, and a call of an absent kfunc is
	// replaced by a call the verifier rejects only if it is reachable
	// (guard it with bpf_ksym_exists).
	Weak bool
	// Typed is true for a ksym variable declared with a type other than
	// void, resolved through the kernel's BTF.
	Typed bool
	// Kconfig is the encoding of a kconfig extern's value (0 for other
	// kinds).
	Kconfig KconfigType
	// Signed is set for a kconfig integer declared signed.
	Signed bool
	// Offset is a kconfig extern's byte offset in the ".kconfig" map's
	// value.
	Offset uint32
	// Size is a kconfig extern's size in bytes.
	Size uint32
	// TypeID is the extern's declaration in the object's types
	// (ProgramSpec.BTF): the function of a kfunc, the variable of a
	// typed ksym; 0 if unknown. The loader checks it against the
	// kernel's as libbpf does: a kfunc whose prototype, or a ksym whose
	// type, is not compatible with the kernel's is missing if weak, an
	// error otherwise.
	TypeID pbtf.TypeID
}

// KconfigMap is the name of the map holding the values of kconfig
// externs (an array of one read-only value, frozen after it is filled).
const KconfigMap = ".kconfig"

// poisonKfuncBase is added to the index of an unresolved weak kfunc to
// make the helper id of the call that replaces it (libbpf's value): the
// verifier reports "invalid func unknown#2002000000" if it is reachable.
const poisonKfuncBase = 2002000000

// externsOf returns the externs of spec by name.
func externsOf(spec *ProgramSpec) map[string]*Extern {
	if len(spec.Externs) == 0 {
		return nil
	}
	m := make(map[string]*Extern, len(spec.Externs))
	for _, e := range spec.Externs {
		if e != nil {
			m[e.Name] = e
		}
	}
	return m
}

// externResolution is what resolving a program's externs produced: the
// instructions to load, the fd_array (index 0 unused, module BTF
// descriptors after it) and the descriptors to close after the load.
type externResolution struct {
	insns   asm.Instructions
	fdArray []int32
	closers []*sys.FD
	// poisoned names the weak externs whose calls were replaced, by
	// helper id.
	poisoned map[int64]string
	// modules holds the fd_array index of each module's BTF already
	// opened for this load: one descriptor and slot per module, as
	// libbpf does (the kernel allows 256 module BTFs per program).
	modules map[string]int
	// local is the object's types, for checking externs' declarations
	// against the kernel's (nil: not checked).
	local *btf.Spec
}

// setAttr puts the fd_array in a load's attributes (the slice stays
// referenced by r until the load is over).
func (r *externResolution) setAttr(attr *sys.ProgLoadAttr) {
	if r != nil && len(r.fdArray) > 0 {
		attr.FDArray = sys.NewPointer(unsafe.Pointer(&r.fdArray[0]))
	}
}

func (r *externResolution) close() {
	if r == nil {
		return
	}
	for _, fd := range r.closers {
		fd.Close()
	}
	r.closers = nil
}

// resolveExterns binds every kfunc and ksym reference of insns to the
// running kernel. An extern that cannot be resolved is an error naming
// it and the instruction, unless it is weak. A program without externs
// gets nil (whose methods do nothing): most loads allocate nothing here.
func resolveExterns(spec *ProgramSpec, insns asm.Instructions) (*externResolution, error) {
	exts := externsOf(spec)
	if exts == nil {
		return nil, nil
	}
	res := &externResolution{insns: insns}
	if spec.BTF != nil {
		res.local, _ = btf.FromPublic(spec.BTF)
	}
	copied := false
	raw := 0
	index := map[string]int{} // extern name -> index, for poisoned calls
	for i := range res.insns {
		ins := &res.insns[i]
		slot := raw
		raw += ins.Slots()
		ext := exts[ins.Reference()]
		if ext == nil || ext.Kind == ExternKconfig {
			continue
		}
		isCall := ins.OpCode == asm.CallOpCode && ins.Src == asm.PseudoKfuncCall
		isLoad := ins.OpCode == asm.LdImmDW && ins.Src == asm.PseudoBTFID
		if !isCall && !isLoad {
			continue
		}
		if _, ok := index[ext.Name]; !ok {
			index[ext.Name] = len(index)
		}
		if !copied {
			res.insns = append(asm.Instructions(nil), res.insns...)
			ins = &res.insns[i]
			copied = true
		}
		if err := res.resolve(ins, ext, index[ext.Name]); err != nil {
			res.close()
			return nil, fmt.Errorf("load %s: instruction %d: %w", spec.describe(), slot, err)
		}
	}
	return res, nil
}

// compatible checks the object's declaration of ext against the
// kernel's type found for it, as libbpf does (bpf_core_types_are_compat):
// a kfunc's prototype, a typed ksym's type. Without the object's types
// there is nothing to check.
func (r *externResolution) compatible(ext *Extern, found *kernelBTFType) (bool, string) {
	if r.local == nil || ext.TypeID == 0 {
		return true, ""
	}
	lt, err := r.local.Type(btf.TypeID(ext.TypeID))
	if err != nil {
		return false, fmt.Sprintf("its declaration: %v", err)
	}
	kt, err := found.src.spec.Type(found.id)
	if err != nil {
		return false, fmt.Sprintf("the kernel's %s: %v", found.src.name(), err)
	}
	// FUNC and VAR both refer to what is compared: the prototype, the
	// variable's type.
	// Both sides after typedefs and qualifiers, as libbpf compares
	// them (a "const int" ksym is an int variable of the kernel's).
	ls, err := r.local.Skip(btf.TypeID(lt.SizeOrType))
	if err != nil {
		return false, fmt.Sprintf("its declaration: %v", err)
	}
	ks, err := found.src.spec.Skip(btf.TypeID(kt.SizeOrType))
	if err != nil {
		return false, fmt.Sprintf("the kernel's %s: %v", found.src.name(), err)
	}
	ok, err := core.TypesCompatible(r.local, ls.ID, found.src.spec, ks.ID)
	if err != nil {
		return false, err.Error()
	}
	if !ok {
		what := "prototype"
		if ext.Kind == ExternKsym {
			what = "type"
		}
		return false, fmt.Sprintf("its %s in the object is not compatible with the kernel's (%s, BTF id %d)", what, found.src.name(), found.id)
	}
	return true, ""
}

// ErrExternNotFound is wrapped by the errors about externs (kfuncs,
// ksyms, kconfig values) the running kernel does not have.
var ErrExternNotFound = errors.New("extern not found")

// resolve binds one reference to ext.
func (r *externResolution) resolve(ins *asm.Instruction, ext *Extern, idx int) error {
	switch {
	case ext.Kind == ExternLink:
		if !ext.Weak {
			return fmt.Errorf("extern %s: %w: it is neither __ksym nor __kconfig, so another object defines it: link the objects first (bpftool gen object)", ext.Name, ErrExternNotFound)
		}
		r.unresolvedWeak(ins, ext, idx)
		return nil
	case ext.Kind == ExternKsym && !ext.Typed:
		addr, err := kallsymsAddress(ext.Name)
		if err != nil {
			return fmt.Errorf("extern ksym %s: %w", ext.Name, err)
		}
		if addr == 0 && !ext.Weak {
			return fmt.Errorf("extern ksym %s: %w in /proc/kallsyms", ext.Name, ErrExternNotFound)
		}
		ins.Src = 0
		ins.Constant = int64(addr)
		return nil
	}
	want := btf.KindFunc
	what := "kfunc"
	if ext.Kind == ExternKsym {
		want, what = btf.KindVar, "ksym"
	}
	found, err := findKernelBTF(ext.Name, want)
	if err != nil {
		return fmt.Errorf("extern %s %s: %w", what, ext.Name, err)
	}
	if found == nil {
		if !ext.Weak {
			return fmt.Errorf("extern %s %s: %w in the kernel's BTF (%s)", what, ext.Name, ErrExternNotFound, kernelBTFNames())
		}
		r.unresolvedWeak(ins, ext, idx)
		return nil
	}
	if ok, why := r.compatible(ext, found); !ok {
		if !ext.Weak {
			return fmt.Errorf("extern %s %s: %w: %s", what, ext.Name, ErrExternNotFound, why)
		}
		r.unresolvedWeak(ins, ext, idx)
		return nil
	}
	fdIdx, objFD, err := r.moduleFD(found)
	if err != nil {
		return fmt.Errorf("extern %s %s: %w", what, ext.Name, err)
	}
	if ins.OpCode == asm.CallOpCode {
		ins.Constant = int64(found.id)
		ins.Offset = int16(fdIdx)
		return nil
	}
	ins.Constant = int64(uint64(found.id) | uint64(uint32(objFD))<<32)
	return nil
}

// unresolvedWeak binds a reference to a weak extern nobody has: an
// address is 0, a call becomes libbpf's poisoned call, a helper call no
// kernel has, which the verifier refuses only on a path it explores.
func (r *externResolution) unresolvedWeak(ins *asm.Instruction, ext *Extern, idx int) {
	if ins.OpCode == asm.CallOpCode {
		id := int64(poisonKfuncBase + idx)
		*ins = asm.Instruction{OpCode: asm.CallOpCode, Constant: id}.WithReference(ext.Name).WithLine(ins.Line()).WithFunc(ins.Func())
		if r.poisoned == nil {
			r.poisoned = map[int64]string{}
		}
		r.poisoned[id] = ext.Name
		return
	}
	ins.Src = 0
	ins.Constant = 0
}

// explain adds to a verifier rejection of a poisoned call the name of
// the weak extern it stands for.
func (r *externResolution) explain(verr *verifier.Error) {
	if r == nil || verr == nil {
		return
	}
	for id, name := range r.poisoned {
		tag := "#" + strconv.FormatInt(id, 10)
		if strings.Contains(verr.Instruction, tag) || strings.Contains(verr.Message, tag) {
			verr.Hint = "the program calls the __weak extern " + name + ", which the running kernel does not have, on a path the verifier explores; guard the call with bpf_ksym_exists(" + name + ")"
			return
		}
	}
}

// moduleFD keeps the module BTF descriptor of found open until the load
// and returns its fd_array index (0 and 0 for vmlinux).
func (r *externResolution) moduleFD(found *kernelBTFType) (int, int, error) {
	if found.src.module == "" {
		return 0, 0, nil
	}
	if idx, ok := r.modules[found.src.module]; ok {
		return idx, int(r.fdArray[idx]), nil
	}
	fd, err := found.src.open()
	if err != nil {
		return 0, 0, fmt.Errorf("open BTF of module %s: %w", found.src.module, err)
	}
	r.closers = append(r.closers, fd)
	if len(r.fdArray) == 0 {
		r.fdArray = append(r.fdArray, 0) // off 0 means vmlinux
	}
	if len(r.fdArray) >= 1<<15 {
		return 0, 0, errors.New("too many module BTF objects")
	}
	r.fdArray = append(r.fdArray, int32(fd.Int()))
	if r.modules == nil {
		r.modules = map[string]int{}
	}
	r.modules[found.src.module] = len(r.fdArray) - 1
	return len(r.fdArray) - 1, fd.Int(), nil
}

// kallsyms caches the addresses found in /proc/kallsyms.
var kallsyms struct {
	mu    sync.Mutex
	addrs map[string]uint64
}

// kallsymsAddress returns the address of a kernel symbol, or 0 if
// /proc/kallsyms does not list it. Addresses read as 0 (kptr_restrict,
// no CAP_SYSLOG) are an error.
func kallsymsAddress(name string) (uint64, error) {
	kallsyms.mu.Lock()
	defer kallsyms.mu.Unlock()
	if a, ok := kallsyms.addrs[name]; ok {
		return a, nil
	}
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	addr, err := scanKallsyms(f, name)
	if err != nil {
		return 0, err
	}
	if addr != 0 { // absent ones may come with a module loaded later
		if kallsyms.addrs == nil {
			kallsyms.addrs = map[string]uint64{}
		}
		kallsyms.addrs[name] = addr
	}
	return addr, nil
}

// kallsymsHas reports whether /proc/kallsyms lists name, whatever the
// address it shows.
func kallsymsHas(name string) (bool, error) {
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		return false, err
	}
	defer f.Close()
	return scanKallsymsName(f, name)
}

// scanKallsymsName reports whether a kallsyms listing has name.
func scanKallsymsName(r io.Reader, name string) (bool, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if fields := bytes.Fields(sc.Bytes()); len(fields) >= 3 && string(fields[2]) == name {
			return true, nil
		}
	}
	return false, sc.Err()
}

// scanKallsyms finds name in a kallsyms listing ("addr type name
// [module]").
func scanKallsyms(r io.Reader, name string) (uint64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Bytes()
		fields := bytes.Fields(line)
		if len(fields) < 3 || string(fields[2]) != name {
			continue
		}
		addr, err := strconv.ParseUint(string(fields[0]), 16, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/kallsyms: %q: %w", line, err)
		}
		if addr == 0 {
			return 0, fmt.Errorf("/proc/kallsyms shows address 0 for %s (kptr_restrict, or no CAP_SYSLOG)", name)
		}
		return addr, nil
	}
	return 0, sc.Err()
}

// kconfigValues holds the configuration of the running kernel.
var kconfigValues struct {
	once sync.Once
	vals map[string]string
	err  error
}

// readKernelConfig returns the running kernel's configuration, from
// /proc/config.gz or else /boot/config-$(uname -r), read once.
func readKernelConfig() (map[string]string, error) {
	kconfigValues.once.Do(func() {
		kconfigValues.vals, kconfigValues.err = loadKernelConfig()
	})
	return kconfigValues.vals, kconfigValues.err
}

func loadKernelConfig() (map[string]string, error) {
	if f, err := os.Open("/proc/config.gz"); err == nil {
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("/proc/config.gz: %w", err)
		}
		vals, err := parseKconfig(zr)
		if err != nil {
			return nil, fmt.Errorf("/proc/config.gz: %w", err)
		}
		return vals, nil
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return nil, fmt.Errorf("uname: %w", err)
	}
	path := "/boot/config-" + unix.ByteSliceToString(uts.Release[:])
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("kernel configuration: no /proc/config.gz and %w", err)
	}
	defer f.Close()
	vals, err := parseKconfig(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return vals, nil
}

// parseKconfig reads "CONFIG_X=value" lines; comments ("# CONFIG_X is
// not set") and blank lines are skipped.
func parseKconfig(r io.Reader) (map[string]string, error) {
	vals := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(k, "CONFIG_") {
			continue
		}
		vals[k] = v
	}
	return vals, sc.Err()
}

// linuxKernelVersion is KERNEL_VERSION(a, b, c) of the running kernel's
// release (c capped at 255, as the kernel's macro does).
func linuxKernelVersion() (string, error) {
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return "", fmt.Errorf("uname: %w", err)
	}
	v, err := parseKernelRelease(unix.ByteSliceToString(uts.Release[:]))
	if err != nil {
		return "", err
	}
	return strconv.FormatUint(uint64(v), 10), nil
}

func parseKernelRelease(rel string) (uint32, error) {
	var parts [3]uint64
	rest := rel
	n := 0
	for i := range parts {
		end := 0
		for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
			end++
		}
		if end == 0 {
			if i < 2 {
				return 0, fmt.Errorf("kernel release %q: not major.minor[.patch]", rel)
			}
			break
		}
		v, err := strconv.ParseUint(rest[:end], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("kernel release %q: %w", rel, err)
		}
		parts[i] = v
		n++
		rest = rest[end:]
		if len(rest) == 0 || rest[0] != '.' {
			break
		}
		rest = rest[1:]
	}
	if n < 2 || parts[0] > 255 || parts[1] > 255 {
		return 0, fmt.Errorf("kernel release %q: not major.minor[.patch]", rel)
	}
	return uint32(parts[0]<<16 + parts[1]<<8 + min(parts[2], 255)), nil
}

// syscallPrefix is the architecture prefix of syscall wrappers (a switch,
// not a map built at start-up).
func syscallPrefix(goarch string) string {
	switch goarch {
	case "amd64":
		return "__x64_"
	case "386":
		return "__ia32_"
	case "arm64":
		return "__arm64_"
	case "s390x":
		return "__s390x_"
	case "riscv64":
		return "__riscv_"
	case "arm":
		return "__arm_"
	}
	return "" // ppc64le, ppc64, loong64 and the others
}

// kconfigFact returns the value of one of libbpf's LINUX_* externs.
func kconfigFact(name string) (string, error) {
	switch name {
	case "LINUX_KERNEL_VERSION":
		return linuxKernelVersion()
	case "LINUX_HAS_BPF_COOKIE":
		// bpf_get_attach_cookie (5.15) is what the cookie needs.
		if err := features.HaveProgramHelper(Kprobe, asm.FnGetAttachCookie); err != nil {
			if errors.Is(err, ErrNotSupported) {
				return "n", nil
			}
			return "", err
		}
		return "y", nil
	case "LINUX_HAS_SYSCALL_WRAPPER":
		pfx := syscallPrefix(runtime.GOARCH)
		if pfx == "" {
			return "n", nil
		}
		// Only the name matters: kallsyms lists it with address 0 to
		// readers without CAP_SYSLOG (or with kptr_restrict), and the
		// fact must still be right for them.
		found, err := kallsymsHas(pfx + "sys_bpf")
		if err != nil {
			return "", err
		}
		if found {
			return "y", nil
		}
		return "n", nil
	}
	return "", fmt.Errorf("%w: unknown LINUX_* kconfig extern (libbpf knows LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE and LINUX_HAS_SYSCALL_WRAPPER)", ErrExternNotFound)
}

// encodeKconfig writes the value v of ext into buf (the extern's bytes).
func encodeKconfig(ext *Extern, v string, buf []byte) error {
	switch ext.Kconfig {
	case KconfigBool, KconfigTristate, KconfigChar:
		if ext.Kconfig == KconfigChar && v != "y" && v != "n" && v != "m" {
			return encodeKconfig(&Extern{Kconfig: KconfigInt, Signed: ext.Signed}, v, buf)
		}
		var c byte
		switch v {
		case "y", "n", "m":
			c = v[0]
		default:
			return fmt.Errorf("value %q is not y, n or m", v)
		}
		switch ext.Kconfig {
		case KconfigChar:
			buf[0] = c
			return nil
		case KconfigBool:
			if c == 'm' {
				return errors.New("value m (module) for a bool extern; declare it enum libbpf_tristate")
			}
		}
		n := map[byte]uint64{'n': 0, 'y': 1, 'm': 2}[c]
		return putUint(buf, n)
	case KconfigString:
		if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return fmt.Errorf("value %s is not a quoted string", v)
		}
		s, err := strconv.Unquote(v)
		if err != nil {
			s = v[1 : len(v)-1]
		}
		if len(s) >= len(buf) {
			s = s[:len(buf)-1] // truncated, as libbpf does
		}
		copy(buf, s)
		return nil
	case KconfigInt:
		if v == "y" || v == "n" || v == "m" || strings.HasPrefix(v, "\"") {
			return fmt.Errorf("value %s is not a number", v)
		}
		if ext.Signed {
			n, err := strconv.ParseInt(v, 0, 64)
			if err != nil {
				return fmt.Errorf("value %s: %w", v, err)
			}
			bits := uint(8 * len(buf))
			if bits < 64 && (n < -(1<<(bits-1)) || n >= 1<<(bits-1)) {
				return fmt.Errorf("value %s does not fit in %d bytes", v, len(buf))
			}
			return putUint(buf, uint64(n))
		}
		n, err := strconv.ParseUint(v, 0, 64)
		if err != nil {
			return fmt.Errorf("value %s: %w", v, err)
		}
		if len(buf) < 8 && n >= 1<<(8*len(buf)) {
			return fmt.Errorf("value %s does not fit in %d bytes", v, len(buf))
		}
		return putUint(buf, n)
	}
	return fmt.Errorf("unknown kconfig encoding %d", ext.Kconfig)
}

// putUint stores n in buf (1, 2, 4 or 8 bytes, host order: the map value
// is read by programs of this machine).
func putUint(buf []byte, n uint64) error {
	switch len(buf) {
	case 1:
		buf[0] = byte(n)
	case 2:
		binary.NativeEndian.PutUint16(buf, uint16(n))
	case 4:
		binary.NativeEndian.PutUint32(buf, uint32(n))
	case 8:
		binary.NativeEndian.PutUint64(buf, n)
	default:
		return fmt.Errorf("integer of %d bytes", len(buf))
	}
	return nil
}

// kconfigState is the outcome of filling the ".kconfig" map: the value
// and the error of each extern that could not be resolved.
type kconfigState struct {
	value  []byte
	errors map[string]error
}

// prepareKconfig computes the value of the ".kconfig" map of spec, from
// overrides first, then the LINUX_* facts and the kernel's
// configuration. It returns a copy of spec whose ".kconfig" map has the
// value as contents, or spec itself when it has no kconfig externs.
func prepareKconfig(spec *CollectionSpec, overrides map[string]string) (*CollectionSpec, *kconfigState, error) {
	ms := spec.Maps[KconfigMap]
	if ms == nil {
		return spec, nil, nil
	}
	exts := map[string]*Extern{}
	for _, p := range spec.Programs {
		for _, e := range p.Externs {
			if e != nil && e.Kind == ExternKconfig {
				exts[e.Name] = e
			}
		}
	}
	st := &kconfigState{value: make([]byte, ms.ValueSize), errors: map[string]error{}}
	var config map[string]string
	var configErr error
	configRead := false
	for _, name := range sortedKeys(exts) {
		ext := exts[name]
		end := uint64(ext.Offset) + uint64(ext.Size)
		if ext.Size == 0 || end > uint64(len(st.value)) {
			return nil, nil, fmt.Errorf("kconfig extern %s: bytes [%d, %d) outside the %d-byte map %s", name, ext.Offset, end, len(st.value), KconfigMap)
		}
		v, ok := overrides[name]
		var err error
		switch {
		case ok:
		case strings.HasPrefix(name, "LINUX_"):
			v, err = kconfigFact(name)
			ok = err == nil
		case strings.HasPrefix(name, "CONFIG_"):
			if !configRead {
				config, configErr = readKernelConfig()
				configRead = true
			}
			if configErr != nil {
				err = fmt.Errorf("%w: %w", ErrExternNotFound, configErr)
			} else {
				// "# CONFIG_X is not set" is absent, as for libbpf:
				// declare the extern __weak to read it as 0.
				v, ok = config[name]
			}
		default:
			err = fmt.Errorf("%w: a kconfig extern is named CONFIG_* or LINUX_*", ErrExternNotFound)
		}
		if !ok && err == nil {
			err = fmt.Errorf("%w: the kernel's configuration has no value for it (CollectionOptions.Kconfig can supply one)", ErrExternNotFound)
		}
		if err == nil {
			err = encodeKconfig(ext, v, st.value[ext.Offset:end])
		}
		if err != nil {
			if ext.Weak && errors.Is(err, ErrExternNotFound) {
				continue // zero
			}
			st.errors[name] = fmt.Errorf("kconfig extern %s: %w", name, err)
			clear(st.value[ext.Offset:end])
		}
	}
	c := *spec
	c.Maps = make(map[string]*maps.Spec, len(spec.Maps))
	for n, m := range spec.Maps {
		c.Maps[n] = m
	}
	km := *ms
	km.Contents = []maps.KV{{Key: uint32(0), Value: st.value}}
	c.Maps[KconfigMap] = &km
	return &c, st, nil
}

// checkKconfig fails the load of a program that uses a kconfig extern
// that could not be resolved.
func (st *kconfigState) check(spec *ProgramSpec) error {
	if st == nil {
		return nil
	}
	for _, e := range spec.Externs {
		if e == nil || e.Kind != ExternKconfig {
			continue
		}
		if err := st.errors[e.Name]; err != nil {
			return fmt.Errorf("load %s: %w", spec.describe(), err)
		}
	}
	return nil
}
