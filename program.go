package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/btf"
	"github.com/purebpf/bpf/features"
	"github.com/purebpf/bpf/internal/sys"
	"github.com/purebpf/bpf/maps"
	"github.com/purebpf/bpf/verifier"
)

// ProgramSpec describes a program to load.
type ProgramSpec struct {
	// Name is the program's name; the kernel keeps its first 15
	// characters, and characters other than letters, digits, '_' and '.'
	// are replaced by '_'.
	Name string
	// Section is the ELF section the program came from, if any.
	Section string
	// Type is the program type. UnspecifiedProgram is an error at load.
	Type ProgramType
	// AttachType is the expected attach type, for the program types that
	// need one (for example AttachXDPDevMap or AttachTCXIngress).
	AttachType AttachType
	// License is the program's license, such as "GPL". GPL-only helpers
	// need a GPL-compatible license.
	License string
	// KernelVersion is passed as kern_version (only kernels before 5.0
	// check it, for kprobes).
	KernelVersion uint32
	// Flags are the program's load flags (prog_flags), such as
	// XDPHasFrags or Sleepable; package elf sets them from the section
	// name ("xdp.frags", "fentry.s/...").
	Flags ProgramFlags
	// Instructions is the program text.
	Instructions asm.Instructions
	// ByteOrder of the instructions; nil means the host's.
	ByteOrder binary.ByteOrder
	// CORERelocations are the CO-RE relocations of the object's
	// .BTF.ext that apply to Instructions (package elf fills them in);
	// NewProgram applies them, see CORERelocation.
	CORERelocations []CORERelocation
	// BTF holds the object's types (package elf sets it for every program
	// of an object with .BTF): CORERelocations, Externs and the func info
	// of Instructions (asm.Instruction.Func) refer to them by id. When the
	// instructions carry func info, the loader loads these types
	// (BPF_BTF_LOAD) and sends the func and line info encoded from the
	// instructions, so that verifier errors name C source lines.
	BTF *btf.Spec
	// AttachTo names the kernel object a program of an attach-by-BTF
	// type hooks: the function of fentry/fexit/fmod_ret and freplace
	// programs, the tracepoint of tp_btf, the iterator of iter ("bpf_map"),
	// the LSM hook ("file_open"). Package elf sets it from the section
	// name ("fentry/tcp_connect"). The loader resolves it to the type id
	// in the kernel's BTF (vmlinux, then modules), or, for freplace, in
	// AttachTarget's BTF.
	AttachTo string
	// AttachTarget is the loaded program whose function AttachTo names,
	// for Extension (freplace) programs and for fentry/fexit on BPF
	// programs; nil for kernel functions.
	AttachTarget *Program
	// Externs are the extern symbols (kconfig values, ksyms, kfuncs)
	// the instructions use; see Extern. NewProgram resolves them.
	Externs []*Extern
}

// Copy returns a copy of the spec whose instructions, CO-RE relocations
// and externs can be changed without touching s. The object's types (BTF)
// are read-only and shared, as is AttachTarget.
func (s *ProgramSpec) Copy() *ProgramSpec {
	if s == nil {
		return nil
	}
	c := *s
	c.Instructions = append(asm.Instructions(nil), s.Instructions...)
	c.CORERelocations = append([]CORERelocation(nil), s.CORERelocations...)
	if s.Externs != nil {
		c.Externs = make([]*Extern, len(s.Externs))
		for i, e := range s.Externs {
			if e != nil {
				e := *e
				c.Externs[i] = &e
			}
		}
	}
	return &c
}

// describe names the program for error messages: "program xdp_prog1
// (section xdp)".
func (s *ProgramSpec) describe() string {
	if s.Section != "" && s.Section != s.Name {
		return fmt.Sprintf("program %s (section %s)", s.Name, s.Section)
	}
	return "program " + s.Name
}

// MapFD is anything that owns a map descriptor, such as *maps.Map.
type MapFD interface{ FD() int }

