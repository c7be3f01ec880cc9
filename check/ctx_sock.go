package check

import (
	"github.com/purebpf/bpf/asm"
	"github.com/purebpf/bpf/internal/kernel"
	"github.com/purebpf/bpf/verifier"
)

// struct bpf_sock offsets.
const (
	sockBoundDevIf = 0
	sockMark       = 16
	sockPriority   = 20
	sockSrcIP4     = 24
	sockSrcIP6     = 28
	sockSrcPort    = 44
	sockDstPort    = 48
	sockDstIP4     = 52
	sockDstIP6End  = 72
	sockSize       = 80
)

// sockAttachTypes are the modelled cgroup_sock hooks.
var sockAttachTypes = []kernel.AttachType{
	kernel.AttachCGroupInetSockCreate, kernel.AttachCGroupInetSockRelease,
	kernel.AttachCGroupInet4PostBind, kernel.AttachCGroupInet6PostBind,
}

func initSockModel() { // run by ensureTables
	ctxModels[kernel.CGroupSock] = ctxModel{
		unsupported: func(e *progEnv) string {
			ok := false
			for _, at := range sockAttachTypes {
				ok = ok || e.AttachType == at
			}
			if !ok {
				return "cgroup_sock programs of attach type " + e.AttachType.String() + " are not modelled"
			}
			if e.Flags != 0 {
				return "program flags " + e.Flags.String() + " are not modelled for this program type"
			}
			return ""
		},
		access: sockAccess,
	}
	returnRanges[kernel.CGroupSock] = func(*progEnv) retRange { return retRange{0, 1, true} }
}

// sockAccess is struct bpf_sock as cgroup_sock programs see it
// (sock_filter_is_valid_access, bpf_sock_is_valid_access): create and
// release hooks read and write bound_dev_if, mark and priority; post-bind
// hooks read the source address of their family and port; every hook
// reads the other fields, narrowly except the three writable ones.
func sockAccess(c *checker, st *state, regno asm.Register, off int32, size int, write bool) (reg, *verifier.Error) {
	bad := func() (reg, *verifier.Error) { return c.badCtx(st, regno, off, size) }
	if off < 0 || off >= sockSize || off%int32(size) != 0 {
		return bad()
	}
	at := c.opts.AttachType
	create := at == kernel.AttachCGroupInetSockCreate || at == kernel.AttachCGroupInetSockRelease
	in := func(a, b int32) bool { return off >= a && off < b }
	settable := off == sockBoundDevIf || off == sockMark || off == sockPriority
	if write && !settable {
		return bad()
	}
	switch {
	case settable:
		if !create || size != 4 {
			return bad()
		}
		if write {
			return reg{}, nil
		}
		return scalarReg(unsignedScalar(0xffffffff)), nil
	case in(sockSrcIP4, sockSrcIP4+4):
		if at != kernel.AttachCGroupInet4PostBind {
			return bad()
		}
	case in(sockSrcIP6, sockSrcIP6+16):
		if at != kernel.AttachCGroupInet6PostBind {
			return bad()
		}
	case in(sockSrcPort, sockSrcPort+4):
		if at != kernel.AttachCGroupInet4PostBind && at != kernel.AttachCGroupInet6PostBind || off != sockSrcPort {
			return bad()
		}
	case in(sockDstPort, sockDstPort+2):
		// A 16-bit field, also readable as a u32 at its offset.
		if size == 4 && off == sockDstPort {
			return scalarReg(unsignedScalar(0xffff)), nil
		}
		if size > 2 {
			return bad()
		}
		return scalarReg(unsignedScalar(sizeMax(size))), nil
	case in(sockDstPort+2, sockDstIP4):
		return bad()
	case off%4 != 0 && !(in(sockSrcIP4, sockSrcPort) || in(sockDstIP4, sockDstIP6End)):
		// Narrow reads of the other u32 fields start at the field.
		return bad()
	}
	if size > 4 {
		return bad()
	}
	return scalarReg(unsignedScalar(sizeMax(size))), nil
}

// modelledHooks returns the attach types of program types whose helper
// set is the one every hook may call (see internal/gplprobe/helpers), or
// nil.
func modelledHooks(typ kernel.ProgramType) []kernel.AttachType {
	switch typ {
	case kernel.CGroupSock:
		return sockAttachTypes
	case kernel.CGroupSockAddr:
		var hooks []kernel.AttachType
		for at := range sockAddrFamily {
			hooks = append(hooks, at)
		}
		return hooks
	}
	return nil
}