// ProgramOptions tunes NewProgramWithOptions.
type ProgramOptions struct {
	// Maps resolves the program's map references (asm.LoadMapPtr,
	// asm.LoadMapValue) by name. References already resolved with
	// Instruction.SetMapFD are left alone.
	Maps map[string]MapFD
	// LogLevel, when not zero, requests the verifier log also for a
	// successful load; it is then available from Program.VerifierLog. A
	// rejection always fetches the log, at least at LogLevelBranch.
	LogLevel LogLevel
	// LogSize is the first log buffer size tried; it grows until the
	// whole log fits. Zero means 64 KiB.
	LogSize int
	// KernelTypes, when not nil, are the kernel types CO-RE relocations
	// are applied against instead of the running kernel's BTF
	// (/sys/kernel/btf/vmlinux): to prepare a program for another kernel,
	// or to test one.
	KernelTypes *btf.Spec
	// Ifindex, when not 0, loads the program for the network device with
	// this index in the calling thread's namespace (prog_ifindex): an XDP
	// program with XDPDevBoundOnly in spec.Flags is bound to the device
	// (6.3+: it may call the device's XDP metadata kfuncs and attaches only
	// there); without that flag the program is offloaded to the device's
	// NIC (4.16+; attach it with attach.XDPOffload), which only NICs with
	// BPF offload (such as Netronome's nfp) accept: other devices refuse
	// the load, and the error names the ifindex.
	Ifindex int

	btf *btfObjects // a collection's loaded BTF objects
}

// LogLevel selects what the verifier log holds (log_level of
// BPF_PROG_LOAD); the levels combine.
type LogLevel uint32

// Verifier log levels.
const (
	// LogLevelBranch logs the instructions of each verified branch and
	// the rejection (BPF_LOG_LEVEL1).
	LogLevelBranch LogLevel = 1 << 0
	// LogLevelInstruction logs the register state at every instruction
	// (BPF_LOG_LEVEL2; much larger logs).
	LogLevelInstruction LogLevel = 1 << 1
	// LogLevelStats appends the verifier's statistics (BPF_LOG_STATS,
	// 5.2+): instructions processed, states, time.
	LogLevelStats LogLevel = 1 << 2
)

var logLevelNames = [...]string{"LogLevelBranch", "LogLevelInstruction", "LogLevelStats"}

// String returns the levels' names joined by "|"
// ("LogLevelBranch|LogLevelStats"), unknown bits in hex, and "0" for none.
func (l LogLevel) String() string {
	if l == 0 {
		return "0"
	}
	var parts []string
	for i, name := range logLevelNames {
		if l&(1<<i) != 0 {
			parts = append(parts, name)
			l &^= 1 << i
		}
	}
	if l != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(l)))
	}
	return strings.Join(parts, "|")
}

// Program is a program loaded into the kernel. It is safe for concurrent
// use; Close releases it (the kernel frees the program once nothing else,
// such as a pin or an attachment, holds it).
type Program struct {
	name string
	typ  ProgramType
	id   ProgramID
	fd   *sys.FD
	log  string

	pinMu  sync.Mutex
	pinned string
}

// NewProgram loads spec with default options. See NewProgramWithOptions.
func NewProgram(spec *ProgramSpec) (*Program, error) {
	return NewProgramWithOptions(spec, ProgramOptions{})
}

// NewProgramWithOptions verifies and loads spec. The first load asks for
// no verifier log (a log buffer costs more than verifying small programs);
// if the kernel rejects the program it is loaded again with the log, and
// the error wraps a *verifier.Error (reach it with errors.As) with the
// failing instruction, the kernel's message and a hint. Calls of GPL-only helpers from a program
// whose license is not GPL-compatible are reported before loading.
//
// When spec.BTF is set and the instructions carry func info
// (asm.Instruction.Func on the first instruction of each function), the
// program is loaded with its types and its func and line info (kernel
// 5.0+), so that the verifier's log names C source lines; instructions
// inserted or removed keep the lines of the instructions that carry them.
// If the kernel refuses the types, or the func info does not match the
// program's functions, the program is loaded without them.
//
// When the kernel lacks what the program needs (its program type, an
// instruction-set extension such as cpu v4 or may_goto, a helper newer
// than the kernel, stores of immediates into the context), the error also matches
// ErrNotSupported and holds a *features.Error naming the feature and the
// Linux release that introduced it; the verifier's *verifier.Error stays
// reachable with errors.As when the verifier ran. The features probes
// behind this run only after a failed load.
//
// The error names the program once ("load program xdp1 (section xdp):
// rejected by the verifier at instruction 3 (...): ..."); formatted with
// %+v it also prints the whole verifier log. Without the privileges the
// program type needs (EPERM) the error says which: root, or CAP_BPF plus
// CAP_NET_ADMIN for network programs or CAP_PERFMON for tracing ones.
func NewProgramWithOptions(spec *ProgramSpec, opts ProgramOptions) (*Program, error) {
	p, err := newProgram(spec, opts)
	if err != nil {
		return nil, wrapLoad(err)
	}
	return p, nil
}

func newProgram(spec *ProgramSpec, opts ProgramOptions) (*Program, error) {
	if spec == nil {
		return nil, errors.New("load program: nil ProgramSpec")
	}
	if spec.Type == UnspecifiedProgram {
		return nil, fmt.Errorf("load %s: program type is not set (unknown section name?): set ProgramSpec.Type, for example to bpf.XDP or bpf.SchedCLS", spec.describe())
	}
	if len(spec.Instructions) == 0 {
		return nil, fmt.Errorf("load %s: no instructions", spec.describe())
	}
	spec, poisoned, err := relocateCORE(spec, opts.KernelTypes)
	if err != nil {
		return nil, fmt.Errorf("load %w", err)
	}
	insns, err := resolveMaps(spec, opts.Maps)
	if err != nil {
		return nil, err
	}
	ext, err := resolveExterns(spec, insns)
	if err != nil {
		return nil, err
	}
	defer ext.close()
	if ext != nil {
		insns = ext.insns
	}
	target, err := resolveAttachTarget(spec)
	if err != nil {
		return nil, err
	}
	defer target.close()
	if verr := checkLicense(spec, insns); verr != nil {
		return nil, fmt.Errorf("load %s: %w", spec.describe(), unnamed{verr})
	}
	bo := spec.ByteOrder
	if bo == nil {
		bo = binary.NativeEndian
	}
	code, err := insns.Encode(bo)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", spec.describe(), err)
	}
	license := append([]byte(spec.License), 0)
	attr := sys.ProgLoadAttr{
		ProgType:           uint32(spec.Type),
		InsnCnt:            uint32(len(code) / asm.InstructionSize),
		Insns:              sys.SlicePointer(code),
		License:            sys.SlicePointer(license),
		KernVersion:        spec.KernelVersion,
		ProgFlags:          uint32(spec.Flags),
		ProgName:           sys.ObjName(spec.Name),
		ExpectedAttachType: uint32(spec.AttachType),
		ProgIfindex:        uint32(opts.Ifindex),
	}
	ext.setAttr(&attr)
	target.setAttr(&attr)
	pb, err := newProgramBTF(spec, insns, code, opts.btf)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", spec.describe(), err)
	}
	defer pb.close()
	pb.setAttr(&attr)
	fd, log, err := loadWithLog(&attr, opts)
	if err != nil {
		if log == "" {
			// Refused before the verifier ran: an unknown program type
			// (or attach type, flag, attribute) is EINVAL here.
			if ferr := missingProgramType(spec.Type, err); ferr != nil {
				return nil, fmt.Errorf("load %s: %w (%w)", spec.describe(), ferr, err)
			}
			if errors.Is(err, unix.EPERM) {
				return nil, fmt.Errorf("load %s: %s: %w", spec.describe(), privilegeHint(spec.Type), err)
			}
			if opts.Ifindex != 0 && (errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EOPNOTSUPP)) {
				what := "offload it (only NICs with BPF offload can)"
				if spec.Flags&XDPDevBoundOnly != 0 {
					what = "bind it"
				}
				return nil, fmt.Errorf("load %s for device ifindex %d: the device does not exist in the calling thread's namespace or refused to %s: %w", spec.describe(), opts.Ifindex, what, err)
			}
			if !isVerifierErrno(err) {
				return nil, fmt.Errorf("load %s: %w", spec.describe(), explainLoad(spec, err, ext, target))
			}
			// Even with a log buffer the kernel said nothing: it refused
			// the load's attributes before verifying the program.
			return nil, fmt.Errorf("load %s: %s: %w", spec.describe(), attrHint(spec), explainLoad(spec, err, ext, target))
		}
		verr := verifier.ParseLog(spec.Name, log, err)
		verr.Truncated = errors.Is(err, unix.ENOSPC)
		if cerr := poisonedError("load", spec, poisoned, verr); cerr != nil {
			return nil, cerr
		}
		if pb.fd != nil {
			verr.SetSourceLines(sourceLines(insns))
		}
		ext.explain(verr)
		if ferr := missingFeature(spec.Type, insns, verr); ferr != nil {
			return nil, fmt.Errorf("load %s: %w: %w", spec.describe(), ferr, unnamed{verr})
		}
		return nil, fmt.Errorf("load %s: %w", spec.describe(), unnamed{verr})
	}
	var info sys.ProgInfo
	if err := sys.ProgInfoByFD(fd, &info); err != nil {
		fd.Close()
		return nil, fmt.Errorf("load %s: info of the loaded program: %w", spec.describe(), err)
	}
	return &Program{name: spec.Name, typ: spec.Type, id: ProgramID(info.ID), fd: fd, log: log}, nil
}

// missingProgramType returns the features answer for typ when the kernel
// refused a load with EINVAL before verifying it and lacks the type, or
// nil. It runs only on that failure path (the probe is cached).
func missingProgramType(typ ProgramType, err error) error {
	if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.E2BIG) {
		return nil
	}
	if ferr := features.HaveProgramType(typ); errors.Is(ferr, ErrNotSupported) {
		return ferr
	}
	return nil
}

// missingFeature explains a verifier rejection by a feature the kernel
// lacks: an instruction-set extension the program uses (cpu v4, may_goto,
// load-acquire, ...), a helper newer than the kernel, or a store of an
// immediate into the context. It returns the
// features answer, or nil when none of them is missing. The probes run
// only here, on the failure path, and are cached.
func missingFeature(typ ProgramType, insns asm.Instructions, verr *verifier.Error) error {
	if err := features.HaveInstructions(insns); errors.Is(err, ErrNotSupported) {
		return err
	}
	if strings.Contains(verr.Message, "func") {
		for _, ins := range insns {
			if !ins.IsBuiltinCall() {
				continue
			}
			// Only a helper newer than the kernel counts: one the
			// kernel has but does not offer to this program type is
			// (usually) the program's mistake, and stays a plain
			// verifier error.
			var ferr *features.Error
			if err := features.HaveProgramHelper(typ, asm.BuiltinFunc(ins.Constant)); errors.As(err, &ferr) && ferr.MinKernel != "" {
				return err
			}
		}
	}
	if strings.Contains(verr.Message, "BPF_ST stores into") || strings.Contains(verr.Log, "BPF_ST stores into") {
		if err := features.HaveContextStoreImm(); errors.Is(err, ErrNotSupported) {
			return err
		}
	}
	return nil
}

// attrHint explains a load the kernel refused before its verifier ran,
// naming the attributes it may have refused.
func attrHint(spec *ProgramSpec) string {
	var attrs []string
	if spec.Flags != 0 {
		attrs = append(attrs, "flags "+spec.Flags.String())
	}
	if spec.AttachType != 0 {
		attrs = append(attrs, "attach type "+spec.AttachType.String())
	}
	attrs = append(attrs, "BTF func/line info", "attach target")
	return fmt.Sprintf("refused before verification: the kernel does not accept an attribute of this %s program (%s)", spec.Type, strings.Join(attrs, ", "))
}

// isVerifierErrno reports whether a load error may come with a verifier
// log worth fetching.
func isVerifierErrno(err error) bool {
	return errors.Is(err, unix.EACCES) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.E2BIG) || errors.Is(err, unix.ENOSPC)
}

const maxLogSize = 1 << 30 // the kernel refuses larger log buffers

// loadWithLog loads the program, first without a log (unless one was
// asked for) and, on a verifier rejection, again with a log buffer that
// grows until the log fits.
func loadWithLog(attr *sys.ProgLoadAttr, opts ProgramOptions) (*sys.FD, string, error) {
	if opts.LogLevel == 0 {
		fd, err := sys.ProgLoad(attr)
		if err == nil || !isVerifierErrno(err) {
			return fd, "", err
		}
	}
	size := opts.LogSize
	if size <= 0 {
		size = 64 << 10
	}
	level := uint32(opts.LogLevel)
	if level == 0 {
		level = uint32(LogLevelBranch)
	}
	for {
		buf := make([]byte, size)
		attr.LogLevel, attr.LogSize, attr.LogBuf, attr.LogTrueSize = level, uint32(size), sys.SlicePointer(buf), 0
		fd, err := sys.ProgLoad(attr)
		log := sys.CString(buf)
		if errors.Is(err, unix.ENOSPC) && size < maxLogSize {
			// The log did not fit. Kernels since 6.4 say how much is
			// needed; older ones make us double.
			next := size * 2
			if want := int(attr.LogTrueSize); want > size {
				next = want
			}
			size = min(next, maxLogSize)
			continue
		}
		attr.LogLevel, attr.LogSize, attr.LogBuf = 0, 0, sys.Pointer{}
		return fd, log, err
	}
}

// resolveMaps returns the instructions with every map reference bound to
// a descriptor from maps.
func resolveMaps(spec *ProgramSpec, maps map[string]MapFD) (asm.Instructions, error) {
	insns := spec.Instructions
	copied := false
	for i := range insns {
		ins := &insns[i]
		if !ins.IsLoadFromMap() || ins.IsMapResolved() {
			continue
		}
		name := ins.Reference()
		m, ok := maps[name]
		if !ok || m == nil {
			return nil, fmt.Errorf("load %s: instruction %d references map %q, which was not given (ProgramOptions.Maps)", spec.describe(), i, name)
		}
		if !copied {
			insns = append(asm.Instructions(nil), insns...)
			ins = &insns[i]
			copied = true
		}
		if ins.Src == asm.PseudoMapValue {
			ins.SetMapValue(m.FD(), ins.MapOffset())
		} else {
			ins.SetMapFD(m.FD())
		}
	}
	return insns, nil
}

// checkLicense reports a call of a GPL-only helper from a program whose
// license is not GPL-compatible, as the kernel would, but before loading
// and naming the helper.
func checkLicense(spec *ProgramSpec, insns asm.Instructions) *verifier.Error {
	if verifier.IsGPLCompatible(spec.License) {
		return nil
	}
	raw := 0
	for _, ins := range insns {
		if ins.IsBuiltinCall() {
			fn := asm.BuiltinFunc(ins.Constant)
			if gpl, _ := verifier.GPLOnly(int32(fn)); gpl {
				e := &verifier.Error{
					Program:     spec.Name,
					Index:       raw,
					Instruction: ins.String(),
					Message:     fmt.Sprintf("%s is GPL-only and the license %q is not GPL-compatible", fn, spec.License),
					Cause:       unix.EINVAL,
				}
				e.Hint = "helper " + fn.String() + " may only be called from a program whose license is GPL-compatible (for example \"GPL\" or \"Dual BSD/GPL\")"
				return e
			}
		}
		raw += ins.Slots()
	}
	return nil
}

// FD returns the program's descriptor (-1 after Close). It stays owned by
// the Program.
func (p *Program) FD() int { return p.fd.Int() }

// ID returns the program's system-wide id, read once when the Program was
// loaded or opened (ids are unique while the program is loaded and may be
// reused after it is unloaded).
func (p *Program) ID() ProgramID { return p.id }

// Name returns the name the program was loaded with.
func (p *Program) Name() string { return p.name }

// Type returns the program type.
func (p *Program) Type() ProgramType { return p.typ }

// VerifierLog returns the verifier log of a load that asked for one with
// ProgramOptions.LogLevel, or "".
func (p *Program) VerifierLog() string { return p.log }

// String describes the program as maps.Map.String describes a map: "xdp
// program xdp_prog1 (fd 7)".
func (p *Program) String() string {
	return fmt.Sprintf("%s program %s (fd %d)", p.typ, p.name, p.FD())
}

// Close releases the program's descriptor. Closing twice is safe. It does
// not unpin: a pinned program stays in the kernel. Every other method that
// needs the descriptor (Run, Pin, Info, Clone, XlatedInstructions,
// MemoryLocked) then fails with an error matching ErrClosed (Unpin and
// PinnedPath still work: the pin is a file).
func (p *Program) Close() error {
	if p == nil {
		return nil
	}
	return p.fd.Close()
}

// Clone returns an independent handle (a duplicated descriptor) for the
// same program. The clone has no pin of its own: its Unpin returns
// ErrNotPinned.
func (p *Program) Clone() (*Program, error) {
	fd, err := p.fd.Dup()
	if err != nil {
		return nil, fmt.Errorf("clone program %s: %w", p.name, p.fd.Closed(err))
	}
	return &Program{name: p.name, typ: p.typ, id: p.id, fd: fd}, nil
}

// Pin pins the program at path, a file on a bpffs mount that must not
// exist, so that it outlives the process. The Program remembers the path
// for Unpin and PinnedPath (a second Pin replaces the remembered path;
// the first pin stays).
func (p *Program) Pin(path string) error {
	if err := sys.ObjPin(p.fd, path); err != nil {
		return fmt.Errorf("pin program %s at %s: %w", p.name, path, p.fd.Closed(err))
	}
	p.pinMu.Lock()
	p.pinned = path
	p.pinMu.Unlock()
	return nil
}

// Unpin removes the pin this Program made (Pin) or was opened from
// (LoadPinnedProgram). The kernel unloads the program once nothing else
// holds it; the Program stays usable until Close. Without such a pin it
// returns an error matching ErrNotPinned (and os.ErrNotExist); when the
// pin file was already removed by someone else the error matches
// os.ErrNotExist and the Program forgets the path.
func (p *Program) Unpin() error {
	p.pinMu.Lock()
	defer p.pinMu.Unlock()
	if p.pinned == "" {
		return fmt.Errorf("unpin program %s: %w", p.name, ErrNotPinned)
	}
	err := os.Remove(p.pinned)
	if err == nil || errors.Is(err, os.ErrNotExist) {
		p.pinned = ""
	}
	if err != nil {
		return fmt.Errorf("unpin program %s: %w", p.name, err)
	}
	return nil
}

// PinnedPath is the path of the pin Unpin would remove, or "".
func (p *Program) PinnedPath() string {
	p.pinMu.Lock()
	defer p.pinMu.Unlock()
	return p.pinned
}

// LoadPinnedProgram opens the program pinned at path (on a bpffs mount).
// The Program remembers the path: its Unpin removes that pin.
func LoadPinnedProgram(path string) (*Program, error) {
	fd, err := sys.ObjGet(path, 0)
	if err != nil {
		return nil, fmt.Errorf("open pinned program %s: %w", path, err)
	}
	p, err := programFromFD(fd, "pinned program "+path)
	if err != nil {
		return nil, err
	}
	p.pinned = path
	return p, nil
}

// ProgramFromID opens the loaded program with the given id (needs
// CAP_SYS_ADMIN). An id that no program has gives an error matching
// os.ErrNotExist.
func ProgramFromID(id ProgramID) (*Program, error) {
	fd, err := sys.GetFDByID(sys.ProgGetFDByIDCmd, uint32(id))
	if err != nil {
		return nil, fmt.Errorf("open program id %d: %w", id, sysAdminHint(err))
	}
	return programFromFD(fd, fmt.Sprintf("program id %d", id))
}

func programFromFD(fd *sys.FD, what string) (*Program, error) {
	var info sys.ProgInfo
	if err := sys.ProgInfoByFD(fd, &info); err != nil {
		fd.Close()
		return nil, fmt.Errorf("%s: info: %w", what, err)
	}
	return &Program{name: sys.CString(info.Name[:]), typ: ProgramType(info.Type), id: ProgramID(info.ID), fd: fd}, nil
}

// ProgramInfo is what the kernel reports about a loaded program.
type ProgramInfo struct {
	// ID is the program's system-wide id (Program.ID).
	ID ProgramID
	// Name is the name the kernel kept (at most 15 characters).
	Name string
	// Type is the program type.
	Type ProgramType
	// Tag is the hex SHA-1 based tag bpftool shows, such as
	// "a04f5eef06a7f555".
	Tag string
	// VerifiedInstructions is the number of instructions the verifier
	// processed (5.16+).
	VerifiedInstructions uint32
	// XlatedSize and JitedSize are the sizes in bytes of the translated
	// and the JIT-compiled program.
	XlatedSize, JitedSize uint32
	// MapIDs are the ids of the maps the program uses.
	MapIDs []maps.ID
	// LoadTime is when the program was loaded.
	LoadTime time.Time
	// CreatedByUID is the uid of the loader.
	CreatedByUID uint32
	// GPLCompatible reports whether the license was GPL-compatible.
	GPLCompatible bool
	// BTF is the id of the program's BTF object (btf.LoadByID reads it),
	// or 0.
	BTF btf.ID
	// RunTime and RunCount are the kernel's run statistics (collected only
	// while BPF stats are enabled).
	RunTime  time.Duration
	RunCount uint64
}

// Info asks the kernel about the program: one system call, or two for a
// program that uses more than 16 maps.
func (p *Program) Info() (*ProgramInfo, error) {
	// The first call also fetches up to len(ids) map ids, so that most
	// programs need one system call.
	ids := make([]maps.ID, 16)
	info := sys.ProgInfo{NrMapIDs: uint32(len(ids)), MapIDs: sys.NewPointer(unsafe.Pointer(&ids[0]))}
	if err := sys.ProgInfoByFD(p.fd, &info); err != nil {
		return nil, fmt.Errorf("info of program %s: %w", p.name, p.fd.Closed(err))
	}
	pi := &ProgramInfo{
		ID:                   ProgramID(info.ID),
		Name:                 sys.CString(info.Name[:]),
		Type:                 ProgramType(info.Type),
		Tag:                  fmt.Sprintf("%x", info.Tag[:]),
		VerifiedInstructions: info.VerifiedInsns,
		XlatedSize:           info.XlatedProgLen,
		JitedSize:            info.JitedProgLen,
		LoadTime:             bootTimeToWall(info.LoadTime),
		CreatedByUID:         info.CreatedByUID,
		GPLCompatible:        info.GPLCompatible&1 != 0,
		BTF:                  btf.ID(info.BTFID),
		RunTime:              time.Duration(info.RunTimeNs),
		RunCount:             info.RunCnt,
	}
	switch n := info.NrMapIDs; {
	case n <= uint32(len(ids)):
		if n > 0 {
			pi.MapIDs = ids[:n]
		}
	default:
		ids = make([]maps.ID, n)
		info2 := sys.ProgInfo{NrMapIDs: n, MapIDs: sys.NewPointer(unsafe.Pointer(&ids[0]))}
		if err := sys.ProgInfoByFD(p.fd, &info2); err != nil {
			return nil, fmt.Errorf("map ids of program %s: %w", p.name, p.fd.Closed(err))
		}
		pi.MapIDs = ids[:min(n, info2.NrMapIDs)]
	}
	return pi, nil
}

// bootTimeToWall converts nanoseconds since boot (CLOCK_BOOTTIME) to wall
// time.
func bootTimeToWall(ns uint64) time.Time {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil || ns == 0 {
		return time.Time{}
	}
	now := time.Now()
	return now.Add(-time.Duration(uint64(ts.Nano()) - ns))
}
